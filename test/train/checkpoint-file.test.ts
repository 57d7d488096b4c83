import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {readCheckpoint, writeCheckpoint} from '../../src/core/train/checkpoint-file.js'

const dir = () => mkdtempSync(join(tmpdir(), 'mlctl-ckpt-'))

describe('checkpoint file', () => {
  it('round-trips metadata and tensors exactly, leaving no temp file', () => {
    const d = dir()
    const path = join(d, 'last')
    const w = new Float32Array([1.5, -2.25, Math.PI, 1e-30])
    const b = new Float32Array([0.1, 0.2, 0.3])
    writeCheckpoint(path, {meta: {epoch: 3, seed: 7}, tensors: {w: {shape: [2, 2], data: w}, b: {shape: [3], data: b}}})
    const back = readCheckpoint<{epoch: number; seed: number}>(path)
    expect(back.meta).toEqual({epoch: 3, seed: 7})
    expect(back.tensors.w.shape).toEqual([2, 2])
    expect(Array.from(back.tensors.w.data)).toEqual(Array.from(w))
    expect(Array.from(back.tensors.b.data)).toEqual(Array.from(b))
    expect(readdirSync(d)).toEqual(['last'])
  })

  it('rejects a file with a flipped byte in the tensor data', () => {
    const path = join(dir(), 'last')
    writeCheckpoint(path, {meta: {}, tensors: {w: {shape: [4], data: new Float32Array([1, 2, 3, 4])}}})
    const bytes = readFileSync(path)
    bytes[bytes.length - 1] ^= 0xff
    writeFileSync(path, bytes)
    expect(() => readCheckpoint(path)).toThrow(/damaged \(checksum mismatch\)/)
  })

  it('rejects a truncated file and a file that is not a checkpoint', () => {
    const path = join(dir(), 'last')
    writeCheckpoint(path, {meta: {}, tensors: {w: {shape: [4], data: new Float32Array([1, 2, 3, 4])}}})
    writeFileSync(path, readFileSync(path).subarray(0, 12))
    expect(() => readCheckpoint(path)).toThrow(/truncated header/)
    writeFileSync(path, 'hello')
    expect(() => readCheckpoint(path)).toThrow(/not an mlctl checkpoint/)
  })
})
