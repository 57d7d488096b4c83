import type {Dim} from '../onnx/graph-builder.js'
import {type AttributeProto, OnnxDataType} from '../onnx/onnx-proto.js'

/** A tensor's element type (ONNX TensorProto.DataType code) and shape. */
export interface TensorInfo {
  type: number
  shape: Dim[]
  /** The values of a small int64 constant (axes, slice bounds), which some rules need. */
  values?: number[]
}

/** A node whose inputs do not fit together; the message says how. */
export class ShapeProblem extends Error {}

type Attributes = Map<string, AttributeProto>

/** Infers a node's output types and shapes from its inputs' (undefined: an optional input left out). */
export type ShapeRule = (inputs: Array<TensorInfo | undefined>, attributes: Attributes) => TensorInfo[]

const same: ShapeRule = ([x]) => [required(x, 'X')]

/**
 * Type and shape rules for the ops mlctl's inference graphs use, as the ONNX operator specs define them
 * (without the options those graphs never set, e.g. ceil_mode, auto_pad, training-mode batch norm).
 */
export const SHAPE_RULES: Record<string, ShapeRule> = {
  Identity: same,
  Relu: same,
  LeakyRelu: same,
  Tanh: same,
  Sigmoid: same,
  Softmax: ([x], attributes) => {
    const rank = required(x, 'input').shape.length
    const axis = int(attributes, 'axis', -1)
    if (axis < -rank || axis >= rank) throw new ShapeProblem(`axis ${axis} is outside a rank-${rank} input`)
    return [x!]
  },
  Cast: ([x], attributes) => [{type: int(attributes, 'to', 0), shape: required(x, 'input').shape}],
  Add: elementwise,
  Mul: elementwise,
  Div: elementwise,
  Max: elementwise,
  Greater: comparison,
  Less: comparison,
  And: (inputs) => {
    for (const [i, t] of inputs.entries())
      if (required(t, `input ${i}`).type !== OnnxDataType.bool) throw new ShapeProblem(`input ${i} is not bool`)
    return elementwise(inputs)
  },
  Where: ([condition, x, y]) => {
    sameType(required(x, 'X'), required(y, 'Y'))
    return [{type: x!.type, shape: broadcast(broadcast(required(condition, 'condition').shape, x!.shape), y!.shape)}]
  },
  Gather: ([data, indices], attributes) => {
    const shape = required(data, 'data').shape
    const axis = normalizedAxis(int(attributes, 'axis', 0), shape.length)
    return [
      {
        type: data!.type,
        shape: [...shape.slice(0, axis), ...required(indices, 'indices').shape, ...shape.slice(axis + 1)],
      },
    ]
  },
  Unsqueeze: ([x, axes]) => {
    const shape = [...required(x, 'data').shape]
    const rank = shape.length + constantValues(axes, 'axes').length
    for (const axis of constantValues(axes, 'axes')
      .map((a) => normalizedAxis(a, rank))
      .sort((a, b) => a - b))
      shape.splice(axis, 0, 1)
    return [{type: x!.type, shape}]
  },
  Transpose: ([x], attributes) => {
    const shape = required(x, 'data').shape
    const perm = attributes.get('perm')?.ints ?? shape.map((_, i) => shape.length - 1 - i)
    if (perm.length !== shape.length) throw new ShapeProblem(`perm [${perm}] does not fit a rank-${shape.length} input`)
    return [{type: x!.type, shape: perm.map((p) => shape[p])}]
  },
  ReduceSum: ([x, axes], attributes) => reduce(required(x, 'data'), constantValues(axes, 'axes'), attributes),
  ReduceMax: ([x], attributes) => reduce(required(x, 'data'), attributes.get('axes')?.ints ?? [], attributes),
  Slice: ([x, starts, ends, axes, steps]) => {
    if (steps) throw new ShapeProblem('steps are not used by mlctl graphs')
    const shape = [...required(x, 'data').shape]
    const from = constantValues(starts, 'starts')
    const to = constantValues(ends, 'ends')
    const along = axes ? constantValues(axes, 'axes') : from.map((_, i) => i)
    along.forEach((a, i) => {
      const axis = normalizedAxis(a, shape.length)
      const size = shape[axis]
      if (typeof size !== 'number') {
        // a symbolic length sliced relative to its end (the only kind mlctl writes) keeps a symbolic length
        shape[axis] = from[i] === 0 && to[i] <= 0 ? (to[i] === 0 ? size : `${size}${to[i]}`) : `${size}'`
        return
      }
      const clamp = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v))
      shape[axis] = Math.max(0, clamp(to[i]) - clamp(from[i]))
    })
    return [{type: x!.type, shape}]
  },
  Concat: (inputs, attributes) => {
    const tensors = inputs.map((t, i) => required(t, `input ${i}`))
    const rank = tensors[0].shape.length
    const axis = normalizedAxis(int(attributes, 'axis', 0), rank)
    for (const t of tensors) sameType(tensors[0], t)
    const sizes = tensors.map((t) => t.shape[axis])
    const joined = sizes.every((d): d is number => typeof d === 'number')
      ? sizes.reduce((a, b) => a + b, 0)
      : sizes.join('+')
    return [{type: tensors[0].type, shape: tensors[0].shape.map((d, i) => (i === axis ? joined : d))}]
  },
  Flatten: ([x], attributes) => {
    const shape = required(x, 'input').shape
    const axis = int(attributes, 'axis', 1)
    return [{type: x!.type, shape: [product(shape.slice(0, axis)), product(shape.slice(axis))]}]
  },
  Gemm: ([a, b, c], attributes) => {
    const [rowsA, colsA] = rank2(required(a, 'A'), 'A')
    const [rowsB, colsB] = rank2(required(b, 'B'), 'B')
    sameType(a!, b!)
    const [m, k] = int(attributes, 'transA', 0) ? [colsA, rowsA] : [rowsA, colsA]
    const [kB, n] = int(attributes, 'transB', 0) ? [colsB, rowsB] : [rowsB, colsB]
    if (!compatible(k, kB)) throw new ShapeProblem(`A has ${k} columns but B has ${kB} rows`)
    if (c) {
      sameType(a!, c)
      broadcast(c.shape, [m, n])
    }
    return [{type: a!.type, shape: [m, n]}]
  },
  Conv: ([x, w, bias], attributes) => {
    const [batch, channels, ...spatial] = image(required(x, 'X'))
    const [filters, perGroup, ...kernel] = image(required(w, 'W'))
    sameType(x!, w!)
    const group = int(attributes, 'group', 1)
    if (!compatible(channels, typeof perGroup === 'number' ? perGroup * group : perGroup)) {
      throw new ShapeProblem(`X has ${channels} channels but W expects ${perGroup} x group ${group}`)
    }
    checkKernelShape(attributes, kernel)
    if (bias) {
      sameType(x!, bias)
      if (bias.shape.length !== 1 || !compatible(bias.shape[0], filters))
        throw new ShapeProblem(`B has shape [${bias.shape}], not [${filters}]`)
    }
    return [{type: x!.type, shape: [batch, filters, ...windowedSize(spatial, kernel as number[], attributes)]}]
  },
  MaxPool: pool,
  AveragePool: pool,
  BatchNormalization: ([x, ...perChannel], attributes) => {
    if (int(attributes, 'training_mode', 0)) throw new ShapeProblem('training_mode is set in an inference graph')
    const channels = required(x, 'X').shape[1]
    for (const [i, name] of ['scale', 'B', 'mean', 'var'].entries()) {
      const t = required(perChannel[i], name)
      sameType(x!, t)
      if (t.shape.length !== 1 || !compatible(t.shape[0], channels))
        throw new ShapeProblem(`${name} has shape [${t.shape}], not [${channels}]`)
    }
    return [x!]
  },
}

function reduce(x: TensorInfo, axes: number[], attributes: Attributes): TensorInfo[] {
  const rank = x.shape.length
  const reduced = new Set((axes.length ? axes : x.shape.map((_, i) => i)).map((a) => normalizedAxis(a, rank)))
  const keep = int(attributes, 'keepdims', 1) !== 0
  const shape = x.shape.flatMap((d, i) => (reduced.has(i) ? (keep ? [1] : []) : [d]))
  return [{type: x.type, shape}]
}

function constantValues(t: TensorInfo | undefined, name: string): number[] {
  if (!required(t, name).values) throw new ShapeProblem(`${name} is not a constant`)
  return t!.values!
}

function normalizedAxis(axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) throw new ShapeProblem(`axis ${axis} is outside a rank-${rank} tensor`)
  return axis < 0 ? axis + rank : axis
}

function pool(inputs: Array<TensorInfo | undefined>, attributes: Attributes): TensorInfo[] {
  const [batch, channels, ...spatial] = image(required(inputs[0], 'X'))
  const kernel = attributes.get('kernel_shape')?.ints
  if (!kernel || kernel.length !== spatial.length)
    throw new ShapeProblem(`kernel_shape must give ${spatial.length} sizes`)
  return [{type: inputs[0]!.type, shape: [batch, channels, ...windowedSize(spatial, kernel, attributes)]}]
}

/** An elementwise comparison: the inputs' broadcast shape, of bools. */
function comparison(inputs: Array<TensorInfo | undefined>): TensorInfo[] {
  return [{type: OnnxDataType.bool, shape: elementwise(inputs)[0].shape}]
}

function elementwise([a, b]: Array<TensorInfo | undefined>): TensorInfo[] {
  sameType(required(a, 'A'), required(b, 'B'))
  return [{type: a!.type, shape: broadcast(a!.shape, b!.shape)}]
}

/** Output sizes of a sliding window over `spatial` (no dilation, no ceil mode). */
function windowedSize(spatial: Dim[], kernel: number[], attributes: Attributes): Dim[] {
  const strides = attributes.get('strides')?.ints ?? spatial.map(() => 1)
  const pads = attributes.get('pads')?.ints ?? [...spatial, ...spatial].map(() => 0)
  if ((attributes.get('dilations')?.ints ?? []).some((d) => d !== 1))
    throw new ShapeProblem('dilations are not used by mlctl graphs')
  return spatial.map((size, i) => {
    if (typeof size !== 'number') {
      // a sequence of any length: unstrided windows change it by the padding less kernel - 1
      if (strides[i] !== 1) throw new ShapeProblem(`spatial size ${size} is not fixed`)
      const change = pads[i] + pads[i + spatial.length] - (kernel[i] - 1)
      return change === 0 ? size : `${size}${change > 0 ? '+' : ''}${change}`
    }
    const out = Math.floor((size + pads[i] + pads[i + spatial.length] - kernel[i]) / strides[i]) + 1
    if (out < 1) throw new ShapeProblem(`a ${kernel[i]}-wide window does not fit into size ${size}`)
    return out
  })
}

function checkKernelShape(attributes: Attributes, kernel: Dim[]): void {
  const declared = attributes.get('kernel_shape')?.ints
  if (declared && declared.join('x') !== kernel.join('x'))
    throw new ShapeProblem(`kernel_shape [${declared}] differs from W's [${kernel}]`)
}

/** Numpy-style broadcasting; a symbolic dimension is taken to match whatever it meets. */
function broadcast(a: Dim[], b: Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length)
  return Array.from({length: rank}, (_, i) => {
    const x = a[a.length - rank + i] ?? 1
    const y = b[b.length - rank + i] ?? 1
    if (x === 1) return y
    if (y === 1 || x === y) return x
    if (typeof x === 'number' && typeof y === 'number')
      throw new ShapeProblem(`shapes [${a}] and [${b}] do not broadcast`)
    return typeof x === 'number' ? x : y
  })
}

function product(dims: Dim[]): Dim {
  if (dims.every((d): d is number => typeof d === 'number')) return dims.reduce((p, d) => p * d, 1)
  return dims.length === 1 ? dims[0] : dims.join('*')
}

function compatible(a: Dim, b: Dim): boolean {
  return a === b || typeof a !== 'number' || typeof b !== 'number'
}

function required(t: TensorInfo | undefined, name: string): TensorInfo {
  if (!t) throw new ShapeProblem(`input ${name} is missing`)
  return t
}

function sameType(a: TensorInfo, b: TensorInfo): void {
  if (a.type !== b.type) throw new ShapeProblem(`inputs have different element types (${a.type} and ${b.type})`)
}

function rank2(t: TensorInfo, name: string): Dim[] {
  if (t.shape.length !== 2) throw new ShapeProblem(`${name} has rank ${t.shape.length}, not 2`)
  return t.shape
}

/** [N, C, H, W], or a sequence [N, C, L]. */
function image(t: TensorInfo): Dim[] {
  if (t.shape.length !== 4 && t.shape.length !== 3)
    throw new ShapeProblem(`expected a rank-4 [N, C, H, W] or rank-3 [N, C, L] tensor, got [${t.shape}]`)
  return t.shape
}

function int(attributes: Attributes, name: string, fallback: number): number {
  return attributes.get(name)?.i ?? fallback
}
