/**
 * The HTTP/REST inference request and response bodies of the Open Inference Protocol
 * ($inference_request / $inference_response), with the binary tensor data extension that Triton and
 * KServe's servers also accept: when the header `Inference-Header-Content-Length: N` is present, the body's
 * first N bytes are the JSON request and the rest are the raw bytes (little-endian, row-major) of the inputs
 * whose parameters give a `binary_data_size`, in input order. Outputs come back the same way when the
 * request asks with `"parameters": {"binary_data_output": true}`, or per output with
 * `{"name": ..., "parameters": {"binary_data": true}}`. Raw bytes skip number parsing, the main cost of
 * large JSON requests.
 */
import {describeValue, quote} from './client-text.js'
import {parseJsonBody} from './json-body-parser.js'
import {
  invalid,
  readTensorHeader,
  tensorFromJsonData,
  tensorFromRaw,
  tensorToJson,
  tensorToRaw,
} from './tensor-codec.js'
import type {RequestTensor, Tensor} from './tensor.js'

export const BINARY_HEADER = 'inference-header-content-length'

export interface InferRequest {
  id?: string
  inputs: RequestTensor[]
  /** names of the outputs to return; all when absent */
  outputs?: string[]
  /**
   * outputs to return as raw bytes after the JSON, rather than as JSON numbers (data, not a function: requests
   * are decoded on other threads)
   */
  binaryOutputs: {all: boolean; names: string[]}
}

export interface EncodedResponse {
  body: Buffer | string
  headers: Record<string, string | number>
}

/** `jsonLength` is the value of the Inference-Header-Content-Length header, if the request has one. */
export function decodeInferRequest(body: Buffer, jsonLength: string | undefined): InferRequest {
  let binary: Buffer = Buffer.alloc(0)
  if (jsonLength !== undefined) {
    const length = Number(jsonLength)
    if (!Number.isSafeInteger(length) || length < 0 || length > body.length) {
      throw invalid(`Inference-Header-Content-Length ${jsonLength} does not fit a body of ${body.length} bytes`)
    }
    binary = body.subarray(length)
    body = body.subarray(0, length)
  }
  const request = parseJsonBody(body)
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw invalid('the request body must be a JSON object with "inputs"')
  const {id, inputs, outputs, parameters} = request as Record<string, unknown>
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string')
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalid('"inputs" must be a non-empty array of tensors')
  let offset = 0
  const tensors = inputs.map((input, i) => {
    const header = readTensorHeader(input, `inputs[${i}]`)
    const size = parameter(input, 'binary_data_size')
    if (size === undefined) return tensorFromJsonData(header, (input as {data?: unknown}).data)
    if (!Number.isSafeInteger(size) || (size as number) < 0 || offset + (size as number) > binary.length) {
      throw invalid(
        `input ${quote(header.name)} has binary_data_size ${describeValue(size)} but only ${binary.length - offset} bytes of binary data follow the JSON`,
      )
    }
    const tensor = tensorFromRaw(header, binary.subarray(offset, offset + (size as number)))
    offset += size as number
    return tensor
  })
  if (offset !== binary.length)
    throw invalid(
      `${binary.length - offset} bytes of binary data follow the JSON that no input's binary_data_size claims`,
    )

  let outputNames: string[] | undefined
  const binaryNames = new Set<string>()
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw invalid('"outputs" must be an array of {"name": ...}')
    outputNames = outputs.map((output, i) => {
      const name = (output as {name?: unknown} | null)?.name
      if (typeof name !== 'string') throw invalid(`outputs[${i}] needs a "name"`)
      if (parameter(output, 'binary_data') === true) binaryNames.add(name)
      return name
    })
  }
  const all = (parameters as Record<string, unknown> | undefined)?.binary_data_output === true
  return {id, inputs: tensors, outputs: outputNames, binaryOutputs: {all, names: [...binaryNames]}}
}

export function wantsBinaryOutput(request: InferRequest, name: string): boolean {
  return request.binaryOutputs.all || request.binaryOutputs.names.includes(name)
}

/** `model`: the name and version that answered. */
export function encodeInferResponse(
  model: {name: string; version: string},
  request: InferRequest,
  outputs: Tensor[],
): EncodedResponse {
  const binary = outputs.filter((output) => wantsBinaryOutput(request, output.name))
  const json = JSON.stringify({
    model_name: model.name,
    model_version: model.version,
    ...(request.id === undefined ? {} : {id: request.id}),
    outputs: outputs.map((output) =>
      wantsBinaryOutput(request, output.name)
        ? {
            name: output.name,
            datatype: output.datatype,
            shape: output.shape,
            parameters: {binary_data_size: output.data.byteLength},
          }
        : tensorToJson(output),
    ),
  })
  if (binary.length === 0) return {body: json, headers: {'content-type': 'application/json'}}
  const header = Buffer.from(json)
  return {
    body: Buffer.concat([header, ...binary.map(tensorToRaw)]),
    headers: {'content-type': 'application/octet-stream', [BINARY_HEADER]: header.length},
  }
}

function parameter(value: unknown, name: string): unknown {
  const parameters = (value as {parameters?: unknown} | null)?.parameters
  return typeof parameters === 'object' && parameters !== null
    ? (parameters as Record<string, unknown>)[name]
    : undefined
}
