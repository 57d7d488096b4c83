/**
 * A confusion matrix is counts[actual][predicted]; everything per class is read off it. Conventions are
 * scikit-learn's: a class never predicted has precision 0, and the averages run over the classes that
 * occur as a label or as a prediction (a class absent from both says nothing about the model).
 */

export interface ClassStatistics {
  precision: number
  recall: number
  f1: number
  /** Examples whose label is this class. */
  support: number
}

export interface AveragedStatistics {
  precision: number
  recall: number
  f1: number
}

export interface ConfusedPair {
  actual: number
  predicted: number
  count: number
  /** count / the actual class's support: how much of that class goes astray this way. */
  share: number
}

export function emptyConfusionMatrix(classes: number): number[][] {
  return Array.from({length: classes}, () => new Array<number>(classes).fill(0))
}

export function classStatistics(counts: number[][]): ClassStatistics[] {
  return counts.map((row, c) => {
    const truePositives = row[c]
    const support = sum(row)
    const predicted = sum(counts.map((r) => r[c]))
    const precision = predicted === 0 ? 0 : truePositives / predicted
    const recall = support === 0 ? 0 : truePositives / support
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    return {precision, recall, f1, support}
  })
}

/** Macro: the plain mean over classes; weighted: the mean weighted by support. */
export function averageStatistics(
  counts: number[][],
  stats: ClassStatistics[],
): {macro: AveragedStatistics; weighted: AveragedStatistics} {
  const present = stats.filter((s, c) => s.support > 0 || counts.some((row) => row[c] > 0))
  const total = sum(stats.map((s) => s.support))
  const mean = (key: keyof AveragedStatistics) =>
    present.length === 0 ? 0 : sum(present.map((s) => s[key])) / present.length
  const weighted = (key: keyof AveragedStatistics) =>
    total === 0 ? 0 : sum(stats.map((s) => s[key] * s.support)) / total
  return {
    macro: {precision: mean('precision'), recall: mean('recall'), f1: mean('f1')},
    weighted: {precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1')},
  }
}

/** The off-diagonal cells with the most examples, largest first (ties: by actual, then predicted class). */
export function mostConfusedPairs(counts: number[][], limit: number): ConfusedPair[] {
  const pairs: ConfusedPair[] = []
  counts.forEach((row, actual) => {
    const support = sum(row)
    row.forEach((count, predicted) => {
      if (predicted !== actual && count > 0) pairs.push({actual, predicted, count, share: count / support})
    })
  })
  pairs.sort((a, b) => b.count - a.count || a.actual - b.actual || a.predicted - b.predicted)
  return pairs.slice(0, limit)
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0)
}
