import {Random} from '../../src/core/model/random.js'
import type {Dataset, DataSplit} from '../../src/core/data/dataset.js'

/** The token that decides the class of the synthetic text data: class 1 exactly when it appears. */
export const MARKER_TOKEN = 7

/**
 * `count` sequences of token ids in [1, vocab) right-padded with 0 to `length`, each 2 to `length` tokens
 * long; half hold MARKER_TOKEN somewhere, and their label is 1, the others' 0.
 */
export function tokenSplit(count: number, length: number, vocab: number, seed: number): DataSplit {
  const random = new Random(seed)
  const inputs = new Int32Array(count * length)
  const targets = new Uint8Array(count)
  for (let n = 0; n < count; n++) {
    const tokens = 2 + Math.floor(random.next() * (length - 1))
    const row = inputs.subarray(n * length, n * length + tokens)
    for (let t = 0; t < tokens; t++) {
      let id = 1 + Math.floor(random.next() * (vocab - 1))
      if (id === MARKER_TOKEN) id = MARKER_TOKEN + 1
      row[t] = id
    }
    targets[n] = n % 2
    if (targets[n] === 1) row[Math.floor(random.next() * tokens)] = MARKER_TOKEN
  }
  return {inputs, targets, count}
}

export function tokenDataset(length = 16, vocab = 40): Dataset {
  return {
    name: 'marker-token',
    task: 'classification',
    inputShape: [length],
    classNames: ['absent', 'present'],
    train: tokenSplit(512, length, vocab, 1),
    test: tokenSplit(128, length, vocab, 2),
    text: {vocabSize: vocab, padId: 0, tokenizer: {}},
  }
}
