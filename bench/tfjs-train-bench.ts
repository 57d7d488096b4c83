/**
 * LeNet-5 training images/s of the TensorFlow.js engine (whatever backend loads: pure JavaScript where
 * @tensorflow/tfjs-node has no native binding) against the ONNX Runtime engine, on real mnist-sample images.
 *
 * Protocol: the first 576 training images of mnist-sample, batch 64, Adam, softmax cross-entropy, through
 * TrainingEngine.step (what `mlctl train` runs): 1 warm-up step, then the next 8 batches (512 images)
 * over and over until at least 512 images and 2 s are timed. Every measurement runs in a fresh process,
 * engines alternate within each round, the table shows medians.
 *
 * usage: npx tsx bench/tfjs-train-bench.ts [--rounds 3]
 */
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {loadDataset} from '../src/core/data/index.js'
import {Trainer} from '../src/core/engine/index.js'
import {presetSpec} from '../src/core/model/presets.js'
import {TfjsTrainer} from '../src/core/tfjs-engine/tfjs-trainer.js'
import type {TrainingEngine} from '../src/core/training/index.js'
import {median} from './median.js'

const BATCH = 64
const WARMUP_STEPS = 1
const TIMED_BATCHES = 8
const MIN_SECONDS = 2
const IMAGE = 784

type Engine = 'tfjs' | 'ort-1' | 'ort-2'

async function measure(engine: Engine): Promise<{imagesPerSec: number; backend: string}> {
  const data = await loadDataset('mnist-sample')
  const spec = presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10, inputType: 'uint8'})
  const options = {
    spec,
    loss: {name: 'softmaxCrossEntropy' as const},
    optimizer: {name: 'adam' as const, lr: 0.001},
    seed: 1,
  }
  const trainer: TrainingEngine & {description?: string} =
    engine === 'tfjs'
      ? await TfjsTrainer.create(options)
      : await Trainer.create({...options, threads: engine === 'ort-1' ? 1 : 2})
  const step = (k: number) =>
    trainer.step(
      data.train.inputs.subarray(k * BATCH * IMAGE, (k + 1) * BATCH * IMAGE),
      data.train.targets.subarray(k * BATCH, (k + 1) * BATCH),
      BATCH,
    )
  for (let k = 0; k < WARMUP_STEPS; k++) await step(k)
  const started = performance.now()
  let steps = 0
  while (steps < TIMED_BATCHES || performance.now() - started < MIN_SECONDS * 1000)
    await step(WARMUP_STEPS + (steps++ % TIMED_BATCHES))
  const seconds = (performance.now() - started) / 1000
  await trainer.release()
  return {
    imagesPerSec: (steps * BATCH) / seconds,
    backend: trainer.description ?? `onnxruntime-node, ${engine.slice(4)} thread(s)`,
  }
}

const child = process.argv.indexOf('--child')
if (child >= 0) {
  process.stdout.write(JSON.stringify(await measure(process.argv[child + 1] as Engine)))
} else {
  const roundsAt = process.argv.indexOf('--rounds')
  const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 3
  const engines: Engine[] = ['tfjs', 'ort-1', 'ort-2']
  const results = new Map<Engine, {backend: string; values: number[]}>()
  for (let round = 0; round < rounds; round++) {
    for (const engine of engines) {
      const output = execFileSync(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', engine],
        {encoding: 'utf8'},
      )
      const {imagesPerSec, backend} = JSON.parse(output) as {imagesPerSec: number; backend: string}
      const entry = results.get(engine) ?? {backend, values: []}
      entry.values.push(imagesPerSec)
      results.set(engine, entry)
    }
  }
  const tfjs = median(results.get('tfjs')!.values)
  console.log(`LeNet-5 training, batch ${BATCH}, mnist-sample images, median of ${rounds} rounds`)
  for (const engine of engines) {
    const {backend, values} = results.get(engine)!
    const m = median(values)
    console.log(
      `${engine.padEnd(6)} ${m.toFixed(0).padStart(6)} images/s  (${(m / tfjs).toFixed(1)}x tfjs)  ${backend}  [${values.map((v) => v.toFixed(0)).join(', ')}]`,
    )
  }
}
