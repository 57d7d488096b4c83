import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SAMPLE_TEST_COUNT} from '../../src/core/data/mnist-sample.js'
import {makeTinyRun} from '../export/tiny-run.js'
import {IMAGE_SPEC, seededWeights, writeOnnxFile, writeRunDir, DIGITS} from '../evaluate/fixtures.js'
import {mlctl} from '../helpers/mlctl-cli.js'
import {SAMPLE, writeDigits} from '../images/digit-folder.js'
import {type DigitFile, writeDigitImages} from './digit-images.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-predict-cli-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

interface Output {
  model: {kind: string; input: Record<string, unknown>}
  predictions: Array<{
    input: string
    label?: string
    class?: number
    probability?: number
    error?: string
    value?: number
  }>
  failed: number
}

function predictJson(args: string[]): {code: number | null; output: Output; stderr: string} {
  const {code, stdout, stderr} = mlctl(['predict', ...args, '--json'])
  return {code, output: JSON.parse(stdout) as Output, stderr}
}

/** counts[actual][predicted], as evaluate reports it. */
function confusion(files: DigitFile[], predictions: Output['predictions']): number[][] {
  const counts = DIGITS.map(() => DIGITS.map(() => 0))
  files.forEach((file, i) => {
    expect(predictions[i].input).toBe(file.path)
    counts[file.label][predictions[i].class!]++
  })
  return counts
}

let run: string
let digits: DigitFile[]

beforeAll(async () => {
  run = (await makeTinyRun(join(tmp, 'run'), 'mlp', {steps: 20})).dir
  digits = await writeDigitImages(join(tmp, 'digits'), SAMPLE_TEST_COUNT)
  const exported = mlctl(['export-onnx', run])
  expect(exported.code, exported.stderr).toBe(0)
})

describe('mlctl predict on image files', () => {
  it('gives the predictions evaluate scores: the same confusion matrix on the test digits, for the run and its ONNX file', () => {
    const evaluation = mlctl(['evaluate', run, '--json'])
    expect(evaluation.code, evaluation.stderr).toBe(0)
    const expected = JSON.parse(evaluation.stdout).report.confusionMatrix as number[][]
    for (const model of [run, join(run, 'model.onnx')]) {
      const {code, output, stderr} = predictJson([model, join(tmp, 'digits')])
      expect(code, stderr).toBe(0)
      expect(output.failed).toBe(0)
      expect(output.predictions).toHaveLength(SAMPLE_TEST_COUNT)
      expect(confusion(digits, output.predictions)).toEqual(expected)
    }
  })

  it('prints input, label and probability, the next classes with --top-k, and accepts quoted globs', () => {
    const {code, stdout, stderr} = mlctl(['predict', run, join(tmp, 'digits', '0000[0-2].png'), '--top-k', '3'])
    expect(code, stderr).toBe(0)
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^input\s+label\s+probability$/)
    expect(lines.slice(1, 4)).toEqual(
      [0, 1, 2].map((i) =>
        expect.stringMatching(
          new RegExp(
            `^${join(tmp, 'digits', `0000${i}.png`)}\\s+\\d\\s+\\d+\\.\\d\\d%  \\d \\d+\\.\\d\\d%, \\d \\d+\\.\\d\\d%$`,
          ),
        ),
      ),
    )
    expect(lines.at(-1)).toMatch(/^3 predicted in \d+\.\d\d s/)
    expect(stdout).not.toContain('\u001B[') // NO_COLOR
  })

  it('reports an unreadable, empty or missing input in the output, predicts every other one and exits 1', () => {
    const dir = join(tmp, 'mixed')
    mkdirSync(join(dir, 'empty-folder'), {recursive: true})
    writeFileSync(join(dir, 'a.png'), readFileSync(digits[0].path))
    writeFileSync(join(dir, 'b.png'), '')
    writeFileSync(join(dir, 'c.jpg'), readFileSync(digits[1].path).subarray(0, 40))
    writeFileSync(join(dir, 'notes.txt'), 'not an image, not in a folder listing')
    const inputs = [dir, join(dir, 'empty-folder'), join(dir, 'missing.png'), join(dir, 'notes.txt')]
    const {code, output, stderr} = predictJson([run, ...inputs])
    expect(code).toBe(1)
    expect(stderr).toMatch(/^5 of 6 inputs could not be predicted/m)
    expect(output.failed).toBe(5)
    expect(output.predictions.map((p) => [p.input.slice(dir.length + 1), p.error ?? p.label])).toEqual([
      ['a.png', expect.stringMatching(/^\d$/)],
      ['b.png', 'is empty (0 bytes)'],
      ['c.jpg', expect.stringMatching(/^is a truncated PNG file|^cannot be decoded as PNG/)],
      ['empty-folder', 'is a folder with no image files'],
      ['missing.png', 'not found'],
      ['notes.txt', expect.stringMatching(/^is not an image mlctl reads/)],
    ])

    const table = mlctl(['predict', run, ...inputs])
    expect(table.code).toBe(1)
    expect(table.stdout).toMatch(/missing\.png\s+error: not found/)
    expect(table.stdout).toMatch(/^1 predicted, 5 failed in/m)
  })

  it('--out writes CSV or JSON Lines atomically beside the table; another extension is a usage error', () => {
    const csv = join(tmp, 'out.csv')
    const jsonl = join(tmp, 'out.jsonl')
    const inputs = [digits[0].path, digits[1].path, join(tmp, 'gone.png')]
    expect(mlctl(['predict', run, ...inputs, '--top-k', '2', '--out', csv]).code).toBe(1)
    const rows = readFileSync(csv, 'utf8').trim().split('\n')
    expect(rows[0]).toBe('input,label,probability,label_2,probability_2,error')
    expect(rows[1]).toMatch(new RegExp(`^${digits[0].path},\\d,0\\.\\d+,\\d,0\\.\\d+,$`))
    expect(rows[3]).toBe(`${join(tmp, 'gone.png')},,,,,not found`)

    expect(mlctl(['predict', run, ...inputs.slice(0, 2), '--out', jsonl]).code).toBe(0)
    const lines = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines).toEqual([
      expect.objectContaining({input: digits[0].path, label: expect.any(String), probability: expect.any(Number)}),
      expect.objectContaining({input: digits[1].path}),
    ])

    const bad = mlctl(['predict', run, digits[0].path, '--out', join(tmp, 'out.txt')])
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim()).toBe(
      `Error: --out ${join(tmp, 'out.txt')}: name the file .csv or .jsonl to choose the format`,
    )
  })

  it('resizes a larger photo to the model input and refuses a CSV for an image model', async () => {
    const [big] = await writeDigitImages(join(tmp, 'big'), 1, {format: 'jpeg', scale: 4})
    const {code, output} = predictJson([run, big.path])
    expect(code).toBe(0)
    expect(output.model.input).toMatchObject({kind: 'image', width: 28, height: 28, channels: 1, resize: 'cover'})
    expect(output.predictions[0].label).toBe(predictJson([run, digits[0].path]).output.predictions[0].label)

    const csv = mlctl(['predict', run, join(tmp, 'rows.csv')])
    expect(csv.code).toBe(2)
    expect(csv.stderr).toMatch(/rows\.csv is a CSV file but the model takes images/)
  })
})

describe('mlctl predict on a foreign ONNX model', () => {
  it('takes its scaling from --input-scale and gives what the same weights give as an mlctl run', () => {
    // The weights of IMAGE_SPEC in a float32 graph that expects pixels / 255, with no mlctl metadata.
    const weights = seededWeights(IMAGE_SPEC)
    const foreign = writeOnnxFile(join(tmp, 'foreign.onnx'), IMAGE_SPEC, weights, {}, {normalizeInput: false})
    const own = writeRunDir(
      join(tmp, 'own'),
      IMAGE_SPEC,
      weights,
      {dataset: 'mnist-sample', task: 'classification', classNames: DIGITS},
      {dataset: 'mnist-sample'},
    )
    const inputs = digits.slice(0, 50).map((d) => d.path)
    const expected = predictJson([own, ...inputs]).output.predictions

    const raw = mlctl(['predict', foreign, ...inputs.slice(0, 1)])
    expect(raw.stderr).toMatch(/^Warning: the model does not say how to scale its float32 input/m)

    const {code, output} = predictJson([
      foreign,
      ...inputs,
      '--input-scale',
      '1/255',
      '--channels',
      '1',
      '--image-size',
      '28',
    ])
    expect(code).toBe(0)
    expect(output.model.input).toMatchObject({type: 'float32', scaling: 'flags'})
    expect(output.predictions.map((p) => p.class)).toEqual(expected.map((p) => p.class))
    output.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(expected[i].probability!, 5))
    // Without class_names the classes are named by index.
    expect(output.predictions[0].label).toBe(String(output.predictions[0].class))
  })

  it('names a flag that contradicts the input the model declares', () => {
    const foreign = join(tmp, 'foreign.onnx')
    const size = mlctl(['predict', foreign, digits[0].path, '--image-size', '32'])
    expect(size.code).toBe(2)
    expect(size.stderr.trim()).toBe(
      "Error: the model's input has image height 28 but --image-size 32; drop --image-size or pass 28",
    )
    const channels = mlctl(['predict', foreign, digits[0].path, '--channels', '3'])
    expect(channels.code).toBe(2)
    expect(channels.stderr).toMatch(/channels 1 but --channels 3/)
  })
})

describe('mlctl predict on a run trained on an image folder', () => {
  it("gives the predictions evaluate scores on the folder's test split, for the run and its exported file", async () => {
    const folder = join(tmp, 'folder')
    await writeDigits(join(folder, 'train'), SAMPLE.train, {to: 600, jpegEvery: 3})
    await writeDigits(join(folder, 'test'), SAMPLE.test!, {to: 300, jpegEvery: 3})
    const folderRun = join(tmp, 'folder-run')
    const cache = join(tmp, 'cache')
    const trained = mlctl([
      'train',
      '--data',
      folder,
      '--model',
      'mlp',
      '--epochs',
      '1',
      '--out',
      folderRun,
      '--data-dir',
      cache,
    ])
    expect(trained.code, trained.stderr).toBe(0)
    expect(mlctl(['export-onnx', folderRun]).code).toBe(0)
    const evaluation = mlctl(['evaluate', folderRun, '--json', '--data-dir', cache])
    expect(evaluation.code, evaluation.stderr).toBe(0)
    const expected = JSON.parse(evaluation.stdout).report.confusionMatrix as number[][]

    for (const model of [folderRun, join(folderRun, 'model.onnx')]) {
      const {code, output, stderr} = predictJson([model, join(folder, 'test')])
      expect(code, stderr).toBe(0)
      expect(output.model.input).toMatchObject({width: 28, height: 28, channels: 1, resize: 'cover'})
      const counts = DIGITS.map(() => DIGITS.map(() => 0))
      for (const p of output.predictions) counts[Number(p.input.split('/').at(-2))][p.class!]++
      expect(counts).toEqual(expected)
    }
  }, 120_000)
})
