/**
 * fastText's bigram features for the bag model: every pair of neighbouring tokens gets an id among `buckets`
 * extra embedding rows after the tokenizer's vocabulary, by a hash of the two ids (collisions share a row, as
 * in fastText). Computed where the ids are made, so that the engines and the exported model see plain ids.
 */

/** Extra embedding rows for hashed bigrams: the power of two at or above 4 x the vocabulary (32,768 for 8,000). */
export function bigramBuckets(vocabSize: number): number {
  return 2 ** Math.ceil(Math.log2(4 * vocabSize))
}

/**
 * `count` rows of `length` token ids right-padded with padId → rows of 2 * length - 1: the tokens, then the
 * bigram id of each neighbouring pair of tokens (vocabSize + hash mod buckets), padded with padId.
 */
export function addHashedBigrams(
  ids: Int32Array,
  count: number,
  length: number,
  padId: number,
  vocabSize: number,
  buckets: number,
): Int32Array {
  const width = 2 * length - 1
  const out = new Int32Array(count * width).fill(padId)
  for (let n = 0; n < count; n++) {
    const row = ids.subarray(n * length, (n + 1) * length)
    const target = n * width
    out.set(row, target)
    let next = target + length
    for (let t = 0; t + 1 < length; t++) {
      if (row[t] === padId || row[t + 1] === padId) continue
      out[next++] = vocabSize + (bigramHash(row[t], row[t + 1]) % buckets)
    }
  }
  return out
}

/** A 32-bit mix of two ids (murmur3's finalizer over a multiplicative combination), unsigned. */
function bigramHash(first: number, second: number): number {
  let h = Math.imul(first, 0x9e3779b1) ^ second
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
