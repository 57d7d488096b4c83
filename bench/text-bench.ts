/**
 * `npm run bench:text`: training tokens/s of the text presets `bag` and `textcnn` on the mlctl engine (ONNX
 * Runtime) against the same models in PyTorch (bench/torch_text.py, `nn.EmbeddingBag` for bag) when
 * `/usr/bin/python3 -c 'import torch'` works.
 *
 * Protocol (shared with torch_text.py): 4096 sequences of token ids uniform in [1, 8000) with lengths uniform
 * in [32, 256], right-padded with 0 to 256 (the tokenizer's default vocabulary and the longest --max-length),
 * random binary labels; Adam (lr 1e-3), softmax cross-entropy, batch 64, through Trainer.step (graph run +
 * TypeScript update); 5 warm-up steps, then at least 4096 sequences and 3 s timed. tokens/s counts tokens,
 * not padding. Every measurement runs in a fresh process, engines alternate within each round, and the table
 * shows medians over rounds and the ratio of the medians. The machine is shared: the log shows how many cores
 * were busy during each measurement (the measured engine included).
 *
 * usage: npx tsx bench/text-bench.ts [--rounds 3] [--threads 2]
 */
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {Trainer} from '../src/core/engine/index.js'
import {presetSpec} from '../src/core/model/presets.js'
import {Random} from '../src/core/model/random.js'
import {busyCores, cpuTicks, peakRssMb, pythonHas} from './machine.js'
import {median} from './median.js'

type Model = 'bag' | 'textcnn'

interface Measurement {
  engine: 'ort' | 'torch'
  model: Model
  batch: number
  threads: number
  tokensPerSec: number
  peakRssMb: number
}

const VOCAB = 8000
const LENGTH = 256
const DATA_SIZE = 4096
const BATCH = 64
const WARMUP_STEPS = 5
const MIN_EXAMPLES = 4096
const MIN_SECONDS = 3
const TORCH_SCRIPT = fileURLToPath(new URL('./torch_text.py', import.meta.url))

function syntheticData(): {ids: Int32Array; lengths: Int32Array; labels: Uint8Array} {
  const random = new Random(12345)
  const ids = new Int32Array(DATA_SIZE * LENGTH)
  const lengths = new Int32Array(DATA_SIZE)
  for (let n = 0; n < DATA_SIZE; n++) {
    lengths[n] = 32 + Math.floor(random.next() * (LENGTH - 31))
    for (let t = 0; t < lengths[n]; t++) ids[n * LENGTH + t] = 1 + Math.floor(random.next() * (VOCAB - 1))
  }
  const labels = Uint8Array.from({length: DATA_SIZE}, () => Math.floor(random.next() * 2))
  return {ids, lengths, labels}
}

async function measureOrt(model: Model, threads: number): Promise<Measurement> {
  const {ids, lengths, labels} = syntheticData()
  const spec = presetSpec(model, {inputShape: [LENGTH], outputs: 2, inputType: 'int32', vocabSize: VOCAB})
  const trainer = await Trainer.create({
    spec,
    loss: {name: 'softmaxCrossEntropy'},
    optimizer: {name: 'adam', lr: 1e-3},
    seed: 0,
    threads,
  })
  let offset = 0
  const step = async (): Promise<number> => {
    if (offset + BATCH > DATA_SIZE) offset = 0
    const from = offset
    offset += BATCH
    await trainer.step(ids.subarray(from * LENGTH, offset * LENGTH), labels.subarray(from, offset), BATCH)
    return lengths.subarray(from, offset).reduce((a, b) => a + b, 0)
  }
  for (let i = 0; i < WARMUP_STEPS; i++) await step()
  let examples = 0
  let tokens = 0
  const start = performance.now()
  while (examples < MIN_EXAMPLES || performance.now() - start < MIN_SECONDS * 1000) {
    tokens += await step()
    examples += BATCH
  }
  const tokensPerSec = Math.round(tokens / ((performance.now() - start) / 1000))
  await trainer.release()
  return {engine: 'ort', model, batch: BATCH, threads, tokensPerSec, peakRssMb: Math.round(peakRssMb() * 10) / 10}
}

function measureInChild(engine: 'ort' | 'torch', model: Model, threads: number): Measurement & {busyCores: number} {
  const [command, args] =
    engine === 'torch'
      ? ['/usr/bin/python3', [TORCH_SCRIPT, model, String(BATCH), String(threads)]]
      : [process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--measure', model, String(threads)]]
  const before = cpuTicks()
  const result = spawnSync(command, args, {encoding: 'utf8'})
  const after = cpuTicks()
  if (result.status !== 0) throw new Error(`${engine} ${model} failed:\n${result.stderr}`)
  const parsed = JSON.parse(result.stdout.trim().split('\n').pop()!) as Measurement
  return {...parsed, engine, busyCores: busyCores(before, after)}
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? Number(process.argv[index + 1]) : fallback
}

async function main(): Promise<void> {
  if (process.argv[2] === '--measure') {
    console.log(JSON.stringify(await measureOrt(process.argv[3] as Model, Number(process.argv[4]))))
    return
  }
  const rounds = option('rounds', 3)
  const threads = option('threads', 2)
  const engines: Array<'ort' | 'torch'> = pythonHas('torch') ? ['ort', 'torch'] : ['ort']
  if (engines.length === 1) console.log("PyTorch not found (/usr/bin/python3 -c 'import torch' failed): mlctl only")
  const models: Model[] = ['bag', 'textcnn']
  const results: Measurement[] = []
  for (let round = 1; round <= rounds; round++) {
    for (const model of models) {
      // alternate which engine goes first, so neither always runs on a warmer or cooler machine
      for (const engine of round % 2 ? engines : [...engines].reverse()) {
        const m = measureInChild(engine, model, threads)
        results.push(m)
        console.log(
          `round ${round}/${rounds}  ${engine.padEnd(5)} ${model.padEnd(7)} ${m.tokensPerSec} tokens/s  ` +
            `peak RSS ${m.peakRssMb} MB  (machine busy ${m.busyCores.toFixed(1)} cores)`,
        )
      }
    }
  }
  console.log(`\ntraining, batch ${BATCH}, ${LENGTH} positions, ${threads} threads, medians of ${rounds} rounds`)
  console.log('model     mlctl (ORT) tokens/s   PyTorch tokens/s   ratio   target')
  for (const model of models) {
    const of = (engine: string) =>
      results.filter((r) => r.engine === engine && r.model === model).map((r) => r.tokensPerSec)
    const [ort, torch] = [median(of('ort')), of('torch').length ? median(of('torch')) : undefined]
    const ratio = torch ? `${(ort / torch).toFixed(2)}x` : '-'
    console.log(
      `${model.padEnd(9)} ${String(ort).padEnd(22)} ${String(torch ?? '-').padEnd(18)} ${ratio.padEnd(7)} >= 1.5x`,
    )
  }
}

await main()
