import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadCsvDataset, loadDataset} from '../../src/core/data/index.js'
import type {ClassificationReport} from '../../src/core/evaluate/classification-report.js'
import {type EvaluateRequest, evaluateModel} from '../../src/core/evaluate/evaluate-model.js'
import type {RegressionReport} from '../../src/core/evaluate/regression-report.js'
import {UserError} from '../../src/core/errors.js'
import type {ModelSpec} from '../../src/core/model/index.js'
import {holdOut} from '../../src/core/data/validation-split.js'
import {DIGITS, IMAGE_SPEC, seededWeights, writeAnimalsCsv, writeOnnxFile, writeRunDir} from './fixtures.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-evaluate-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const SERVE_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'serve')
const imageWeights = seededWeights(IMAGE_SPEC)
const imageRun = writeRunDir(
  join(tmp, 'image-run'),
  IMAGE_SPEC,
  imageWeights,
  {dataset: 'mnist-sample', task: 'classification', classNames: DIGITS, loss: {name: 'softmaxCrossEntropy'}},
  {dataset: 'mnist-sample', 'val-split': 0.25},
)
const imageOnnx = writeOnnxFile(join(tmp, 'image.onnx'), IMAGE_SPEC, imageWeights, {
  class_names: JSON.stringify(DIGITS),
  task: 'classification',
  dataset: 'mnist-sample',
  input_layout: 'NCHW',
})

/** logits = [x1, x2, 0]: the model's classes are dog, cat, fox in that order, the CSV's sort as cat, dog, fox. */
const ANIMAL_SPEC: ModelSpec = {inputShape: [2], layers: [{type: 'dense', units: 3}]}
const ANIMAL_CLASSES = ['dog', 'cat', 'fox']
const animalWeights = [
  {name: 'dense_1/kernel', shape: [2, 3], data: Float32Array.from([1, 0, 0, 0, 1, 0])},
  {name: 'dense_1/bias', shape: [3], data: new Float32Array(3)},
]
const animalsCsv = writeAnimalsCsv(join(tmp, 'animals.csv'))

function request(model: string, more: Partial<EvaluateRequest> = {}): EvaluateRequest {
  return {model, split: 'test', batchSize: 64, topK: 5, threads: 1, gates: {}, ...more}
}

async function userError(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(UserError)
  return error as UserError
}

describe('evaluateModel', () => {
  it('gives the same metrics for a run directory and the ONNX file of its model', async () => {
    const fromRun = await evaluateModel(request(imageRun))
    const fromOnnx = await evaluateModel(request(imageOnnx))
    expect(fromRun.data).toEqual({source: 'mnist-sample', split: 'test', examples: 2000})
    expect(fromOnnx.data).toEqual(fromRun.data)
    expect(fromOnnx.report).toEqual(fromRun.report)
    const report = fromRun.report as ClassificationReport
    expect(report.classNames).toEqual(DIGITS)
    expect(report.confusionMatrix.flat().reduce((a, b) => a + b)).toBe(2000)
    expect(fromRun.model.output).toEqual({name: 'logits', kind: 'logits'})
    expect(fromRun.model.input).toMatchObject({type: 'uint8', fixedBatch: undefined})
  })

  it('normalizes the raw examples as input_normalization says, and pads the last batch of a fixed-batch model', async () => {
    // export's default: the graph takes float32 pixels in [0, 1] and the client scales the bytes
    const normalization = {inputType: 'float32', scale: 1 / 255, mean: [0], std: [1]}
    const onnx = writeOnnxFile(
      join(tmp, 'image-float.onnx'),
      IMAGE_SPEC,
      imageWeights,
      {class_names: JSON.stringify(DIGITS), input_normalization: JSON.stringify(normalization)},
      {normalizeInput: false, batchSize: 7},
    )
    const fromRun = (await evaluateModel(request(imageRun))).report as ClassificationReport
    const evaluation = await evaluateModel(request(onnx, {dataset: 'mnist-sample'}))
    const report = evaluation.report as ClassificationReport
    expect(evaluation.model.input).toMatchObject({
      type: 'float32',
      shape: [7, 1, 28, 28],
      fixedBatch: 7,
      conversion: {scale: 1 / 255, mean: [0], std: [1]},
    })
    expect(report.examples).toBe(2000) // 285 batches of 7 and one of 5 padded to 7
    expect(report.confusionMatrix).toEqual(fromRun.confusionMatrix)
    expect(report.loss).toBeCloseTo(fromRun.loss, 5)
  })

  it("evaluates --split val and train on train's hold-out, with the run's --val-split", async () => {
    const dataset = await loadDataset('mnist-sample')
    const {fit, validation} = holdOut(dataset.train, 0.25)
    const val = await evaluateModel(request(imageRun, {split: 'val'}))
    const train = await evaluateModel(request(imageRun, {split: 'train', batchSize: 1000}))
    expect([val.data.examples, train.data.examples]).toEqual([validation!.count, fit.count])
    expect([val.data.examples, train.data.examples]).toEqual([2000, 6000])
    // the ONNX file does not know the run's fraction: train's default 0.1 unless told
    const onnxVal = await evaluateModel(request(imageOnnx, {split: 'val'}))
    expect(onnxVal.data.examples).toBe(800)
    const onnxVal25 = await evaluateModel(request(imageOnnx, {split: 'val', valSplit: 0.25}))
    expect(onnxVal25.report).toEqual(val.report)
  })

  it('matches a confusion matrix computed independently, mapping CSV labels to the model classes by name', async () => {
    const onnx = writeOnnxFile(join(tmp, 'animals.onnx'), ANIMAL_SPEC, animalWeights, {
      class_names: JSON.stringify(ANIMAL_CLASSES),
      task: 'classification',
    })
    const evaluation = await evaluateModel(request(onnx, {data: animalsCsv, target: 'animal', batchSize: 5}))

    const dataset = await loadCsvDataset(animalsCsv, 'animal')
    const test = dataset.test!
    const expected = ANIMAL_CLASSES.map(() => [0, 0, 0])
    for (let n = 0; n < test.count; n++) {
      const scores = [test.inputs[2 * n], test.inputs[2 * n + 1], 0]
      const predicted = scores.indexOf(Math.max(...scores))
      expected[ANIMAL_CLASSES.indexOf(dataset.classNames![test.targets[n]])][predicted]++
    }
    const report = evaluation.report as ClassificationReport
    expect(report.classNames).toEqual(ANIMAL_CLASSES)
    expect(report.confusionMatrix).toEqual(expected)
    expect(report.accuracy).toBe(expected.reduce((sum, row, c) => sum + row[c], 0) / test.count)
    expect(evaluation.model.input.type).toBe('float32')
  })

  it('reads a binary model (one logit for two classes) as class 1 when the logit is above 0', async () => {
    const csv = writeAnimalsCsv(join(tmp, 'two-animals.csv'), ['cat', 'dog'])
    const spec: ModelSpec = {inputShape: [2], layers: [{type: 'dense', units: 1}]}
    const weights = [
      {name: 'dense_1/kernel', shape: [2, 1], data: Float32Array.from([1, -1])},
      {name: 'dense_1/bias', shape: [1], data: new Float32Array(1)},
    ]
    const run = writeRunDir(
      join(tmp, 'binary-run'),
      spec,
      weights,
      {dataset: 'two-animals', task: 'classification', classNames: ['cat', 'dog'], loss: {name: 'binaryCrossEntropy'}},
      {data: csv, target: 'animal'},
    )
    const report = (await evaluateModel(request(run))).report as ClassificationReport

    const test = (await loadCsvDataset(csv, 'animal')).test!
    const expected = [
      [0, 0],
      [0, 0],
    ]
    for (let n = 0; n < test.count; n++)
      expected[test.targets[n]][test.inputs[2 * n] - test.inputs[2 * n + 1] > 0 ? 1 : 0]++
    expect(report.confusionMatrix).toEqual(expected)
    expect(report.topK.k).toBe(2)
  })

  it('scores a regression run against MSE, MAE and R² computed independently, with its own huber loss', async () => {
    const csv = join(tmp, 'linear.csv')
    // target = u + 2v + a small wobble; the model predicts exactly u + 2v
    writeFileSync(
      csv,
      [
        'u,v,y',
        ...Array.from(
          {length: 50},
          (_, i) => `${i % 9},${(i * 3) % 7},${(i % 9) + 2 * ((i * 3) % 7) + ((i % 4) - 1.5)}`,
        ),
      ].join('\n'),
    )
    const spec: ModelSpec = {inputShape: [2], layers: [{type: 'dense', units: 1}]}
    const weights = [
      {name: 'dense_1/kernel', shape: [2, 1], data: Float32Array.from([1, 2])},
      {name: 'dense_1/bias', shape: [1], data: new Float32Array(1)},
    ]
    const run = writeRunDir(
      join(tmp, 'linear-run'),
      spec,
      weights,
      {
        dataset: 'linear',
        task: 'regression',
        loss: {name: 'huber', delta: 1},
        featureNames: ['u', 'v'],
        targetName: 'y',
      },
      {data: csv, target: 'y'},
    )
    const evaluation = await evaluateModel(request(run))
    expect(evaluation.data).toEqual({source: `${csv} (target y)`, split: 'test', examples: 10})

    const test = (await loadCsvDataset(csv, 'y')).test!
    const errors = Array.from(
      {length: test.count},
      (_, n) => test.inputs[2 * n] + 2 * test.inputs[2 * n + 1] - test.targets[n],
    )
    const targets = Array.from(test.targets)
    const mean = targets.reduce((a, b) => a + b) / test.count
    const mse = errors.reduce((sum, e) => sum + e * e, 0) / test.count
    const report = evaluation.report as RegressionReport
    expect(report.mse).toBeCloseTo(mse, 5)
    expect(report.mae).toBeCloseTo(errors.reduce((sum, e) => sum + Math.abs(e), 0) / test.count, 5)
    expect(report.r2).toBeCloseTo(1 - (mse * test.count) / targets.reduce((sum, y) => sum + (y - mean) ** 2, 0), 5)
    expect(report.loss.name).toBe('huber')
    expect(evaluation.model.output).toEqual({name: 'logits', kind: 'values'})

    // Columns are found by the model's feature names: another order gives the same report, a missing one is named.
    const swapped = join(tmp, 'swapped.csv')
    const swap = (line: string) => line.split(',').reduce((_, __, ___, [a, b, c]) => `${b},${a},${c}`, '')
    writeFileSync(swapped, readFileSync(csv, 'utf8').split('\n').map(swap).join('\n'))
    const reordered = await evaluateModel(request(run, {data: swapped, target: 'y'}))
    expect((reordered.report as RegressionReport).mae).toBeCloseTo(report.mae, 6)
    const without = join(tmp, 'without-v.csv')
    writeFileSync(without, readFileSync(csv, 'utf8').replace('u,v,y', 'u,w,y'))
    expect((await userError(evaluateModel(request(run, {data: without, target: 'y'})))).message).toMatch(
      /has no column "v" \(a feature of the model\)/,
    )
  })

  it('evaluates ONNX files from another exporter: float32 input fed from uint8 images, a fixed batch size', async () => {
    const lenet = await evaluateModel(request(join(SERVE_FIXTURES, 'lenet.onnx'), {dataset: 'mnist-sample'}))
    expect(lenet.model.input).toMatchObject({type: 'float32', conversion: 'cast', scaling: 'none'})
    expect((lenet.report as ClassificationReport).examples).toBe(2000)

    // 4 features, 3 classes; outputs `scores` (float) and `label` (int64); batch fixed at 1
    const csv = join(tmp, 'four-features.csv')
    writeFileSync(
      csv,
      [
        'a,b,c,d,kind',
        ...Array.from({length: 25}, (_, i) => `${i % 5},${i % 3},${i % 7},${i % 2},${['x', 'y', 'z'][i % 3]}`),
      ].join('\n'),
    )
    const fixed = await evaluateModel(
      request(join(SERVE_FIXTURES, 'tabular-fixed-batch.onnx'), {data: csv, target: 'kind', batchSize: 4}),
    )
    expect(fixed.model.input.fixedBatch).toBe(1)
    expect(fixed.model.output.name).toBe('scores')
    expect(fixed.timing.batchSize).toBe(1)
    expect((fixed.report as ClassificationReport).examples).toBe(5)
  })

  it('checks gates after evaluating', async () => {
    const evaluation = await evaluateModel(request(imageRun, {gates: {'min-accuracy': 0, 'max-loss': 0.001}}))
    expect(evaluation.gates.map((g) => [g.flag, g.passed])).toEqual([
      ['min-accuracy', true],
      ['max-loss', false],
    ])
    expect(evaluation.passed).toBe(false)
  })
})

describe('evaluateModel, scaling a float32 input', () => {
  // Exported the way other frameworks do: the graph takes what the first layer sees, and says nothing about it.
  const spec: ModelSpec = {...IMAGE_SPEC, normalize: {mean: [0.1307], std: [0.3081]}}
  const weights = seededWeights(spec)
  const run = writeRunDir(
    join(tmp, 'normalized-run'),
    spec,
    weights,
    {dataset: 'mnist-sample', task: 'classification', classNames: DIGITS, loss: {name: 'softmaxCrossEntropy'}},
    {dataset: 'mnist-sample'},
  )
  const foreign = writeOnnxFile(join(tmp, 'foreign.onnx'), spec, weights, {}, {normalizeInput: false})
  const mnist = {dataset: 'mnist-sample'}

  it('feeds the pixels as stored when the model does not say, and reports it', async () => {
    const expected = (await evaluateModel(request(run))).report as ClassificationReport
    const evaluation = await evaluateModel(request(foreign, mnist))
    expect(evaluation.model.input).toMatchObject({type: 'float32', conversion: 'cast', scaling: 'none'})
    expect((evaluation.report as ClassificationReport).loss).not.toBeCloseTo(expected.loss, 1)
  })

  it('--input-scale, --input-mean and --input-std make it score as the model it was exported from', async () => {
    const expected = (await evaluateModel(request(run))).report as ClassificationReport
    const scaling = {scale: 1 / 255, mean: [0.1307], std: [0.3081]}
    const evaluation = await evaluateModel(request(foreign, {...mnist, inputScaling: scaling}))
    expect(evaluation.model.input).toMatchObject({conversion: scaling, scaling: 'flags'})
    const report = evaluation.report as ClassificationReport
    expect(report.confusionMatrix).toEqual(expected.confusionMatrix)
    expect(report.loss).toBeCloseTo(expected.loss, 4)
  })

  it("each flag given overrides that part of the model's input_normalization", async () => {
    const normalization = {inputType: 'float32', scale: 1 / 255, mean: [0.1307], std: [0.3081]}
    const described = writeOnnxFile(
      join(tmp, 'described.onnx'),
      spec,
      weights,
      {input_normalization: JSON.stringify(normalization)},
      {normalizeInput: false},
    )
    const own = await evaluateModel(request(described, mnist))
    expect(own.model.input).toMatchObject({
      conversion: {scale: 1 / 255, mean: [0.1307], std: [0.3081]},
      scaling: 'model',
    })
    const overridden = await evaluateModel(request(described, {...mnist, inputScaling: {std: [1]}}))
    expect(overridden.model.input).toMatchObject({
      conversion: {scale: 1 / 255, mean: [0.1307], std: [1]},
      scaling: 'flags',
    })
    const unscaled = await evaluateModel(request(described, {...mnist, inputScaling: {scale: 1, mean: [0], std: [1]}}))
    expect(unscaled.model.input).toMatchObject({conversion: 'cast', scaling: 'flags'})
  })

  it('refuses them for a uint8 input, and lists that do not match the channels', async () => {
    const uint8 = await userError(evaluateModel(request(imageRun, {inputScaling: {scale: 1 / 255}})))
    expect(uint8.message).toMatch(/^--input-scale, --input-mean and --input-std apply to float32 inputs; .* uint8/)
    expect(uint8.exitCode).toBe(2)
    const channels = await userError(evaluateModel(request(foreign, {...mnist, inputScaling: {mean: [0.4, 0.5, 0.6]}})))
    expect(channels.message).toBe(
      'the input mean has 3 values but mnist-sample has 1 channels or features; pass --input-mean with one value, or one per channel',
    )
    expect(channels.exitCode).toBe(2)
  })
})

describe('evaluateModel refuses, with one clear error', () => {
  it('data whose shape, element type, task or classes do not fit the model', async () => {
    const small: ModelSpec = {
      inputShape: [1, 8, 8],
      inputType: 'uint8',
      layers: [{type: 'flatten'}, {type: 'dense', units: 10}],
    }
    const smallOnnx = writeOnnxFile(join(tmp, 'small.onnx'), small, seededWeights(small), {})
    expect((await userError(evaluateModel(request(smallOnnx, {dataset: 'mnist-sample'})))).message).toMatch(
      /input "input" is \[batch, 1, 8, 8\] but mnist-sample's examples are \[1, 28, 28\]/,
    )

    const fourClasses: ModelSpec = {...IMAGE_SPEC, layers: [{type: 'flatten'}, {type: 'dense', units: 4}]}
    const fourOnnx = writeOnnxFile(join(tmp, 'four.onnx'), fourClasses, seededWeights(fourClasses), {})
    const classError = await userError(evaluateModel(request(fourOnnx, {dataset: 'mnist-sample'})))
    expect(classError.message).toMatch(/outputs 4 scores per example but mnist-sample has 10 classes/)
    expect(classError.exitCode).toBe(2)

    const bytesModel: ModelSpec = {inputShape: [2], inputType: 'uint8', layers: [{type: 'dense', units: 3}]}
    const bytesOnnx = writeOnnxFile(join(tmp, 'bytes.onnx'), bytesModel, seededWeights(bytesModel), {})
    expect((await userError(evaluateModel(request(bytesOnnx, {data: animalsCsv, target: 'animal'})))).message).toMatch(
      /takes uint8 inputs .* inputs are float32/,
    )

    const regressionOnnx = writeOnnxFile(join(tmp, 'regression.onnx'), ANIMAL_SPEC, animalWeights, {task: 'regression'})
    expect(
      (await userError(evaluateModel(request(regressionOnnx, {data: animalsCsv, target: 'animal'})))).message,
    ).toMatch(/is a regression model but animals is a classification dataset/)

    const otherNames = writeOnnxFile(join(tmp, 'birds.onnx'), ANIMAL_SPEC, animalWeights, {
      class_names: '["owl","dog","cat"]',
    })
    expect((await userError(evaluateModel(request(otherNames, {data: animalsCsv, target: 'animal'})))).message).toMatch(
      /classes the model does not know \(fox\)/,
    )

    expect((await userError(evaluateModel(request(imageRun, {gates: {'max-rmse': 1}})))).message).toMatch(
      /--max-rmse applies to regression models/,
    )
  })

  it('corrupt or missing model files', async () => {
    const garbage = join(tmp, 'garbage.onnx')
    writeFileSync(garbage, 'this is not a protobuf')
    expect((await userError(evaluateModel(request(garbage, {dataset: 'mnist-sample'})))).message).toMatch(
      /^cannot load garbage\.onnx as an ONNX model \(/,
    )

    const truncated = join(tmp, 'truncated.onnx')
    writeFileSync(truncated, readFileSync(imageOnnx).subarray(0, 4000))
    expect((await userError(evaluateModel(request(truncated, {dataset: 'mnist-sample'})))).message).toMatch(
      /^cannot load truncated\.onnx as an ONNX model/,
    )

    const badMetadata = writeOnnxFile(join(tmp, 'bad-metadata.onnx'), IMAGE_SPEC, imageWeights, {
      class_names: '{"0": "zero"}',
    })
    expect((await userError(evaluateModel(request(badMetadata)))).message).toMatch(
      /class_names is not a JSON array of strings/,
    )

    const shortWeights = writeRunDir(
      join(tmp, 'short-weights'),
      IMAGE_SPEC,
      imageWeights,
      {},
      {dataset: 'mnist-sample'},
    )
    const weightsFile = join(shortWeights, 'model', 'weights.bin')
    writeFileSync(weightsFile, readFileSync(weightsFile).subarray(0, 1000))
    expect((await userError(evaluateModel(request(shortWeights)))).message).toMatch(
      /weights file is shorter than its manifest; the model folder is damaged/,
    )

    const badJson = writeRunDir(join(tmp, 'bad-json'), IMAGE_SPEC, imageWeights, {}, {dataset: 'mnist-sample'})
    writeFileSync(join(badJson, 'model', 'model.json'), '{"format": "layers-mo')
    expect((await userError(evaluateModel(request(badJson)))).message).toMatch(/model\.json is not valid JSON/)

    const empty = join(tmp, 'interrupted-run')
    mkdirSync(join(empty, 'checkpoints'), {recursive: true})
    expect((await userError(evaluateModel(request(empty)))).message).toMatch(/holds no model\/model\.json/)
    expect((await userError(evaluateModel(request(join(tmp, 'nowhere.onnx'))))).message).toMatch(
      /nowhere\.onnx not found/,
    )
  })
})
