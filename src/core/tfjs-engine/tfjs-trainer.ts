import type {Tensor, Tensor2D} from '@tensorflow/tfjs'
import {UserError} from '../errors.js'
import {sizeOf, type NamedTensor, type ParameterInfo, type ParameterRole} from '../model/parameters.js'
import {resolveModel, type ResolvedLayer, type ResolvedModel} from '../model/resolve-model.js'
import type {BatchNormSpec} from '../model/spec.js'
import {createOptimizer, type Optimizer} from '../optim/index.js'
import {convertParameter} from '../tfjs-format/layers-model.js'
import {
  checkLossConfig,
  checkUsable,
  defaultMetric,
  inputBatch,
  lossTarget,
  metricRule,
  metricValue,
  ParameterValues,
  targetBatch,
  updateMovingStatistics,
  type BatchInputs,
  type BatchResult,
  type BatchTargets,
  type MetricRule,
  type TrainingEngine,
  type TrainingEngineOptions,
} from '../training/index.js'
import {dropoutScales} from './dropout-scales.js'
import {forwardPass, type ForwardPass} from './forward-pass.js'
import {inputValues} from './input-values.js'
import {loadTfjs, type LoadedTfjs} from './load-tfjs.js'
import {lossValue, targetValues} from './losses.js'
import {metricSum} from './metric-sum.js'

/** A batch-norm layer's batch mean and biased variance, per channel (or feature, in engine order). */
interface BatchStatistics {
  layer: ResolvedLayer<BatchNormSpec>
  mean: Float32Array
  variance: Float32Array
}

/**
 * Trains a model spec with TensorFlow.js: the forward pass in TF.js ops, every gradient from TF.js's
 * autodiff, and the update by the same TypeScript optimizer as the ONNX Runtime engine. Weights, gradients
 * and optimizer state stay in engine layout (NCHW/OIHW) between steps, so checkpoints and getWeights are
 * those of the ONNX Runtime engine and either engine continues the other's run; each step converts the
 * trainable tensors to TF.js layout and the gradients back (O(parameters), small next to the convs).
 * Calls must not overlap (await each one). `threads` does not apply: pure JavaScript runs on one thread.
 */
export class TfjsTrainer implements TrainingEngine {
  private released = false

  private constructor(
    private readonly tfjs: LoadedTfjs,
    readonly model: ResolvedModel,
    readonly metric: MetricRule,
    private readonly options: TrainingEngineOptions,
    private readonly trainable: ParameterInfo[],
    readonly optimizer: Optimizer,
    private readonly values: ParameterValues,
  ) {}

  /** `onWarning` hears, once per process, that no native backend loaded and training runs in pure JavaScript. */
  static async create(options: TrainingEngineOptions): Promise<TfjsTrainer> {
    const {spec, loss, seed} = options
    if (!Number.isSafeInteger(seed)) throw new UserError(`seed must be an integer, got ${seed}`)
    const model = resolveModel(spec)
    checkLossConfig(loss)
    const metric = metricRule(options.metric ?? defaultMetric(loss), loss, model.outputs)
    const trainable = model.parameters.filter((p) => p.trainable)
    const optimizer = createOptimizer(
      options.optimizer,
      trainable.map((p) => sizeOf(p.shape)),
    )
    const values = new ParameterValues(model, seed)
    const tfjs = await loadTfjs(options.onWarning)
    return new TfjsTrainer(tfjs, model, metric, options, trainable, optimizer, values)
  }

  get description(): string {
    return this.tfjs.description
  }

  async step(x: BatchInputs, y: BatchTargets, n: number): Promise<BatchResult> {
    const {loss, metric, gradients, batchStatistics} = await this.backward(x, y, n)
    for (const {layer, mean, variance} of batchStatistics) {
      const moving = {
        mean: this.values.get(parameterOf(layer, 'movingMean').name),
        variance: this.values.get(parameterOf(layer, 'movingVariance').name),
      }
      updateMovingStatistics(layer, moving, {mean, variance}, n)
    }
    this.optimizer.step(
      this.trainable.map((p) => this.values.get(p.name)),
      gradients.map((g) => g.data),
    )
    return {loss, metric}
  }

  /**
   * The batch's loss and metric and the gradient of every trainable tensor (engine layout, the order of
   * the optimizer) at the current weights, without changing anything: what step() applies, and what the
   * cross-engine tests compare with the ONNX Runtime engine's gradients.
   */
  async gradients(x: BatchInputs, y: BatchTargets, n: number): Promise<BatchResult & {gradients: NamedTensor[]}> {
    const {loss, metric, gradients} = await this.backward(x, y, n)
    return {loss, metric, gradients}
  }

  /** Forward and backward pass of a training step; gradients and batch statistics in engine order. */
  private async backward(
    x: BatchInputs,
    y: BatchTargets,
    n: number,
  ): Promise<BatchResult & {gradients: NamedTensor[]; batchStatistics: BatchStatistics[]}> {
    checkUsable('TfjsTrainer', this.released, n)
    const {tf} = this.tfjs
    const {values, targets} = this.batchTargets(y, 0, n)
    const input = tf.tensor(this.batchInputs(x, 0, n), [n, ...this.tfjsShape()])
    const target = tf.tensor2d(values, [n, this.model.outputs])
    const scales = new Map(
      [...dropoutScales(this.model, this.options.seed, this.optimizer.stepCount, n)].map(([i, s]) => [
        i,
        tf.tensor(s, [n, ...this.tfjsShape(i)]),
      ]),
    )
    const parameters = this.trainable.map((p) => this.parameterTensor(p))
    const made: Tensor[] = [input, target, ...scales.values(), ...parameters]
    try {
      let forward: ForwardPass | undefined
      const {value, grads} = tf.valueAndGrads((...tensors: Tensor[]) => {
        const byName = new Map(this.trainable.map((p, i) => [p.name, tensors[i]]))
        const pass = forwardPass(tf, this.model, (p) => byName.get(p.name)!, input, {
          training: true,
          includeFinalSoftmax: this.options.loss.name !== 'softmaxCrossEntropy',
          dropoutScales: scales,
          pureJavaScript: !this.tfjs.native,
        })
        // kept: valueAndGrads disposes what its function made, and these are read below
        forward = {
          output: tf.keep(pass.output),
          batchStatistics: pass.batchStatistics.map((s) => ({
            layer: s.layer,
            mean: tf.keep(s.mean),
            variance: tf.keep(s.variance),
          })),
        }
        return lossValue(tf, this.options.loss, pass.output, target)
      })(parameters)
      const {output, batchStatistics} = forward!
      made.push(value, ...grads, output, ...batchStatistics.flatMap((s) => [s.mean, s.variance]))
      const engineOrder = async (p: ParameterInfo, t: Tensor) =>
        convertParameter(this.model, p, (await t.data()) as Float32Array, 'fromTfjs').data
      return {
        loss: (await value.data())[0],
        metric: metricValue(
          this.metric,
          metricSum(this.metric, (await output.data()) as Float32Array, targets, n, this.model.outputs),
          n,
        ),
        gradients: await Promise.all(
          this.trainable.map(async (p, i) => ({
            name: p.name,
            shape: [...p.shape],
            data: await engineOrder(p, grads[i]),
          })),
        ),
        batchStatistics: await Promise.all(
          batchStatistics.map(async ({layer, mean, variance}) => ({
            layer,
            mean: await engineOrder(parameterOf(layer, 'movingMean'), mean),
            variance: await engineOrder(parameterOf(layer, 'movingVariance'), variance),
          })),
        ),
      }
    } finally {
      tf.dispose(made)
    }
  }

  async evaluate(x: BatchInputs, y: BatchTargets, n: number, batchSize: number): Promise<BatchResult> {
    checkUsable('TfjsTrainer', this.released, n, batchSize)
    let lossSum = 0
    let metricSumTotal = 0
    await this.inBatches(
      x,
      n,
      batchSize,
      this.options.loss.name !== 'softmaxCrossEntropy',
      async (output, from, count) => {
        const {tf} = this.tfjs
        const {values, targets} = this.batchTargets(y, from, count)
        const loss = tf.tidy(() =>
          lossValue(tf, this.options.loss, output, tf.tensor2d(values, [count, this.model.outputs])),
        )
        lossSum += (await loss.data())[0] * count
        loss.dispose()
        metricSumTotal += metricSum(
          this.metric,
          (await output.data()) as Float32Array,
          targets,
          count,
          this.model.outputs,
        )
      },
    )
    return {loss: lossSum / n, metric: metricValue(this.metric, metricSumTotal, n)}
  }

  async predict(x: BatchInputs, n: number, batchSize: number): Promise<Float32Array> {
    checkUsable('TfjsTrainer', this.released, n, batchSize)
    const logits = new Float32Array(n * this.model.outputs)
    await this.inBatches(x, n, batchSize, false, async (output, from) =>
      logits.set(await output.data(), from * this.model.outputs),
    )
    return logits
  }

  getWeights(): NamedTensor[] {
    return this.values.toNamedTensors()
  }

  setWeights(weights: NamedTensor[]): void {
    this.values.set(weights)
  }

  release(): void {
    this.released = true
  }

  /** Runs the inference-mode forward pass over n examples in batches, handing each batch's output to `use`. */
  private async inBatches(
    x: BatchInputs,
    n: number,
    batchSize: number,
    includeFinalSoftmax: boolean,
    use: (output: Tensor2D, from: number, count: number) => Promise<void>,
  ): Promise<void> {
    const {tf} = this.tfjs
    const parameters = new Map(this.model.parameters.map((p) => [p.name, this.parameterTensor(p)]))
    try {
      for (let from = 0; from < n; from += batchSize) {
        const count = Math.min(batchSize, n - from)
        const output = tf.tidy(() => {
          const options = {training: false, includeFinalSoftmax, pureJavaScript: false}
          const input = tf.tensor(this.batchInputs(x, from, count), [count, ...this.tfjsShape()])
          return forwardPass(tf, this.model, (p) => parameters.get(p.name)!, input, options).output
        })
        try {
          await use(output, from, count)
        } finally {
          output.dispose()
        }
      }
    } finally {
      tf.dispose([...parameters.values()])
    }
  }

  /** Examples [from, from + count) as the forward pass takes them. */
  private batchInputs(x: BatchInputs, from: number, count: number): Float32Array | Int32Array {
    return inputValues(this.model, inputBatch(this.model, x, from, count), count)
  }

  /**
   * The targets of examples [from, from + count) as given (for the metric) and as the loss's [count, outputs]
   * values.
   */
  private batchTargets(y: BatchTargets, from: number, count: number): {values: Float32Array; targets: BatchTargets} {
    const targets = targetBatch(lossTarget(this.options.loss), this.model.outputs, y, from, count)
    return {values: targetValues(this.options.loss, targets, count, this.model.outputs), targets}
  }

  /** A parameter's current values as a TF.js tensor in TF.js layout; disposed before the values change. */
  private parameterTensor(p: ParameterInfo): Tensor {
    const {data, shape} = convertParameter(this.model, p, this.values.get(p.name), 'toTfjs')
    return this.tfjs.tf.tensor(data, shape)
  }

  /** Per-example shape in NHWC of the input of layer `index`, or of the model input. */
  private tfjsShape(index?: number): number[] {
    const shape = index === undefined ? this.model.inputShape : this.model.layers[index].inputShape
    return shape.length === 3 ? [shape[1], shape[2], shape[0]] : shape
  }
}

function parameterOf(layer: ResolvedLayer, role: ParameterRole): ParameterInfo {
  return layer.parameters.find((p) => p.role === role)!
}
