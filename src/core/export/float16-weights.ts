import {AttributeType, OnnxDataType, type ModelProto, type NodeProto, type TensorProto} from '../onnx/onnx-proto.js'

/**
 * Stores the initializers named in `weights` as float16, each followed by a Cast back to float32 at the
 * head of the graph, so that every op still computes in float32: the file shrinks by almost half, and
 * onnxruntime folds the Casts into float32 constants when it loads the model, so inference is as fast.
 * The model is changed in place and returned.
 */
export function withFloat16Weights(model: ModelProto, weights: ReadonlySet<string>): ModelProto {
  const casts: NodeProto[] = []
  model.graph.initializer = model.graph.initializer.map((init) => {
    if (!weights.has(init.name) || init.dataType !== OnnxDataType.float32) return init
    const stored = `${init.name}/float16`
    casts.push({
      name: `cast_${init.name}`,
      opType: 'Cast',
      input: [stored],
      output: [init.name],
      attribute: [{name: 'to', type: AttributeType.int, i: OnnxDataType.float32}],
    })
    return {...init, name: stored, dataType: OnnxDataType.float16, rawData: float16Bytes(init)}
  })
  model.graph.node = [...casts, ...model.graph.node]
  return model
}

function float16Bytes(init: TensorProto): Uint8Array {
  const raw = init.rawData
  const values = new Float32Array(new Uint8Array(raw).buffer, 0, raw.byteLength / 4)
  const halves = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) halves[i] = toFloat16Bits(values[i])
  return new Uint8Array(halves.buffer)
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** The IEEE 754 binary16 bits nearest to a float32 value (ties to even); beyond ±65504 rounds to ±Infinity. */
export function toFloat16Bits(value: number): number {
  f32[0] = value
  const bits = u32[0]
  const sign = (bits >>> 16) & 0x8000
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15
  const mantissa = bits & 0x7fffff
  if (exponent === 0xff - 127 + 15) return sign | 0x7c00 | (mantissa ? 0x200 : 0) // Infinity, NaN
  if (exponent >= 0x1f) return sign | 0x7c00
  if (exponent <= 0) {
    // float16 subnormal (or zero): the 24-bit significand shifted down to units of 2^-24
    if (exponent < -10) return sign
    return sign | roundShift(mantissa | 0x800000, 14 - exponent)
  }
  // a carry out of the mantissa correctly increments the exponent (up to Infinity)
  return sign | ((exponent << 10) + roundShift(mantissa, 13))
}

/** value >> shift, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift
  const rest = value - kept * 2 ** shift
  const half = 2 ** (shift - 1)
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept
}
