import type {GlobalPool1dSpec} from '../../model/spec.js'
import {OnnxDataType} from '../../onnx/onnx-proto.js'
import {reduceSum, toFloat} from '../graph-ops.js'
import type {LayerEmitter} from '../layer-emitter.js'

/**
 * y[n, c] = sum over positions t of x[n, t, c] * mask[n, t] / max(1, tokens of n): the mean over the
 * positions that hold a token (an all-padding sequence gives 0). Backward: dx = mask * dy / count.
 */
export const emitGlobalAveragePool1d: LayerEmitter<GlobalPool1dSpec> = (g, x, _layer, _params, mode, context) => {
  const mask = context.sequenceMask()
  const count = g.node('Max', [reduceSum(g, mask, [1], true), g.scalar(1)])
  const mask3 = g.node('Unsqueeze', [mask, g.int64s([2])])
  const output = g.node('Div', [reduceSum(g, g.node('Mul', [x, mask3]), [1], false), count])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => ({
      params: {},
      dx: g.node('Mul', [g.node('Unsqueeze', [g.node('Div', [dy, count]), g.int64s([1])]), mask3]),
    }),
  }
}

/** Stands in for padded positions in the maximum: below any float32 activation, yet finite. */
const LOWEST_FLOAT32 = -3.4028234663852886e38

/**
 * y[n, c] = the maximum of x[n, t, c] over the positions t that hold a token (0 for an all-padding sequence).
 * Backward: dy goes to the positions equal to the maximum, split evenly when several tie (as maxPool2d).
 */
export const emitGlobalMaxPool1d: LayerEmitter<GlobalPool1dSpec> = (g, x, _layer, _params, mode, context) => {
  const mask = context.sequenceMask()
  const present = g.node('Cast', [g.node('Unsqueeze', [mask, g.int64s([2])])], {to: OnnxDataType.bool})
  const candidates = g.node('Where', [present, x, g.scalar(LOWEST_FLOAT32)])
  const hasToken = g.node('ReduceMax', [mask], {axes: [1], keepdims: 1})
  const output = g.node('Mul', [g.node('ReduceMax', [candidates], {axes: [1], keepdims: 0}), hasToken])
  if (mode === 'inference') return {output}
  return {
    output,
    backward: (dy) => {
      const winners = g.node('And', [
        g.node('Equal', [candidates, g.node('Unsqueeze', [output, g.int64s([1])])]),
        present,
      ])
      const routed = toFloat(g, winners)
      const ties = g.node('Max', [reduceSum(g, routed, [1], false), g.scalar(1)])
      return {
        params: {},
        dx: g.node('Mul', [routed, g.node('Unsqueeze', [g.node('Div', [dy, ties]), g.int64s([1])])]),
      }
    },
  }
}
