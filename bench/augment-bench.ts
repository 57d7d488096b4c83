/**
 * `npm run bench:augment`: what `train --augment` costs.
 *
 * 1. The augmentation alone: ImageAugmentation.apply on batches of 64 random uint8 images (1x28x28 and
 *    3x32x32), images/s on one thread, next to torchvision's RandomCrop(padding) + RandomHorizontalFlip
 *    (+ ColorJitter(0.2, 0.2)) applied image by image as a DataLoader worker does (bench/torch_augment.py),
 *    when `python3 -c 'import torchvision'` works.
 * 2. Training images/s through the training loop (batch assembly, augmentation and the engine's step: what
 *    metrics.jsonl reports) for one epoch, without augmentation, with crop,flip and with crop,flip,color:
 *    LeNet on mnist-sample (8,000 1x28x28 digits) and lenet-cifar (5,120) and cnn (1,280) on random 3x32x32 images.
 *
 *    Also the share of each augmented epoch's time spent in the augmentation itself, which a busy machine
 *    slows down about as much as the engine's step, so it varies less from run to run than images/s.
 *
 * Each round runs every variant once, interleaved; the table shows medians over rounds and, per round, the
 * ratio to the same round's run without augmentation.
 *
 * usage: npx tsx bench/augment-bench.ts [--rounds 3] [--threads 2]
 */
import {spawnSync} from 'node:child_process'
import type {DataSplit} from '../src/core/data/dataset.js'
import {loadDataset} from '../src/core/data/index.js'
import {Trainer} from '../src/core/engine/index.js'
import {type PresetName, presetSpec} from '../src/core/model/presets.js'
import {Random} from '../src/core/model/random.js'
import {ImageAugmentation, parseAugmentations} from '../src/core/train/image-augmentation.js'
import {initialLoopState, runTrainingLoop} from '../src/core/train/training-loop.js'
import {median} from './median.js'

const VARIANTS = ['none', 'crop,flip', 'crop,flip,color'] as const
const BATCH = 64

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? Number(process.argv[index + 1]) : fallback
}

function randomImages(count: number, shape: number[]): DataSplit {
  const random = new Random(1)
  const size = shape.reduce((a, b) => a * b, 1)
  const inputs = new Uint8Array(count * size)
  for (let i = 0; i < inputs.length; i++) inputs[i] = Math.floor(random.next() * 256)
  return {inputs, targets: Uint8Array.from({length: count}, (_, i) => i % 10), count}
}

/** ImageAugmentation.apply alone over `count` images in batches of 64. */
function augmentationRate(augment: string, shape: number[], count: number): number {
  const augmentation = new ImageAugmentation(parseAugmentations(augment), shape, 42)
  const size = shape.reduce((a, b) => a * b, 1)
  const source = randomImages(BATCH, shape).inputs
  const batch = new Uint8Array(BATCH * size)
  const examples = new Uint32Array(BATCH)
  const run = (images: number, epoch: number) => {
    for (let from = 0; from < images; from += BATCH) {
      batch.set(source)
      for (let k = 0; k < BATCH; k++) examples[k] = from + k
      augmentation.apply(batch, examples, epoch)
    }
  }
  run(2000, 0) // warm-up: let the JIT compile the loops
  const start = performance.now()
  run(count, 1)
  return count / ((performance.now() - start) / 1000)
}

function torchvisionRate(augment: string, shape: number[], count: number): number | undefined {
  const result = spawnSync(
    'python3',
    ['bench/torch_augment.py', String(shape[0]), String(shape[1]), augment, String(count)],
    {encoding: 'utf8'},
  )
  if (result.status !== 0) return undefined
  return (JSON.parse(result.stdout.trim()) as {imagesPerSec: number}).imagesPerSec
}

/** Counts the time spent augmenting. */
class TimedAugmentation extends ImageAugmentation {
  seconds = 0

  override apply(batch: Uint8Array, examples: ArrayLike<number>, epoch: number): void {
    const start = performance.now()
    super.apply(batch, examples, epoch)
    this.seconds += (performance.now() - start) / 1000
  }
}

/** One epoch of the training loop: its images/s as metrics.jsonl would record it, and the augmentation's share. */
async function trainingRate(
  model: PresetName,
  split: DataSplit,
  shape: number[],
  augment: string,
  threads: number,
): Promise<{rate: number; share: number}> {
  const spec = presetSpec(model, {inputShape: shape, outputs: 10, inputType: 'uint8'})
  const trainer = await Trainer.create({
    spec,
    loss: {name: 'softmaxCrossEntropy'},
    optimizer: {name: 'adam', lr: 0.001},
    seed: 42,
    threads,
  })
  const names = parseAugmentations(augment)
  const augmentation = names.length > 0 ? new TimedAugmentation(names, shape, 42) : undefined
  const state = initialLoopState()
  await runTrainingLoop(
    trainer,
    split,
    undefined,
    {epochs: 1, batchSize: BATCH, seed: 42, earlyStop: 0, higherIsBetter: true, currentLr: () => 0.001, augmentation},
    state,
    {checkpoint: () => {}, shouldStop: () => false},
  )
  await trainer.release()
  const epoch = state.history[0]
  return {rate: epoch.imagesPerSec, share: (augmentation?.seconds ?? 0) / epoch.seconds}
}

async function main(): Promise<void> {
  const rounds = option('rounds', 3)
  const threads = option('threads', 2)
  const mnist = (await loadDataset('mnist-sample')).train
  const cifarShaped = randomImages(5120, [3, 32, 32])
  const setups = [
    {label: 'lenet, mnist-sample 1x28x28', model: 'lenet' as const, split: mnist, shape: [1, 28, 28]},
    {label: 'lenet-cifar, 3x32x32', model: 'lenet-cifar' as const, split: cifarShaped, shape: [3, 32, 32]},
    {
      label: 'cnn, 3x32x32',
      model: 'cnn' as const,
      split: {...cifarShaped, count: 1280, inputs: cifarShaped.inputs.subarray(0, 1280 * 3072)},
      shape: [3, 32, 32],
    },
  ]

  const alone = new Map<string, {ours: number[]; torch: number[]}>()
  const training = new Map<string, {rates: number[]; ratios: number[]; shares: number[]}>()
  for (let round = 1; round <= rounds; round++) {
    for (const shape of [
      [1, 28, 28],
      [3, 32, 32],
    ]) {
      for (const augment of VARIANTS.slice(1)) {
        const key = `${augment} on ${shape.join('x')}`
        const entry = alone.get(key) ?? {ours: [], torch: []}
        entry.ours.push(augmentationRate(augment, shape, 20_000))
        const torch = torchvisionRate(augment, shape, 5000)
        if (torch !== undefined) entry.torch.push(torch)
        alone.set(key, entry)
        console.log(
          `round ${round}: augmentation ${key}: mlctl ${Math.round(entry.ours.at(-1)!)} img/s${torch ? `, torchvision ${Math.round(torch)} img/s` : ''}`,
        )
      }
    }
    for (const setup of setups) {
      let plain = 0
      for (const augment of VARIANTS) {
        const {rate, share} = await trainingRate(setup.model, setup.split, setup.shape, augment, threads)
        if (augment === 'none') plain = rate
        const key = `${setup.label}, ${augment}`
        const entry = training.get(key) ?? {rates: [], ratios: [], shares: []}
        entry.rates.push(rate)
        entry.ratios.push(rate / plain)
        entry.shares.push(share)
        training.set(key, entry)
        console.log(
          `round ${round}: training ${key}: ${Math.round(rate)} img/s (${(rate / plain).toFixed(3)} of none), augmentation ${(100 * share).toFixed(1)}% of the epoch`,
        )
      }
    }
  }

  console.log(`\nAugmentation alone, one thread, medians of ${rounds} interleaved rounds`)
  for (const [key, {ours, torch}] of alone) {
    const ratio =
      torch.length > 0
        ? `  torchvision ${Math.round(median(torch))} img/s  (${(median(ours) / median(torch)).toFixed(1)}x)`
        : ''
    console.log(`  ${key.padEnd(28)} mlctl ${Math.round(median(ours))} img/s${ratio}`)
  }
  console.log(
    `\nTraining loop, batch ${BATCH}, Adam, ${threads} threads, one epoch, medians of ${rounds} interleaved rounds`,
  )
  for (const [key, {rates, ratios, shares}] of training)
    console.log(
      `  ${key.padEnd(46)} ${String(Math.round(median(rates))).padStart(6)} img/s  (${median(ratios).toFixed(3)} of none in the same round)` +
        (key.endsWith('none') ? '' : `, augmentation ${(100 * median(shares)).toFixed(1)}% of the epoch`),
    )
}

await main()
