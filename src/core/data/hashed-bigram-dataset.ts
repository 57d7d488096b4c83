import {UserError} from '../errors.js'
import {addHashedBigrams, bigramBuckets} from '../text/hashed-bigrams.js'
import type {Dataset, DataSplit} from './dataset.js'

/**
 * A text dataset with fastText's hashed bigrams after each text's tokens (train --ngrams 2): rows of
 * 2 * length - 1 ids, and `text.bigramBuckets` extra ids after the tokenizer's vocabulary.
 */
export function withHashedBigrams(dataset: Dataset, buckets?: number): Dataset {
  const text = dataset.text
  if (!text) throw new UserError('--ngrams 2 adds bigrams of tokens; it needs a text dataset')
  const size = buckets ?? bigramBuckets(text.vocabSize)
  const [length] = dataset.inputShape
  const split = (s: DataSplit): DataSplit => ({
    ...s,
    inputs: addHashedBigrams(s.inputs as Int32Array, s.count, length, text.padId, text.vocabSize, size),
  })
  return {
    ...dataset,
    inputShape: [2 * length - 1],
    train: split(dataset.train),
    ...(dataset.test && {test: split(dataset.test)}),
    text: {...text, bigramBuckets: size},
  }
}
