import {describe, expect, it} from 'vitest'

import {OrtSession, tensor} from '../../src/core/engine/ort-session.js'
import {toFloat16Bits} from '../../src/core/export/float16-weights.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {OnnxDataType} from '../../src/core/onnx/onnx-proto.js'

describe('toFloat16Bits', () => {
  it('encodes known values: normals, the largest finite, subnormals, ties to even, overflow, NaN', () => {
    const cases: Array<[number, number]> = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00], // halfway to 65536 rounds to even, i.e. up to Infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // halfway to the smallest subnormal: ties to even (0)
      [1.5 * 2 ** -24, 0x0002], // halfway between 1 and 2 subnormal units: ties to even (2)
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next float16: ties to even (1)
      [1 + 3 * 2 ** -11, 0x3c02],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ]
    for (const [value, bits] of cases)
      expect([value, toFloat16Bits(value).toString(16)]).toEqual([value, bits.toString(16)])
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00)
    expect(toFloat16Bits(NaN) & 0x3ff).not.toBe(0)
  })

  it('agrees with onnxruntime casting float32 to float16 on 20,000 values across the range', async () => {
    const values = new Float32Array(20_000)
    let seed = 12345
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < values.length; i++) values[i] = (random() - 0.5) * 2 ** Math.floor(random() * 46 - 30)
    const g = new GraphBuilder('cast')
    g.output(g.node('Cast', [g.input('x', 'float32', [values.length])], {to: OnnxDataType.float16}), 'y', 'float16', [
      values.length,
    ])
    const session = await OrtSession.create(g.toBytes(), 1)
    const {y} = await session.run({x: tensor(values, [values.length])})
    await session.release()
    const expected = y as unknown as Uint16Array
    const mismatches = Array.from(values).filter((v, i) => toFloat16Bits(v) !== expected[i])
    expect(mismatches).toEqual([])
  })
})
