import {
  averageStatistics,
  type AveragedStatistics,
  classStatistics,
  type ClassStatistics,
  emptyConfusionMatrix,
  mostConfusedPairs,
} from './confusion-matrix.js'

/**
 * What a classifier's output holds per example: one score per class, as logits (before softmax) or as
 * probabilities; or, for a binary model (binary cross-entropy), one logit or probability of class 1.
 */
export type ScoreKind = 'logits' | 'probabilities'

export interface ClassificationReport {
  task: 'classification'
  examples: number
  /** Mean cross-entropy of the label (no label smoothing, whatever training used). */
  loss: number
  accuracy: number
  topK: {k: number; accuracy: number}
  classes: Array<{name: string} & ClassStatistics>
  macro: AveragedStatistics
  weighted: AveragedStatistics
  classNames: string[]
  /** counts[actual][predicted], in classNames order. */
  confusionMatrix: number[][]
  mostConfused: Array<{actual: string; predicted: string; count: number; share: number}>
}

const MOST_CONFUSED_PAIRS = 5
/** Probabilities are clipped before the log so a confident mistake costs a large but finite loss (Keras' epsilon). */
const PROBABILITY_FLOOR = 1e-7

/** Takes batches of model outputs and labels; report() gives the metrics over everything added. */
export class ClassificationAccumulator {
  private readonly counts: number[][]
  private readonly k: number
  private examples = 0
  private lossSum = 0
  private topKHits = 0
  private readonly row: Float64Array

  /**
   * @param binary the model has one output for two classes (class 1's logit or probability)
   * @param topK the k of top-k accuracy; capped at the number of classes
   */
  constructor(
    private readonly classNames: string[],
    private readonly kind: ScoreKind,
    private readonly binary: boolean,
    topK: number,
  ) {
    this.counts = emptyConfusionMatrix(classNames.length)
    this.k = Math.min(topK, classNames.length)
    this.row = new Float64Array(classNames.length)
  }

  /** scores: count x (classes, or 1 when binary), row-major; labels: class indices. */
  add(scores: Float32Array, labels: ArrayLike<number>, count: number): void {
    const width = this.binary ? 1 : this.classNames.length
    for (let n = 0; n < count; n++) {
      const row = this.classScores(scores, n * width)
      const label = labels[n]
      let predicted = 0
      let higher = 0
      for (let c = 0; c < row.length; c++) {
        if (row[c] > row[predicted]) predicted = c
        if (row[c] > row[label]) higher++
      }
      this.counts[label][predicted]++
      if (higher < this.k) this.topKHits++
      this.lossSum += this.crossEntropy(row, label)
    }
    this.examples += count
  }

  report(): ClassificationReport {
    const stats = classStatistics(this.counts)
    const correct = this.counts.reduce((sum, row, c) => sum + row[c], 0)
    const name = (c: number) => this.classNames[c]
    return {
      task: 'classification',
      examples: this.examples,
      loss: this.lossSum / this.examples,
      accuracy: correct / this.examples,
      topK: {k: this.k, accuracy: this.topKHits / this.examples},
      classes: stats.map((s, c) => ({name: name(c), ...s})),
      ...averageStatistics(this.counts, stats),
      classNames: this.classNames,
      confusionMatrix: this.counts,
      mostConfused: mostConfusedPairs(this.counts, MOST_CONFUSED_PAIRS).map((p) => ({
        ...p,
        actual: name(p.actual),
        predicted: name(p.predicted),
      })),
    }
  }

  /** One example's scores for every class; a binary model's single score becomes two (logit 0 for class 0). */
  private classScores(scores: Float32Array, offset: number): Float64Array {
    const row = this.row
    if (this.binary) {
      const s = scores[offset]
      row[0] = this.kind === 'logits' ? 0 : 1 - s
      row[1] = s
    } else {
      for (let c = 0; c < row.length; c++) row[c] = scores[offset + c]
    }
    return row
  }

  private crossEntropy(row: Float64Array, label: number): number {
    if (this.kind === 'probabilities') return -Math.log(Math.max(row[label], PROBABILITY_FLOOR))
    // log-sum-exp with the maximum factored out, so large logits do not overflow
    let max = -Infinity
    for (const z of row) max = Math.max(max, z)
    let sumExp = 0
    for (const z of row) sumExp += Math.exp(z - max)
    return max + Math.log(sumExp) - row[label]
  }
}
