import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {OrtSession, tensor} from '../../src/core/engine/ort-session.js'
import {UserError} from '../../src/core/errors.js'
import {buildExportModel, type ExportModelSettings} from '../../src/core/export/export-model.js'
import {exportRun} from '../../src/core/export/export-run.js'
import {checkOnnxStructure} from '../../src/core/export/onnx-structure-check.js'
import {verifyOnnxFile} from '../../src/core/export/onnx-verification.js'
import {tfjsReferenceLogits} from '../../src/core/export/tfjs-reference.js'
import {readTrainedRun} from '../../src/core/export/trained-run.js'
import {loadVerificationSample} from '../../src/core/export/verification-sample.js'
import {writeVerifiedFile} from '../../src/core/export/verified-write.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {decodeModel, encodeModel, OnnxDataType} from '../../src/core/onnx/onnx-proto.js'
import {readOnnxMetadataProps} from '../../src/core/onnx/metadata-props.js'
import {makeTinyRun} from './tiny-run.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-export-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

const VERSION = '9.9.9-test'
const SAMPLE = 32
let lenet: string

beforeAll(async () => {
  lenet = (await makeTinyRun(join(root, 'lenet'), 'lenet')).dir
})

const settings = (overrides: Partial<ExportModelSettings> = {}): ExportModelSettings => ({
  opset: 17,
  batch: 'dynamic',
  includeSoftmax: false,
  normalize: false,
  fp16: false,
  mlctlVersion: VERSION,
  ...overrides,
})

/** Runs a file on float32 inputs (already normalized) or uint8 inputs. */
async function runFile(
  path: string,
  inputs: Float32Array | Uint8Array | Int32Array,
  dims: number[],
): Promise<Record<string, Float32Array>> {
  const session = await OrtSession.create(readFileSync(path), 1)
  try {
    return await session.run({input: tensor(inputs, dims)})
  } finally {
    await session.release()
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)

describe('exportRun', () => {
  const custom: ModelSpec = {
    inputShape: [1, 28, 28],
    inputType: 'uint8',
    layers: [
      {type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 'same'},
      {type: 'batchNorm'},
      {type: 'leakyRelu', alpha: 0.1},
      {type: 'avgPool2d', size: 2},
      {type: 'dropout', rate: 0.3},
      {type: 'flatten'},
      // batch norm on flattened features: TensorFlow.js orders them NHWC, the engine NCHW
      {type: 'batchNorm'},
      {type: 'dense', units: 16},
      {type: 'tanh'},
      {type: 'dropout', rate: 0.5},
      {type: 'dense', units: 10},
      {type: 'softmax'},
    ],
  }

  for (const model of ['mlp', 'lenet', 'cnn', custom] as const) {
    const name = typeof model === 'string' ? model : 'custom spec with batchnorm and dropout'
    it(`exports ${name}: verified against TensorFlow.js, structurally valid, opset 17, producer mlctl`, async () => {
      const run =
        typeof model === 'string' && model === 'lenet'
          ? lenet
          : (await makeTinyRun(join(root, name.replace(/ /g, '-')), model, {steps: 8})).dir
      const result = await exportRun({runDir: run, mlctlVersion: VERSION, sampleSize: SAMPLE})
      expect(result.kept).toBe(true)
      expect(result.output).toBe(join(run, 'model.onnx'))
      expect(result.verification).toMatchObject({
        examples: SAMPLE,
        split: 'test',
        passed: true,
        argmaxAgreement: {agree: SAMPLE, total: SAMPLE},
      })
      expect(result.verification.maxAbsDiff).toBeLessThan(1e-5)
      const file = decodeModel(readFileSync(result.output))
      expect(checkOnnxStructure(file)).toEqual([])
      expect(file).toMatchObject({
        irVersion: 8,
        opsetImport: [{domain: '', version: 17}],
        producerName: 'mlctl',
        producerVersion: VERSION,
      })
      expect(result.inputs).toEqual([{name: 'input', type: 'float32', shape: ['batch', 1, 28, 28]}])
      const outputs = typeof model === 'string' ? ['logits'] : ['logits', 'probabilities']
      expect(result.outputs.map((o) => o.name)).toEqual(outputs)
      // the dropout layers are gone, the batch norms use their moving statistics
      expect(file.graph.node.map((n) => n.opType)).not.toContain('Dropout')
    })
  }

  it('writes a symbolic batch dimension that runs batches of 1, 7 and 256', async () => {
    const result = await exportRun({
      runDir: lenet,
      output: join(root, 'dynamic.onnx'),
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    const run = readTrainedRun(lenet)
    const sample = await loadVerificationSample(run, 256)
    const reference = await tfjsReferenceLogits(run.modelDir, sample, false)
    const normalized = Float32Array.from(sample.inputs, (v) => v / 255)
    for (const batch of [1, 7, 256]) {
      const {logits} = await runFile(result.output, normalized.subarray(0, batch * 784), [batch, 1, 28, 28])
      expect(logits).toHaveLength(batch * 10)
      expect(maxDiff(logits, reference.subarray(0, batch * 10))).toBeLessThan(1e-5)
    }
  })

  it('stores metadata_props that read back as the run recorded them', async () => {
    const result = await exportRun({
      runDir: lenet,
      output: join(root, 'meta.onnx'),
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    const props = await readOnnxMetadataProps(result.output)
    expect(props).toEqual(result.metadata)
    expect(JSON.parse(props.class_names)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    expect(props).toMatchObject({
      task: 'classification',
      input_layout: 'NCHW',
      dataset: 'mnist-sample',
      mlctl_version: VERSION,
    })
    expect(JSON.parse(props.input_normalization)).toEqual({inputType: 'float32', scale: 1 / 255, mean: [0], std: [1]})
    const record = JSON.parse(readFileSync(join(lenet, 'metrics.jsonl'), 'utf8'))
    expect(JSON.parse(props.training_metrics)).toEqual({
      metric: 'accuracy',
      epoch: 1,
      trainLoss: record.trainLoss,
      trainMetric: record.trainMetric,
      valLoss: record.valLoss,
      valMetric: record.valMetric,
    })
  })

  it('--normalize bakes the scaling in: the file takes raw uint8 pixels and computes the same logits', async () => {
    const plain = await exportRun({
      runDir: lenet,
      output: join(root, 'plain.onnx'),
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    const raw = await exportRun({
      runDir: lenet,
      output: join(root, 'raw.onnx'),
      normalize: true,
      includeSoftmax: true,
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    expect(raw.kept).toBe(true)
    expect(raw.inputs[0]).toEqual({name: 'input', type: 'uint8', shape: ['batch', 1, 28, 28]})
    expect(raw.outputs.map((o) => o.name)).toEqual(['logits', 'probabilities'])
    expect(JSON.parse(raw.metadata.input_normalization)).toEqual({inputType: 'uint8', scale: 1, mean: [0], std: [1]})
    const sample = await loadVerificationSample(readTrainedRun(lenet), 16)
    const fromRaw = await runFile(raw.output, sample.inputs, [16, 1, 28, 28])
    const fromNormalized = await runFile(
      plain.output,
      Float32Array.from(sample.inputs, (v) => v / 255),
      [16, 1, 28, 28],
    )
    expect(maxDiff(fromRaw.logits, fromNormalized.logits)).toBeLessThan(1e-5)
    for (let n = 0; n < 16; n++)
      expect(fromRaw.probabilities.subarray(n * 10, n * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
  })

  it('--batch N fixes the batch dimension; the sample is verified in padded batches of N', async () => {
    const result = await exportRun({
      runDir: lenet,
      output: join(root, 'fixed.onnx'),
      batch: 7,
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    expect(result.verification).toMatchObject({examples: SAMPLE, passed: true})
    expect(result.inputs[0].shape).toEqual([7, 1, 28, 28])
    expect(result.outputs[0].shape).toEqual([7, 10])
    await expect(runFile(result.output, new Float32Array(8 * 784), [8, 1, 28, 28])).rejects.toThrow()
  })

  it('--fp16 stores float16 weights: about half the bytes, every class kept', async () => {
    const result = await exportRun({
      runDir: lenet,
      output: join(root, 'half.onnx'),
      fp16: true,
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    expect(result.kept).toBe(true)
    expect(result.verification.argmaxAgreement).toEqual({agree: SAMPLE, total: SAMPLE})
    expect(result.verification.tolerance).toBeGreaterThanOrEqual(1e-2) // scaled by the logits' size
    expect(result.bytes / result.float32Bytes!).toBeLessThan(0.52)
    const file = decodeModel(readFileSync(result.output))
    expect(checkOnnxStructure(file)).toEqual([])
    const weights = file.graph.initializer.filter((i) => i.name.endsWith('/float16'))
    expect(weights.map((w) => w.name)).toContain('dense_1/kernel/float16')
    expect(weights.every((w) => w.dataType === OnnxDataType.float16)).toBe(true)
  })

  it('declares any opset from 9 to 23 for the same graph and refuses others', async () => {
    const run = readTrainedRun(lenet)
    const input = new Float32Array(3 * 784).map((_, i) => (i % 97) / 97)
    const outputsAt = async (opset: number) => {
      const path = join(root, `opset-${opset}.onnx`)
      const {bytes} = buildExportModel(run, settings({opset}))
      expect(checkOnnxStructure(decodeModel(bytes))).toEqual([])
      writeFileSync(path, bytes)
      return (await runFile(path, input, [3, 1, 28, 28])).logits
    }
    const at17 = await outputsAt(17)
    for (let opset = 9; opset <= 23; opset++) expect(Array.from(await outputsAt(opset))).toEqual(Array.from(at17))
    for (const opset of [8, 24])
      await expect(exportRun({runDir: lenet, opset, mlctlVersion: VERSION})).rejects.toThrow(/opsets 9 to 23/)
    const result = await exportRun({
      runDir: lenet,
      output: join(root, 'opset13.onnx'),
      opset: 13,
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    expect(result.kept).toBe(true)
    expect(decodeModel(readFileSync(result.output))).toMatchObject({irVersion: 7, opsetImport: [{version: 13}]})
  })

  it('a tampered weight fails verification: no file is written and an older file stays', async () => {
    const run = readTrainedRun(lenet)
    const sample = await loadVerificationSample(run, SAMPLE)
    const reference = await tfjsReferenceLogits(run.modelDir, sample, false)
    const exported = buildExportModel(run, settings())
    const model = decodeModel(exported.bytes, {defaults: false})
    const bias = model.graph.initializer.find((i) => i.name === 'dense_3/bias')!
    const values = new Float32Array(new Uint8Array(bias.rawData).buffer)
    values[0] += 1e-3
    bias.rawData = new Uint8Array(values.buffer)
    const tampered = encodeModel(model)

    const dir = join(root, 'tampered')
    rmSync(dir, {recursive: true, force: true})
    mkdirSync(dir, {recursive: true})
    const output = join(dir, 'model.onnx')
    const verify = (path: string) =>
      verifyOnnxFile(path, sample, reference, {
        tolerance: 1e-5,
        task: 'classification',
        outputs: 10,
        probabilities: 'none',
      })
    const report = await writeVerifiedFile(output, tampered, verify)
    expect(report.passed).toBe(false)
    expect(report.maxAbsDiff).toBeGreaterThan(9e-4)
    expect(readdirSync(dir)).toEqual([])

    writeFileSync(output, 'an earlier export')
    expect((await writeVerifiedFile(output, tampered, verify)).passed).toBe(false)
    expect(readdirSync(dir)).toEqual(['model.onnx'])
    expect(readFileSync(output, 'utf8')).toBe('an earlier export')
    expect((await writeVerifiedFile(output, exported.bytes, verify)).passed).toBe(true)
    expect(readFileSync(output)).toEqual(Buffer.from(exported.bytes))
  })

  it('keeps no file when the outputs differ by more than --tolerance', async () => {
    const output = join(root, 'strict.onnx')
    const result = await exportRun({
      runDir: lenet,
      output,
      tolerance: 0,
      fp16: true,
      mlctlVersion: VERSION,
      sampleSize: SAMPLE,
    })
    expect(result.kept).toBe(false)
    expect(result.verification.passed).toBe(false)
    expect(existsSync(output)).toBe(false)
  })

  it('exports a CSV regression run: NC input, no class names, verified by mean absolute error', async () => {
    const {dir} = await makeTinyRun(join(root, 'csv'), 'mlp', {
      csv: {file: 'examples/cars.csv', target: 'Miles_per_Gallon'},
    })
    const result = await exportRun({runDir: dir, mlctlVersion: VERSION})
    expect(result.kept).toBe(true)
    expect(result.inputs[0].shape).toEqual(['batch', 17])
    expect(result.outputs).toEqual([{name: 'logits', type: 'float32', shape: ['batch', 1]}])
    expect(result.verification.argmaxAgreement).toBeUndefined()
    expect(result.verification.sampleMetric.name).toBe('mae')
    expect(result.metadata).toMatchObject({task: 'regression', input_layout: 'NC'})
    expect(result.metadata.class_names).toBeUndefined()
    await expect(exportRun({runDir: dir, includeSoftmax: true, mlctlVersion: VERSION})).rejects.toThrow(UserError)
  })

  it('says what is wrong with a directory that is not a finished run', async () => {
    await expect(exportRun({runDir: join(root, 'nowhere'), mlctlVersion: VERSION})).rejects.toThrow(
      /not a training run/,
    )
    const unfinished = join(root, 'unfinished')
    mkdirSync(unfinished, {recursive: true})
    writeFileSync(join(unfinished, 'config.json'), '{}')
    await expect(exportRun({runDir: unfinished, mlctlVersion: VERSION})).rejects.toThrow(/has no model\/ yet/)
    await expect(
      exportRun({runDir: lenet, output: join(root, 'missing-dir', 'x.onnx'), mlctlVersion: VERSION}),
    ).rejects.toThrow(/does not exist/)
  })
})
