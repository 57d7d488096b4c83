import {availableParallelism} from 'node:os'
import {UserError} from '../errors.js'
import {sizeOf, type NamedTensor} from '../model/parameters.js'
import {resolveModel, type ResolvedModel} from '../model/resolve-model.js'
import {createOptimizer, type Optimizer} from '../optim/index.js'
import {
  checkLossConfig,
  checkUsable,
  defaultMetric,
  metricRule,
  metricValue,
  ParameterValues,
  updateMovingStatistics,
  type BatchInputs,
  type BatchTargets,
  type BatchResult,
  type MetricRule,
  type TrainingEngine,
  type TrainingEngineOptions,
} from '../training/index.js'
import {inferenceFeeds, inputTensor, targetTensor} from './batch-tensors.js'
import {DropoutNoise} from './dropout-noise.js'
import {INPUT_NAME} from './forward-pass.js'
import {buildEvaluationGraph} from './evaluation-graph.js'
import {buildInferenceModel, LOGITS_OUTPUT} from './inference-model.js'
import {OrtSession, tensor, type Tensor} from './ort-session.js'
import {TARGET_NAME} from './target-input.js'
import {buildTrainingGraph, LOSS_OUTPUT, METRIC_OUTPUT, type TrainingGraph} from './training-graph.js'

/**
 * Trains a model spec with ONNX Runtime: one graph computes loss, metric and every gradient; the
 * optimizer updates the weights in TypeScript. Calls must not overlap (await each one).
 */
export class Trainer implements TrainingEngine {
  private evaluationSession?: OrtSession
  private released = false

  private constructor(
    readonly model: ResolvedModel,
    readonly metric: MetricRule,
    private readonly options: TrainingEngineOptions,
    private readonly threads: number,
    private readonly graph: TrainingGraph,
    private readonly session: OrtSession,
    readonly optimizer: Optimizer,
    private readonly values: ParameterValues,
    private readonly parameterFeeds: Record<string, Tensor>,
    private readonly noise: DropoutNoise,
  ) {}

  static async create(options: TrainingEngineOptions): Promise<Trainer> {
    const {spec, loss, seed} = options
    if (!Number.isSafeInteger(seed)) throw new UserError(`seed must be an integer, got ${seed}`)
    const threads = options.threads ?? availableParallelism()
    if (!Number.isInteger(threads) || threads < 1)
      throw new UserError(`threads must be a positive integer, got ${threads}`)
    const model = resolveModel(spec)
    checkLossConfig(loss)
    const metric = metricRule(options.metric ?? defaultMetric(loss), loss, model.outputs)
    const graph = buildTrainingGraph(model, loss, metric)
    const optimizer = createOptimizer(
      options.optimizer,
      graph.trainable.map((p) => sizeOf(p.shape)),
    )
    const values = new ParameterValues(model, seed)
    const parameterFeeds: Record<string, Tensor> = {}
    for (const p of model.parameters) parameterFeeds[p.name] = tensor(values.get(p.name), p.shape)
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

  get description(): string {
    return `onnxruntime-node (CPU), ${this.threads} thread${this.threads === 1 ? '' : 's'}`
  }

  async step(x: BatchInputs, y: BatchTargets, n: number): Promise<BatchResult> {
    checkUsable('Trainer', this.released, n)
    const feeds: Record<string, Tensor> = {
      [INPUT_NAME]: inputTensor(this.model, x, 0, n),
      [TARGET_NAME]: targetTensor(this.graph.target, this.model.outputs, y, 0, n),
      ...this.noise.feeds(this.optimizer.stepCount, n),
    }
    for (const p of this.graph.trainable) feeds[p.name] = this.parameterFeeds[p.name]
    const outputs = await this.session.run(feeds)
    this.updateMovingStatistics(outputs, n)
    const params = this.graph.trainable.map((p) => this.values.get(p.name))
    this.optimizer.step(
      params,
      this.graph.gradientOutputs.map((name) => outputs[name]),
    )
    return {loss: outputs[LOSS_OUTPUT][0], metric: metricValue(this.metric, outputs[METRIC_OUTPUT][0], n)}
  }

  async evaluate(x: BatchInputs, y: BatchTargets, n: number, batchSize: number): Promise<BatchResult> {
    checkUsable('Trainer', this.released, n, batchSize)
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
    return {loss: lossSum / n, metric: metricValue(this.metric, metricSum, n)}
  }

  /** Runs the same inference model that export writes, built from the current weights. */
  async predict(x: BatchInputs, n: number, batchSize: number): Promise<Float32Array> {
    checkUsable('Trainer', this.released, n, batchSize)
    const session = await OrtSession.create(
      buildInferenceModel(this.model.spec, this.values.toNamedTensors(false), {probabilities: 'none'}),
      this.threads,
    )
    try {
      const logits = new Float32Array(n * this.model.outputs)
      for (let from = 0; from < n; from += batchSize) {
        const count = Math.min(batchSize, n - from)
        const outputs = await session.run(inferenceFeeds(this.model, x, from, count))
        logits.set(outputs[LOGITS_OUTPUT], from * this.model.outputs)
      }
      return logits
    } finally {
      await session.release()
    }
  }

  getWeights(): NamedTensor[] {
    return this.values.toNamedTensors()
  }

  setWeights(weights: NamedTensor[]): void {
    this.values.set(weights)
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
        mean: this.values.get(`${layer.name}/movingMean`),
        variance: this.values.get(`${layer.name}/movingVariance`),
      }
      updateMovingStatistics(layer, moving, {mean: outputs[mean], variance: outputs[variance]}, n)
    }
  }
}
