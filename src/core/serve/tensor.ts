/**
 * Tensors as the server passes them around: an Open Inference Protocol datatype, a shape and a typed array.
 * The table maps each protocol datatype to onnxruntime's element type and the typed array that holds it.
 */

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

export interface Tensor {
  name: string
  datatype: Datatype
  shape: number[]
  data: TensorData
}

/**
 * A BYTES tensor (the protocol's strings), as a request carries one: the one input a text model's metadata
 * shows. mlctl reads BYTES only as UTF-8 texts, so the elements are decoded where they arrive.
 */
export interface BytesTensor {
  name: string
  datatype: 'BYTES'
  shape: number[]
  data: string[]
}

/** An input as a request sends it: numbers, or texts for a text model. */
export type RequestTensor = Tensor | BytesTensor

export type RequestDatatype = Datatype | 'BYTES'

type TypedArrayConstructor = {
  new (length: number): TensorData
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData
  BYTES_PER_ELEMENT: number
}

interface DatatypeInfo {
  ortType: string
  array: TypedArrayConstructor
}

// FP16 is left out: no model mlctl targets uses it, and it has no JSON form that round-trips exactly. BYTES
// has no onnxruntime element type here: it is a request's form of a text model's input (BytesTensor).
export const DATATYPES = {
  BOOL: {ortType: 'bool', array: Uint8Array},
  UINT8: {ortType: 'uint8', array: Uint8Array},
  UINT16: {ortType: 'uint16', array: Uint16Array},
  UINT32: {ortType: 'uint32', array: Uint32Array},
  UINT64: {ortType: 'uint64', array: BigUint64Array},
  INT8: {ortType: 'int8', array: Int8Array},
  INT16: {ortType: 'int16', array: Int16Array},
  INT32: {ortType: 'int32', array: Int32Array},
  INT64: {ortType: 'int64', array: BigInt64Array},
  FP32: {ortType: 'float32', array: Float32Array},
  FP64: {ortType: 'float64', array: Float64Array},
} satisfies Record<string, DatatypeInfo>

export type Datatype = keyof typeof DATATYPES

export function isDatatype(value: unknown): value is Datatype {
  return typeof value === 'string' && Object.hasOwn(DATATYPES, value)
}

export function isRequestDatatype(value: unknown): value is RequestDatatype {
  return value === 'BYTES' || isDatatype(value)
}

export function datatypeOfOrtType(ortType: string): Datatype | undefined {
  for (const [datatype, info] of Object.entries(DATATYPES)) if (info.ortType === ortType) return datatype as Datatype
  return undefined
}

export function isFloatDatatype(datatype: Datatype): boolean {
  return datatype === 'FP32' || datatype === 'FP64'
}

export function isBigIntDatatype(datatype: Datatype): boolean {
  return datatype === 'INT64' || datatype === 'UINT64'
}

export function elementCount(shape: readonly number[]): number {
  let count = 1
  for (const dim of shape) count *= dim
  return count
}

export function allocateData(datatype: Datatype, length: number): TensorData {
  return new DATATYPES[datatype].array(length)
}

export function bytesPerElement(datatype: Datatype): number {
  return DATATYPES[datatype].array.BYTES_PER_ELEMENT
}

/** Buffers that belong to one request alone (the body it arrived in): its tensors may use them in place. */
const requestOwned = new WeakSet<ArrayBufferLike>()

export function markRequestOwned(buffer: ArrayBuffer): void {
  requestOwned.add(buffer)
}

export function isRequestOwned(buffer: ArrayBufferLike): boolean {
  return requestOwned.has(buffer)
}

/**
 * Whether `data`'s buffer can be handed to another thread (transferred, not copied) without giving away
 * memory that anyone else uses: it spans all of its buffer, or the buffer is a request's own.
 */
export function canHandOver(data: ArrayBufferView): boolean {
  return (
    (isRequestOwned(data.buffer) || (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength)) &&
    data.buffer instanceof ArrayBuffer
  )
}
