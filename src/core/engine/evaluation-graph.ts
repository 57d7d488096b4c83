import type {ResolvedModel} from '../model/resolve-model.js'
import {GraphBuilder} from '../onnx/graph-builder.js'
import {emitForwardPass} from './forward-pass.js'
import {lossRule, type LossConfig} from './losses/index.js'
import type {MetricRule} from './metrics.js'
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
  const target = emitTargetInput(g, rule.target, model.outputs)
  g.output(rule.emit(g, forward.output, target, model.outputs).loss, LOSS_OUTPUT, 'float32', [])
  g.output(metric.emitSum(g, forward.output, target), METRIC_OUTPUT, 'float32', [])
  return g.toBytes()
}
