import {describe, expect, it} from 'vitest'

import {bytesToRaw} from '../../src/core/serve/bytes-tensor.js'
import {decodeInferRequest} from '../../src/core/serve/infer-json.js'
import {
  readTensorHeader,
  tensorFromContents,
  tensorFromJsonData,
  tensorFromRaw,
} from '../../src/core/serve/tensor-codec.js'

const TEXTS = ['Great product! 👍', 'Café au lait, très bien', '', '我喜欢这个产品']
const header = (shape: number[]) => readTensorHeader({name: 'text', datatype: 'BYTES', shape}, 'inputs[0]')

describe('BYTES tensors', () => {
  it('reads texts from JSON strings (flat or [N, 1]), gRPC bytes_contents and length-prefixed raw bytes alike', () => {
    expect(tensorFromJsonData(header([4]), TEXTS)).toEqual({name: 'text', datatype: 'BYTES', shape: [4], data: TEXTS})
    expect(
      tensorFromJsonData(
        header([4, 1]),
        TEXTS.map((text) => [text]),
      ).data,
    ).toEqual(TEXTS)
    const contents = {bytes_contents: TEXTS.map((text) => Buffer.from(text))}
    expect(tensorFromContents(header([4]), contents).data).toEqual(TEXTS)
    const raw = bytesToRaw(TEXTS)
    // 4 little-endian length bytes before each element: 'Great product! 👍' is 19 bytes in UTF-8.
    expect([...raw.subarray(0, 4)]).toEqual([19, 0, 0, 0])
    expect(tensorFromRaw(header([4]), raw).data).toEqual(TEXTS)
  })

  it.each([
    [() => tensorFromJsonData(header([2]), ['one']), /has 1 BYTES elements but shape \[2\] needs 2/],
    [() => tensorFromJsonData(header([1]), [7]), /element 0 is 7, not a string \(BYTES\)/],
    [() => tensorFromJsonData(header([1]), 'text'), /needs "data": an array of strings/],
    [() => tensorFromRaw(header([2]), bytesToRaw(['a', 'b', 'c'])), /has 3 BYTES elements but shape \[2\] needs 2/],
    [() => tensorFromRaw(header([1]), Buffer.from([5, 0, 0, 0, 65])), /element 0 claims 5 bytes but 1 follow/],
    [
      () => tensorFromRaw(header([2]), Buffer.concat([bytesToRaw(['a']), Buffer.from([1, 0])])),
      /end inside the 4-byte length of element 1/,
    ],
    [() => tensorFromRaw(header([1]), bytesToRaw(['x']).fill(0xff, 4)), /element 0 is not UTF-8 text/],
    [() => tensorFromContents(header([1]), {bytes_contents: [Buffer.from([0xc3])]}), /element 0 is not UTF-8 text/],
    [() => tensorFromContents(header([1]), {fp32_contents: [1]}), /no bytes_contents and no raw contents/],
  ])('rejects bad BYTES data with a message naming the problem %#', (decode, message) => {
    expect(decode).toThrow(message)
  })

  it('reads a BYTES input from the binary data after the JSON (binary_data_size: the length-prefixed bytes)', () => {
    const raw = bytesToRaw(TEXTS)
    const json = Buffer.from(
      JSON.stringify({
        inputs: [{name: 'text', datatype: 'BYTES', shape: [4], parameters: {binary_data_size: raw.length}}],
      }),
    )
    const request = decodeInferRequest(Buffer.concat([json, raw]), String(json.length))
    expect(request.inputs).toEqual([{name: 'text', datatype: 'BYTES', shape: [4], data: TEXTS}])
  })
})
