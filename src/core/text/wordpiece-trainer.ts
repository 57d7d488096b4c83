import {UserError} from '../errors.js'
import {compileNormalizer} from './normalize.js'
import {compilePreTokenizer} from './pre-tokenize.js'
import {CONTINUATION_PREFIX, PAD_TOKEN, type TokenizerJson, UNK_TOKEN} from './tokenizer-json.js'

export const DEFAULT_VOCAB_SIZE = 8000
/** [PAD] and [UNK], plus room for at least a few characters. */
export const MIN_VOCAB_SIZE = 16

export interface WordPieceTrainingOptions {
  /** Most tokens in the vocabulary, [PAD] and [UNK] included; fewer when the text has no pair left to merge. */
  vocabSize: number
  lowercase: boolean
}

/**
 * Trains a WordPiece vocabulary the way Hugging Face tokenizers' WordPieceTrainer does: the characters of the
 * words (a non-initial one with the `##` prefix), then repeated merges of the most frequent adjacent pair of
 * pieces (byte-pair encoding over word counts) until the vocabulary is full or no pair occurs twice. Encoding
 * then takes the longest vocabulary piece from the left (wordpiece.ts). When the characters alone would
 * overflow the vocabulary, the most frequent are kept and the others become [UNK].
 *
 * Normalization: NFKC, then BERT's clean-up (control characters dropped, whitespace unified, CJK ideographs
 * split into words of their own) and optionally lowercasing that keeps accents.
 */
export function trainWordPiece(texts: Iterable<string>, options: WordPieceTrainingOptions): TokenizerJson {
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < MIN_VOCAB_SIZE)
    throw new UserError(`--vocab-size must be a whole number of at least ${MIN_VOCAB_SIZE} (got ${options.vocabSize}).`)
  const json = tokenizerSkeleton(options.lowercase)
  const normalize = compileNormalizer(json.normalizer, 'tokenizer')!
  const preTokenize = compilePreTokenizer(json.pre_tokenizer, 'tokenizer')!
  const wordCounts = new Map<string, number>()
  for (const text of texts) {
    for (const word of preTokenize(normalize(text))) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1)
  }
  const tokens = learnPieces(wordCounts, options.vocabSize - 2)
  const vocab: Record<string, number> = {[PAD_TOKEN]: 0, [UNK_TOKEN]: 1}
  let next = 2
  for (const token of tokens) vocab[token] ??= next++
  json.model.vocab = vocab
  return json
}

function tokenizerSkeleton(lowercase: boolean): TokenizerJson {
  const special = {single_word: false, lstrip: false, rstrip: false, normalized: false, special: true}
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {id: 0, content: PAD_TOKEN, ...special},
      {id: 1, content: UNK_TOKEN, ...special},
    ],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        {type: 'NFKC'},
        {type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: false, lowercase},
      ],
    },
    pre_tokenizer: {type: 'BertPreTokenizer'},
    post_processor: null,
    decoder: {type: 'WordPiece', prefix: CONTINUATION_PREFIX, cleanup: true},
    model: {
      type: 'WordPiece',
      unk_token: UNK_TOKEN,
      continuing_subword_prefix: CONTINUATION_PREFIX,
      max_input_chars_per_word: 100,
      vocab: {},
    },
  }
}

/** Pair keys pack two piece numbers into one float64-safe integer. */
const PIECE_LIMIT = 2 ** 24

/** The alphabet, then each merged piece in the order it was learned; at most `budget` pieces. */
function learnPieces(wordCounts: Map<string, number>, budget: number): string[] {
  const pieceCounts = new Map<string, number>()
  const spelled: Array<{pieces: string[]; count: number}> = []
  for (const [word, count] of wordCounts) {
    const pieces = [...word].map((char, i) => (i === 0 ? char : CONTINUATION_PREFIX + char))
    for (const piece of pieces) pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + count)
    spelled.push({pieces, count})
  }
  const alphabet = [...pieceCounts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, budget)
    .map(([piece]) => piece)
  const names = [...alphabet]
  const numbers = new Map(alphabet.map((piece, i) => [piece, i]))
  // Words with a character outside the kept alphabet encode as [UNK] whatever is merged, so they are left out.
  const words: Array<{symbols: number[]; count: number}> = []
  for (const {pieces, count} of spelled) {
    const symbols = pieces.map((piece) => numbers.get(piece) ?? -1)
    if (!symbols.includes(-1)) words.push({symbols, count})
  }

  const pairCounts = new Map<number, number>()
  const pairWords = new Map<number, number[]>()
  const heap = new PairHeap()
  for (const [w, {symbols, count}] of words.entries()) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = symbols[i] * PIECE_LIMIT + symbols[i + 1]
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + count)
      const where = pairWords.get(key)
      if (where) {
        if (where.at(-1) !== w) where.push(w)
      } else pairWords.set(key, [w])
    }
  }
  for (const [key, count] of pairCounts) heap.push(count, key)

  const vocabulary = new Set(names)
  while (vocabulary.size < budget && heap.size > 0) {
    const {count, key} = heap.pop()
    if (pairCounts.get(key) !== count) continue
    if (count < 2) break
    const left = Math.floor(key / PIECE_LIMIT)
    const right = key % PIECE_LIMIT
    const merged = names[left] + names[right].slice(CONTINUATION_PREFIX.length)
    let symbol = numbers.get(merged)
    if (symbol === undefined) {
      symbol = names.length
      names.push(merged)
      numbers.set(merged, symbol)
    }
    vocabulary.add(merged)
    const changed = new Set<number>()
    for (const w of pairWords.get(key) ?? []) {
      const word = words[w]
      const before = word.symbols
      let hasPair = false
      for (let i = 0; i + 1 < before.length; i++) if (before[i] === left && before[i + 1] === right) hasPair = true
      if (!hasPair) continue
      const after: number[] = []
      for (let i = 0; i < before.length; i++) {
        if (i + 1 < before.length && before[i] === left && before[i + 1] === right) {
          after.push(symbol)
          i++
        } else after.push(before[i])
      }
      for (let i = 0; i + 1 < before.length; i++) {
        const k = before[i] * PIECE_LIMIT + before[i + 1]
        pairCounts.set(k, pairCounts.get(k)! - word.count)
        changed.add(k)
      }
      for (let i = 0; i + 1 < after.length; i++) {
        const k = after[i] * PIECE_LIMIT + after[i + 1]
        pairCounts.set(k, (pairCounts.get(k) ?? 0) + word.count)
        changed.add(k)
        const where = pairWords.get(k)
        if (where) {
          if (where.at(-1) !== w) where.push(w)
        } else pairWords.set(k, [w])
      }
      word.symbols = after
    }
    for (const k of changed) {
      const n = pairCounts.get(k)!
      if (n > 0) heap.push(n, k)
      else pairCounts.delete(k)
    }
  }
  return names.filter((name) => vocabulary.has(name))
}

/** A max-heap of (count, pair key), ties broken by the smaller key so training is deterministic. */
class PairHeap {
  private readonly counts: number[] = []
  private readonly keys: number[] = []

  get size(): number {
    return this.counts.length
  }

  push(count: number, key: number): void {
    this.counts.push(count)
    this.keys.push(key)
    let i = this.counts.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.above(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  pop(): {count: number; key: number} {
    const top = {count: this.counts[0], key: this.keys[0]}
    const lastCount = this.counts.pop()!
    const lastKey = this.keys.pop()!
    if (this.counts.length > 0) {
      this.counts[0] = lastCount
      this.keys[0] = lastKey
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let best = i
        if (l < this.counts.length && this.above(l, best)) best = l
        if (r < this.counts.length && this.above(r, best)) best = r
        if (best === i) break
        this.swap(i, best)
        i = best
      }
    }
    return top
  }

  private above(a: number, b: number): boolean {
    return this.counts[a] > this.counts[b] || (this.counts[a] === this.counts[b] && this.keys[a] < this.keys[b])
  }

  private swap(a: number, b: number): void {
    ;[this.counts[a], this.counts[b]] = [this.counts[b], this.counts[a]]
    ;[this.keys[a], this.keys[b]] = [this.keys[b], this.keys[a]]
  }
}
