/**
 * `mlctl train --engine tfjs` end to end, in-process on the small cars CSV: the run has the same files as
 * an ONNX Runtime run, evaluates through the ONNX Runtime code path with the numbers the TF.js engine
 * reported, exports to a verified ONNX file, and its checkpoint continues with the other engine.
 */
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {evaluateModel} from '../../src/core/evaluate/evaluate-model.js'
import {exportRun} from '../../src/core/export/export-run.js'
import type {RegressionReport} from '../../src/core/evaluate/regression-report.js'
import {RUN_FILES, RUN_TOKENIZER_FILE} from '../../src/core/run/run-dir.js'
import type {TrainConfig} from '../../src/core/train/train-config.js'
import {trainRun} from '../../src/core/train/train-run.js'
import {loadTfjs} from '../../src/core/tfjs-engine/load-tfjs.js'
import {relativeError, TOLERANCE} from './helpers/compare.js'

const dir = mkdtempSync(join(tmpdir(), 'mlctl-tfjs-run-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const flags: Partial<TrainConfig> = {
  data: 'examples/cars.csv',
  target: 'Miles_per_Gallon',
  model: 'mlp',
  loss: 'mse',
  epochs: 2,
  'batch-size': 16,
  lr: 0.01,
  seed: 5,
}

describe('train --engine tfjs', () => {
  it('writes a run that evaluates and exports through ONNX Runtime and resumes with --engine ort', async () => {
    const out = join(dir, 'run')
    const warnings: string[] = []
    let engine = ''
    const result = await trainRun({
      flags: {...flags, engine: 'tfjs', out},
      mlctlVersion: 'test',
      onWarning: (message) => warnings.push(message),
      onStart: (start) => (engine = start.engine),
      shouldStop: () => false,
    })
    // Whichever backend loaded here (tfjs-node where it installs, pure JavaScript elsewhere), the start-of-run
    // line names it, and only the pure-JavaScript fallback warns, once, saying why no native backend loaded.
    const {native, description} = await loadTfjs()
    expect(engine).toBe(description)
    if (native) {
      expect(engine).toMatch(/^TensorFlow\.js [\d.]+, native TensorFlow through @tensorflow\/tfjs-node(-gpu)? \(/)
      expect(warnings).toEqual([])
    } else {
      expect(engine).toMatch(/^TensorFlow\.js 4\.22\.0, pure JavaScript/)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(
        /^TensorFlow\.js runs in pure JavaScript.*@tensorflow\/tfjs-node is (not installed|installed without its native binding)/,
      )
    }
    expect(result.outcome).toBe('completed')
    for (const file of Object.values(RUN_FILES)) expect(existsSync(join(out, file)), file).toBe(true)
    // only text runs have one
    expect(existsSync(join(out, RUN_TOKENIZER_FILE))).toBe(false)
    expect(JSON.parse(readFileSync(join(out, RUN_FILES.config), 'utf8')).config.engine).toBe('tfjs')

    const evaluation = await evaluateModel({model: out, split: 'test', batchSize: 64, topK: 1, threads: 1, gates: {}})
    const report = evaluation.report as RegressionReport
    expect(relativeError([report.loss.value], [result.test!.loss])).toBeLessThan(TOLERANCE)
    expect(relativeError([report.mae], [result.test!.metric])).toBeLessThan(TOLERANCE)

    // These outputs are units sold (~100): the default tolerance scales with them.
    const exported = await exportRun({runDir: out, mlctlVersion: 'test'})
    expect(exported.kept, JSON.stringify(exported.verification)).toBe(true)
    expect(existsSync(exported.output)).toBe(true)

    const resumed = await trainRun({
      flags: {epochs: 3, engine: 'ort'},
      resume: out,
      mlctlVersion: 'test',
      shouldStop: () => false,
    })
    expect(resumed.outcome).toBe('completed')
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([1, 2, 3])
    expect(resumed.epochs[2].trainLoss).toBeLessThan(resumed.epochs[0].trainLoss)
  })
})
