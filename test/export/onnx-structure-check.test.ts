import {describe, expect, it} from 'vitest'

import {buildInferenceModel} from '../../src/core/engine/index.js'
import {checkOnnxStructure} from '../../src/core/export/onnx-structure-check.js'
import {initialWeights} from '../../src/core/model/initializers.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {resolveModel} from '../../src/core/model/resolve-model.js'
import type {ModelSpec} from '../../src/core/model/spec.js'
import {decodeModel, type ModelProto} from '../../src/core/onnx/onnx-proto.js'

const lenet = presetSpec('lenet', {inputShape: [1, 28, 28], outputs: 10, inputType: 'uint8'})
const everyLayer: ModelSpec = {
  inputShape: [3, 9, 9],
  inputType: 'uint8',
  normalize: {mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3]},
  layers: [
    {type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 1},
    {type: 'batchNorm'},
    {type: 'leakyRelu'},
    {type: 'maxPool2d', size: 2, stride: 1},
    {type: 'avgPool2d', size: 2},
    {type: 'sigmoid'},
    {type: 'flatten'},
    {type: 'dropout', rate: 0.2},
    {type: 'dense', units: 5},
    {type: 'tanh'},
    {type: 'dense', units: 3},
    {type: 'softmax'},
  ],
}

const build = (spec: ModelSpec, options: Parameters<typeof buildInferenceModel>[2] = {}): ModelProto =>
  decodeModel(buildInferenceModel(spec, initialWeights(resolveModel(spec), 1), options))

describe('checkOnnxStructure', () => {
  it('finds nothing wrong in the graphs mlctl builds, whatever the options', () => {
    for (const spec of [
      lenet,
      everyLayer,
      presetSpec('cnn', {inputShape: [1, 28, 28], outputs: 10}),
      presetSpec('mlp', {inputShape: [6], outputs: 1}),
    ]) {
      expect(checkOnnxStructure(build(spec))).toEqual([])
      expect(checkOnnxStructure(build(spec, {normalizeInput: false, batchSize: 7, probabilities: 'sigmoid'}))).toEqual(
        [],
      )
    }
  })

  it('reports an input that nothing defines, a name defined twice and a missing opset import', () => {
    const model = build(lenet)
    model.graph.node[3].input[0] = 'nowhere'
    model.graph.initializer[1].name = model.graph.initializer[0].name
    model.opsetImport = []
    const problems = checkOnnxStructure(model)
    expect(problems).toContain('no opset_import for the default ONNX domain')
    expect(
      problems.some((p) => /reads 'nowhere', which no graph input, initializer or earlier node defines/.test(p)),
    ).toBe(true)
    expect(problems.some((p) => /initializer '.*' reuses a name that is already defined/.test(p))).toBe(true)
  })

  it('reports nodes out of order: an input used before the node that defines it', () => {
    const model = build(lenet)
    model.graph.node.reverse()
    expect(
      checkOnnxStructure(model).some((p) => /which no graph input, initializer or earlier node defines/.test(p)),
    ).toBe(true)
  })

  it('reports weights whose bytes or shapes do not fit', () => {
    const short = build(lenet)
    const kernel = short.graph.initializer.find((i) => i.name === 'dense_1/kernel')!
    kernel.rawData = kernel.rawData.subarray(4)
    expect(checkOnnxStructure(short)).toEqual([
      expect.stringMatching(/initializer 'dense_1\/kernel' holds 191996 bytes, but \[400,120\] of type 1 needs 192000/),
    ])

    const transposed = build(lenet)
    const dense = transposed.graph.initializer.find((i) => i.name === 'dense_2/kernel')!
    dense.dims = [...dense.dims].reverse()
    expect(checkOnnxStructure(transposed)).toEqual([
      expect.stringMatching(/\(Gemm\): A has 120 columns but B has 84 rows/),
    ])

    const conv = build(lenet)
    conv.graph.initializer.find((i) => i.name === 'conv2d_2/bias')!.dims = [15]
    expect(checkOnnxStructure(conv)).toEqual([
      "initializer 'conv2d_2/bias' holds 64 bytes, but [15] of type 1 needs 60",
      expect.stringMatching(/\(Conv\): B has shape \[15\], not \[16\]/),
    ])
  })

  it('reports declared outputs that differ from what the graph computes, and element types that do not match', () => {
    const declared = build(lenet, {batchSize: 4})
    declared.graph.output[0].type.tensorType.shape.dim = [{dimValue: 4}, {dimValue: 12}]
    expect(checkOnnxStructure(declared)).toEqual(["graph output 'logits' is declared [4,12] but computed as [4,10]"])

    const uncast = build(lenet)
    uncast.graph.node = uncast.graph.node.filter((n) => n.opType !== 'Cast')
    uncast.graph.node[0].input[0] = 'input'
    expect(checkOnnxStructure(uncast)).toEqual([
      expect.stringMatching(/\(Mul\): inputs have different element types \(2 and 1\)/),
    ])
  })

  it('reports ops it has no rule for', () => {
    const model = build(lenet)
    model.graph.node[2].opType = 'Gelu'
    expect(checkOnnxStructure(model)).toContainEqual(
      expect.stringMatching(/\(Gelu\): no type and shape rule for this op/),
    )
  })
})
