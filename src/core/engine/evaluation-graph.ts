import type {ResolvedModel} from '../model/resolve-model.js'
import {GraphBuilder} from '../onnx/graph-builder.js'
import {lossTarget, type LossConfig} from '../training/loss-config.js'
import type {MetricRule} from '../training/metrics.js'
import {emitForwardPass} from './forward-pass.js'
import {lossRule} from './losses/index.js'
import {emitMetricSum} from './metric-sum.js'
import {emitTargetInput} from './target-input.js'
import {LOSS_OUTPUT, METRIC_OUTPUT} from './training-graph.js'

/**
 * Loss and metric sum of the model in inference mode (moving statistics, no dropout). Every parameter
 * is a graph input, so one session serves the whole run while the weights change.
 */
export function buildEvaluationGraph(model: ResolvedModel, loss: LossConfig, metric: MetricRule): Uint8Array {
  const g = new GraphBuilder('mlctl-evaluation')
  const rule = lossRule(loss)
  const forward = emitForwardPass(g, model, 'inference', {
    inputType: model.inputType,
    includeFinalSoftmax: loss.name !== 'softmaxCrossEntropy',
    parameterTensor: (p) => g.input(p.name, 'float32', p.shape),
  })
  const target = emitTargetInput(g, lossTarget(loss), model.outputs)
  g.output(rule.emit(g, forward.output, target, model.outputs).loss, LOSS_OUTPUT, 'float32', [])
  g.output(emitMetricSum(g, metric, forward.output, target), METRIC_OUTPUT, 'float32', [])
  return g.toBytes()
}
