/**
 * Exporting a token model: the file takes input_ids and attention_mask (int64, symbolic batch and sequence),
 * carries text_input and the tokenizer in its metadata, passes the same numerical verification as image
 * models (a fresh onnxruntime session against TensorFlow.js on model/), and gives the same logits for a text
 * whatever the padding around it.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {Trainer, tokenFeeds} from '../../src/core/engine/index.js'
import {OrtSession} from '../../src/core/engine/ort-session.js'
import {buildExportModel} from '../../src/core/export/export-model.js'
import {verifyOnnxFile} from '../../src/core/export/onnx-verification.js'
import {tfjsReferenceLogits} from '../../src/core/export/tfjs-reference.js'
import type {TrainedRun} from '../../src/core/export/trained-run.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {fromMetadataProps} from '../../src/core/onnx/model-metadata.js'
import {writeLayersModelDir} from '../../src/core/tfjs-format/layers-model-dir.js'
import {tokenDataset} from '../helpers/token-dataset.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-token-export-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

const LENGTH = 16
const tokenizer = {version: '1.0', model: {type: 'WordPiece', vocab: {'[PAD]': 0}}}

describe('export of a token model', () => {
  it.each(['bag', 'textcnn'] as const)('%s: input_ids and attention_mask, verified, any padding', async (preset) => {
    const data = tokenDataset(LENGTH)
    const spec = presetSpec(preset, {inputShape: [LENGTH], outputs: 2, inputType: 'int32', vocabSize: 40})
    const trainer = await Trainer.create({
      spec,
      loss: {name: 'softmaxCrossEntropy'},
      optimizer: {name: 'adam', lr: 0.02},
      seed: 2,
      threads: 1,
    })
    for (let from = 0; from < 256; from += 32)
      await trainer.step(
        data.train.inputs.subarray(from * LENGTH, (from + 32) * LENGTH),
        data.train.targets.subarray(from, from + 32),
        32,
      )
    const weights = trainer.getWeights()
    await trainer.release()
    const dir = join(root, preset)
    writeLayersModelDir(join(dir, 'model'), spec, weights, 'mlctl test')
    const run: TrainedRun = {
      dir,
      modelDir: join(dir, 'model'),
      spec,
      weights,
      task: 'classification',
      classNames: data.classNames,
      loss: {name: 'softmaxCrossEntropy'},
      datasetName: data.name,
      text: {...data.text!, tokenizer},
      data: {dataset: data.name},
      trainingMetrics: {metric: 'accuracy'},
    }
    const exported = buildExportModel(run, {
      opset: 17,
      batch: 'dynamic',
      includeSoftmax: true,
      normalize: true,
      fp16: false,
      mlctlVersion: 'test',
    })
    expect(exported.inputs).toEqual([
      {name: 'input_ids', type: 'int64', shape: ['batch', 'sequence']},
      {name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence']},
    ])
    const {metadata, problems} = fromMetadataProps(exported.metadata)
    expect(problems).toEqual([])
    expect(metadata.textInput).toEqual({padId: 0, vocabSize: 40, sequenceLength: LENGTH})
    expect(JSON.parse(metadata.tokenizer!)).toEqual(tokenizer)
    expect(metadata.inputNormalization).toBeUndefined()

    const path = join(dir, 'model.onnx')
    writeFileSync(path, exported.bytes)
    const sample = {...data.test!, split: 'test' as const}
    const reference = await tfjsReferenceLogits(run.modelDir, sample, false)
    const report = await verifyOnnxFile(path, sample, reference, {
      tolerance: 1e-5,
      task: 'classification',
      outputs: 2,
      probabilities: exported.probabilities,
    })
    expect(report.passed).toBe(true)
    expect(report.argmaxAgreement).toEqual({agree: 128, total: 128})

    // the same texts padded to 40 positions, and cut to their longest (16 here): the same logits
    const session = await OrtSession.create(readFileSync(path), 1)
    try {
      const ids = data.test!.inputs as Int32Array
      const base = await session.run(tokenFeeds(ids.subarray(0, 8 * LENGTH), [8, LENGTH], 0))
      const wide = new Int32Array(8 * 40)
      for (let n = 0; n < 8; n++) wide.set(ids.subarray(n * LENGTH, (n + 1) * LENGTH), n * 40)
      const padded = await session.run(tokenFeeds(wide, [8, 40], 0))
      Array.from(base.logits).forEach((v, i) => expect(padded.logits[i]).toBeCloseTo(v, 5))
    } finally {
      await session.release()
    }
  })
})
