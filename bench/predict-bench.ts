/**
 * `npm run bench:predict`: `mlctl predict` on 10,000 image files end to end, and `mlctl serve` answering image
 * uploads at concurrency 16.
 *
 *   predict  the embedded digits (8,000 train + 2,000 test) written as 28×28 files, half PNG and half JPEG, through
 *            a LeNet trained for one epoch: wall-clock time of `mlctl predict RUN FOLDER --out predictions.csv`,
 *            process start included, against bench/torch_predict.py (PIL + torchvision + PyTorch's LeNet, batch
 *            64) on the same folder; interleaved, medians of --rounds, and the ratio within each round.
 *            Then the same on --photos 640×480 JPEGs (the digits scaled up, as product photos are larger than the
 *            model input): both sides decode every pixel with libjpeg-turbo (mlctl through sharp, for JPEGs this
 *            large) and then resize with Pillow's bilinear filter (mlctl's TypeScript copy of it).
 *   serve    wrk PUTs one image per request (as `curl -T` does) at concurrency 16 for --seconds: a 28×28 PNG digit
 *            and a 640×480 JPEG photo-sized one; req/s, p50 and p99, and the slowest GET /v2/health/live probed
 *            every 100 ms meanwhile (is the event loop free while images decode?).
 *
 * usage: npx tsx bench/predict-bench.ts [--images 10000] [--photos 1000] [--rounds 3] [--seconds 10]
 */
import {execFile, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import sharp from 'sharp'

import {loadMnistSample} from '../src/core/data/mnist-sample.js'
import {startServer} from './serve-process.js'
import {median} from './median.js'

const run = promisify(execFile)

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

function mlctl(args: string[]): void {
  const result = spawnSync('node', ['bin/run.js', ...args], {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`mlctl ${args.join(' ')} failed:\n${result.stderr}`)
}

/**
 * The embedded digits as image files, one folder per thousand: alternating PNG and JPEG at 28×28, or with
 * `photoSize` JPEGs of that size.
 */
async function writeImages(dir: string, count: number, photoSize?: {width: number; height: number}): Promise<void> {
  const sample = loadMnistSample()
  const pixels = Buffer.concat([sample.train.inputs as Uint8Array, sample.test!.inputs as Uint8Array])
  const total = Math.min(count, pixels.length / 784)
  for (let from = 0; from < total; from += 500) {
    await Promise.all(
      Array.from({length: Math.min(500, total - from)}, (_, k) => {
        const i = from + k
        const folder = join(dir, String(Math.floor(i / 1000)))
        mkdirSync(folder, {recursive: true})
        const image = sharp(pixels.subarray(i * 784, (i + 1) * 784), {raw: {width: 28, height: 28, channels: 1}})
        const png = !photoSize && i % 2 === 0
        const name = join(folder, `${String(i).padStart(5, '0')}.${png ? 'png' : 'jpg'}`)
        if (photoSize) image.resize(photoSize.width, photoSize.height, {fit: 'fill'})
        return (png ? image.png() : image.jpeg({quality: 90})).toFile(name)
      }),
    )
  }
}

async function timed(command: string, args: string[]): Promise<number> {
  const started = performance.now()
  await run(command, args, {maxBuffer: 64 * 1024 * 1024})
  return (performance.now() - started) / 1000
}

interface LoadResult {
  requestsPerSecond: number
  p50: number
  p99: number
  failures: number
  liveMaxMs: number
}

async function uploadLoad(url: string, bodyFile: string, type: string, seconds: number): Promise<LoadResult> {
  const script = join(mkdtempSync(join(tmpdir(), 'mlctl-wrk-')), 'put.lua')
  writeFileSync(
    script,
    `wrk.method = "PUT"\nlocal f = io.open("${bodyFile}", "rb")\nwrk.body = f:read("*all")\nf:close()\nwrk.headers["Content-Type"] = "${type}"\n`,
  )
  let liveMaxMs = 0
  let probing = true
  const probe = (async () => {
    const live = url.replace(/\/predict$/, '/v2/health/live')
    while (probing) {
      const started = performance.now()
      await fetch(live).then((response) => response.text())
      liveMaxMs = Math.max(liveMaxMs, performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  const {stdout} = await run('wrk', [
    '-t1',
    '-c16',
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '--latency',
    '-s',
    script,
    url,
  ])
  probing = false
  await probe
  const millis = (label: string) => {
    const match = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(stdout)
    return match ? Number(match[1]) * ({us: 0.001, ms: 1, s: 1000} as Record<string, number>)[match[2]] : NaN
  }
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0)
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]),
    p50: millis('50%'),
    p99: millis('99%'),
    failures: non2xx,
    liveMaxMs,
  }
}

/** mlctl predict and the PyTorch peer on one folder, interleaved, end to end (process start included). */
async function comparePredict(
  runDir: string,
  folder: string,
  images: number,
  rounds: number,
  scratch: string,
  what: string,
): Promise<void> {
  console.log(`predict ${images} ${what}, end to end (process start included):`)
  const ours: number[] = []
  const theirs: number[] = []
  for (let round = 1; round <= rounds; round++) {
    ours.push(await timed('node', ['bin/run.js', 'predict', runDir, folder, '--out', join(scratch, 'mlctl.csv')]))
    theirs.push(await timed('python3', ['bench/torch_predict.py', folder, join(scratch, 'torch.csv')]))
    console.log(
      `  round ${round}: mlctl ${(images / ours.at(-1)!).toFixed(0)} images/s (${ours.at(-1)!.toFixed(2)} s), PyTorch + PIL ${(images / theirs.at(-1)!).toFixed(0)} images/s (${theirs.at(-1)!.toFixed(2)} s), ratio ${(theirs.at(-1)! / ours.at(-1)!).toFixed(2)}×`,
    )
  }
  const ratios = ours.map((s, i) => theirs[i] / s)
  console.log(
    `  median: mlctl ${(images / median(ours)).toFixed(0)} images/s, PyTorch + PIL ${(images / median(theirs)).toFixed(0)} images/s, same-round ratio ${median(ratios).toFixed(2)}×\n`,
  )
}

async function main(): Promise<void> {
  const images = Number(option('images', '10000'))
  const rounds = Number(option('rounds', '3'))
  const seconds = Number(option('seconds', '10'))
  const scratch = mkdtempSync(join(tmpdir(), 'mlctl-predict-bench-'))
  try {
    const runDir = join(scratch, 'run')
    console.log('training a LeNet for one epoch on mnist-sample and exporting it ...')
    mlctl(['train', '--model', 'lenet', '--epochs', '1', '--out', runDir])
    mlctl(['export-onnx', runDir])
    const folder = join(scratch, 'images')
    await writeImages(folder, images)
    console.log(`${images} image files (28×28, half PNG, half JPEG) in ${folder}\n`)

    await comparePredict(runDir, folder, images, rounds, scratch, '28×28 PNG and JPEG files')
    const photos = Number(option('photos', '1000'))
    const photoFolder = join(scratch, 'photos')
    await writeImages(photoFolder, photos, {width: 640, height: 480})
    await comparePredict(runDir, photoFolder, photos, rounds, scratch, '640×480 JPEG files')

    const digitFile = join(folder, '0', '00000.png')
    const photoFile = join(scratch, 'photo.jpg')
    await sharp(digitFile).resize(640, 480, {fit: 'fill'}).jpeg({quality: 90}).toFile(photoFile)
    const server = await startServer([join(runDir, 'model.onnx'), '--name', 'digits'])
    try {
      console.log(`serve, image uploads (PUT, one image per request), concurrency 16, ${seconds} s each:`)
      const results: Record<string, LoadResult[]> = {'28×28 PNG': [], '640×480 JPEG': []}
      for (let round = 1; round <= rounds; round++) {
        results['28×28 PNG'].push(await uploadLoad(`${server.http}/predict`, digitFile, 'image/png', seconds))
        results['640×480 JPEG'].push(await uploadLoad(`${server.http}/predict`, photoFile, 'image/jpeg', seconds))
      }
      for (const [name, rows] of Object.entries(results)) {
        const pick = (key: keyof LoadResult) => median(rows.map((row) => row[key]))
        console.log(
          `  ${name.padEnd(13)} ${pick('requestsPerSecond').toFixed(0)} req/s  p50 ${pick('p50').toFixed(2)} ms  p99 ${pick('p99').toFixed(2)} ms  failures ${rows.reduce((sum, row) => sum + row.failures, 0)}  slowest liveness probe ${pick('liveMaxMs').toFixed(1)} ms  (medians of ${rounds})`,
        )
      }
    } finally {
      server.child.kill('SIGTERM')
    }
  } finally {
    rmSync(scratch, {recursive: true, force: true})
  }
}

await main()
