import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {mlctl} from '../helpers/mlctl-cli.js'
import {startServe} from '../serve/serve-process.js'
import {labelledReviews as reviews, reviewsCsv as csvOf} from '../text/labelled-reviews.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-predict-text-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

interface Predicted {
  input: string
  label?: string
  top?: Array<{label: string; probability: number}>
  error?: string
}

const held = reviews(40, 7)
let heldCsv: string
let heldTxt: string
const runs: Record<string, string> = {}

beforeAll(() => {
  const trainCsv = join(tmp, 'reviews.csv')
  writeFileSync(trainCsv, csvOf(reviews(300, 1)))
  heldCsv = join(tmp, 'held.csv')
  writeFileSync(heldCsv, csvOf(held))
  heldTxt = join(tmp, 'held.txt')
  // A blank line is not an example, and \r\n endings are not part of one.
  writeFileSync(heldTxt, `${held.map((r) => r.review).join('\r\n')}\n\n`)
  for (const [name, extra] of [
    ['bag', []],
    ['bigrams', ['--ngrams', '2']],
  ] as const) {
    const out = join(tmp, name)
    const train = mlctl([
      'train', '--data', trainCsv, '--text-column', 'review', '--target', 'label', '--model', 'bag',
      '--epochs', '8', '--lr', '0.02', '--out', out, '--threads', '1', ...extra,
    ]) // prettier-ignore
    expect(train.code, train.stderr).toBe(0)
    const exported = mlctl(['export-onnx', out])
    expect(exported.code, exported.stderr).toBe(0)
    runs[name] = out
  }
}, 60_000)

/** evaluate's confusion matrix and mean loss over every held-out review (its test split plus the rest). */
function evaluateAll(
  model: string,
  data = ['--data', heldCsv, '--target', 'label', '--text-column', 'review'],
): {confusion: number[][]; loss: number} {
  const parts = [
    ['--split', 'test'],
    ['--split', 'train', '--val-split', '0'],
  ].map((split) => {
    const result = mlctl(['evaluate', model, ...data, ...split, '--json'])
    expect(result.code, result.stderr).toBe(0)
    return JSON.parse(result.stdout) as {data: {examples: number}; report: {loss: number; confusionMatrix: number[][]}}
  })
  expect(parts[0].data.examples + parts[1].data.examples).toBe(held.length)
  return {
    confusion: parts[0].report.confusionMatrix.map((row, a) =>
      row.map((n, p) => n + parts[1].report.confusionMatrix[a][p]),
    ),
    loss: parts.reduce((sum, part) => sum + part.report.loss * part.data.examples, 0) / held.length,
  }
}

function predictJson(args: string[]): Predicted[] {
  const result = mlctl(['predict', ...args, '--top-k', '2', '--json'])
  expect(result.code, result.stderr).toBe(0)
  return (JSON.parse(result.stdout) as {predictions: Predicted[]}).predictions
}

describe('mlctl predict on texts', () => {
  it.each(['bag', 'bigrams'])(
    '%s: a text file, one review a line, gets the predictions evaluate scores, for the run and its ONNX file',
    (name) => {
      const expected = evaluateAll(runs[name])
      const classes = ['neg', 'pos']
      for (const model of [runs[name], join(runs[name], 'model.onnx')]) {
        const predictions = predictJson([model, heldTxt])
        expect(predictions.map((p) => p.input)).toEqual(held.map((_, i) => `${heldTxt} line ${i + 1}`))
        const confusion = classes.map(() => classes.map(() => 0))
        let loss = 0
        predictions.forEach((p, i) => {
          const actual = held[i].label
          confusion[classes.indexOf(actual)][classes.indexOf(p.label!)]++
          loss -= Math.log(p.top!.find((t) => t.label === actual)!.probability)
        })
        expect(confusion).toEqual(expected.confusion)
        expect(loss / held.length).toBeCloseTo(expected.loss, 5)
      }
    },
  )

  it('--text predicts each text as the same line of a file does, and rejects --text for a table model', () => {
    const fromFile = predictJson([runs.bigrams, heldTxt])
    const texts = held.slice(0, 3).map((r) => r.review)
    const fromFlags = predictJson([runs.bigrams, ...texts.flatMap((t) => ['--text', t])])
    expect(fromFlags.map((p) => p.input)).toEqual(texts)
    expect(fromFlags.map((p) => p.top)).toEqual(fromFile.slice(0, 3).map((p) => p.top))

    const table = join(tmp, 'table.csv')
    writeFileSync(table, `a,y\n${Array.from({length: 40}, (_, i) => `${i},${i % 2}`).join('\n')}\n`)
    const tableRun = join(tmp, 'table-run')
    const trained = mlctl([
      'train',
      '--data',
      table,
      '--target',
      'y',
      '--epochs',
      '1',
      '--out',
      tableRun,
      '--threads',
      '1',
    ])
    expect(trained.code, trained.stderr).toBe(0)
    const wrong = mlctl(['predict', tableRun, '--text', 'hello'])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('--text is for text models; this model takes table rows')
  })

  it("reads a CSV's text column: the run's own by default, --text-column for an .onnx file", () => {
    const fromFile = predictJson([runs.bag, heldTxt])
    const fromRun = predictJson([runs.bag, heldCsv])
    expect(fromRun.map((p) => p.input)).toEqual(held.map((_, i) => `${heldCsv} row ${i + 1}`))
    expect(fromRun.map((p) => p.top)).toEqual(fromFile.map((p) => p.top))
    const onnx = join(runs.bag, 'model.onnx')
    expect(predictJson([onnx, heldCsv, '--text-column', 'review']).map((p) => p.top)).toEqual(
      fromFile.map((p) => p.top),
    )

    const unnamed = mlctl(['predict', onnx, heldCsv])
    expect(unnamed.code).toBe(1)
    expect(unnamed.stdout).toContain('error: name its text column with --text-column COL')
    const wrong = mlctl(['predict', onnx, heldCsv, '--text-column', 'body'])
    expect(wrong.stdout).toContain('has no column "body" (it has review, label)')
  })

  it('reports an unreadable text file in the output and exits 1, still predicting the other inputs', () => {
    const result = mlctl(['predict', runs.bag, '--text', 'great product', join(tmp, 'missing.txt'), '--json'])
    expect(result.code).toBe(1)
    const predictions = (JSON.parse(result.stdout) as {predictions: Predicted[]}).predictions
    expect(predictions[0]).toMatchObject({input: 'great product', label: 'pos'})
    expect(predictions[1]).toMatchObject({input: join(tmp, 'missing.txt'), error: 'cannot be read (ENOENT)'})
  })
})

describe('mlctl predict on a text folder', () => {
  it('predicts each .txt file of class folders as one example, as evaluate scores the folder, and names the class folders', () => {
    const folder = join(tmp, 'held-folder')
    held.forEach((r, i) => {
      mkdirSync(join(folder, r.label), {recursive: true})
      writeFileSync(join(folder, r.label, `${String(i).padStart(2, '0')}.txt`), r.review)
    })
    const expected = evaluateAll(runs.bag, ['--data', folder])
    const result = mlctl(['predict', runs.bag, folder, '--top-k', '2', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain('Left out class folder names neg, pos: the model predicts them')
    const {predictions, classFolders} = JSON.parse(result.stdout) as {predictions: Predicted[]; classFolders: string[]}
    expect(classFolders).toEqual(['neg', 'pos'])
    const files = held.map((r, i) => join(folder, r.label, `${String(i).padStart(2, '0')}.txt`)).sort()
    expect(predictions.map((p) => p.input)).toEqual(files)
    const classes = ['neg', 'pos']
    const confusion = classes.map(() => classes.map(() => 0))
    let loss = 0
    for (const p of predictions) {
      const actual = p.input.split('/').at(-2)!
      confusion[classes.indexOf(actual)][classes.indexOf(p.label!)]++
      loss -= Math.log(p.top!.find((t) => t.label === actual)!.probability)
    }
    expect(confusion).toEqual(expected.confusion)
    expect(loss / held.length).toBeCloseTo(expected.loss, 5)
  })

  it('predicts a flat folder file by file, skips other extensions and reports binary, non-UTF-8 and empty files', () => {
    const flat = join(tmp, 'flat')
    mkdirSync(flat)
    const texts = held.slice(0, 3).map((r) => r.review)
    texts.forEach((text, i) => writeFileSync(join(flat, `${i}.txt`), `${text}\n`))
    writeFileSync(join(flat, 'binary.txt'), Buffer.from([65, 0, 66]))
    writeFileSync(join(flat, 'empty.txt'), '  \n')
    writeFileSync(join(flat, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]))
    writeFileSync(join(flat, 'notes.md'), 'not an example')
    const result = mlctl(['predict', runs.bag, flat, '--top-k', '2', '--json'])
    expect(result.code).toBe(1)
    expect(result.stderr).not.toContain('class folder')
    const {predictions} = JSON.parse(result.stdout) as {predictions: Predicted[]}
    expect(predictions.map((p) => [basename(p.input), p.error])).toEqual([
      ['0.txt', undefined],
      ['1.txt', undefined],
      ['2.txt', undefined],
      ['binary.txt', 'is a binary file (it holds a NUL byte), not text'],
      ['empty.txt', 'is empty'],
      ['latin1.txt', 'is not UTF-8 text (byte 3); convert it to UTF-8'],
    ])
    const fromFlags = predictJson([runs.bag, ...texts.flatMap((t) => ['--text', t])])
    expect(predictions.slice(0, 3).map((p) => p.top)).toEqual(fromFlags.map((p) => p.top))
  })
})

describe('mlctl serve with a text model', () => {
  it('POST /predict with {"instances": [texts]} gives predict\'s labels and probabilities, batched or not', async () => {
    const expected = predictJson([join(runs.bigrams, 'model.onnx'), heldTxt])
    // A queue delay, so that the concurrent requests below are merged into shared batches.
    const server = await startServe([runs.bigrams, '--max-queue-delay-ms', '20'])
    try {
      const post = async (body: unknown, type = 'application/json') => {
        const response = await fetch(`${server.httpUrl}/predict`, {
          method: 'POST',
          headers: {'content-type': type},
          body: typeof body === 'string' ? body : JSON.stringify(body),
        })
        return {
          status: response.status,
          json: (await response.json()) as {
            predictions: Array<{label: string; probabilities: number[]}>
            error: string
          },
        }
      }
      const texts = held.map((r) => r.review)
      const chunks = [texts.slice(0, 1), texts.slice(1, 15), texts.slice(15, 16), texts.slice(16)]
      const answers = await Promise.all(chunks.map((instances) => post({instances})))
      const served = answers.flatMap((answer) => {
        expect(answer.status).toBe(200)
        return answer.json.predictions
      })
      expect(served).toHaveLength(held.length)
      served.forEach((prediction, i) => {
        expect(prediction.label).toBe(expected[i].label)
        for (const [c, label] of ['neg', 'pos'].entries())
          expect(prediction.probabilities[c]).toBeCloseTo(
            expected[i].top!.find((t) => t.label === label)!.probability,
            6,
          )
      })

      const numbers = await post({instances: [[1, 2, 3]]})
      expect(numbers.status).toBe(400)
      expect(numbers.json.error).toContain('takes text: send {"instances": ["a text", ...]}')
      const image = await post('\x89PNG', 'image/png')
      expect(image.status).toBe(400)
      expect(image.json.error).toContain('takes text, not images')
    } finally {
      await server.stop()
    }
  })
})
