import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Tokenizer} from '@huggingface/tokenizers'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseCsv} from '../../src/core/data/csv-table.js'
import {mlctl} from '../helpers/mlctl-cli.js'

let dir: string
let csv: string

/** Reviews whose label follows from their words; some quoted with commas, line breaks and emoji. */
function reviewsCsv(): string {
  const good = ['great', 'love', 'excellent', 'wonderful', 'perfect', 'happy']
  const bad = ['awful', 'terrible', 'broke', 'worst', 'refund', 'disappointed']
  const filler = ['the', 'product', 'it', 'was', 'and', 'really', 'very', 'this', 'item', 'delivery']
  const rows = ['id,review,label']
  for (let i = 0; i < 300; i++) {
    const label = i % 2 === 0 ? 'pos' : 'neg'
    const words = [...filler.slice(i % 5, (i % 5) + 4), (label === 'pos' ? good : bad)[i % 6]]
    const text = i % 5 === 0 ? `"${words.join(' ')}, really.\nSecond line 👍"` : words.join(' ')
    rows.push(`${i},${text},${label}`)
  }
  return `${rows.join('\n')}\n`
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlctl-text-cli-'))
  csv = join(dir, 'reviews.csv')
  writeFileSync(csv, reviewsCsv())
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('train, evaluate and export-onnx on a text CSV', () => {
  it('trains bag end to end, keeps tokenizer.json, and evaluate and the exported file agree with train', () => {
    const out = join(dir, 'run')
    const train = mlctl([
      'train', '--data', csv, '--text-column', 'review', '--target', 'label',
      '--model', 'bag', '--epochs', '15', '--lr', '0.02', '--out', out, '--threads', '1',
    ]) // prettier-ignore
    expect(train.code, train.stderr).toBe(0)
    const testLine = /Test: loss ([\d.]+), accuracy ([\d.]+)%/.exec(train.stdout)
    expect(testLine).not.toBeNull()
    expect(Number(testLine![2])).toBeGreaterThanOrEqual(85)

    // The saved tokenizer loads in @huggingface/tokenizers and gives the ids train fed the model.
    const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')) as object
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      dataset: {inputShape: number[]; text: {vocabSize: number; padId: number; maxLength: number}}
    }
    expect(config.dataset.text).toMatchObject({padId: 0, maxLength: config.dataset.inputShape[0]})
    const hf = new Tokenizer(json, {})
    const second = parseCsv(readFileSync(csv, 'utf8'), csv)[1].cells[1]
    expect(hf.encode(second).ids.every((id: number) => id > 1)).toBe(true)

    const evaluated = mlctl(['evaluate', out, '--json'])
    expect(evaluated.code, evaluated.stderr).toBe(0)
    const report = JSON.parse(evaluated.stdout) as {report: {accuracy: number; loss: number}}
    expect(report.report.accuracy * 100).toBeCloseTo(Number(testLine![2]), 1)

    const exported = mlctl(['export-onnx', out])
    expect(exported.code, exported.stderr).toBe(0)
    expect(existsSync(join(out, 'model.onnx'))).toBe(true)
    const onnx = mlctl([
      'evaluate',
      join(out, 'model.onnx'),
      '--data',
      csv,
      '--target',
      'label',
      '--text-column',
      'review',
      '--json',
    ])
    expect(onnx.code, onnx.stderr).toBe(0)
    expect((JSON.parse(onnx.stdout) as typeof report).report.accuracy).toBeCloseTo(report.report.accuracy, 6)
  })

  it("trains on a text folder without --target, skipping a binary file, and resumes with the run's tokenizer", () => {
    const folder = join(dir, 'folder')
    for (let i = 0; i < 20; i++) {
      for (const [label, words] of [
        ['pos', 'great product, love it'],
        ['neg', 'awful, it broke'],
      ]) {
        mkdirSync(join(folder, label), {recursive: true})
        writeFileSync(join(folder, label, `${i}.txt`), `${words} ${i}`)
      }
    }
    writeFileSync(join(folder, 'neg', 'photo.txt'), Uint8Array.from([0xff, 0xd8, 0, 0, 1]))
    const out = join(dir, 'folder-run')
    const train = mlctl(['train', '--data', folder, '--model', 'bag', '--epochs', '2', '--out', out, '--threads', '1'])
    expect(train.code, train.stderr).toBe(0)
    expect(train.stderr).toMatch(
      /tokens {4}WordPiece, \d+ tokens \(trained on the training texts\), \d+ per text, 0 texts truncated, 1 files skipped/,
    )
    const tokenizer = readFileSync(join(out, 'tokenizer.json'), 'utf8')
    const resumed = mlctl(['train', '--resume', out, '--epochs', '3'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/tokens {4}WordPiece, \d+ tokens \(the run's tokenizer.json\)/)
    expect(readFileSync(join(out, 'tokenizer.json'), 'utf8')).toBe(tokenizer)
  })

  it('bad text input is a one-line error with a non-zero exit and no run directory', () => {
    const gaps = join(dir, 'gaps.csv')
    writeFileSync(gaps, 'review,label\ngood,pos\n,neg\nbad,neg\n')
    const out = join(dir, 'never')
    const empty = mlctl(['train', '--data', gaps, '--text-column', 'review', '--target', 'label', '--out', out])
    expect(empty.code).toBe(1)
    expect(empty.stderr.trim()).toMatch(
      /gaps.csv: row 2 \(line 3\) has an empty "review" cell; .*--allow-empty-text\.$/,
    )
    expect(empty.stderr).not.toMatch(/at .*\.js:\d+/)
    expect(existsSync(out)).toBe(false)

    const bpe = join(dir, 'gpt2.json')
    writeFileSync(bpe, JSON.stringify({model: {type: 'BPE', vocab: {}, merges: []}}))
    const wrong = mlctl(['train', '--data', csv, '--text-column', 'review', '--target', 'label', '--tokenizer', bpe])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/gpt2.json: its model "BPE" is not supported; mlctl reads WordPiece/)
  })
})
