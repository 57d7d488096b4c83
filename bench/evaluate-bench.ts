/**
 * `npm run bench:evaluate`: images/s of mlctl evaluate's ONNX path against raw onnxruntime inference of the
 * same model at the same batch size. Target: evaluation at least 80% of raw.
 *
 * Data: the Fashion-MNIST test set (10,000 images, Debian's dataset-fashion-mnist in
 * /usr/share/datasets/fashion-mnist) when present, else 10,000 synthetic MNIST-shaped images.
 * Model: the LeNet preset with seeded weights (throughput does not depend on the values), as two ONNX files:
 *   uint8    the graph takes the image bytes and scales them itself (export --normalize)
 *   float32  the graph takes float32 pixels the caller has scaled (export's default); evaluate converts
 *            each batch in JavaScript, raw onnxruntime is handed data converted beforehand
 * Evaluation = the batch loop of `mlctl evaluate` (input batches, session.run, metrics), without loading
 * the data or creating the session, which both sides pay alike. Each side keeps one session for all its
 * passes (a fresh session's first passes are slower). Each figure is the median of --repeats passes after
 * one warm-up pass; raw and evaluation alternate so that load from other processes hits both.
 *
 * usage: npx tsx bench/evaluate-bench.ts [--batch-size 256] [--threads N] [--repeats 5] [--from DIR]
 */
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {availableParallelism, cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import ort from 'onnxruntime-node'

import {type Dataset, loadDataset} from '../src/core/data/index.js'
import {buildInferenceModel} from '../src/core/engine/index.js'
import {evaluateSplit} from '../src/core/evaluate/evaluate-model.js'
import {planEvaluation} from '../src/core/evaluate/evaluation-plan.js'
import {type EvaluationModel, openEvaluationModel} from '../src/core/evaluate/model-source.js'
import {initialWeights, presetSpec, resolveModel} from '../src/core/model/index.js'
import {median} from './median.js'

const IMAGES = 10_000
const SHAPE = [1, 28, 28]
const PIXELS = 784

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

const batchSize = Number(option('batch-size', '256'))
const threads = Number(option('threads', String(availableParallelism())))
const repeats = Number(option('repeats', '5'))
const from = option('from', '/usr/share/datasets/fashion-mnist')

async function testImages(): Promise<{dataset: Dataset; source: string}> {
  if (existsSync(from)) {
    const dataset = await loadDataset('fashion-mnist', {from})
    return {dataset, source: `Fashion-MNIST test set from ${from}`}
  }
  // xorshift, so the synthetic images are the same on every run
  let state = 2463534242
  const next = () => ((state ^= state << 13), (state ^= state >>> 17), (state ^= state << 5), state >>> 0)
  const inputs = Uint8Array.from({length: IMAGES * PIXELS}, () => next() & 0xff)
  const targets = Uint8Array.from({length: IMAGES}, () => next() % 10)
  const split = {inputs, targets, count: IMAGES}
  const dataset: Dataset = {
    name: 'synthetic',
    task: 'classification',
    inputShape: SHAPE,
    classNames: Array.from({length: 10}, (_, i) => String(i)),
    train: split,
    test: split,
  }
  return {dataset, source: `${IMAGES} synthetic MNIST-shaped images (${from} not found)`}
}

/**
 * Images per second of wall-clock time, and per second of this process's CPU time (steadier when other work
 * shares the cores).
 */
interface Throughput {
  wall: number
  cpu: number
}

async function measure(pass: () => Promise<void>): Promise<Throughput> {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await pass()
  const wallSeconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return {wall: IMAGES / wallSeconds, cpu: IMAGES / ((cpu.user + cpu.system) / 1e6)}
}

function rawPass(session: ort.InferenceSession, inputs: Uint8Array | Float32Array): Promise<Throughput> {
  const type = inputs instanceof Uint8Array ? 'uint8' : 'float32'
  return measure(async () => {
    for (let start = 0; start < IMAGES; start += batchSize) {
      const count = Math.min(batchSize, IMAGES - start)
      await session.run({
        input: new ort.Tensor(type, inputs.subarray(start * PIXELS, (start + count) * PIXELS), [count, ...SHAPE]),
      })
    }
  })
}

function evaluationPass(model: EvaluationModel, dataset: Dataset): Promise<Throughput> {
  return measure(async () => {
    await evaluateSplit(model, planEvaluation(model, dataset), dataset.test!, SHAPE, {batchSize, topK: 5})
  })
}

async function main(): Promise<void> {
  const {dataset, source} = await testImages()
  const images = dataset.test!.inputs as Uint8Array
  const scaled = Float32Array.from(images, (v) => v / 255)
  const spec = presetSpec('lenet', {inputShape: SHAPE, outputs: 10, inputType: 'uint8'})
  const weights = initialWeights(resolveModel(spec), 1)
  const metadata = {class_names: JSON.stringify(dataset.classNames), task: 'classification'}
  const dir = mkdtempSync(join(tmpdir(), 'mlctl-evaluate-bench-'))
  const variants = [
    {name: 'uint8', file: join(dir, 'lenet-uint8.onnx'), raw: images as Uint8Array | Float32Array, options: {}},
    {
      name: 'float32',
      file: join(dir, 'lenet-float32.onnx'),
      raw: scaled,
      options: {
        normalizeInput: false,
        metadata: {
          ...metadata,
          input_normalization: JSON.stringify({inputType: 'float32', scale: 1 / 255, mean: [0], std: [1]}),
        },
      },
    },
  ]
  for (const v of variants)
    writeFileSync(v.file, buildInferenceModel(spec, weights, {probabilities: 'softmax', metadata, ...v.options}))

  console.log(`mlctl evaluate benchmark: LeNet, ${source}`)
  console.log(
    `batch ${batchSize}, ${threads} onnxruntime threads, median of ${repeats} passes after a warm-up; ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores (shared with other work)`,
  )
  console.log('')
  console.log('input    time  raw onnxruntime    evaluate           evaluate/raw')
  try {
    for (const v of variants) {
      const session = await ort.InferenceSession.create(v.file, {
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
      })
      const model = await openEvaluationModel(v.file, threads)
      const raw: Throughput[] = []
      const evaluation: Throughput[] = []
      try {
        await rawPass(session, v.raw)
        await evaluationPass(model, dataset)
        for (let r = 0; r < repeats; r++) {
          raw.push(await rawPass(session, v.raw))
          evaluation.push(await evaluationPass(model, dataset))
        }
      } finally {
        await session.release()
        await model.session.release()
      }
      for (const key of ['wall', 'cpu'] as const) {
        const [rawMedian, evaluationMedian] = [median(raw.map((t) => t[key])), median(evaluation.map((t) => t[key]))]
        const ratio = evaluationMedian / rawMedian
        const label = key === 'wall' ? 'img/s' : 'img/cpu-s'
        console.log(
          `${v.name.padEnd(8)} ${key.padEnd(5)} ${`${Math.round(rawMedian)} ${label}`.padEnd(18)} ${`${Math.round(evaluationMedian)} ${label}`.padEnd(18)} ${(ratio * 100).toFixed(1)}% ${ratio >= 0.8 ? '(target ≥ 80%: met)' : '(target ≥ 80%: MISSED)'}`,
        )
      }
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
