import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {evaluateModel} from '../../src/core/evaluate/evaluate-model.js'
import {readOnnxMetadataProps} from '../../src/core/onnx/metadata-props.js'
import {fromMetadataProps, type ModelMetadata, toMetadataProps} from '../../src/core/onnx/model-metadata.js'
import {IMAGE_SPEC, seededWeights, writeOnnxFile} from '../evaluate/fixtures.js'
import {compiledModule} from '../helpers/compiled-module.js'

// Serve's inference thread starts a compiled worker file.
const {ServedModel} =
  await compiledModule<typeof import('../../src/core/serve/served-model.js')>('core/serve/served-model.js')

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-model-metadata-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const METADATA: ModelMetadata = {
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  task: 'classification',
  inputLayout: 'NCHW',
  inputNormalization: {inputType: 'float32', scale: 1 / 255, mean: [0.1307], std: [0.3081]},
  dataset: 'mnist-sample',
  trainingMetrics: {metric: 'accuracy', epoch: 3, trainLoss: 0.25, valMetric: 0.9},
  mlctlVersion: '0.1.0',
}

/** One bad value per key (and the field it fills), with the problem every reader reports for it. */
const BAD_PROPS: Array<{key: string; field: keyof ModelMetadata; value: string; message: string}> = [
  {
    key: 'class_names',
    field: 'classNames',
    value: '{"0": "zero"}',
    message: 'metadata_props class_names is not a JSON array of strings',
  },
  {
    key: 'class_names',
    field: 'classNames',
    value: '["zero", ',
    message: 'metadata_props class_names is not a JSON array of strings',
  },
  {
    key: 'task',
    field: 'task',
    value: 'clustering',
    message: 'metadata_props task is "clustering"; it must be classification or regression',
  },
  {
    key: 'input_layout',
    field: 'inputLayout',
    value: 'NHWC',
    message: 'metadata_props input_layout is "NHWC"; it must be NCHW or NC',
  },
  {
    key: 'input_normalization',
    field: 'inputNormalization',
    value: '{"inputType": "float32", "scale": 1, "mean": [0], "std": [0]}',
    message:
      'metadata_props input_normalization needs inputType uint8 or float32, a number scale and non-empty number lists mean and std (std without 0)',
  },
  {
    key: 'training_metrics',
    field: 'trainingMetrics',
    value: '[1, 2]',
    message: 'metadata_props training_metrics is not a JSON object',
  },
  {
    key: 'table_preprocessing',
    field: 'tablePreprocessing',
    value: '{"columns": "price"}',
    message: 'metadata_props table_preprocessing is not a JSON object with a string list columns',
  },
]

describe('ONNX model metadata', () => {
  it('reads back what it writes, in a fixed key order, through an ONNX file too', async () => {
    const props = toMetadataProps(METADATA)
    expect(Object.keys(props)).toEqual([
      'class_names',
      'task',
      'input_layout',
      'input_normalization',
      'dataset',
      'training_metrics',
      'mlctl_version',
    ])
    expect(fromMetadataProps(props)).toEqual({metadata: METADATA, problems: []})

    const file = writeOnnxFile(join(tmp, 'round-trip.onnx'), IMAGE_SPEC, seededWeights(IMAGE_SPEC), props)
    expect(fromMetadataProps(await readOnnxMetadataProps(file))).toEqual({metadata: METADATA, problems: []})
    expect(toMetadataProps({})).toEqual({})

    const table: ModelMetadata = {
      task: 'regression',
      inputLayout: 'NC',
      tablePreprocessing: {
        columns: ['price', 'promo'],
        target: 'units_sold',
        featureStandardization: {mean: [3, 0.25], std: [0.5, 0.43], inGraph: true, method: 'robust'},
        targetStandardization: {mean: 160, std: 31.5},
      },
    }
    expect(fromMetadataProps(toMetadataProps(table))).toEqual({metadata: table, problems: []})

    const encoded: ModelMetadata = {
      tablePreprocessing: {
        columns: ['price', 'price missing', 'store=A', 'store=B', 'store=(unknown)', 'promo'],
        columnEncodings: [
          {column: 'price', type: 'number', fill: 3.1, missingIndicator: true},
          {column: 'store', type: 'category', values: ['A', 'B']},
          {column: 'promo', type: 'binary', values: ['no', 'yes'], fill: 0.4},
          {column: 'day', type: 'date', fill: '2026-11-28', missingIndicator: true},
        ],
      },
    }
    expect(fromMetadataProps(toMetadataProps(encoded))).toEqual({metadata: encoded, problems: []})
    const damaged = {table_preprocessing: '{"columns": ["store=A"], "columnEncodings": [{"column": "store"}]}'}
    expect(fromMetadataProps(damaged).problems[0].message).toBe(
      'metadata_props table_preprocessing is not a JSON object with a string list columns',
    )
    const badDate = {
      table_preprocessing:
        '{"columns": ["d year"], "columnEncodings": [{"column": "d", "type": "date", "fill": "soon"}]}',
    }
    expect(fromMetadataProps(badDate).problems).toHaveLength(1)
  })

  it('writes an image model’s preprocessing as image_size [height, width], channels and resize', () => {
    const image: ModelMetadata = {
      ...METADATA,
      imagePreprocessing: {width: 48, height: 32, channels: 3, resize: 'cover'},
    }
    const props = toMetadataProps(image)
    expect(props).toMatchObject({image_size: '[32,48]', channels: '3', resize: 'cover'})
    expect(fromMetadataProps(props)).toEqual({metadata: image, problems: []})
    const bad = (key: string, value: string | undefined) =>
      fromMetadataProps({...props, [key]: value as string}).problems.map((p) => p.message)
    expect(bad('image_size', '[32]')).toEqual([
      'metadata_props image_size is "[32]"; it must be a JSON [height, width] of positive integers',
    ])
    expect(bad('channels', '4')).toEqual(['metadata_props channels is "4"; it must be 1 or 3'])
    expect(bad('resize', 'crop')).toEqual(['metadata_props resize is "crop"; it must be cover, contain or fill'])
    // one key alone is not enough to reproduce the preprocessing
    const {metadata, problems} = fromMetadataProps({image_size: '[32,32]'})
    expect(metadata.imagePreprocessing).toBeUndefined()
    expect(problems.map((p) => p.key)).toEqual(['channels', 'resize'])
  })

  it('reports a bad value, reads the rest and ignores keys that are not mlctl’s', () => {
    for (const {key, field, value, message} of BAD_PROPS) {
      const {metadata, problems} = fromMetadataProps({...toMetadataProps(METADATA), [key]: value, producer: 'x'})
      expect(problems, `${key}=${value}`).toEqual([{key, message}])
      expect(metadata, key).toEqual({...METADATA, [field]: undefined})
    }
  })

  it('evaluate stops on a bad value and serve warns, with the same words', async () => {
    for (const {key, value, message} of BAD_PROPS) {
      const file = writeOnnxFile(join(tmp, `bad-${key}.onnx`), IMAGE_SPEC, seededWeights(IMAGE_SPEC), {
        ...toMetadataProps(METADATA),
        [key]: value,
      })
      const failure = await evaluateModel({model: file, split: 'test', batchSize: 64, topK: 5, threads: 1, gates: {}})
        .then(() => 'no error')
        .catch((error: Error) => error.message)
      expect(failure).toBe(`${file}: ${message}; re-export the model or remove that entry`)

      const served = await ServedModel.load(
        {
          name: 'm',
          version: 1,
          path: file,
          threads: 1,
          batching: {maxBatchSize: 1, maxQueueDelayMs: 0, maxQueue: 1, timeoutMs: 10_000},
        },
        {onBatch() {}, onQueueDepth() {}, onInference() {}},
      )
      try {
        expect(served.summary().warnings, key).toEqual([expect.stringMatching(new RegExp(`^${escape(message)}; `))])
      } finally {
        await served.close()
      }
    }
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
