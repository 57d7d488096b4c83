/**
 * Worker-thread entry of infer-request-decoder.ts: decodes one HTTP inference request body per message and
 * hands the tensors back (transferred, not copied), or the client's error.
 */
import {parentPort} from 'node:worker_threads'

import {decodeInferRequest} from './infer-json.js'
import type {DecodeJob, DecodeReply} from './infer-request-decoder.js'
import {asServeError} from './serve-error.js'

const port = parentPort!

port.on('message', ({id, body, jsonLength}: DecodeJob) => {
  let reply: DecodeReply
  let transfer: ArrayBuffer[] = []
  try {
    const request = decodeInferRequest(Buffer.from(body.buffer, body.byteOffset, body.byteLength), jsonLength)
    reply = {id, request}
    // Every decoded tensor owns its buffer (see tensor-codec.ts), so handing them over loses nothing here.
    // BYTES inputs are strings, which are copied.
    transfer = request.inputs.flatMap((input) => (input.datatype === 'BYTES' ? [] : [input.data.buffer as ArrayBuffer]))
  } catch (err) {
    const error = asServeError(err)
    reply = {id, error: {kind: error.kind, message: error.message}}
  }
  port.postMessage(reply, transfer)
})
