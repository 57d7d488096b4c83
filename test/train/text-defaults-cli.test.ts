/**
 * The training defaults a text run picks (learning rate, epochs, lowercasing, sequence length) and what its
 * epoch lines count, next to an image and a table run, whose defaults and units stay as they were.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {formatThroughput} from '../../src/cli/epoch-progress.js'
import {meanTokensPerText} from '../../src/core/text/token-ids.js'
import {textEpochs} from '../../src/core/train/dataset-defaults.js'
import {mlctl} from '../helpers/mlctl-cli.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-text-defaults-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

/** Reviews of `words` words each (one of them tells the class), some words capitalized. */
function reviewsCsv(name: string, words: number): string {
  const filler = ['The', 'product', 'arrived', 'on', 'time', 'and', 'the', 'box', 'was', 'fine']
  const rows = ['review,label']
  for (let i = 0; i < 60; i++) {
    const text = Array.from({length: words - 1}, (_, j) => filler[(i + j) % filler.length])
    text.splice(i % words, 0, i % 2 ? 'Great' : 'awful')
    rows.push(`${text.join(' ')},${i % 2 ? 'positive' : 'negative'}`)
  }
  const path = join(root, name)
  writeFileSync(path, `${rows.join('\n')}\n`)
  return path
}

const short = reviewsCsv('short.csv', 8)
const text = ['train', '--data', short, '--text-column', 'review', '--target', 'label', '--threads', '1']
const configOf = (run: string) =>
  JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as {config: Record<string, unknown>}
/** The lowercase setting of the saved tokenizer's BertNormalizer. */
const lowercaseOf = (run: string) => {
  const json = JSON.parse(readFileSync(join(run, 'tokenizer.json'), 'utf8')) as {
    normalizer: {normalizers: Array<{type: string; lowercase?: boolean}>}
  }
  return json.normalizer.normalizers.find((n) => n.type === 'BertNormalizer')?.lowercase
}
const epochLines = (stderr: string) => stderr.split('\n').filter((l) => /^epoch +\d/.test(l))

describe('text training defaults', () => {
  it('a text run without --lr or --epochs trains at lr 0.01 for about 700 steps, says so, and counts tokens', () => {
    const out = join(root, 'defaults')
    const run = mlctl([...text, '--out', out])
    expect(run.code, run.stderr).toBe(0)
    // 43 training texts are one step an epoch: 700 steps would be 700 epochs, so the most, 10.
    expect(run.stderr).toContain('training  10 epochs, batch 64, adam lr 0.01 (cosine)')
    expect(run.stderr).toContain('defaults  lr 0.01, 10 epochs for 43 training texts (flags or --config override them)')
    expect(configOf(out).config).toMatchObject({lr: 0.01, epochs: 10})
    const lines = epochLines(run.stderr)
    expect(lines).toHaveLength(10)
    for (const line of lines) {
      expect(line).not.toContain('img/s')
      // Every text here is 8 tokens long, so the tokens/s is 8 times the examples/s (each rounded).
      const [, examples, tokens] = /(\d+) examples\/s \((\d+) tokens\/s\)/.exec(line)!
      expect(Math.abs(Number(tokens) - 8 * Number(examples))).toBeLessThanOrEqual(8)
    }
    // Lowercased by default: "Great" is read as "great".
    expect(lowercaseOf(out)).toBe(true)
    expect(readFileSync(join(out, 'tokenizer.json'), 'utf8')).not.toContain('"Great"')
  })

  it('--lr, --epochs and --no-lowercase given are kept, and only what was not given is reported as a default', () => {
    const out = join(root, 'given')
    const run = mlctl([...text, '--lr', '0.003', '--epochs', '2', '--no-lowercase', '--out', out])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('training  2 epochs, batch 64, adam lr 0.003 (cosine)')
    expect(run.stderr).not.toMatch(/^ {2}defaults /m)
    expect(configOf(out).config).toMatchObject({lr: 0.003, epochs: 2, lowercase: false})
    expect(lowercaseOf(out)).toBe(false)

    const epochsOnly = mlctl([...text, '--epochs', '1', '--out', join(root, 'epochs-only')])
    expect(epochsOnly.code, epochsOnly.stderr).toBe(0)
    expect(epochsOnly.stderr).toContain('defaults  lr 0.01 for 43 training texts')
  })

  it('texts longer than 256 tokens are kept whole up to the 95th percentile (the default cap is 1,024)', () => {
    const out = join(root, 'long')
    const long = reviewsCsv('long.csv', 300)
    const run = mlctl(['train', '--data', long, '--text-column', 'review', '--target', 'label'].concat(
      ['--epochs', '1', '--threads', '1', '--out', out],
    )) // prettier-ignore
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('300 per text, 0 texts truncated')
  })

  it('an image run keeps lr 0.001 and img/s; a table run says rows/s', () => {
    const image = mlctl(['train', '--epochs', '1', '--threads', '1', '--out', join(root, 'image')])
    expect(image.code, image.stderr).toBe(0)
    expect(image.stderr).toContain('adam lr 0.001 (cosine)')
    expect(epochLines(image.stderr)[0]).toMatch(/ \d+ img\/s /)

    const table = join(root, 'table.csv')
    const rows = Array.from({length: 40}, (_, i) => `${i},${i % 7},${i % 2 ? 'a' : 'b'}`)
    writeFileSync(table, `x,y,label\n${rows.join('\n')}\n`)
    const tabular = mlctl(['train', '--data', table, '--target', 'label', '--epochs', '1', '--out', join(root, 't')])
    expect(tabular.code, tabular.stderr).toBe(0)
    expect(tabular.stderr).toContain('adam lr 0.001 (cosine)')
    expect(epochLines(tabular.stderr)[0]).toMatch(/ \d+ rows\/s /)
  })
})

describe('text epochs', () => {
  it('are enough for about 700 steps of the batch, 2 to 10', () => {
    expect(textEpochs(22_500, 64)).toBe(2) // imdb: 352 steps an epoch
    expect(textEpochs(4013, 64)).toBe(10) // sms-spam: 63 steps an epoch
    expect(textEpochs(108_000, 64)).toBe(2) // ag-news: 1,688 steps an epoch
    expect(textEpochs(10_000, 64)).toBe(4)
    expect(textEpochs(10_000, 32)).toBe(2)
  })
})

describe('the speed on the epoch line', () => {
  it('tokens/s is examples/s times the mean tokens of a text, padding and hashed bigrams not counted', () => {
    // Two rows of 3 token columns then 2 bigram columns, padded with 0: 2 and 3 tokens.
    const ids = Int32Array.from([5, 6, 0, 9, 0, 7, 8, 9, 10, 11])
    expect(meanTokensPerText(ids, 5, 3, 0)).toBe(2.5)
    expect(formatThroughput(1000.4, {examples: 'examples', meanTokens: 2.5})).toBe('1000 examples/s (2501 tokens/s)')
    expect(formatThroughput(1458.6, {examples: 'img'})).toBe('1459 img/s')
  })
})
