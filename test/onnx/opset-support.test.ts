import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {openEvaluationModel} from '../../src/core/evaluate/model-source.js'
import {GraphBuilder} from '../../src/core/onnx/graph-builder.js'
import {unsupportedOpset} from '../../src/core/onnx/opset-support.js'
import {opset6Model} from '../helpers/opset6-model.js'

describe('models older than onnxruntime supports', () => {
  it('names the opset and the conversion when onnxruntime cannot load the model', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mlctl-opset-')), 'old.onnx')
    writeFileSync(path, opset6Model('AveragePool'))
    await expect(openEvaluationModel(path, 1)).rejects.toThrow(
      /^cannot evaluate old\.onnx: it uses ONNX opset 6, and onnxruntime needs opset 7 or later; convert it with onnx\.version_converter\.convert_version\(model, 7\) and save it again$/,
    )
  })

  it('still opens an old model that onnxruntime does load', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'mlctl-opset-')), 'old-relu.onnx')
    writeFileSync(path, opset6Model('Relu'))
    const model = await openEvaluationModel(path, 1)
    expect(model.session.inputMetadata.map((input) => input.name)).toEqual(['x'])
    await model.session.release()
  })

  it('finds nothing to say about current models or files that are not ONNX', () => {
    const g = new GraphBuilder('current')
    g.output(g.node('Relu', [g.input('x', 'float32', [1])]), 'y', 'float32', [1])
    expect(unsupportedOpset(g.toBytes())).toBeUndefined()
    expect(unsupportedOpset(new TextEncoder().encode('this is not a protobuf'))).toBeUndefined()
  })
})
