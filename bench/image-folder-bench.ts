/**
 * `npm run bench:images`: mlctl's image folders against torchvision, and a cached folder against the IDX path.
 *
 * Folder: the 10,000 Fashion-MNIST test images (Debian's dataset-fashion-mnist in
 * /usr/share/datasets/fashion-mnist; the embedded digits when it is missing), written once into a temp folder
 * of class subfolders, every other one as JPEG (quality 90), the rest PNG: 28×28 grayscale files, as the
 * datasets hold them.
 *
 * 1. Decoding epoch: mlctl reading the folder into 32×32 RGB with an empty cache (scan, decode, resize, write
 *    the cache) against torchvision's ImageFolder + PIL + DataLoader iterated once (num_workers 0 and 2),
 *    each in images/s. Target: mlctl at least 2× torchvision.
 * 2. Reading the data into memory: the folder from its cache against the IDX files, in images/s.
 * 3. Cached epoch: `train` for one epoch on the folder (28×28×1, from the cache) against `train` on the same
 *    dataset's IDX files, in training images/s, and the seconds each took to load its data.
 *    Target: the folder at least 90% of IDX.
 * Every figure is the median of --repeats runs; the sides alternate within each repeat so that load from
 * other processes hits them alike.
 *
 * usage: npx tsx bench/image-folder-bench.ts [--repeats 3] [--from DIR] [--keep]
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import sharp from 'sharp'

import {type Dataset, loadDataset} from '../src/core/data/index.js'
import {loadImageFolder} from '../src/core/data/image-folder.js'
import {trainRun} from '../src/core/train/train-run.js'
import {pythonHas} from './machine.js'
import {median} from './median.js'

const TORCH_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'torch_imagefolder.py')

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

const repeats = Number(option('repeats', '3'))
const from = option('from', '/usr/share/datasets/fashion-mnist')
const scratch = mkdtempSync(join(tmpdir(), 'mlctl-image-bench-'))

const round = (value: number) => Math.round(value).toLocaleString('en-US')

async function sourceImages(): Promise<{dataset: Dataset; split: Dataset['train']; source: string; idx: string}> {
  if (existsSync(from)) {
    const dataset = await loadDataset('fashion-mnist', {from})
    return {dataset, split: dataset.test!, source: `Fashion-MNIST test set (${from})`, idx: 'fashion-mnist'}
  }
  const dataset = await loadDataset('mnist-sample')
  return {dataset, split: dataset.train, source: `the embedded digits (${from} not found)`, idx: 'mnist-sample'}
}

/** Writes the split as class folders of 28×28 grayscale JPEG and PNG files. */
async function writeFolder(dataset: Dataset, split: Dataset['train'], dir: string): Promise<void> {
  const names = dataset.classNames!.map((name) => name.replace(/[^A-Za-z0-9-]+/g, '_'))
  for (const name of names) mkdirSync(join(dir, name), {recursive: true})
  const pending: Array<Promise<void>> = []
  for (let i = 0; i < split.count; i++) {
    const image = sharp(Buffer.from(split.inputs.subarray(i * 784, (i + 1) * 784)), {
      raw: {width: 28, height: 28, channels: 1},
    }).toColourspace('b-w')
    const jpeg = i % 2 === 1
    const file = join(dir, names[split.targets[i]], `${String(i).padStart(5, '0')}.${jpeg ? 'jpg' : 'png'}`)
    pending.push(
      (jpeg ? image.jpeg({quality: 90}) : image.png()).toBuffer().then((bytes) => writeFileSync(file, bytes)),
    )
    if (pending.length >= 64) await Promise.all(pending.splice(0))
  }
  await Promise.all(pending)
}

/** mlctl's decoding epoch: an empty cache each time, 32×32 RGB. */
async function mlctlDecode(folder: string, run: number): Promise<number> {
  const cacheDir = join(scratch, `cache-decode-${run}`)
  const started = performance.now()
  const dataset = await loadImageFolder(folder, {
    size: {width: 32, height: 32},
    channels: 3,
    resize: 'fill',
    testFraction: 0,
    cacheDir,
  })
  const seconds = (performance.now() - started) / 1000
  rmSync(cacheDir, {recursive: true, force: true})
  return dataset.train.count / seconds
}

function torchDecode(folder: string, workers: number): number | undefined {
  const result = spawnSync('/usr/bin/python3', [TORCH_SCRIPT, folder, String(workers)], {encoding: 'utf8'})
  if (result.status !== 0) {
    console.error(`torchvision (num_workers ${workers}) failed: ${result.stderr.trim().split('\n').at(-1)}`)
    return undefined
  }
  return (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {imagesPerSec: number}).imagesPerSec
}

/** One epoch of `train` (the LeNet preset, its defaults): training images/s and the seconds to load the data. */
async function trainEpoch(flags: Record<string, unknown>, cacheDir: string, run: string) {
  const started = performance.now()
  let loadSeconds = 0
  const result = await trainRun({
    flags: {...flags, epochs: 1, out: join(scratch, run)},
    from: existsSync(from) ? from : undefined,
    dataDir: cacheDir,
    mlctlVersion: 'bench',
    onStart: () => (loadSeconds = (performance.now() - started) / 1000),
    shouldStop: () => false,
  })
  return {imagesPerSec: result.epochs[0].imagesPerSec, loadSeconds}
}

async function main(): Promise<void> {
  const {dataset, split, source, idx} = await sourceImages()
  const folder = join(scratch, 'folder')
  await writeFolder(dataset, split, folder)
  console.log(`Image folder: ${split.count} files (half JPEG, half PNG, 28×28) written from ${source}`)
  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; medians of ${repeats}\n`)

  const torch = pythonHas('torchvision')
  const decode = {mlctl: [] as number[], torch0: [] as number[], torch2: [] as number[]}
  // mlctl's images/s over the peer's in the same round: the machine's load moves both sides alike
  const ratios = {torch0: [] as number[], torch2: [] as number[]}
  for (let run = 0; run < repeats; run++) {
    const ours = await mlctlDecode(folder, run)
    decode.mlctl.push(ours)
    if (!torch) continue
    const t0 = torchDecode(folder, 0)
    const t2 = torchDecode(folder, 2)
    if (t0 !== undefined) {
      decode.torch0.push(t0)
      ratios.torch0.push(ours / t0)
    }
    if (t2 !== undefined) {
      decode.torch2.push(t2)
      ratios.torch2.push(ours / t2)
    }
    console.log(
      `  round ${run + 1}: mlctl ${round(ours)}, torchvision workers 0 ${t0 === undefined ? '-' : round(t0)}, workers 2 ${t2 === undefined ? '-' : round(t2)}`,
    )
  }
  console.log('Decoding epoch, 32×32 RGB (images/s)')
  console.log(`  mlctl (own decoders, empty cache)          ${round(median(decode.mlctl))}`)
  for (const [label, values, sameRound] of [
    ['torchvision ImageFolder, num_workers 0', decode.torch0, ratios.torch0],
    ['torchvision ImageFolder, num_workers 2', decode.torch2, ratios.torch2],
  ] as const) {
    if (values.length === 0) console.log(`  ${label.padEnd(42)} not run (no torchvision)`)
    else
      console.log(
        `  ${label.padEnd(42)} ${round(median(values))}   mlctl ${median(sameRound).toFixed(2)}× (median of same-round ratios; ${sameRound.map((r) => r.toFixed(2)).join(', ')})`,
      )
  }

  // Cached epoch: the folder's cache is filled once, then each repeat reads it.
  const cacheDir = join(scratch, 'cache-train')
  await loadImageFolder(folder, {cacheDir})
  const cached = {folder: [] as number[], folderLoad: [] as number[], idx: [] as number[], idxLoad: [] as number[]}
  const reads = {folder: [] as number[], idx: [] as number[]}
  let idxImages = 0
  for (let run = 0; run < repeats; run++) {
    let started = performance.now()
    const fromCache = await loadImageFolder(folder, {cacheDir})
    reads.folder.push((fromCache.train.count + (fromCache.test?.count ?? 0)) / ((performance.now() - started) / 1000))
    started = performance.now()
    const idxData = await loadDataset(idx, existsSync(from) ? {from} : {})
    idxImages = idxData.train.count + (idxData.test?.count ?? 0)
    reads.idx.push(idxImages / ((performance.now() - started) / 1000))
  }
  console.log('\nReading the data into memory (images/s)')
  console.log(`  image folder, cached (${split.count} images)   ${round(median(reads.folder))}`)
  console.log(`  ${idx} IDX files (${idxImages} images)   ${round(median(reads.idx))}`)
  for (let run = 0; run < repeats; run++) {
    const fromFolder = await trainEpoch({data: folder}, cacheDir, `folder-${run}`)
    cached.folder.push(fromFolder.imagesPerSec)
    cached.folderLoad.push(fromFolder.loadSeconds)
    const fromIdx = await trainEpoch({dataset: idx}, cacheDir, `idx-${run}`)
    cached.idx.push(fromIdx.imagesPerSec)
    cached.idxLoad.push(fromIdx.loadSeconds)
  }
  console.log('\nCached epoch, train --model lenet (training images/s; seconds to load the data and build the run)')
  console.log(
    `  image folder, cached    ${round(median(cached.folder))}   load ${median(cached.folderLoad).toFixed(2)} s`,
  )
  console.log(`  ${idx} IDX files     ${round(median(cached.idx))}   load ${median(cached.idxLoad).toFixed(2)} s`)
  console.log(`  folder / IDX            ${((100 * median(cached.folder)) / median(cached.idx)).toFixed(0)}%`)
}

try {
  await main()
} finally {
  if (!process.argv.includes('--keep')) rmSync(scratch, {recursive: true, force: true})
  else console.log(`\nkept ${scratch}`)
}
