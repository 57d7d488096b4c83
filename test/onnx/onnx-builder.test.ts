import {describe, expect, it} from 'vitest'
import {float, GraphBuilder, IR_VERSION, OPSET_VERSION} from '../../src/core/onnx/graph-builder.js'
import {decodeModel} from '../../src/core/onnx/onnx-proto.js'
import {runOnce} from '../engine/helpers/gradient-check.js'

describe('GraphBuilder', () => {
  it('encodes an opset 17 / IR 8 model that ONNX Runtime runs, with typed attributes and metadata', async () => {
    const g = new GraphBuilder('test')
    const x = g.input('x', 'float32', ['batch', 3])
    const y = g.node('LeakyRelu', [g.node('Mul', [x, g.scalar(2)])], {alpha: float(1)})
    g.output(y, 'y', 'float32', ['batch', 3])
    const bytes = g.toBytes({producerVersion: '1.2.3', metadata: {classes: 'a,b,c'}})
    const model = decodeModel(bytes)
    expect(model.irVersion).toBe(IR_VERSION)
    expect(model.opsetImport).toEqual([{domain: '', version: OPSET_VERSION}])
    expect(model.producerName).toBe('mlctl')
    expect(model.metadataProps).toEqual([{key: 'classes', value: 'a,b,c'}])
    expect(model.graph.input[0].type.tensorType.shape.dim).toEqual([{dimParam: 'batch'}, {dimValue: 3}])
    const alpha = model.graph.node.find((n) => n.opType === 'LeakyRelu')!.attribute[0]
    expect(alpha).toMatchObject({name: 'alpha', type: 1, f: 1})
    const out = await runOnce(bytes, {x: {data: Float32Array.from([-1, 0, 2]), dims: [1, 3]}})
    expect(Array.from(out.y)).toEqual([-2, 0, 4])
  })

  it('renames the producing node to the output name, adding Identity only when it must', () => {
    const g = new GraphBuilder('test')
    const x = g.input('x', 'float32', [2])
    const y = g.node('Neg', [x])
    const z = g.node('Abs', [y])
    g.output(y, 'negated', 'float32', [2])
    g.output(x, 'same_as_input', 'float32', [2])
    g.output(g.node('Exp', [y]), 'exp', 'float32', [2])
    g.output(z, 'abs', 'float32', [2])
    const nodes = decodeModel(g.toBytes()).graph.node
    expect(nodes.map((n) => n.opType)).toEqual(['Neg', 'Abs', 'Identity', 'Exp'])
    expect(nodes[0].output).toEqual(['negated'])
    expect(nodes[1].input).toEqual(['negated'])
    expect(nodes[3].input).toEqual(['negated'])
  })

  it('stores identical constants once', () => {
    const g = new GraphBuilder('test')
    const x = g.input('x', 'float32', [2])
    g.output(g.node('Add', [g.node('Mul', [x, g.scalar(3)]), g.scalar(3)]), 'y', 'float32', [2])
    expect(decodeModel(g.toBytes()).graph.initializer).toHaveLength(1)
  })

  it('refuses unused nodes and inputs, reused names and non-integer INT attributes', () => {
    const dead = new GraphBuilder('test')
    const x = dead.input('x', 'float32', [2])
    dead.node('Neg', [x])
    dead.output(dead.node('Abs', [x]), 'y', 'float32', [2])
    expect(() => dead.toBytes()).toThrow(/node node_Neg_\d+ \(Neg\) is never used/)

    const unusedInput = new GraphBuilder('test')
    unusedInput.input('unused', 'float32', [2])
    unusedInput.output(unusedInput.node('Abs', [unusedInput.input('x', 'float32', [2])]), 'y', 'float32', [2])
    expect(() => unusedInput.toBytes()).toThrow(/graph input 'unused' is never used/)

    const g = new GraphBuilder('test')
    g.input('x', 'float32', [2])
    expect(() => g.input('x', 'float32', [2])).toThrow(/already used/)
    expect(() => g.node('LeakyRelu', ['x'], {alpha: 0.1})).toThrow(/not an integer; wrap floats with float\(\)/)
  })
})
