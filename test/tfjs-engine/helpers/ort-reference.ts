import {inputTensor, targetTensor} from '../../../src/core/engine/batch-tensors.js'
import {DropoutNoise} from '../../../src/core/engine/dropout-noise.js'
import {OrtSession, tensor, type Tensor} from '../../../src/core/engine/ort-session.js'
import {buildTrainingGraph, LOSS_OUTPUT, METRIC_OUTPUT} from '../../../src/core/engine/training-graph.js'
import type {NamedTensor} from '../../../src/core/model/parameters.js'
import {resolveModel} from '../../../src/core/model/resolve-model.js'
import type {ModelSpec} from '../../../src/core/model/spec.js'
import {
  defaultMetric,
  metricRule,
  type BatchInputs,
  type BatchTargets,
  type LossConfig,
} from '../../../src/core/training/index.js'

export interface OrtStepOutputs {
  loss: number
  /** The metric's sum over the batch, as the graph outputs it. */
  metricSum: number
  gradients: NamedTensor[]
}

/**
 * One run of the ONNX Runtime engine's training graph (what Trainer.step runs before its optimizer
 * update) at the given weights: loss, metric sum and every trainable tensor's gradient. Dropout noise is
 * that of training step `step` with `seed`, as the Trainer feeds it.
 */
export async function ortGradients(
  spec: ModelSpec,
  loss: LossConfig,
  weights: NamedTensor[],
  x: BatchInputs,
  y: BatchTargets,
  n: number,
  seed: number,
  step: number,
): Promise<OrtStepOutputs> {
  const model = resolveModel(spec)
  const graph = buildTrainingGraph(model, loss, metricRule(defaultMetric(loss), loss, model.outputs))
  const byName = new Map(weights.map((w) => [w.name, w]))
  const feeds: Record<string, Tensor> = {
    input: inputTensor(model, x, 0, n),
    target: targetTensor(graph.target, model.outputs, y, 0, n),
    ...new DropoutNoise(seed, graph.noiseInputs).feeds(step, n),
  }
  for (const p of graph.trainable) feeds[p.name] = tensor(byName.get(p.name)!.data, p.shape)
  const session = await OrtSession.create(graph.bytes, 1)
  try {
    const outputs = await session.run(feeds)
    return {
      loss: outputs[LOSS_OUTPUT][0],
      metricSum: outputs[METRIC_OUTPUT][0],
      gradients: graph.trainable.map((p, i) => ({
        name: p.name,
        shape: p.shape,
        data: outputs[graph.gradientOutputs[i]],
      })),
    }
  } finally {
    await session.release()
  }
}
