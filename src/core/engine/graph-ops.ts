import {OnnxDataType} from '../onnx/onnx-proto.js'
import type {GraphBuilder} from '../onnx/graph-builder.js'

/** Small node patterns shared by layer rules, losses and metrics. */

export function reduceSum(g: GraphBuilder, x: string, axes: number[], keepdims: boolean): string {
  return g.node('ReduceSum', [x, g.int64s(axes)], {keepdims: keepdims ? 1 : 0})
}

export function toFloat(g: GraphBuilder, x: string): string {
  return g.node('Cast', [x], {to: OnnxDataType.float32})
}

/** The batch size of `x` as a float32 tensor of shape [1] (the batch dimension is symbolic). */
export function batchSize(g: GraphBuilder, x: string): string {
  return toFloat(g, g.node('Shape', [x], {start: 0, end: 1}))
}

/** The number of elements of `x` as a float32 scalar. */
export function elementCount(g: GraphBuilder, x: string): string {
  return toFloat(g, g.node('Size', [x]))
}

/**
 * One-hot kernels [channels * k * k, 1, k, k] for a grouped Conv (group = channels) that copies every
 * k x k window of its input into channels ("unfold" / im2col): output channel c*k*k + t holds the
 * window element t of input channel c. ConvTranspose with the same kernel is its adjoint ("fold").
 */
export function unfoldKernel(g: GraphBuilder, channels: number, kernel: number): string {
  const taps = kernel * kernel
  const values = new Float32Array(channels * taps * taps)
  for (let j = 0; j < channels * taps; j++) values[j * taps + (j % taps)] = 1
  return g.floatConstant([channels * taps, 1, kernel, kernel], values)
}
