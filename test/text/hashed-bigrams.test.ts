import {describe, expect, it} from 'vitest'
import {addHashedBigrams, bigramBuckets} from '../../src/core/text/hashed-bigrams.js'

describe('addHashedBigrams', () => {
  it('appends one id per neighbouring token pair, in the buckets after the vocabulary, padded like the tokens', () => {
    const ids = Int32Array.from([5, 6, 7, 0, 0, 8, 9, 0, 0, 0])
    const out = addHashedBigrams(ids, 2, 5, 0, 100, 16)
    expect(out.length).toBe(2 * 9)
    const [first, second] = [Array.from(out.subarray(0, 9)), Array.from(out.subarray(9))]
    expect(first.slice(0, 5)).toEqual([5, 6, 7, 0, 0])
    expect(second.slice(0, 5)).toEqual([8, 9, 0, 0, 0])
    const bigrams = first.slice(5).filter((id) => id !== 0)
    expect(bigrams).toHaveLength(2) // (5,6) and (6,7)
    expect(second.slice(5).filter((id) => id !== 0)).toHaveLength(1) // (8,9)
    for (const id of [...bigrams, second[5]]) expect(id >= 100 && id < 116).toBe(true)
  })

  it('gives the same pair the same id and tells order apart (most of the time)', () => {
    const pairs = Int32Array.from([1, 2, 1, 2, 2, 1])
    const out = addHashedBigrams(pairs, 3, 2, 0, 10, 1 << 20)
    expect(out[2]).toBe(out[5])
    expect(out[2]).not.toBe(out[8])
  })

  it('sizes the buckets from the vocabulary', () => {
    expect(bigramBuckets(8000)).toBe(32768)
    expect(bigramBuckets(100)).toBe(512)
  })
})
