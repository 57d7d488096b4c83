/**
 * The request bodies of the model repository extension: the index request's `ready` flag, and the parameters
 * of load and unload requests. Loading a model from a configuration or file sent in the request (the `config`
 * and `file:VERSION/NAME` parameters) is not supported: models come from the repository's folders.
 */
import {describeValue, quote} from './client-text.js'
import {parseJsonBody} from './json-body-parser.js'
import {invalid} from './tensor-codec.js'

/** POST /v2/repository/index: an empty body or `{"ready": true|false}`; true lists only versions serving. */
export function readyOnly(body: Buffer): boolean {
  const request = jsonObject(body, 'the index request')
  const ready = request.ready ?? false
  if (typeof ready !== 'boolean') throw invalid(`"ready" must be true or false, not ${describeValue(ready)}`)
  return ready
}

/** POST /v2/repository/models/NAME/load or /unload: an empty body or `{"parameters": {...}}`. */
export function controlParameterNames(body: Buffer): string[] {
  const parameters = jsonObject(body, 'the request').parameters ?? {}
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    throw invalid(`"parameters" must be an object, not ${describeValue(parameters)}`)
  return Object.keys(parameters)
}

/** Refuses the load parameters that would replace the repository's files, which this server does not take. */
export function checkLoadParameters(names: string[]): void {
  const unsupported = names.find((name) => name === 'config' || name.startsWith('file:'))
  if (unsupported !== undefined)
    throw invalid(
      `the load parameter ${quote(unsupported)} is not supported; put the model in the repository as NAME/VERSION/model.onnx and load it by name`,
    )
}

function jsonObject(body: Buffer, what: string): Record<string, unknown> {
  if (body.toString('latin1').trim() === '') return {}
  const value = parseJsonBody(body)
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what} must be a JSON object, not ${describeValue(value)}`)
  return value as Record<string, unknown>
}
