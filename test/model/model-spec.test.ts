import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {UserError} from '../../src/core/errors.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {resolveModelSpec} from '../../src/core/model/resolve-model-spec.js'
import {resolveModel} from '../../src/core/model/resolve-model.js'
import type {LayerSpec, ModelSpec} from '../../src/core/model/spec.js'
import {sizeOf} from '../../src/core/model/parameters.js'

const shapes = (spec: ModelSpec) => resolveModel(spec).layers.map((l) => l.outputShape.join('x'))
const parameterCount = (spec: ModelSpec) =>
  resolveModel(spec)
    .parameters.filter((p) => p.trainable)
    .reduce((s, p) => s + sizeOf(p.shape), 0)

describe('presets', () => {
  it('lenet pads the first conv for 28x28 and not for 32x32; both reach 16x5x5', () => {
    const mnist = presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10})
    expect(shapes(mnist)).toEqual([
      '6x28x28',
      '6x14x14',
      '6x14x14',
      '16x10x10',
      '16x5x5',
      '16x5x5',
      '400',
      '120',
      '120',
      '84',
      '84',
      '10',
    ])
    expect(parameterCount(mnist)).toBe(61_706)
    const cifar = presetSpec('lenet', {inputShape: [3, 32, 32], outputs: 10})
    expect(shapes(cifar).slice(0, 5)).toEqual(['6x28x28', '6x14x14', '6x14x14', '16x10x10', '16x5x5'])
    expect(parameterCount(cifar)).toBe(62_006)
  })

  it('cnn has 594,922 parameters on MNIST', () => {
    const spec = presetSpec('cnn', {inputShape: [1, 28, 28], outputs: 10, inputType: 'uint8'})
    expect(parameterCount(spec)).toBe(594_922)
    expect(spec.inputType).toBe('uint8')
    expect(resolveModel(spec).outputs).toBe(10)
  })

  it('mlp works on tabular and image inputs; image presets refuse tabular inputs', () => {
    expect(resolveModel(presetSpec('mlp', {inputShape: [8], outputs: 1})).outputs).toBe(1)
    expect(shapes(presetSpec('mlp', {inputShape: [1, 28, 28], outputs: 10}))[0]).toBe('784')
    expect(() => presetSpec('lenet', {inputShape: [8], outputs: 2})).toThrow(/use the mlp preset/)
  })

  it('mlp is 128 wide, 512 for a table of 2,000 fitted rows or more; images keep 128', () => {
    const width = (inputShape: number[], trainingRows?: number) =>
      presetSpec('mlp', {inputShape, outputs: 1, trainingRows}).layers.find((l) => l.type === 'dense')
    expect(width([8])).toEqual({type: 'dense', units: 128})
    expect(width([8], 1999)).toEqual({type: 'dense', units: 128})
    expect(width([8], 2000)).toEqual({type: 'dense', units: 512})
    expect(width([1, 28, 28], 60000)).toEqual({type: 'dense', units: 128})
  })
})

describe('shape inference', () => {
  const model = (inputShape: number[], layers: LayerSpec[]): ModelSpec => ({
    inputShape,
    layers: [...layers, {type: 'flatten'}, {type: 'dense', units: 2}],
  })

  it("'same' padding gives ceil(size / stride), like Keras", () => {
    expect(shapes(model([1, 7, 7], [{type: 'conv2d', filters: 2, kernel: 4, stride: 2, padding: 'same'}]))[0]).toBe(
      '2x4x4',
    )
    expect(shapes(model([1, 7, 6], [{type: 'conv2d', filters: 2, kernel: 3, stride: 3, padding: 'same'}]))[0]).toBe(
      '2x3x2',
    )
    expect(shapes(model([1, 6, 6], [{type: 'conv2d', filters: 2, kernel: 3, stride: 2, padding: 1}]))[0]).toBe('2x3x3')
    expect(shapes(model([1, 7, 7], [{type: 'maxPool2d', size: 3, stride: 2}]))[0]).toBe('1x3x3')
  })

  it.each<[string, ModelSpec, string]>([
    [
      'kernel larger than input',
      model([3, 4, 4], [{type: 'relu'}, {type: 'relu'}, {type: 'conv2d', filters: 2, kernel: 5}]),
      'layer 3 conv2d: kernel 5 larger than input 4x4',
    ],
    [
      'kernel larger than padded input',
      model([1, 2, 2], [{type: 'conv2d', filters: 1, kernel: 5, padding: 1}]),
      'layer 1 conv2d: kernel 5 larger than input 2x2 (padded 4x4)',
    ],
    [
      'pool larger than input',
      model([1, 3, 3], [{type: 'maxPool2d', size: 4}]),
      'layer 1 maxPool2d: size 4 larger than input 3x3',
    ],
    [
      'dense on an image',
      {inputShape: [1, 4, 4], layers: [{type: 'dense', units: 3}]},
      'layer 1 dense: needs a flat input, got 1x4x4; add a flatten layer before it',
    ],
    [
      'conv on flat input',
      {inputShape: [16], layers: [{type: 'conv2d', filters: 1, kernel: 1}]},
      'layer 1 conv2d: needs an image input [channels, height, width], got [16]',
    ],
    [
      'bad field',
      model([1, 4, 4], [{type: 'conv2d', filters: 0, kernel: 3}]),
      'layer 1 conv2d: filters must be an integer >= 1, got 0',
    ],
    [
      'missing field',
      {inputShape: [4], layers: [{type: 'dense'} as LayerSpec]},
      'layer 1 dense: units must be an integer >= 1, got undefined',
    ],
    [
      'bad padding',
      model([1, 4, 4], [{type: 'conv2d', filters: 1, kernel: 3, padding: 'full' as 'same'}]),
      `layer 1 conv2d: padding (or 'same' / 'valid') must be an integer >= 0, got "full"`,
    ],
    ['dropout rate', model([1, 4, 4], [{type: 'dropout', rate: 1}]), 'layer 1 dropout: rate must be in [0, 1), got 1'],
    [
      'unknown type',
      {inputShape: [4], layers: [{type: 'conv3d'} as unknown as LayerSpec]},
      "layer 1: unknown type 'conv3d'",
    ],
    [
      'softmax not last',
      {inputShape: [4], layers: [{type: 'dense', units: 2}, {type: 'softmax'}, {type: 'dense', units: 2}]},
      'layer 2 softmax: softmax is only allowed as the last layer',
    ],
    [
      'image output',
      {inputShape: [1, 4, 4], layers: [{type: 'conv2d', filters: 2, kernel: 3}]},
      "the model's output is 2x2x2; end it with flatten and dense layers",
    ],
    ['no parameters', {inputShape: [4], layers: [{type: 'relu'}]}, 'the model has no trainable parameters'],
    [
      'bad input shape',
      {inputShape: [28, 28], layers: [{type: 'flatten'}]},
      'inputShape must be [channels, height, width] or [features]',
    ],
    [
      'normalize length',
      {
        inputShape: [3, 4, 4],
        normalize: {mean: [0, 0], std: [1]},
        layers: [{type: 'flatten'}, {type: 'dense', units: 1}],
      },
      'normalize.mean must be a list of 1 or 3 numbers',
    ],
    [
      'categoryEmbedding after another layer',
      {
        inputShape: [3],
        layers: [
          {type: 'dense', units: 4},
          {type: 'categoryEmbedding', column: 0, categories: 5, dim: 2},
        ],
      },
      "layer 2 categoryEmbedding: categoryEmbedding layers read the input's columns, so they come first",
    ],
    [
      'categoryEmbedding reading the vector of the one before',
      {
        inputShape: [3],
        layers: [
          {type: 'categoryEmbedding', column: 0, categories: 5, dim: 2},
          {type: 'categoryEmbedding', column: 3, categories: 5, dim: 2},
          {type: 'dense', units: 1},
        ],
      },
      'layer 2 categoryEmbedding: column 3 is the vector of an earlier categoryEmbedding',
    ],
    [
      'categoryEmbedding on a scaled column',
      {
        inputShape: [2],
        normalize: {mean: [0, 3], std: [1, 2]},
        layers: [
          {type: 'categoryEmbedding', column: 1, categories: 5, dim: 2},
          {type: 'dense', units: 1},
        ],
      },
      'normalize scales input 1, which a categoryEmbedding reads as a category index; give it mean 0 and std 1',
    ],
    [
      'categoryEmbedding on an image',
      {
        inputShape: [1, 4, 4],
        inputType: 'uint8',
        layers: [
          {type: 'categoryEmbedding', column: 1, categories: 5, dim: 2},
          {type: 'dense', units: 1},
        ],
      },
      "layer 1 categoryEmbedding: needs a table's feature rows (float32 [features])",
    ],
  ])('%s: a UserError naming the problem', (_name, spec, message) => {
    expect(() => resolveModel(spec)).toThrow(UserError)
    expect(() => resolveModel(spec)).toThrow(message)
  })

  it('names layers by type and count, and parameters by layer and role with their layout', () => {
    const resolved = resolveModel({
      inputShape: [3, 8, 8],
      layers: [
        {type: 'conv2d', filters: 4, kernel: 3},
        {type: 'batchNorm'},
        {type: 'conv2d', filters: 2, kernel: 3},
        {type: 'flatten'},
        {type: 'dense', units: 5},
      ],
    })
    expect(resolved.layers.map((l) => l.name)).toEqual(['conv2d_1', 'batchNorm_1', 'conv2d_2', 'flatten_1', 'dense_1'])
    expect(resolved.parameters.map((p) => [p.name, p.shape.join('x'), p.layout, p.trainable])).toEqual([
      ['conv2d_1/kernel', '4x3x3x3', 'OIHW', true],
      ['conv2d_1/bias', '4', 'C', true],
      ['batchNorm_1/gamma', '4', 'C', true],
      ['batchNorm_1/beta', '4', 'C', true],
      ['batchNorm_1/movingMean', '4', 'C', false],
      ['batchNorm_1/movingVariance', '4', 'C', false],
      ['conv2d_2/kernel', '2x4x3x3', 'OIHW', true],
      ['conv2d_2/bias', '2', 'C', true],
      ['dense_1/kernel', '32x5', 'IO', true],
      ['dense_1/bias', '5', 'C', true],
    ])
  })
})

describe('resolveModelSpec', () => {
  const dataset = {inputShape: [1, 28, 28], outputs: 10, inputType: 'uint8' as const}
  const specFile = (content: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'mlctl-spec-')), 'spec.json')
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
    return file
  }

  it('builds presets for the dataset', async () => {
    const spec = await resolveModelSpec('lenet', dataset)
    expect(spec.inputShape).toEqual([1, 28, 28])
    expect(spec.inputType).toBe('uint8')
  })

  it('reads a spec file, taking input shape and type from the dataset', async () => {
    const spec = await resolveModelSpec(
      specFile({layers: [{type: 'flatten'}, {type: 'dense', units: 10}, {type: 'softmax'}]}),
      dataset,
    )
    expect(spec.inputShape).toEqual([1, 28, 28])
    expect(resolveModel(spec).endsWithSoftmax).toBe(true)
  })

  it('on a table with embedded categories, takes a spec file only if it embeds exactly their index columns', async () => {
    const table = {inputShape: [3], outputs: 1, categoryColumns: [{column: 2, categories: 80}]}
    const embed = {type: 'categoryEmbedding', column: 2, categories: 80, dim: 8}
    const spec = await resolveModelSpec(specFile({layers: [embed, {type: 'dense', units: 1}]}), table)
    expect(spec.layers[0]).toEqual(embed)
    await expect(resolveModelSpec(specFile({layers: [{type: 'dense', units: 1}]}), table)).rejects.toThrow(
      'does not embed input 2, a category\'s index; start its layers with {"type": "categoryEmbedding", "column": 2, "categories": 80, "dim": 16}',
    )
    await expect(
      resolveModelSpec(
        specFile({
          layers: [
            {...embed, column: 1},
            {type: 'dense', units: 1},
          ],
        }),
        table,
      ),
    ).rejects.toThrow(/does not embed input 2/)
    await expect(
      resolveModelSpec(specFile({layers: [embed, {...embed, column: 0}, {type: 'dense', units: 1}]}), table),
    ).rejects.toThrow(/embeds input 0, which is not a category's index; remove that categoryEmbedding/)
    await expect(
      resolveModelSpec(
        specFile({
          layers: [
            {...embed, categories: 40},
            {type: 'dense', units: 1},
          ],
        }),
        table,
      ),
    ).rejects.toThrow(/embeds input 2 with fewer than its 80 categories; set that layer's categories to 80/)
  })

  it('rejects files that do not fit the dataset or are not specs', async () => {
    await expect(resolveModelSpec('resnet', dataset)).rejects.toThrow(
      "'resnet' is neither a preset (mlp, lenet, lenet-cifar, cnn, bag, textcnn) nor a readable spec file",
    )
    await expect(resolveModelSpec(specFile('{"layers": ['), dataset)).rejects.toThrow(/is not valid JSON/)
    await expect(
      resolveModelSpec(specFile({layers: [{type: 'flatten'}, {type: 'dense', units: 3}]}), dataset),
    ).rejects.toThrow(/ends with 3 outputs but the dataset needs 10/)
    await expect(
      resolveModelSpec(
        specFile({inputShape: [3, 32, 32], layers: [{type: 'flatten'}, {type: 'dense', units: 10}]}),
        dataset,
      ),
    ).rejects.toThrow(/has inputShape \[3,32,32\] but the dataset's inputs are \[1,28,28\]/)
    await expect(resolveModelSpec(specFile({layers: [{type: 'dense', units: 10}]}), dataset)).rejects.toThrow(
      /layer 1 dense: needs a flat input/,
    )
  })
})
