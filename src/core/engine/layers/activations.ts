import type {ActivationSpec, LeakyReluSpec} from '../../model/spec.js'
import {float} from '../../onnx/graph-builder.js'
import {toFloat} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/** Element-wise activations; each backward reuses the forward output where the derivative allows. */

/** dx = dy where y > 0. */
export const emitRelu: LayerEmitter<ActivationSpec> = (g, x, _layer, _params, mode) => {
  const output = g.node('Relu', [x])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({params: {}, dx: g.node('Mul', [dy, toFloat(g, g.node('Greater', [output, g.scalar(0)]))])}),
  }
}

/** dx = dy where x > 0, alpha * dy elsewhere. */
export const emitLeakyRelu: LayerEmitter<LeakyReluSpec> = (g, x, layer, _params, mode) => {
  const alpha = layer.spec.alpha ?? 0.3
  const output = g.node('LeakyRelu', [x], {alpha: float(alpha)})
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: g.node('Where', [g.node('Greater', [x, g.scalar(0)]), dy, g.node('Mul', [dy, g.scalar(alpha)])]),
    }),
  }
}

/** dx = dy * (1 - y^2). */
export const emitTanh: LayerEmitter<ActivationSpec> = (g, x, _layer, _params, mode) => {
  const output = g.node('Tanh', [x])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: g.node('Mul', [dy, g.node('Sub', [g.scalar(1), g.node('Mul', [output, output])])]),
    }),
  }
}

/** dx = dy * y * (1 - y). */
export const emitSigmoid: LayerEmitter<ActivationSpec> = (g, x, _layer, _params, mode) => {
  const output = g.node('Sigmoid', [x])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: g.node('Mul', [dy, g.node('Mul', [output, g.node('Sub', [g.scalar(1), output])])]),
    }),
  }
}
