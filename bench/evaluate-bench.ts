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
 * the data or creating the session, which both sides pay alike. Each figure is the median of --repeats
 * runs after one warm-up run; raw and evaluation alternate so that load from other processes hits both.
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
import {openEvaluationModel} from '../src/core/evaluate/model-source.js'
import {initialWeights, presetSpec, resolveModel} from '../src/core/model/index.js'

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
  const dataset: Dataset = {name: 'synthetic', task: 'classification', inputShape: SHAPE, classNames: Array.from({length: 10}, (_, i) => String(i)), train: split, test: split}
  return {dataset, source: `${IMAGES} synthetic MNIST-shaped images (${from} not found)`}
}

async function rawImagesPerSecond(file: string, inputs: Uint8Array | Float32Array): Promise<number> {
  const session = await ort.InferenceSession.create(file, {executionMode: 'sequential', graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1})
  try {
    const type = inputs instanceof Uint8Array ? 'uint8' : 'float32'
    const started = performance.now()
    for (let start = 0; start < IMAGES; start += batchSize) {
      const count = Math.min(batchSize, IMAGES - start)
      await session.run({input: new ort.Tensor(type, inputs.subarray(start * PIXELS, (start + count) * PIXELS), [count, ...SHAPE])})
    }
    return IMAGES / ((performance.now() - started) / 1000)
  } finally {
    await session.release()
  }
}

async function evaluationImagesPerSecond(file: string, dataset: Dataset): Promise<{imagesPerSecond: number; accuracy: number}> {
  const model = await openEvaluationModel(file, threads)
  try {
    const plan = planEvaluation(model, dataset)
    const {report, seconds} = await evaluateSplit(model, plan, dataset.test!, SHAPE, {batchSize, topK: 5})
    return {imagesPerSecond: IMAGES / seconds, accuracy: report.task === 'classification' ? report.accuracy : Number.NaN}
  } finally {
    await model.session.release()
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
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
    {name: 'float32', file: join(dir, 'lenet-float32.onnx'), raw: scaled, options: {normaliseInput: false, metadata: {...metadata, input_normalization: JSON.stringify({inputType: 'float32', scale: 1 / 255, mean: [0], std: [1]})}}},
  ]
  for (const v of variants) writeFileSync(v.file, buildInferenceModel(spec, weights, {probabilities: 'softmax', metadata, ...v.options}))

  console.log(`mlctl evaluate benchmark: LeNet, ${source}`)
  console.log(`batch ${batchSize}, ${threads} onnxruntime threads, median of ${repeats} runs after a warm-up; ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores (shared with other work)`)
  console.log('')
  console.log('input    raw onnxruntime   evaluate        evaluate/raw')
  try {
    for (const v of variants) {
      await rawImagesPerSecond(v.file, v.raw)
      await evaluationImagesPerSecond(v.file, dataset)
      const raw: number[] = []
      const evaluation: number[] = []
      for (let r = 0; r < repeats; r++) {
        raw.push(await rawImagesPerSecond(v.file, v.raw))
        evaluation.push((await evaluationImagesPerSecond(v.file, dataset)).imagesPerSecond)
      }
      const [rawMedian, evaluationMedian] = [median(raw), median(evaluation)]
      const ratio = evaluationMedian / rawMedian
      console.log(`${v.name.padEnd(8)} ${`${Math.round(rawMedian)} img/s`.padEnd(17)} ${`${Math.round(evaluationMedian)} img/s`.padEnd(15)} ${(ratio * 100).toFixed(1)}% ${ratio >= 0.8 ? '(target ≥ 80%: met)' : '(target ≥ 80%: MISSED)'}`)
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

await main()
