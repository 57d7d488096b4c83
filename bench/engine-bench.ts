/**
 * `npm run bench`: LeNet-5 training and inference images/s of the mlctl engine (ONNX Runtime), batch 64
 * and 256, with peak RSS, and the same network and protocol in PyTorch (bench/torch_lenet.py) when
 * `/usr/bin/python3 -c 'import torch'` works.
 *
 * Protocol (shared with torch_lenet.py): 8192 random N(0,1) 1x28x28 images with random labels, 5 warm-up
 * steps, then at least 8192 images and at least 3 s timed. Training: SGD momentum (lr 0.01, mu 0.9),
 * softmax cross-entropy, through Trainer.step (graph run + TypeScript update). Inference: the exported
 * inference model (weights as initializers) on one session. Every measurement runs in a fresh process,
 * engines alternate within each round, and the table shows medians over rounds.
 * The machine is shared: each measurement first waits (up to 2 minutes) until the other processes use
 * less than a quarter of a core, and the log shows how many cores were busy during the run (the
 * measured engine itself included).
 *
 * usage: npx tsx bench/engine-bench.ts [--rounds 3] [--threads 2]
 */
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {OrtSession, tensor} from '../src/core/engine/ort-session.js'
import {buildInferenceModel, Trainer} from '../src/core/engine/index.js'
import {initialWeights} from '../src/core/model/initializers.js'
import {presetSpec} from '../src/core/model/presets.js'
import {Random} from '../src/core/model/random.js'
import {resolveModel} from '../src/core/model/resolve-model.js'
import {busyCores, cpuTicks, peakRssMb, pythonHas} from './machine.js'
import {median} from './median.js'

type Mode = 'train' | 'infer'

interface Measurement {
  engine: 'ort' | 'torch'
  mode: Mode
  batch: number
  threads: number
  imagesPerSec: number
  peakRssMb: number
}

const DATA_SIZE = 8192
const WARMUP_STEPS = 5
const MIN_IMAGES = 8192
const MIN_SECONDS = 3
const IMAGE = 784
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_lenet.py', import.meta.url))

function syntheticData(): {images: Float32Array; labels: Uint8Array} {
  const random = new Random(12345)
  const images = new Float32Array(DATA_SIZE * IMAGE)
  for (let i = 0; i < images.length; i += 2) {
    // Box-Muller: two N(0, 1) values from two uniforms
    const radius = Math.sqrt(-2 * Math.log(1 - random.next()))
    const angle = 2 * Math.PI * random.next()
    images[i] = radius * Math.cos(angle)
    images[i + 1] = radius * Math.sin(angle)
  }
  const labels = Uint8Array.from({length: DATA_SIZE}, () => Math.floor(random.next() * 10))
  return {images, labels}
}

/** Runs `step` over consecutive batches: warm-up, then timed until both minimums are met; images/s. */
async function timeSteps(batch: number, step: (offset: number) => Promise<unknown>): Promise<number> {
  let offset = 0
  const next = async () => {
    if (offset + batch > DATA_SIZE) offset = 0
    await step(offset)
    offset += batch
  }
  for (let i = 0; i < WARMUP_STEPS; i++) await next()
  let done = 0
  const start = performance.now()
  while (done < MIN_IMAGES || performance.now() - start < MIN_SECONDS * 1000) {
    await next()
    done += batch
  }
  return done / ((performance.now() - start) / 1000)
}

async function measureOrt(mode: Mode, batch: number, threads: number): Promise<Measurement> {
  const {images, labels} = syntheticData()
  const spec = presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10})
  let imagesPerSec: number
  if (mode === 'train') {
    const trainer = await Trainer.create({
      spec,
      loss: {name: 'softmaxCrossEntropy'},
      optimizer: {name: 'momentum', lr: 0.01, momentum: 0.9},
      seed: 0,
      threads,
    })
    imagesPerSec = await timeSteps(batch, (offset) =>
      trainer.step(
        images.subarray(offset * IMAGE, (offset + batch) * IMAGE),
        labels.subarray(offset, offset + batch),
        batch,
      ),
    )
    await trainer.release()
  } else {
    const session = await OrtSession.create(buildInferenceModel(spec, initialWeights(resolveModel(spec), 0)), threads)
    imagesPerSec = await timeSteps(batch, (offset) =>
      session.run({input: tensor(images.subarray(offset * IMAGE, (offset + batch) * IMAGE), [batch, 1, 28, 28])}),
    )
    await session.release()
  }
  return {
    engine: 'ort',
    mode,
    batch,
    threads,
    imagesPerSec: Math.round(imagesPerSec),
    peakRssMb: Math.round(peakRssMb() * 10) / 10,
  }
}

async function waitForQuietMachine(maxSeconds: number): Promise<void> {
  const deadline = Date.now() + maxSeconds * 1000
  while (Date.now() < deadline) {
    const before = cpuTicks()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    if (busyCores(before, cpuTicks()) < 0.25) return
  }
}

/** One measurement in a fresh process, so that peak RSS and warm caches belong to that run alone. */
function measureInChild(
  engine: 'ort' | 'torch',
  mode: Mode,
  batch: number,
  threads: number,
): Measurement & {machineBusyCores: number} {
  const [command, args] =
    engine === 'torch'
      ? ['/usr/bin/python3', [TORCH_SCRIPT, mode, String(batch), String(threads)]]
      : [
          process.execPath,
          [...process.execArgv, fileURLToPath(import.meta.url), '--measure', mode, String(batch), String(threads)],
        ]
  const before = cpuTicks()
  const result = spawnSync(command, args, {encoding: 'utf8'})
  const machineBusyCores = busyCores(before, cpuTicks())
  if (result.status !== 0) throw new Error(`${engine} ${mode} ${batch} failed:\n${result.stderr}`)
  const line = result.stdout.trim().split('\n').pop()!
  const parsed = JSON.parse(line) as Measurement
  return {...parsed, engine, machineBusyCores}
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? Number(process.argv[index + 1]) : fallback
}

async function main(): Promise<void> {
  if (process.argv[2] === '--measure') {
    const [mode, batch, threads] = process.argv.slice(3)
    console.log(JSON.stringify(await measureOrt(mode as Mode, Number(batch), Number(threads))))
    return
  }
  const rounds = option('rounds', 3)
  const threads = option('threads', 2)
  const engines: Array<'ort' | 'torch'> = pythonHas('torch') ? ['ort', 'torch'] : ['ort']
  if (engines.length === 1) console.log("PyTorch not found (/usr/bin/python3 -c 'import torch' failed): mlctl only")
  const configs: Array<[Mode, number]> = [
    ['train', 64],
    ['train', 256],
    ['infer', 64],
    ['infer', 256],
  ]
  const results: Measurement[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const [mode, batch] of configs) {
      // alternate which engine goes first, so neither always runs on a warmer or cooler machine
      const order = round % 2 ? engines : [...engines].reverse()
      for (const engine of order) {
        await waitForQuietMachine(120)
        const m = measureInChild(engine, mode, batch, threads)
        results.push(m)
        console.log(
          `round ${round}/${rounds}  ${engine.padEnd(5)} ${mode} batch ${String(batch).padEnd(3)}  ${m.imagesPerSec} img/s  ` +
            `peak RSS ${m.peakRssMb} MB  (machine busy ${m.machineBusyCores.toFixed(1)} cores)`,
        )
      }
    }
  }
  console.log(`\nLeNet-5, 1x28x28, ${threads} threads, medians of ${rounds} rounds (img/s; peak RSS MB)`)
  console.log('mode   batch   mlctl (ORT)          PyTorch              ratio   target')
  for (const [mode, batch] of configs) {
    const of = (engine: string) => results.filter((r) => r.engine === engine && r.mode === mode && r.batch === batch)
    const ort = of('ort')
    const torch = of('torch')
    const cell = (rows: Measurement[]) =>
      rows.length
        ? `${median(rows.map((r) => r.imagesPerSec))} (${median(rows.map((r) => r.peakRssMb))} MB)`.padEnd(21)
        : '-'.padEnd(21)
    const ratio = torch.length
      ? median(ort.map((r) => r.imagesPerSec)) / median(torch.map((r) => r.imagesPerSec))
      : undefined
    const target = mode === 'train' && batch === 64 ? '>= 1.5x' : mode === 'infer' && batch === 256 ? '>= 3x' : ''
    console.log(
      `${mode.padEnd(6)} ${String(batch).padEnd(7)} ${cell(ort)}${cell(torch)}${ratio ? `${ratio.toFixed(2)}x`.padEnd(8) : '-'.padEnd(8)}${target}`,
    )
  }
}

await main()
