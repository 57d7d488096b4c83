import {describe, expect, it} from 'vitest'

import {ModelTokenIds} from '../../src/core/text/model-token-ids.js'
import {trainWordPiece} from '../../src/core/text/wordpiece-trainer.js'
import {labelledReviews} from './labelled-reviews.js'

const tokenizer = trainWordPiece(
  labelledReviews(100, 1).map((r) => r.review),
  {vocabSize: 200, lowercase: true},
)
const texts = ['great product', 'the item was really not quite what the delivery said, awful', 'love']

/** Row `r` of row-major ids of `width` per row, padding (id 0) left out. */
const tokensOf = (ids: Int32Array, width: number, r: number) =>
  Array.from(ids.subarray(r * width, (r + 1) * width)).filter((id) => id !== 0)

describe('ModelTokenIds', () => {
  it("pads to the longest text (within the model's length) or to the model's length, with the same ids", () => {
    const tokens = new ModelTokenIds({tokenizer, maxLength: 8})
    const full = tokens.encode(texts)
    expect(full.width).toBe(8)
    const longest = tokens.encode(texts, 'longest')
    // The second text is cut to 8 tokens either way.
    expect(longest.width).toBe(8)
    const short = tokens.encode([texts[0], texts[2]], 'longest')
    const longestShort = Math.max(tokensOf(full.ids, 8, 0).length, tokensOf(full.ids, 8, 2).length)
    expect(longestShort).toBeLessThan(8)
    expect(short.width).toBe(longestShort)
    expect(Array.from(short.ids)).toEqual([
      ...Array.from(full.ids.subarray(0, longestShort)),
      ...Array.from(full.ids.subarray(16, 16 + longestShort)),
    ])
    texts.forEach((_, r) => expect(tokensOf(longest.ids, 8, r)).toEqual(tokensOf(full.ids, 8, r)))
    expect(tokens.encode([''], 'longest')).toEqual({ids: Int32Array.of(0), width: 1})
  })

  it('with hashed bigrams, gives each text the same tokens and bigrams, in 2 x longest - 1 ids', () => {
    const tokens = new ModelTokenIds({tokenizer, maxLength: 8, bigramBuckets: 512})
    const full = tokens.encode([texts[0], texts[2]])
    expect(full.width).toBe(15)
    const short = tokens.encode([texts[0], texts[2]], 'longest')
    const unpadded = new ModelTokenIds({tokenizer, maxLength: 8}).encode([texts[0], texts[2]], 'longest')
    expect(short.width).toBe(2 * unpadded.width - 1)
    for (const r of [0, 1]) expect(tokensOf(short.ids, short.width, r)).toEqual(tokensOf(full.ids, 15, r))
  })
})
