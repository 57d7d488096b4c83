/**
 * Checks a request's decoded input tensors against the model's signature before they reach the queue,
 * so a bad request fails alone with a message naming the input, instead of failing a whole batch.
 */
import {quote, shapeText} from './client-text.js'
import {ServeError} from './serve-error.js'
import {isFloatDatatype, type Datatype, type RequestTensor, type Tensor} from './tensor.js'

export interface TensorSpec {
  name: string
  datatype: Datatype
  /** -1 for a dimension the model leaves free */
  shape: number[]
}

export interface ModelSignature {
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  /**
   * Whether the first dimension of every input and output is one shared batch dimension, so that requests
   * can be merged along it. Models that do not declare one take each input in its own shape.
   */
  batched: boolean
}

/** Returns the inputs in the model's input order. */
export function validateInputs(signature: ModelSignature, inputs: RequestTensor[]): Tensor[] {
  const byName = new Map<string, RequestTensor>()
  for (const input of inputs) {
    if (!signature.inputs.some((spec) => spec.name === input.name)) {
      throw new ServeError(
        'invalid_argument',
        `unknown input ${quote(input.name)}; the model's inputs are ${names(signature.inputs)}`,
      )
    }
    if (byName.has(input.name)) throw new ServeError('invalid_argument', `input "${input.name}" is given twice`)
    byName.set(input.name, input)
  }
  const ordered = signature.inputs.map((spec) => {
    const input = byName.get(spec.name)
    if (!input)
      throw new ServeError(
        'invalid_argument',
        `missing input "${spec.name}"; the model's inputs are ${names(signature.inputs)}`,
      )
    return checkAgainstSpec(input, spec)
  })
  if (signature.batched) {
    const rows = ordered[0].shape[0]
    const other = ordered.find((input) => input.shape[0] !== rows)
    if (other) {
      throw new ServeError(
        'invalid_argument',
        `inputs disagree on the batch size (their first dimension): "${ordered[0].name}" has ${rows} rows, "${other.name}" has ${other.shape[0]}`,
      )
    }
  }
  return ordered
}

/** Returns the requested outputs' names in request order, or all outputs when none are requested. */
export function validateOutputNames(signature: ModelSignature, requested: string[] | undefined): string[] {
  if (!requested || requested.length === 0) return signature.outputs.map((spec) => spec.name)
  for (const name of requested) {
    if (!signature.outputs.some((spec) => spec.name === name)) {
      throw new ServeError(
        'invalid_argument',
        `unknown output ${quote(name)}; the model's outputs are ${names(signature.outputs)}`,
      )
    }
  }
  return requested
}

function checkAgainstSpec(input: RequestTensor, spec: TensorSpec): Tensor {
  if (input.datatype === 'BYTES' || input.datatype !== spec.datatype) {
    throw new ServeError(
      'invalid_argument',
      `input "${spec.name}" has datatype ${input.datatype} but the model expects ${spec.datatype}`,
    )
  }
  const fits =
    input.shape.length === spec.shape.length && spec.shape.every((dim, i) => dim === -1 || dim === input.shape[i])
  if (!fits) {
    throw new ServeError(
      'invalid_argument',
      `input "${spec.name}" has shape ${shapeText(input.shape)} but the model expects ${shapeText(spec.shape)} (-1: any size)`,
    )
  }
  if (isFloatDatatype(input.datatype)) {
    const data = input.data as Float32Array
    for (let i = 0; i < data.length; i++) {
      // NaN and infinities are almost always a client bug (e.g. a division by zero in preprocessing).
      if (!Number.isFinite(data[i]))
        throw new ServeError(
          'invalid_argument',
          `input "${spec.name}" has a non-finite value (${data[i]}) at element ${i}`,
        )
    }
  }
  return input
}

function names(specs: TensorSpec[]): string {
  return specs.map((spec) => `"${spec.name}"`).join(', ')
}
