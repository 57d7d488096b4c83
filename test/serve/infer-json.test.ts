import {describe, expect, it} from 'vitest'

import {decodeInferRequest, encodeInferResponse, wantsBinaryOutput} from '../../src/core/serve/infer-json.js'
import type {Tensor} from '../../src/core/serve/tensor.js'

const json = (value: unknown) => Buffer.from(JSON.stringify(value))

/** A body in the binary tensor data form: JSON, then raw bytes; returns it with the header value. */
function binaryBody(request: unknown, ...raw: Buffer[]): [Buffer, string] {
  const header = json(request)
  return [Buffer.concat([header, ...raw]), String(header.length)]
}

describe('decodeInferRequest', () => {
  it('decodes id, inputs and an outputs filter', () => {
    const request = decodeInferRequest(
      json({id: '42', inputs: [{name: 'x', datatype: 'INT32', shape: [2], data: [1, 2]}], outputs: [{name: 'y'}]}),
      undefined,
    )
    expect(request.id).toBe('42')
    expect(request.outputs).toEqual(['y'])
    expect(wantsBinaryOutput(request, 'y')).toBe(false)
    expect(Array.from(request.inputs[0].data as Int32Array)).toEqual([1, 2])
  })

  it.each([
    [{inputs: []}, /non-empty array/],
    [{id: 7, inputs: [{}]}, /"id" must be a string/],
    [{inputs: [{name: 'x', datatype: 'FP32', shape: [1], data: [1]}], outputs: [{}]}, /outputs\[0\] needs a "name"/],
    [[1], /must be a JSON object/],
  ])('rejects a bad request %#', (body, message) => {
    expect(() => decodeInferRequest(json(body), undefined)).toThrow(message)
  })

  it('reads inputs from the binary data after the JSON, mixed with JSON inputs, in input order', () => {
    const a = new Float32Array([1.5, -2])
    const c = new Int32Array([7, 8, 9])
    const [body, length] = binaryBody(
      {
        inputs: [
          {name: 'a', datatype: 'FP32', shape: [2], parameters: {binary_data_size: 8}},
          {name: 'b', datatype: 'FP32', shape: [1], data: [3]},
          {name: 'c', datatype: 'INT32', shape: [3], parameters: {binary_data_size: 12}},
        ],
        parameters: {binary_data_output: true},
      },
      Buffer.from(a.buffer),
      Buffer.from(c.buffer),
    )
    const request = decodeInferRequest(body, length)
    expect(request.inputs.map((input) => Array.from(input.data as Float32Array))).toEqual([[1.5, -2], [3], [7, 8, 9]])
    expect(wantsBinaryOutput(request, 'anything')).toBe(true)
  })

  it('rejects binary data that does not add up', () => {
    const input = {name: 'a', datatype: 'FP32', shape: [2], parameters: {binary_data_size: 8}}
    expect(() => decodeInferRequest(...binaryBody({inputs: [input]}, Buffer.alloc(4)))).toThrow(
      /binary_data_size 8 but only 4 bytes/,
    )
    expect(() => decodeInferRequest(...binaryBody({inputs: [input]}, Buffer.alloc(12)))).toThrow(
      /4 bytes of binary data follow the JSON that no input/,
    )
    expect(() =>
      decodeInferRequest(...binaryBody({inputs: [{...input, parameters: {binary_data_size: 4}}]}, Buffer.alloc(4))),
    ).toThrow(/have 4 bytes but shape \[2\]/)
    expect(() => decodeInferRequest(json({inputs: [input]}), '999')).toThrow(
      /Inference-Header-Content-Length 999 does not fit/,
    )
  })
})

describe('encodeInferResponse', () => {
  const outputs: Tensor[] = [
    {name: 'logits', datatype: 'FP32', shape: [1, 2], data: new Float32Array([0.5, -1])},
    {name: 'label', datatype: 'INT64', shape: [1], data: new BigInt64Array([1n])},
  ]

  it('answers in JSON by default, echoing the id', () => {
    const response = encodeInferResponse(
      {name: 'm', version: '1'},
      decodeInferRequest(json({id: 'r', inputs: [{name: 'x', datatype: 'FP32', shape: [1], data: [0]}]}), undefined),
      outputs,
    )
    expect(response.headers).toEqual({'content-type': 'application/json'})
    expect(JSON.parse(response.body as string)).toEqual({
      model_name: 'm',
      model_version: '1',
      id: 'r',
      outputs: [
        {name: 'logits', datatype: 'FP32', shape: [1, 2], data: [0.5, -1]},
        {name: 'label', datatype: 'INT64', shape: [1], data: [1]},
      ],
    })
  })

  it('puts the outputs asked for as binary after the JSON', () => {
    const request = decodeInferRequest(
      json({
        inputs: [{name: 'x', datatype: 'FP32', shape: [1], data: [0]}],
        outputs: [{name: 'logits', parameters: {binary_data: true}}, {name: 'label'}],
      }),
      undefined,
    )
    const response = encodeInferResponse({name: 'm', version: '1'}, request, outputs)
    const body = response.body as Buffer
    const length = Number(response.headers['inference-header-content-length'])
    const header = JSON.parse(body.subarray(0, length).toString())
    expect(header.outputs).toEqual([
      {name: 'logits', datatype: 'FP32', shape: [1, 2], parameters: {binary_data_size: 8}},
      {name: 'label', datatype: 'INT64', shape: [1], data: [1]},
    ])
    expect(Array.from(new Float32Array(new Uint8Array(body.subarray(length)).buffer))).toEqual([0.5, -1])
  })
})
