/**
 * The HTTP/REST inference request and response bodies of the Open Inference Protocol
 * ($inference_request / $inference_response), decoded from and encoded to JSON.
 */
import {MODEL_VERSION} from './model-version.js'
import {invalid, readTensorHeader, tensorFromJsonData, tensorToJson} from './tensor-codec.js'
import type {Tensor} from './tensor.js'

export interface InferRequest {
  id?: string
  inputs: Tensor[]
  /** names of the outputs to return; all when absent */
  outputs?: string[]
}

export function decodeInferRequest(body: unknown): InferRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the request body must be a JSON object with "inputs"')
  const {id, inputs, outputs} = body as Record<string, unknown>
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string')
  if (!Array.isArray(inputs) || inputs.length === 0) throw invalid('"inputs" must be a non-empty array of tensors')
  const tensors = inputs.map((input, i) => {
    const header = readTensorHeader(input, `inputs[${i}]`)
    return tensorFromJsonData(header, (input as {data?: unknown}).data)
  })
  let outputNames: string[] | undefined
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw invalid('"outputs" must be an array of {"name": ...}')
    outputNames = outputs.map((output, i) => {
      const name = (output as {name?: unknown} | null)?.name
      if (typeof name !== 'string') throw invalid(`outputs[${i}] needs a "name"`)
      return name
    })
  }
  return {id, inputs: tensors, outputs: outputNames}
}

export function encodeInferResponse(modelName: string, id: string | undefined, outputs: Tensor[]): string {
  return JSON.stringify({
    model_name: modelName,
    model_version: MODEL_VERSION,
    ...(id === undefined ? {} : {id}),
    outputs: outputs.map(tensorToJson),
  })
}
