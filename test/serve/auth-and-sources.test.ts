import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {createAuthCheck} from '../../src/core/serve/auth.js'
import {resolveModelSources} from '../../src/core/serve/model-sources.js'

describe('createAuthCheck', () => {
  it('accepts only "Bearer <the key>"', () => {
    const check = createAuthCheck('s3cret')
    expect(check('Bearer s3cret')).toBe(true)
    expect(check('bearer s3cret')).toBe(true)
    expect(check('Bearer s3cre')).toBe(false)
    expect(check('Bearer s3cret2')).toBe(false)
    expect(check('s3cret')).toBe(false)
    expect(check(undefined)).toBe(false)
  })

  it('allows everything when no key is set', () => {
    expect(createAuthCheck(undefined)(undefined)).toBe(true)
  })
})

describe('resolveModelSources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlctl-serve-sources-'))
  const runDir = join(dir, 'run-7')
  const lenet = 'test/fixtures/serve/lenet.onnx'

  it('names a file after itself, and takes --name and --model NAME=PATH', () => {
    expect(resolveModelSources(lenet, undefined, [])).toEqual([{name: 'lenet', path: lenet}])
    expect(resolveModelSources(lenet, 'digits', ['tab=test/fixtures/serve/tabular.onnx'])).toEqual([
      {name: 'digits', path: lenet},
      {name: 'tab', path: 'test/fixtures/serve/tabular.onnx'},
    ])
  })

  it('serves the ONNX file of a run directory, named after the directory', () => {
    mkdirSync(runDir)
    expect(() => resolveModelSources(runDir, undefined, [])).toThrow(
      /no \.onnx file in .*run-7; run `mlctl export-onnx/,
    )
    writeFileSync(join(runDir, 'model.onnx'), '')
    expect(resolveModelSources(runDir, undefined, [])).toEqual([{name: 'run-7', path: join(runDir, 'model.onnx')}])
  })

  it('explains what is wrong with a bad argument', () => {
    expect(() => resolveModelSources(undefined, undefined, [])).toThrow(/no model to serve/)
    expect(() => resolveModelSources(join(dir, 'missing.onnx'), undefined, [])).toThrow(/missing\.onnx not found/)
    expect(() => resolveModelSources(undefined, undefined, ['lenet'])).toThrow(/is not NAME=PATH/)
    expect(() => resolveModelSources(lenet, 'bad/name', [])).toThrow(/not usable in URLs/)
  })
})
