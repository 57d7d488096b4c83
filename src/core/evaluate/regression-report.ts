/** The regression losses a run can be trained with; evaluate reports the run's own as `loss`. */
export type RegressionLoss = {name: 'mse'} | {name: 'mae'} | {name: 'huber'; delta?: number}

export interface RegressionReport {
  task: 'regression'
  examples: number
  /** Values per example. The error metrics average over every value. */
  outputs: number
  loss: {name: RegressionLoss['name']; value: number}
  mse: number
  rmse: number
  mae: number
  /** Coefficient of determination per output, averaged over outputs (scikit-learn's uniform average). */
  r2: number
}

/** Takes batches of predictions and targets; report() gives the metrics over everything added. */
export class RegressionAccumulator {
  private examples = 0
  private squaredErrorSum = 0
  private absoluteErrorSum = 0
  private lossSum = 0
  /** Per output: residual sum of squares, and the targets' running mean and sum of squared deviations (Welford). */
  private readonly residualSquares: Float64Array
  private readonly targetMean: Float64Array
  private readonly targetDeviationSquares: Float64Array

  constructor(
    private readonly outputs: number,
    private readonly loss: RegressionLoss = {name: 'mse'},
  ) {
    this.residualSquares = new Float64Array(outputs)
    this.targetMean = new Float64Array(outputs)
    this.targetDeviationSquares = new Float64Array(outputs)
  }

  /** predictions and targets: count x outputs, row-major. */
  add(predictions: Float32Array, targets: ArrayLike<number>, count: number): void {
    const delta = this.loss.name === 'huber' ? (this.loss.delta ?? 1) : 0
    for (let n = 0; n < count; n++) {
      const seen = this.examples + n + 1
      for (let o = 0; o < this.outputs; o++) {
        const i = n * this.outputs + o
        const y = targets[i]
        const error = predictions[i] - y
        const absolute = Math.abs(error)
        this.squaredErrorSum += error * error
        this.absoluteErrorSum += absolute
        this.residualSquares[o] += error * error
        if (this.loss.name === 'huber')
          this.lossSum += absolute <= delta ? 0.5 * error * error : delta * (absolute - 0.5 * delta)
        const fromMean = y - this.targetMean[o]
        this.targetMean[o] += fromMean / seen
        this.targetDeviationSquares[o] += fromMean * (y - this.targetMean[o])
      }
    }
    this.examples += count
  }

  report(): RegressionReport {
    const values = this.examples * this.outputs
    const mse = this.squaredErrorSum / values
    const mae = this.absoluteErrorSum / values
    let r2Sum = 0
    for (let o = 0; o < this.outputs; o++) {
      const total = this.targetDeviationSquares[o]
      // Constant targets: scikit-learn's convention, 1 for a perfect fit, else 0.
      r2Sum += total === 0 ? (this.residualSquares[o] === 0 ? 1 : 0) : 1 - this.residualSquares[o] / total
    }
    const loss = this.loss.name === 'mse' ? mse : this.loss.name === 'mae' ? mae : this.lossSum / values
    return {
      task: 'regression',
      examples: this.examples,
      outputs: this.outputs,
      loss: {name: this.loss.name, value: loss},
      mse,
      rmse: Math.sqrt(mse),
      mae,
      r2: r2Sum / this.outputs,
    }
  }
}
