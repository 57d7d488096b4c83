import {describe, expect, it} from 'vitest'

import {
  readTensorHeader,
  tensorFromContents,
  tensorFromJsonData,
  tensorFromRaw,
  tensorToContents,
  tensorToJson,
  tensorToRaw,
  type TensorHeader,
} from '../../src/core/serve/tensor-codec.js'
import {canHandOver, markRequestOwned} from '../../src/core/serve/tensor.js'

/** The header of a numeric tensor (readTensorHeader also reads BYTES ones, tested below). */
const numericHeader = (value: unknown, what: string) => readTensorHeader(value, what) as TensorHeader

describe('tensor codec', () => {
  it('accepts flat and nested JSON data alike', () => {
    const header = readTensorHeader({name: 'x', datatype: 'FP32', shape: [2, 2]}, 'inputs[0]')
    const flat = tensorFromJsonData(header, [1, 2, 4, 5])
    const nested = tensorFromJsonData(header, [
      [1, 2],
      [4, 5],
    ])
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
    const header = numericHeader({name: 'x', datatype: 'INT64', shape: [2]}, 'inputs[0]')
    const bytes = Buffer.from(new BigInt64Array([-3n, 1n << 40n]).buffer)
    const tensor = tensorFromRaw(header, bytes.subarray(0))
    expect(Array.from(tensor.data as BigInt64Array)).toEqual([-3n, 1n << 40n])
    expect(tensorToRaw(tensor).equals(bytes)).toBe(true)
    expect(tensorToJson(tensor).data).toEqual([-3, 2 ** 40])
    expect(() => tensorFromRaw(header, bytes.subarray(1))).toThrow(/15 bytes but shape \[2\] of INT64 needs 16/)
  })

  it('uses raw bytes in place only when they lie aligned in a request-owned body; copies them otherwise', () => {
    const header = numericHeader({name: 'x', datatype: 'FP32', shape: [2]}, 'inputs[0]')
    const body = new ArrayBuffer(16)
    new Float32Array(body, 8, 2).set([1.5, -2])
    const unaligned = new Uint8Array(new ArrayBuffer(17))
    unaligned.set(new Uint8Array(body, 8, 8), 9)

    const copied = tensorFromRaw(header, new Uint8Array(body, 8, 8))
    expect(copied.data.buffer).not.toBe(body)
    expect(canHandOver(copied.data)).toBe(true)

    markRequestOwned(body)
    markRequestOwned(unaligned.buffer)
    const inPlace = tensorFromRaw(header, new Uint8Array(body, 8, 8))
    expect(inPlace.data.buffer).toBe(body)
    expect(inPlace.data.byteOffset).toBe(8)
    expect(Array.from(inPlace.data as Float32Array)).toEqual([1.5, -2])
    expect(canHandOver(inPlace.data)).toBe(true)
    const realigned = tensorFromRaw(header, unaligned.subarray(9))
    expect(realigned.data.buffer).not.toBe(unaligned.buffer)
    expect(Array.from(realigned.data as Float32Array)).toEqual([1.5, -2])
    // A view into someone else's larger buffer must be copied before it goes to another thread.
    expect(canHandOver(new Float32Array(new ArrayBuffer(16), 8, 2))).toBe(false)
  })

  it('reads and writes the typed gRPC contents field of each datatype', () => {
    const fp32 = tensorFromContents(numericHeader({name: 'x', datatype: 'FP32', shape: [2]}, 'i'), {
      fp32_contents: [0.5, -1],
    })
    expect(tensorToContents(fp32)).toEqual({fp32_contents: [0.5, -1]})
    const bool = tensorFromContents(numericHeader({name: 'b', datatype: 'BOOL', shape: [2]}, 'i'), {
      bool_contents: [true, false],
    })
    expect(tensorToContents(bool)).toEqual({bool_contents: [true, false]})
    const int8 = tensorFromContents(numericHeader({name: 'i', datatype: 'INT8', shape: [1]}, 'i'), {
      int_contents: [-7],
    })
    expect(tensorToContents(int8)).toEqual({int_contents: [-7]})
    expect(() =>
      tensorFromContents(numericHeader({name: 'x', datatype: 'FP32', shape: [1]}, 'i'), {int_contents: [1]}),
    ).toThrow(/no fp32_contents and no raw contents/)
  })
})
