import {describe, expect, it} from 'vitest'

import {ClassificationAccumulator} from '../../src/core/evaluate/classification-report.js'
import {averageStatistics, classStatistics, mostConfusedPairs} from '../../src/core/evaluate/confusion-matrix.js'

/**
 * Eight examples of three classes, worked out by hand:
 *   actual a: predicted a, b, c      confusion matrix  a  b  c
 *   actual b: predicted b, b, a                     a  1  1  1
 *   actual c: predicted c, b                        b  1  2  0
 *                                                   c  0  1  1
 * precision a 1/2, b 2/4, c 1/2; recall a 1/3, b 2/3, c 1/2; F1 a 0.4, b 4/7, c 0.5.
 */
const LOGITS = [
  [2, 1, 0],
  [0, 3, 1],
  [1, 0, 2],
  [0, 2, 1],
  [0, 1, 0],
  [3, 0, 0],
  [0, 0, 5],
  [0, 4, 1],
]
const LABELS = [0, 0, 0, 1, 1, 1, 2, 2]
const MATRIX = [
  [1, 1, 1],
  [1, 2, 0],
  [0, 1, 1],
]
/** mean of log(sum(exp(z))) - z[label] over the rows above */
const CROSS_ENTROPY = 1.5147876735901646

function accumulate(
  kind: 'logits' | 'probabilities',
  rows: number[][],
  batches: number[],
): ReturnType<ClassificationAccumulator['report']> {
  const acc = new ClassificationAccumulator(['a', 'b', 'c'], kind, false, 2)
  let from = 0
  for (const size of batches) {
    acc.add(Float32Array.from(rows.slice(from, from + size).flat()), LABELS.slice(from, from + size), size)
    from += size
  }
  return acc.report()
}

describe('confusion matrix statistics', () => {
  it('match the hand-computed precision, recall, F1, support and averages', () => {
    const stats = classStatistics(MATRIX)
    expect(stats.map((s) => s.support)).toEqual([3, 3, 2])
    expect(stats.map((s) => s.precision)).toEqual([0.5, 0.5, 0.5])
    expect(stats[0].recall).toBeCloseTo(1 / 3, 12)
    expect(stats[1].recall).toBeCloseTo(2 / 3, 12)
    expect(stats[2].recall).toBe(0.5)
    expect(stats[0].f1).toBeCloseTo(0.4, 12)
    expect(stats[1].f1).toBeCloseTo(4 / 7, 12)
    expect(stats[2].f1).toBeCloseTo(0.5, 12)

    const {macro, weighted} = averageStatistics(MATRIX, stats)
    expect(macro.precision).toBeCloseTo(0.5, 12)
    expect(macro.recall).toBeCloseTo(0.5, 12)
    expect(macro.f1).toBeCloseTo((0.4 + 4 / 7 + 0.5) / 3, 12)
    expect(weighted.recall).toBeCloseTo(0.5, 12) // equals accuracy, as it always does
    expect(weighted.f1).toBeCloseTo((3 * 0.4 + 3 * (4 / 7) + 2 * 0.5) / 8, 12)
  })

  it('score a class never predicted as precision 0 and leave a class absent everywhere out of the macro average', () => {
    const matrix = [
      [2, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]
    const stats = classStatistics(matrix)
    expect(stats[1]).toEqual({precision: 0, recall: 0, f1: 0, support: 1})
    expect(stats[0].precision).toBeCloseTo(2 / 3, 12)
    const {macro} = averageStatistics(matrix, stats)
    expect(macro.recall).toBeCloseTo((1 + 0) / 2, 12)
  })

  it('list the most confused pairs, largest first, ties by actual then predicted class', () => {
    expect(
      mostConfusedPairs(
        [
          [5, 3, 0],
          [0, 4, 3],
          [1, 0, 2],
        ],
        2,
      ),
    ).toEqual([
      {actual: 0, predicted: 1, count: 3, share: 3 / 8},
      {actual: 1, predicted: 2, count: 3, share: 3 / 7},
    ])
    expect(
      mostConfusedPairs(
        [
          [1, 0],
          [0, 1],
        ],
        5,
      ),
    ).toEqual([])
  })
})

describe('ClassificationAccumulator', () => {
  it('turns logits into the hand-computed matrix, accuracy, top-2 accuracy and cross-entropy', () => {
    const report = accumulate('logits', LOGITS, [8])
    expect(report.confusionMatrix).toEqual(MATRIX)
    expect(report.accuracy).toBe(0.5)
    // only example 2 (label a, scores 0 < 3 and 1) misses the top 2; ties do not push the label down
    expect(report.topK).toEqual({k: 2, accuracy: 7 / 8})
    expect(report.loss).toBeCloseTo(CROSS_ENTROPY, 12)
    expect(report.classes.map((c) => c.name)).toEqual(['a', 'b', 'c'])
    expect(report.mostConfused[0]).toEqual({actual: 'a', predicted: 'b', count: 1, share: 1 / 3})
    expect(report.mostConfused.at(-1)).toEqual({actual: 'c', predicted: 'b', count: 1, share: 1 / 2})
  })

  it('gives the same report however the examples are batched', () => {
    expect(accumulate('logits', LOGITS, [3, 1, 4])).toEqual(accumulate('logits', LOGITS, [8]))
  })

  it('reads probabilities as well as logits', () => {
    const softmax = LOGITS.map((z) => {
      const e = z.map(Math.exp)
      const sum = e.reduce((a, b) => a + b)
      return e.map((v) => v / sum)
    })
    const report = accumulate('probabilities', softmax, [8])
    expect(report.confusionMatrix).toEqual(MATRIX)
    expect(report.loss).toBeCloseTo(CROSS_ENTROPY, 6)
  })

  it('scores a binary model (one logit of class 1) like binary cross-entropy', () => {
    const acc = new ClassificationAccumulator(['no', 'yes'], 'logits', true, 5)
    acc.add(Float32Array.from([2, -1, 0.5, -3]), [1, 1, 0, 0], 4)
    const report = acc.report()
    expect(report.confusionMatrix).toEqual([
      [1, 1],
      [1, 1],
    ])
    // mean of log(1 + exp(-z)) for label 1 and log(1 + exp(z)) for label 0
    expect(report.loss).toBeCloseTo(0.6157135085787611, 6)
    expect(report.topK).toEqual({k: 2, accuracy: 1})
  })
})
