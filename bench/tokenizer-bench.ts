/**
 * `npm run bench:tokenizer` (part of `npm run bench:text`): texts/s and tokens/s of mlctl's WordPiece encoder
 * against `@huggingface/tokenizers` (pure JavaScript) encoding the same texts with the same tokenizer.json.
 * Target: at least 1×.
 *
 * Text: the lines of the README.md files under node_modules (real English prose with code, URLs and names;
 * no download), or a text file given with --file (one text per line). The tokenizer is trained on the first
 * half (vocabulary --vocab-size) and both sides encode every line. Each round builds both tokenizers afresh,
 * so mlctl's word cache starts empty as it does when a dataset is encoded once; rounds alternate the two sides
 * so that load from other processes hits both. Figures are medians of --repeats rounds. The ids are checked
 * to be equal first.
 *
 * usage: npx tsx bench/tokenizer-bench.ts [--repeats 3] [--vocab-size 8000] [--lines 50000] [--file FILE]
 */
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {Tokenizer} from '@huggingface/tokenizers'

import {WordPieceTokenizer} from '../src/core/text/wordpiece.js'
import {trainWordPiece} from '../src/core/text/wordpiece-trainer.js'
import {median} from './median.js'

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

const repeats = Number(option('repeats', '3'))
const vocabSize = Number(option('vocab-size', '8000'))
const maxLines = Number(option('lines', '50000'))
const file = option('file', '')

function readmeLines(): string[] {
  const lines = new Set<string>()
  const visit = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const path = join(dir, entry.name)
      if (entry.isDirectory() && depth < 3) visit(path, depth + 1)
      else if (entry.isFile() && /^readme\.md$/i.test(entry.name))
        for (const line of readFileSync(path, 'utf8').split('\n')) if (line.trim().length >= 20) lines.add(line)
    }
  }
  visit('node_modules', 0)
  return [...lines]
}

const texts = (
  file
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
    : readmeLines()
).slice(0, maxLines)
const trainStart = performance.now()
const json = trainWordPiece(texts.slice(0, Math.ceil(texts.length / 2)), {vocabSize, lowercase: false})
const trainSeconds = (performance.now() - trainStart) / 1000
const characters = texts.reduce((sum, t) => sum + t.length, 0)
console.log(
  `${texts.length} texts, ${(characters / 1e6).toFixed(1)} M characters (${file || 'README.md lines under node_modules'}); ` +
    `vocabulary ${Object.keys(json.model.vocab).length} trained in ${trainSeconds.toFixed(1)} s`,
)

const check = new WordPieceTokenizer(json)
const reference = new Tokenizer(structuredClone(json), {})
for (const text of texts.slice(0, 2000)) {
  if (JSON.stringify(check.encode(text)) !== JSON.stringify(reference.encode(text).ids))
    throw new Error(`ids differ on: ${text}`)
}

function timeMlctl(): {seconds: number; tokens: number} {
  const tokenizer = new WordPieceTokenizer(json)
  const start = performance.now()
  let tokens = 0
  for (const text of texts) tokens += tokenizer.encode(text).length
  return {seconds: (performance.now() - start) / 1000, tokens}
}

function timeHuggingFace(): {seconds: number; tokens: number} {
  const tokenizer = new Tokenizer(structuredClone(json), {})
  const start = performance.now()
  let tokens = 0
  for (const text of texts) tokens += tokenizer.encode(text).ids.length
  return {seconds: (performance.now() - start) / 1000, tokens}
}

const ours: number[] = []
const theirs: number[] = []
const ratios: number[] = []
let tokenCount = 0
for (let round = 0; round < repeats; round++) {
  const a = timeMlctl()
  const b = timeHuggingFace()
  tokenCount = a.tokens
  ours.push(a.seconds)
  theirs.push(b.seconds)
  ratios.push(b.seconds / a.seconds)
  console.log(`round ${round + 1}: mlctl ${a.seconds.toFixed(2)} s, @huggingface/tokenizers ${b.seconds.toFixed(2)} s`)
}
const rate = (seconds: number) =>
  `${Math.round(texts.length / seconds).toLocaleString('en-US')} texts/s, ${(tokenCount / seconds / 1e6).toFixed(2)} M tokens/s`
console.log(`mlctl                    ${rate(median(ours))}`)
console.log(`@huggingface/tokenizers  ${rate(median(theirs))}`)
console.log(`ratio (same round, median of ${repeats}): ${median(ratios).toFixed(2)}×`)
