import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import sharp from 'sharp'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readOnnxMetadataProps} from '../../src/core/onnx/metadata-props.js'
import {fromMetadataProps} from '../../src/core/onnx/model-metadata.js'
import {trainRun} from '../../src/core/train/train-run.js'
import {mlctl} from '../helpers/mlctl-cli.js'
import {SAMPLE, writeDigits} from './digit-folder.js'

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-image-folder-cli-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))
const cacheDir = join(scratch, 'cache')

describe('training on an image folder', () => {
  it('a PNG copy of mnist-sample (its own train/test split) reaches the built-in path’s test accuracy', async () => {
    const folder = join(scratch, 'mnist-png')
    await writeDigits(join(folder, 'train'), SAMPLE.train)
    await writeDigits(join(folder, 'test'), SAMPLE.test!)
    const run = (flags: Record<string, unknown>, out: string) =>
      trainRun({
        flags: {...flags, epochs: 1, threads: 2, out: join(scratch, out)},
        dataDir: cacheDir,
        mlctlVersion: 'test',
        shouldStop: () => false,
      })
    const builtIn = await run({dataset: 'mnist-sample'}, 'built-in')
    const fromFolder = await run({data: folder}, 'folder')
    expect(fromFolder.test!.metric).toBeGreaterThan(0.85)
    // The issue asks for the same test accuracy within 0.5 points. The files are named by their index in the
    // built-in split, which the folder lists them by, so the runs see the same examples in the same order
    // and agree exactly.
    expect(fromFolder.test!.metric).toBe(builtIn.test!.metric)
    expect(fromFolder.epochs.map((e) => e.valLoss)).toEqual(builtIn.epochs.map((e) => e.valLoss))
  }, 120_000)

  it('a resumed run reads its folder with the preprocessing it started with', async () => {
    const folder = join(scratch, 'resume-digits')
    await writeDigits(folder, SAMPLE.train, {to: 100})
    const out = join(scratch, 'resume-run')
    await trainRun({
      flags: {data: folder, epochs: 1, threads: 1, out},
      dataDir: cacheDir,
      mlctlVersion: 'test',
      shouldStop: () => false,
    })
    // now most images are 40×40 colour: a new run would pick 40×40 RGB, the resumed one keeps 28×28 gray
    for (let i = 0; i < 150; i++)
      writeFileSync(
        join(folder, '1', `big-${i}.png`),
        await sharp({create: {width: 40, height: 40, channels: 3, background: {r: i, g: 0, b: 0}}})
          .png()
          .toBuffer(),
      )
    const starts: Array<number[]> = []
    const resumed = await trainRun({
      flags: {epochs: 2},
      resume: out,
      dataDir: cacheDir,
      mlctlVersion: 'test',
      onStart: (start) => starts.push(start.spec.inputShape ?? []),
      shouldStop: () => false,
    })
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2])
    expect(starts).toEqual([[1, 28, 28]])
    const record = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    expect(record.dataset.imagePreprocessing).toEqual({width: 28, height: 28, channels: 1, resize: 'cover'})
  })

  describe('through the CLI', () => {
    const folder = join(scratch, 'digits')
    const runDir = join(scratch, 'run')
    let trained: ReturnType<typeof mlctl>
    beforeAll(async () => {
      await writeDigits(folder, SAMPLE.train, {to: 300, jpegEvery: 3})
      writeFileSync(join(folder, String(SAMPLE.train.targets[0]), 'broken.png'), 'not a png')
      trained = mlctl([
        'train',
        '--data',
        folder,
        '--image-size',
        '24',
        '--resize',
        'fill',
        '--epochs',
        '1',
        '--out',
        runDir,
        '--data-dir',
        cacheDir,
      ])
    })

    it('says at the start what it read, picked and skipped, and records the preprocessing in the run', () => {
      expect(trained.code, trained.stderr).toBe(0)
      // 20% of each class held out: 58 of 300 here (rounded per class)
      expect(trained.stderr).toContain(`data      ${folder}: 218 train, 24 validation, 58 test (classification)`)
      expect(trained.stderr).toMatch(/images {4}300 at 24×24, 1 channel, fill; 300 decoded, 0 from the cache in /)
      expect(trained.stderr).toContain('picked    1 channel: every image is grayscale (--channels)')
      expect(trained.stderr).toContain(
        `skipped   1 bad file (--strict stops instead): ${SAMPLE.train.targets[0]}/broken.png is not an image mlctl reads`,
      )
      const record = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'))
      expect(record.dataset).toMatchObject({
        inputShape: [1, 24, 24],
        imagePreprocessing: {width: 24, height: 24, channels: 1, resize: 'fill'},
      })
    })

    it('evaluate re-reads the folder as train did and finds the same test split', () => {
      const result = mlctl(['evaluate', runDir, '--data-dir', cacheDir, '--json'])
      expect(result.code, result.stderr).toBe(0)
      const evaluation = JSON.parse(result.stdout)
      expect(evaluation.data).toMatchObject({source: `${folder} (image folder)`, split: 'test', examples: 58})
      expect(evaluation.data.skipped.count).toBe(1)
      expect(result.stderr).toContain(`Skipped 1 bad image file: ${SAMPLE.train.targets[0]}/broken.png is not an image`)
      const lastLine = trained.stdout.split('\n').find((line) => line.startsWith('Test:'))!
      expect(lastLine).toContain(`accuracy ${(evaluation.report.accuracy * 100).toFixed(2)}%`)
    })

    it('export-onnx verifies on the folder’s images and writes image_size, channels and resize', async () => {
      const result = mlctl(['export-onnx', runDir, '--data-dir', cacheDir])
      expect(result.code, result.stderr).toBe(0)
      const props = await readOnnxMetadataProps(join(runDir, 'model.onnx'))
      expect(props).toMatchObject({image_size: '[24,24]', channels: '1', resize: 'fill'})
      expect(fromMetadataProps(props).metadata.imagePreprocessing).toEqual({
        width: 24,
        height: 24,
        channels: 1,
        resize: 'fill',
      })
    })

    it('--strict stops on the bad file with one line and exit 1; a bad flag value is named', () => {
      const strict = mlctl(['train', '--data', folder, '--strict', '--epochs', '1', '--data-dir', cacheDir])
      expect(strict.code).toBe(1)
      expect(strict.stderr.trim()).toBe(
        `Error: 1 bad image file in ${folder} (--strict): ${SAMPLE.train.targets[0]}/broken.png is not an image mlctl reads; mlctl reads JPEG, PNG, WebP, GIF, TIFF and AVIF`,
      )
      const size = mlctl(['train', '--data', folder, '--image-size', '32x', '--data-dir', cacheDir])
      expect(size.code).toBe(1)
      expect(size.stderr.trim()).toBe(
        'Error: image-size must be N or WxH with sides from 1 to 4096 (e.g. 32 or 48x32), got "32x"',
      )
    })
  })
})
