/**
 * Converts tensors between the protocol's wire forms and typed arrays: JSON tensors (HTTP), typed
 * `contents` and little-endian `raw_*_contents` bytes (gRPC); BYTES inputs go to bytes-tensor.ts. Every
 * check that a client can fail raises an `invalid_argument` ServeError naming the tensor.
 */
import {bytesFromContents, bytesFromJson, bytesFromRaw, type BytesHeader} from './bytes-tensor.js'
import {describeValue, quote, shapeText} from './client-text.js'
import {Float32JsonArray} from './json-body-parser.js'
import {ServeError} from './serve-error.js'
import {
  DATATYPES,
  allocateData,
  bytesPerElement,
  elementCount,
  isBigIntDatatype,
  isRequestDatatype,
  isRequestOwned,
  type Datatype,
  type RequestTensor,
  type Tensor,
  type TensorData,
} from './tensor.js'

/** The header of a tensor, validated: everything but its data. */
export interface TensorHeader {
  name: string
  datatype: Datatype
  shape: number[]
}

/** The header of a request's input, which may also be BYTES. */
export type RequestTensorHeader = TensorHeader | BytesHeader

const INTEGER_RANGES: Partial<Record<Datatype, [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
}

export function invalid(message: string): ServeError {
  return new ServeError('invalid_argument', message)
}

/** Validates name, datatype and shape of a JSON or protobuf tensor object. */
export function readTensorHeader(value: unknown, what: string): RequestTensorHeader {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what} must be an object with name, shape, datatype and data`)
  const {name, datatype, shape} = value as Record<string, unknown>
  if (typeof name !== 'string' || name === '') throw invalid(`${what} needs a "name"`)
  if (!isRequestDatatype(datatype))
    throw invalid(
      `${what} ${quote(name)} has datatype ${describeValue(datatype)}; use one of ${Object.keys(DATATYPES).join(', ')}, BYTES`,
    )
  if (!Array.isArray(shape) || !shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
    throw invalid(`${what} ${quote(name)} needs a "shape": an array of non-negative integers`)
  }
  return {name, datatype, shape: shape as number[]}
}

/** A JSON tensor's `data`, flat or nested in the natural multi-dimensional form. */
export function tensorFromJsonData(header: TensorHeader, data: unknown): Tensor
export function tensorFromJsonData(header: RequestTensorHeader, data: unknown): RequestTensor
export function tensorFromJsonData(header: RequestTensorHeader, data: unknown): RequestTensor {
  if (header.datatype === 'BYTES') return bytesFromJson(header, data instanceof Float32JsonArray ? data.json() : data)
  if (data instanceof Float32JsonArray) {
    if (header.datatype === 'FP32') return {...header, data: checkedCount(header, data.values)}
    data = data.json()
  }
  if (!Array.isArray(data)) throw invalid(`input ${quote(header.name)} needs "data": an array of values`)
  const values: unknown[] = Array.isArray(data[0]) ? data.flat(Infinity) : data
  return {...header, data: typedArrayFrom(header, values)}
}

function checkedCount<T extends {length: number}>(header: TensorHeader, values: T): T {
  const expected = elementCount(header.shape)
  if (values.length !== expected) {
    throw invalid(
      `input ${quote(header.name)} has ${values.length} values but shape ${shapeText(header.shape)} needs ${expected}`,
    )
  }
  return values
}

/** Values from JSON or from protobuf `contents`, checked for type and range. */
export function typedArrayFrom(header: TensorHeader, values: readonly unknown[]): TensorData {
  const data = allocateData(header.datatype, checkedCount(header, values).length)
  if (header.datatype === 'BOOL') {
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      if (typeof value !== 'boolean')
        throw invalid(`input ${quote(header.name)} element ${i} is ${describeValue(value)}, not a boolean`)
      data[i] = value ? 1 : 0
    }
    return data
  }
  const range = INTEGER_RANGES[header.datatype]
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (typeof value !== 'number')
      throw invalid(`input ${quote(header.name)} element ${i} is ${describeValue(value)}, not a number`)
    if (range && !(Number.isInteger(value) && value >= range[0] && value <= range[1])) {
      throw invalid(`input ${quote(header.name)} element ${i} is ${value}, not a ${header.datatype} integer`)
    }
  }
  if (isBigIntDatatype(header.datatype)) {
    for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i] as number)
  } else {
    ;(data as Float32Array).set(values as number[])
  }
  return data
}

/**
 * Raw little-endian bytes (gRPC raw_input_contents, HTTP binary data). Bytes in a request's own body are
 * used in place when aligned for their type (copying 200 KB per 64-image request cost ~15% of throughput);
 * any others are copied, so that the typed array is aligned and ours.
 */
export function tensorFromRaw(header: TensorHeader, bytes: Uint8Array): Tensor
export function tensorFromRaw(header: RequestTensorHeader, bytes: Uint8Array): RequestTensor
export function tensorFromRaw(header: RequestTensorHeader, bytes: Uint8Array): RequestTensor {
  if (header.datatype === 'BYTES') return bytesFromRaw(header, bytes)
  const count = elementCount(header.shape)
  const size = bytesPerElement(header.datatype)
  if (bytes.byteLength !== count * size) {
    throw invalid(
      `raw contents of input ${quote(header.name)} have ${bytes.byteLength} bytes but shape ${shapeText(header.shape)} of ${header.datatype} needs ${count * size}`,
    )
  }
  if (isRequestOwned(bytes.buffer) && bytes.byteOffset % size === 0) {
    return {...header, data: new DATATYPES[header.datatype].array(bytes.buffer as ArrayBuffer, bytes.byteOffset, count)}
  }
  const data = allocateData(header.datatype, count)
  new Uint8Array(data.buffer).set(bytes)
  return {...header, data}
}

export function tensorToRaw(tensor: Tensor): Buffer {
  return Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)
}

/** JSON numbers for every datatype; int64 values beyond 2^53 lose precision, as JSON numbers do. */
export function tensorToJson(tensor: Tensor): {
  name: string
  datatype: Datatype
  shape: number[]
  data: Array<number | boolean>
} {
  let data: Array<number | boolean>
  if (tensor.datatype === 'BOOL') data = Array.from(tensor.data as Uint8Array, (value) => value !== 0)
  else if (isBigIntDatatype(tensor.datatype)) data = Array.from(tensor.data as BigInt64Array, Number)
  else data = Array.from(tensor.data as Float32Array)
  return {name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data}
}

/** The InferTensorContents field (grpc_predict_v2.proto) that carries each datatype. */
const CONTENTS_FIELD: Record<Datatype, string> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
}

/** gRPC typed contents, as @grpc/proto-loader decodes them (int64 as numbers). */
export function tensorFromContents(header: TensorHeader, contents: Record<string, unknown> | null | undefined): Tensor
export function tensorFromContents(
  header: RequestTensorHeader,
  contents: Record<string, unknown> | null | undefined,
): RequestTensor
export function tensorFromContents(
  header: RequestTensorHeader,
  contents: Record<string, unknown> | null | undefined,
): RequestTensor {
  const field = header.datatype === 'BYTES' ? 'bytes_contents' : CONTENTS_FIELD[header.datatype]
  const values = contents?.[field]
  if (!Array.isArray(values)) throw invalid(`input ${quote(header.name)} has no ${field} and no raw contents`)
  // Values in another field would otherwise be ignored, and the count error would not say where they belong.
  const misplaced = Object.entries(contents!).find(
    ([name, other]) => name !== field && Array.isArray(other) && other.length > 0,
  )
  if (misplaced) {
    throw invalid(
      `input ${quote(header.name)} is ${header.datatype} but sends ${misplaced[0]}; put its values in ${field}`,
    )
  }
  if (header.datatype === 'BYTES') return bytesFromContents(header, values as Uint8Array[])
  return {...header, data: typedArrayFrom(header, values)}
}

export function tensorToContents(tensor: Tensor): Record<string, Array<number | boolean>> {
  return {[CONTENTS_FIELD[tensor.datatype]]: tensorToJson(tensor).data}
}
