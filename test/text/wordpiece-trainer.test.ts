import {describe, expect, it} from 'vitest'

import {defaultMaxLength, padTokenIds} from '../../src/core/text/token-ids.js'
import {WordPieceTokenizer} from '../../src/core/text/wordpiece.js'
import {trainWordPiece} from '../../src/core/text/wordpiece-trainer.js'
import {REVIEW_TEXTS} from './review-texts.js'

describe('trainWordPiece', () => {
  it('puts [PAD] at 0 and [UNK] at 1, respects the vocabulary size and is deterministic', () => {
    const json = trainWordPiece(REVIEW_TEXTS, {vocabSize: 120, lowercase: true})
    expect(json.model.vocab['[PAD]']).toBe(0)
    expect(json.model.vocab['[UNK]']).toBe(1)
    const ids = Object.values(json.model.vocab).sort((a, b) => a - b)
    expect(ids).toEqual(ids.map((_, i) => i))
    expect(ids.length).toBeLessThanOrEqual(120)
    expect(trainWordPiece(REVIEW_TEXTS, {vocabSize: 120, lowercase: true})).toEqual(json)
  })

  it('learns whole frequent words and ## continuations, and encodes every word it saw without [UNK]', () => {
    const json = trainWordPiece(REVIEW_TEXTS, {vocabSize: 2000, lowercase: true})
    expect(json.model.vocab).toHaveProperty('product')
    expect(Object.keys(json.model.vocab).some((t) => t.startsWith('##') && t.length > 3)).toBe(true)
    const tokenizer = new WordPieceTokenizer(json)
    for (const text of REVIEW_TEXTS.filter((t) => !t.includes('[UNK]')))
      expect(tokenizer.encode(text)).not.toContain(tokenizer.unkId)
  })

  it('--lowercase folds case and keeps accents; without it case is kept', () => {
    const lower = new WordPieceTokenizer(trainWordPiece(['Café CAFÉ café'], {vocabSize: 50, lowercase: true}))
    expect(lower.encode('CAFÉ')).toEqual(lower.encode('café'))
    expect(lower.encode('café')).not.toEqual(lower.encode('cafe'))
    const cased = new WordPieceTokenizer(trainWordPiece(['Café CAFÉ café'], {vocabSize: 50, lowercase: false}))
    expect(cased.encode('CAFÉ')).not.toEqual(cased.encode('café'))
  })

  it('keeps the most frequent characters when the alphabet alone overflows the vocabulary', () => {
    const json = trainWordPiece(['aaaa bbb cc d e f g h i j k l m n o p q r s t'], {vocabSize: 16, lowercase: false})
    expect(Object.keys(json.model.vocab)).toHaveLength(16)
    expect(json.model.vocab).toHaveProperty('##a')
    expect(() => trainWordPiece(['a'], {vocabSize: 3, lowercase: false})).toThrow(/--vocab-size must be .* at least 16/)
  })
})

describe('token ids', () => {
  const tokenizer = new WordPieceTokenizer(trainWordPiece(REVIEW_TEXTS, {vocabSize: 500, lowercase: true}))

  it('the default length is the 95th percentile of the lengths, capped at 1,024', () => {
    const lengths = Array.from({length: 100}, (_, i) => Array.from({length: i + 1}, () => 5))
    expect(defaultMaxLength(lengths)).toBe(95)
    expect(defaultMaxLength([Array.from({length: 1000}, () => 5)])).toBe(1000)
    expect(defaultMaxLength([Array.from({length: 3000}, () => 5)])).toBe(1024)
  })

  it('pads right with [PAD] and truncates to the first tokens', () => {
    const encoded = ['great product', 'the product was fine again and again'].map((t) => tokenizer.encode(t))
    const ids = padTokenIds(tokenizer, encoded, 4)
    expect(ids).toHaveLength(8)
    expect(Array.from(ids.subarray(0, 4))).toEqual([...encoded[0], ...Array(4 - encoded[0].length).fill(0)])
    expect(Array.from(ids.subarray(4))).toEqual(encoded[1].slice(0, 4))
  })
})
