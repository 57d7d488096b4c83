import {availableParallelism} from 'node:os'
import {UserError} from '../errors.js'
import {checkWeights} from '../model/check-weights.js'
import {initialWeights} from '../model/initialisers.js'
import {sizeOf, type NamedTensor} from '../model/parameters.js'
import {resolveModel, type ResolvedModel} from '../model/resolve-model.js'
import type {ModelSpec} from '../model/spec.js'
import {createOptimizer, type Optimizer, type OptimizerConfig} from '../optim/index.js'
import {inputTensor, targetTensor, type BatchInputs, type BatchTargets} from './batch-tensors.js'
import {DropoutNoise} from './dropout-noise.js'
import {INPUT_NAME} from './forward-pass.js'
import {buildEvaluationGraph} from './evaluation-graph.js'
import {buildInferenceModel, LOGITS_OUTPUT} from './inference-model.js'
import type {LossConfig} from './losses/index.js'
import {defaultMetric, metricRule, type MetricName, type MetricRule} from './metrics.js'
import {updateMovingStatistics} from './moving-statistics.js'
import {OrtSession, tensor, type Tensor} from './ort-session.js'
import {TARGET_NAME} from './target-input.js'
import {buildTrainingGraph, LOSS_OUTPUT, METRIC_OUTPUT, type TrainingGraph} from './training-graph.js'

export interface TrainerOptions {
  spec: ModelSpec
  loss: LossConfig
  optimizer: OptimizerConfig
  /** Seeds the initial weights and the dropout masks. */
  seed: number
  /** ONNX Runtime intra-op threads; default: all cores. Same seed and threads give identical weights. */
  threads?: number
  /** Default: accuracy for classification losses, mae for regression losses. */
  metric?: MetricName
}

export interface LossAndMetric {
  loss: number
  metric: number
}

/**
 * Trains a model spec with ONNX Runtime: one graph computes loss, metric and every gradient; the
 * optimizer updates the weights in TypeScript. Calls must not overlap (await each one).
 */
export class Trainer {
  private evaluationSession?: OrtSession
  private released = false

  private constructor(
    readonly model: ResolvedModel,
    readonly metric: MetricRule,
    private readonly options: TrainerOptions,
    private readonly threads: number,
    private readonly graph: TrainingGraph,
    private readonly session: OrtSession,
    readonly optimizer: Optimizer,
    /** Every parameter's values by name, updated in place so the tensors below stay valid. */
    private readonly values: Map<string, Float32Array>,
    private readonly parameterFeeds: Record<string, Tensor>,
    private readonly noise: DropoutNoise,
  ) {}

  static async create(options: TrainerOptions): Promise<Trainer> {
    const {spec, loss, seed} = options
    if (!Number.isSafeInteger(seed)) throw new UserError(`seed must be an integer, got ${seed}`)
    const threads = options.threads ?? availableParallelism()
    if (!Number.isInteger(threads) || threads < 1)
      throw new UserError(`threads must be a positive integer, got ${threads}`)
    const model = resolveModel(spec)
    const metric = metricRule(options.metric ?? defaultMetric(loss), loss, model.outputs)
    const graph = buildTrainingGraph(model, loss, metric)
    const optimizer = createOptimizer(
      options.optimizer,
      graph.trainable.map((p) => sizeOf(p.shape)),
    )
    const values = new Map(initialWeights(model, seed).map((w) => [w.name, w.data]))
    const parameterFeeds: Record<string, Tensor> = {}
    for (const p of model.parameters) parameterFeeds[p.name] = tensor(values.get(p.name)!, p.shape)
    const session = await OrtSession.create(graph.bytes, threads)
    return new Trainer(
      model,
      metric,
      options,
      threads,
      graph,
      session,
      optimizer,
      values,
      parameterFeeds,
      new DropoutNoise(seed, graph.noiseInputs),
    )
  }

  /** One optimizer step on n examples; returns the batch's loss and metric before the update. */
  async step(x: BatchInputs, y: BatchTargets, n: number): Promise<LossAndMetric> {
    this.checkUsable(n)
    const feeds: Record<string, Tensor> = {
      [INPUT_NAME]: inputTensor(this.model, x, 0, n),
      [TARGET_NAME]: targetTensor(this.graph.target, this.model.outputs, y, 0, n),
      ...this.noise.feeds(this.optimizer.stepCount, n),
    }
    for (const p of this.graph.trainable) feeds[p.name] = this.parameterFeeds[p.name]
    const outputs = await this.session.run(feeds)
    this.updateMovingStatistics(outputs, n)
    const params = this.graph.trainable.map((p) => this.values.get(p.name)!)
    this.optimizer.step(
      params,
      this.graph.gradientOutputs.map((name) => outputs[name]),
    )
    return {loss: outputs[LOSS_OUTPUT][0], metric: this.finishMetric(outputs[METRIC_OUTPUT][0], n)}
  }

  /** Mean loss and metric over n examples in inference mode, in batches of batchSize. */
  async evaluate(x: BatchInputs, y: BatchTargets, n: number, batchSize: number): Promise<LossAndMetric> {
    this.checkUsable(n, batchSize)
    this.evaluationSession ??= await OrtSession.create(
      buildEvaluationGraph(this.model, this.options.loss, this.metric),
      this.threads,
    )
    let lossSum = 0
    let metricSum = 0
    for (let from = 0; from < n; from += batchSize) {
      const count = Math.min(batchSize, n - from)
      const outputs = await this.evaluationSession.run({
        [INPUT_NAME]: inputTensor(this.model, x, from, count),
        [TARGET_NAME]: targetTensor(this.graph.target, this.model.outputs, y, from, count),
        ...this.parameterFeeds,
      })
      lossSum += outputs[LOSS_OUTPUT][0] * count
      metricSum += outputs[METRIC_OUTPUT][0]
    }
    return {loss: lossSum / n, metric: this.finishMetric(metricSum, n)}
  }

  /**
   * The logits (network output before a final softmax) for n examples, [n * outputs]. Runs the same
   * inference model that export writes, built from the current weights.
   */
  async predict(x: BatchInputs, n: number, batchSize: number): Promise<Float32Array> {
    this.checkUsable(n, batchSize)
    const session = await OrtSession.create(
      buildInferenceModel(this.model.spec, this.namedTensors(false), {probabilities: 'none'}),
      this.threads,
    )
    try {
      const logits = new Float32Array(n * this.model.outputs)
      for (let from = 0; from < n; from += batchSize) {
        const count = Math.min(batchSize, n - from)
        const outputs = await session.run({[INPUT_NAME]: inputTensor(this.model, x, from, count)})
        logits.set(outputs[LOGITS_OUTPUT], from * this.model.outputs)
      }
      return logits
    } finally {
      await session.release()
    }
  }

  /** Copies of every parameter tensor (trainable and moving statistics), in model.parameters order. */
  getWeights(): NamedTensor[] {
    return this.namedTensors(true)
  }

  /** Replaces every parameter tensor; names and shapes must be exactly the model's. */
  setWeights(weights: NamedTensor[]): void {
    const byName = checkWeights(this.model.parameters, weights)
    for (const p of this.model.parameters) this.values.get(p.name)!.set(byName.get(p.name)!.data)
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    await this.session.release()
    await this.evaluationSession?.release()
  }

  private updateMovingStatistics(outputs: Record<string, Float32Array>, n: number): void {
    for (const {layer, mean, variance} of this.graph.batchStatistics) {
      const moving = {
        mean: this.values.get(`${layer.name}/movingMean`)!,
        variance: this.values.get(`${layer.name}/movingVariance`)!,
      }
      updateMovingStatistics(layer, moving, {mean: outputs[mean], variance: outputs[variance]}, n)
    }
  }

  private finishMetric(sum: number, n: number): number {
    return this.metric.finish(sum / (n * this.metric.termsPerExample))
  }

  private namedTensors(copy: boolean): NamedTensor[] {
    return this.model.parameters.map((p) => {
      const data = this.values.get(p.name)!
      return {name: p.name, shape: [...p.shape], data: copy ? data.slice() : data}
    })
  }

  private checkUsable(n: number, batchSize = 1): void {
    if (this.released) throw new Error('Trainer used after release()')
    if (!Number.isInteger(n) || n < 1)
      throw new UserError(`the number of examples must be a positive integer, got ${n}`)
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new UserError(`batch size must be a positive integer, got ${batchSize}`)
  }
}
