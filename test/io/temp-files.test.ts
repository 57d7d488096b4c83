import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {removeStaleTempFiles, tempPathBeside} from '../../src/core/io/temp-files.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-temp-files-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid

describe('removeStaleTempFiles', () => {
  it("removes the temp files and folders of dead writers and keeps a live writer's and everything else", () => {
    const dir = join(root, 'run')
    mkdirSync(dir)
    const dead = deadPid()
    const stale = [
      `.config.json.${dead}.tmp`,
      `.model.onnx.${dead}.unverified`,
      `..model.onnx.${dead}.unverified.${dead}.tmp`,
      `.model.${dead}.old`,
    ]
    for (const name of stale) writeFileSync(join(dir, name), 'partial')
    mkdirSync(join(dir, `.model.${dead}.tmp`))
    writeFileSync(join(dir, `.model.${dead}.tmp`, 'weights.bin'), 'partial')
    const kept = [
      `.model.onnx.${process.pid}.unverified`, // this process: alive
      `.model.onnx.${process.ppid}.unverified`, // its parent: alive
      'model.onnx',
      '.hidden',
      `.notes.${dead}.txt`,
      `model.${dead}.tmp`, // not hidden: not a name mlctl writes
    ]
    for (const name of kept) writeFileSync(join(dir, name), 'keep')

    removeStaleTempFiles(dir)
    expect(readdirSync(dir).sort()).toEqual([...kept].sort())
  })

  it('with a target, removes only the temp files of that file', () => {
    const dir = join(root, 'elsewhere')
    mkdirSync(dir)
    const dead = deadPid()
    const names = [
      `.a.onnx.${dead}.unverified`,
      `..a.onnx.${dead}.unverified.${dead}.tmp`,
      `.b.onnx.${dead}.unverified`,
    ]
    for (const name of names) writeFileSync(join(dir, name), 'partial')
    removeStaleTempFiles(dir, 'a.onnx')
    expect(readdirSync(dir)).toEqual([`.b.onnx.${dead}.unverified`])
  })

  it('ignores a directory that does not exist', () => {
    expect(() => removeStaleTempFiles(join(root, 'missing'))).not.toThrow()
  })

  it('names a temp file after its target and the pid of the process writing it', () => {
    expect(tempPathBeside(join(root, 'model.onnx'), 'unverified')).toBe(
      join(root, `.model.onnx.${process.pid}.unverified`),
    )
  })
})
