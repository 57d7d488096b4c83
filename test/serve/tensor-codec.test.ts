import {describe, expect, it} from 'vitest'

import {
  readTensorHeader,
  tensorFromContents,
  tensorFromJsonData,
  tensorFromRaw,
  tensorToContents,
  tensorToJson,
  tensorToRaw,
} from '../../src/core/serve/tensor-codec.js'

describe('tensor codec', () => {
  it('accepts flat and nested JSON data alike', () => {
    const header = readTensorHeader({name: 'x', datatype: 'FP32', shape: [2, 2]}, 'inputs[0]')
    const flat = tensorFromJsonData(header, [1, 2, 4, 5])
    const nested = tensorFromJsonData(header, [[1, 2], [4, 5]])
    expect(Array.from(flat.data as Float32Array)).toEqual([1, 2, 4, 5])
    expect(nested.data).toEqual(flat.data)
  })

  it.each([
    [{name: 'x', datatype: 'FP32', shape: [3]}, [1, 2], /has 2 values but shape \[3\] needs 3/],
    [{name: 'x', datatype: 'FP32', shape: [2]}, [1, '2'], /element 1 is "2", not a number/],
    [{name: 'x', datatype: 'FP32', shape: [1]}, [null], /element 0 is null/],
    [{name: 'x', datatype: 'UINT8', shape: [1]}, [256], /256, not a UINT8 integer/],
    [{name: 'x', datatype: 'INT32', shape: [1]}, [1.5], /1.5, not a INT32 integer/],
    [{name: 'x', datatype: 'BOOL', shape: [1]}, [1], /not a boolean/],
    [{name: 'x', datatype: 'FP32', shape: [1]}, 'abc', /needs "data"/],
  ])('rejects bad JSON data %#', (header, data, message) => {
    expect(() => tensorFromJsonData(readTensorHeader(header, 'inputs[0]'), data)).toThrow(message)
  })

  it.each([
    [[], /must be an object/],
    [{datatype: 'FP32', shape: [1]}, /needs a "name"/],
    [{name: 'x', datatype: 'FLOAT', shape: [1]}, /datatype "FLOAT"/],
    [{name: 'x', datatype: 'FP32', shape: [-1]}, /non-negative integers/],
    [{name: 'x', datatype: 'FP32'}, /needs a "shape"/],
  ])('rejects a bad tensor header %#', (value, message) => {
    expect(() => readTensorHeader(value, 'inputs[0]')).toThrow(message)
  })

  it('round-trips raw little-endian bytes, and checks their length', () => {
    const header = readTensorHeader({name: 'x', datatype: 'INT64', shape: [2]}, 'inputs[0]')
    const bytes = Buffer.from(new BigInt64Array([-3n, 1n << 40n]).buffer)
    const tensor = tensorFromRaw(header, bytes.subarray(0))
    expect(Array.from(tensor.data as BigInt64Array)).toEqual([-3n, 1n << 40n])
    expect(tensorToRaw(tensor).equals(bytes)).toBe(true)
    expect(tensorToJson(tensor).data).toEqual([-3, 2 ** 40])
    expect(() => tensorFromRaw(header, bytes.subarray(1))).toThrow(/15 bytes but shape \[2\] of INT64 needs 16/)
  })

  it('reads and writes the typed gRPC contents field of each datatype', () => {
    const fp32 = tensorFromContents(readTensorHeader({name: 'x', datatype: 'FP32', shape: [2]}, 'i'), {fp32_contents: [0.5, -1]})
    expect(tensorToContents(fp32)).toEqual({fp32_contents: [0.5, -1]})
    const bool = tensorFromContents(readTensorHeader({name: 'b', datatype: 'BOOL', shape: [2]}, 'i'), {bool_contents: [true, false]})
    expect(tensorToContents(bool)).toEqual({bool_contents: [true, false]})
    const int8 = tensorFromContents(readTensorHeader({name: 'i', datatype: 'INT8', shape: [1]}, 'i'), {int_contents: [-7]})
    expect(tensorToContents(int8)).toEqual({int_contents: [-7]})
    expect(() => tensorFromContents(readTensorHeader({name: 'x', datatype: 'FP32', shape: [1]}, 'i'), {int_contents: [1]})).toThrow(
      /no fp32_contents and no raw contents/,
    )
  })
})
