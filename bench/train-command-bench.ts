/**
 * `npm run bench:train`: one full epoch of LeNet on 60,000 MNIST-shaped images through `mlctl train`
 * (wall time, images/s, peak RSS) next to the raw engine (Trainer.step over the same images in the same
 * order of sizes), so that what the command adds — data loading, batch assembly, progress, checkpoints,
 * the final model and test evaluation — is visible. Target: the command's epoch images/s ≥ 90% of raw.
 *
 * Data: Fashion-MNIST from Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist), the
 * only full 60,000-image MNIST-shaped set reachable offline here.
 *
 * usage: npx tsx bench/train-command-bench.ts [--rounds 3] [--threads 2]
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadDataset} from '../src/core/data/index.js'
import {Trainer} from '../src/core/engine/index.js'
import {presetSpec} from '../src/core/model/presets.js'
import {median} from './median.js'

const FROM = '/usr/share/datasets/fashion-mnist'
const BATCH = 64

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? Number(process.argv[index + 1]) : fallback
}

/** Raw engine: Trainer.step over the training set in consecutive batches, as one epoch. */
async function rawEpoch(threads: number): Promise<number> {
  const {train} = await loadDataset('fashion-mnist', {from: FROM})
  const spec = presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10, inputType: 'uint8'})
  const trainer = await Trainer.create({
    spec,
    loss: {name: 'softmaxCrossEntropy'},
    optimizer: {name: 'adam', lr: 0.001},
    seed: 42,
    threads,
  })
  const inputs = train.inputs as Uint8Array
  const start = performance.now()
  for (let from = 0; from < train.count; from += BATCH) {
    const n = Math.min(BATCH, train.count - from)
    await trainer.step(inputs.subarray(from * 784, (from + n) * 784), train.targets.subarray(from, from + n), n)
  }
  const seconds = (performance.now() - start) / 1000
  await trainer.release()
  return train.count / seconds
}

interface CommandRun {
  wallSeconds: number
  epochImagesPerSec: number
  peakRssMb: number
}

/** The command a user types, in its own process (peak RSS from GNU time). */
function commandEpoch(threads: number): CommandRun {
  const out = join(mkdtempSync(join(tmpdir(), 'mlctl-bench-')), 'run')
  const args = [
    'bin/run.js',
    'train',
    '--dataset',
    'fashion-mnist',
    '--from',
    FROM,
    '--epochs',
    '1',
    '--val-split',
    '0',
    '--threads',
    String(threads),
    '--out',
    out,
    '--json',
  ]
  const start = performance.now()
  const result = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M', process.execPath, ...args], {encoding: 'utf8'})
  const wallSeconds = (performance.now() - start) / 1000
  if (result.status !== 0) throw new Error(`mlctl train failed:\n${result.stderr}`)
  const epoch = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')[0])
  const peak = /peak-rss-kb (\d+)/.exec(result.stderr)
  rmSync(out, {recursive: true, force: true})
  return {wallSeconds, epochImagesPerSec: epoch.imagesPerSec, peakRssMb: peak ? Number(peak[1]) / 1024 : NaN}
}

async function main(): Promise<void> {
  if (!existsSync(join(FROM, 'train-images-idx3-ubyte.gz'))) {
    console.log(`${FROM} not found: install Debian's dataset-fashion-mnist to run this benchmark`)
    return
  }
  if (!existsSync('/usr/bin/time'))
    throw new Error('GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time')
  const rounds = option('rounds', 3)
  const threads = option('threads', 2)
  const raw: number[] = []
  const command: CommandRun[] = []
  for (let round = 1; round <= rounds; round++) {
    raw.push(await rawEpoch(threads))
    command.push(commandEpoch(threads))
    console.log(
      `round ${round}: raw ${Math.round(raw.at(-1)!)} img/s, command epoch ${Math.round(command.at(-1)!.epochImagesPerSec)} img/s, wall ${command.at(-1)!.wallSeconds.toFixed(1)} s`,
    )
  }
  const rawMedian = median(raw)
  const epochMedian = median(command.map((c) => c.epochImagesPerSec))
  const wallMedian = median(command.map((c) => c.wallSeconds))
  console.log(
    `\nLeNet, batch ${BATCH}, Adam, 60,000 Fashion-MNIST images, ${threads} threads, medians of ${rounds} interleaved rounds`,
  )
  console.log(`  raw engine (Trainer.step)         ${Math.round(rawMedian)} img/s`)
  console.log(
    `  mlctl train, epoch                ${Math.round(epochMedian)} img/s  (${((100 * epochMedian) / rawMedian).toFixed(1)}% of raw; target >= 90%)`,
  )
  console.log(
    `  mlctl train, whole command        ${wallMedian.toFixed(1)} s wall = ${Math.round(60000 / wallMedian)} img/s incl. start-up, loading, test evaluation, model files`,
  )
  console.log(`  mlctl train, peak RSS             ${Math.round(median(command.map((c) => c.peakRssMb)))} MB`)
}

await main()
