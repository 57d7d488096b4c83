import {describe, expect, it} from 'vitest'

import {loadGrpcServices, loadProtoTypes} from '../../src/core/serve/grpc-protos.js'
import {wireFormatProblem} from '../../src/core/serve/protobuf-wire-check.js'

const modelInfer = loadGrpcServices().inference.service.ModelInfer
const requestType = loadProtoTypes().lookupType('inference.ModelInferRequest')

const valid = modelInfer.requestSerialize({
  model_name: 'lenet',
  id: 'r1',
  parameters: {priority: {int64_param: 2}, note: {string_param: 'x'}},
  inputs: [
    {name: 'a', datatype: 'FP32', shape: [1, 2], contents: {fp32_contents: [0.5, -1]}},
    {name: 'b', datatype: 'INT64', shape: [2], contents: {int64_contents: [-3, 1 << 20]}},
    {name: 'c', datatype: 'BOOL', shape: [1], contents: {bool_contents: [true]}},
  ],
  outputs: [{name: 'y', parameters: {binary_data: {bool_param: true}}}],
  raw_input_contents: [Buffer.alloc(8)],
})

const withTail = (...bytes: number[]) => Buffer.concat([valid, Buffer.from(bytes)])

describe('protobuf wire check', () => {
  it('accepts what a protobuf encoder writes, and unknown fields of any valid wire type', () => {
    expect(wireFormatProblem(requestType, valid)).toBeUndefined()
    // field 99 as a varint, field 100 as a length-delimited value, field 101 as fixed32: a newer client's fields
    const unknown = withTail(0x98, 0x06, 0x01, 0xa2, 0x06, 0x02, 0x61, 0x62, 0xad, 0x06, 1, 2, 3, 4)
    expect(wireFormatProblem(requestType, unknown)).toBeUndefined()
    expect(modelInfer.requestDeserialize(unknown)).toMatchObject({model_name: 'lenet'})
  })

  it.each([
    ['field number 0', withTail(0x00, 0x00), /field number 0/],
    ['a string field sent as a varint', withTail(0x08, 0x01), /field 1 .* wire type 0, not 2/],
    ['a string running past the end', withTail(0x0a, 0x05, 0x61), /field 1 runs past the end/],
    ['a group', withTail(0x0b, 0x0c), /wire type 3/],
    ['wire type 7', withTail(0x0f), /wire type 7/],
    ['a truncated number', withTail(0x80), /runs past the end/],
    ['an 11-byte number', withTail(0x98, 0x06, ...Array(10).fill(0xff), 0x01), /longer than 10 bytes/],
  ])('refuses %s', (_, bytes, message) => {
    expect(wireFormatProblem(requestType, bytes)).toMatch(message)
  })

  it('checks nested messages and packed values too', () => {
    // an input (field 5) holding a message whose only field is number 0
    expect(wireFormatProblem(requestType, withTail(0x2a, 0x02, 0x00, 0x00))).toMatch(/field number 0/)
    // an input holding contents (5) whose fp32_contents (6) are packed into 5 bytes
    const oddFloats = [0x2a, 0x09, 0x2a, 0x07, 0x32, 0x05, 1, 2, 3, 4, 5]
    expect(wireFormatProblem(requestType, withTail(...oddFloats))).toMatch(/not a multiple of 4/)
  })

  it('catches what the decoder alone lets through or misreads', () => {
    expect(modelInfer.requestDeserialize(withTail(0x00, 0x00))).toMatchObject({model_name: 'lenet'})
    expect(modelInfer.requestDeserialize(withTail(0x0a, 0x05, 0x61))).toMatchObject({model_name: 'a'})
  })
})
