import type {BatchNormSpec} from '../../model/spec.js'
import {float} from '../../onnx/graph-builder.js'
import {elementCount, reduceSum} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * Batch normalization over the channel axis of [N, C, H, W] or [N, C] inputs.
 * Training: the BatchNormalization op in training mode with momentum 0, whose extra outputs are then the
 * batch mean and biased variance (one fused op instead of a chain of reductions); the trainer
 * updates the moving statistics from them. Inference: the same op with the moving statistics.
 */
export const emitBatchNorm: LayerEmitter<BatchNormSpec> = (g, x, layer, params, mode) => {
  const epsilon = layer.spec.epsilon ?? 1e-3
  const channels = layer.inputShape[0]
  if (mode === 'inference') {
    const inputs = [x, params.gamma!, params.beta!, params.movingMean!, params.movingVariance!]
    return {output: g.node('BatchNormalization', inputs, {epsilon: float(epsilon)})}
  }
  const gamma = params.gamma!
  const zeros = g.floatConstant([channels], new Float32Array(channels))
  const ones = g.floatConstant([channels], new Float32Array(channels).fill(1))
  const [output, mean, variance] = g.nodeOutputs(
    'BatchNormalization',
    [x, gamma, params.beta!, zeros, ones],
    {epsilon: float(epsilon), momentum: float(0), training_mode: 1},
    3,
  )
  return {
    output,
    batchStatistics: {mean, variance},
    backward: (dy, needInputGradient) => {
      // Written from x so that no normalized copy of x is kept:
      //   S1 = sum(dy), S2 = sum(dy * x), dgamma = istd * (S2 - mean * S1), dbeta = S1,
      //   dx = k*dy - a*x - b  with  k = gamma*istd, a = k*istd*dgamma/M, b = k*S1/M - mean*a  (M = N*H*W).
      const axes = layer.inputShape.length === 3 ? [0, 2, 3] : [0]
      const perChannel = g.int64s(layer.inputShape.length === 3 ? [1, channels, 1, 1] : [1, channels])
      const asChannels = (t: string) => g.node('Reshape', [t, perChannel])
      const meanC = asChannels(mean)
      const istd = asChannels(g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [variance, g.scalar(epsilon)])])]))
      const s1 = reduceSum(g, dy, axes, true)
      const s2 = reduceSum(g, g.node('Mul', [dy, x]), axes, true)
      const dgamma = g.node('Mul', [istd, g.node('Sub', [s2, g.node('Mul', [meanC, s1])])])
      const flat = g.int64s([channels])
      const gradients = {gamma: g.node('Reshape', [dgamma, flat]), beta: g.node('Reshape', [s1, flat])}
      if (!needInputGradient) return {params: gradients}
      const invM = g.node('Div', [g.scalar(channels), elementCount(g, x)])
      const k = g.node('Mul', [asChannels(gamma), istd])
      const kOverM = g.node('Mul', [k, invM])
      const a = g.node('Mul', [g.node('Mul', [kOverM, istd]), dgamma])
      const b = g.node('Sub', [g.node('Mul', [kOverM, s1]), g.node('Mul', [meanC, a])])
      return {params: gradients, dx: g.node('Sub', [g.node('Sub', [g.node('Mul', [dy, k]), g.node('Mul', [x, a])]), b])}
    },
  }
}
