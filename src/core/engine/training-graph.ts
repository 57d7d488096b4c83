import type {ParameterInfo} from '../model/parameters.js'
import type {ResolvedLayer, ResolvedModel} from '../model/resolve-model.js'
import type {BatchNormSpec} from '../model/spec.js'
import {GraphBuilder} from '../onnx/graph-builder.js'
import {lossTarget, type LossConfig, type TargetKind} from '../training/loss-config.js'
import type {MetricRule} from '../training/metrics.js'
import {emitForwardPass} from './forward-pass.js'
import {lossRule} from './losses/index.js'
import {emitMetricSum} from './metric-sum.js'
import {emitTargetInput} from './target-input.js'

export const LOSS_OUTPUT = 'loss'
export const METRIC_OUTPUT = 'metric'

export interface TrainingGraph {
  bytes: Uint8Array
  target: TargetKind
  /** Graph inputs, in the order the optimizer sees them; gradientOutputs[i] belongs to trainable[i]. */
  trainable: ParameterInfo[]
  gradientOutputs: string[]
  /** Output names of each batch-norm layer's batch mean and biased variance. */
  batchStatistics: Array<{layer: ResolvedLayer<BatchNormSpec>; mean: string; variance: string}>
  /** Dropout noise inputs and their per-example shapes. */
  noiseInputs: Array<{name: string; shape: number[]}>
}

/**
 * One graph for a whole training step: forward, loss, metric sum and the backward pass, with one
 * gradient output per trainable parameter (the optimizer update runs in TypeScript).
 * Inputs: `input`, `target`, every trainable parameter by name, dropout noise.
 */
export function buildTrainingGraph(model: ResolvedModel, loss: LossConfig, metric: MetricRule): TrainingGraph {
  const g = new GraphBuilder('mlctl-training')
  const rule = lossRule(loss)
  // softmax cross-entropy takes logits, so a final softmax layer is fused into it
  const includeFinalSoftmax = loss.name !== 'softmaxCrossEntropy'
  const forward = emitForwardPass(g, model, 'training', {
    inputType: model.inputType,
    includeFinalSoftmax,
    parameterTensor: (p) => g.input(p.name, 'float32', p.shape),
  })
  const targetKind = lossTarget(loss)
  const target = emitTargetInput(g, targetKind, model.outputs)
  const {loss: lossValue, gradient} = rule.emit(g, forward.output, target, model.outputs)
  g.output(lossValue, LOSS_OUTPUT, 'float32', [])
  g.output(emitMetricSum(g, metric, forward.output, target), METRIC_OUTPUT, 'float32', [])

  // Backward from the top down to the lowest layer with parameters; nothing below it needs a gradient.
  const gradients = new Map<string, string>()
  const lowest = forward.layers.findIndex((l) => l.parameters.some((p) => p.trainable))
  // The output is last layer * std + mean with denormalize: the last layer's gradient is std times the output's.
  const denormalize = model.spec.denormalize
  let dy = denormalize ? g.node('Mul', [gradient(), g.scalar(denormalize.std)]) : gradient()
  for (let i = forward.layers.length - 1; i >= lowest; i--) {
    const layer = forward.layers[i]
    const result = forward.emissions[i].backward!(dy, i > lowest)
    for (const p of layer.parameters) {
      const grad = result.named?.[p.name] ?? result.params[p.role]
      if (grad) gradients.set(p.name, grad)
    }
    if (result.dx) dy = result.dx
  }

  const trainable = model.parameters.filter((p) => p.trainable)
  const gradientOutputs = trainable.map((p) => {
    const name = `${p.name}/gradient`
    g.output(gradients.get(p.name)!, name, 'float32', p.shape)
    return name
  })
  const batchStatistics: TrainingGraph['batchStatistics'] = []
  const noiseInputs: TrainingGraph['noiseInputs'] = []
  forward.emissions.forEach((emission, i) => {
    const layer = forward.layers[i]
    if (emission.batchStatistics) {
      const channels = [layer.inputShape[0]]
      const mean = `${layer.name}/batchMean`
      const variance = `${layer.name}/batchVariance`
      g.output(emission.batchStatistics.mean, mean, 'float32', channels)
      g.output(emission.batchStatistics.variance, variance, 'float32', channels)
      batchStatistics.push({layer: layer as ResolvedLayer<BatchNormSpec>, mean, variance})
    }
    if (emission.noiseInput) noiseInputs.push({name: emission.noiseInput, shape: layer.inputShape})
  })
  return {bytes: g.toBytes(), target: targetKind, trainable, gradientOutputs, batchStatistics, noiseInputs}
}
