import {AttributeType, encodeModel, OnnxDataType} from '../../src/core/onnx/onnx-proto.js'

/**
 * A one-node model stamped with ONNX opset 6, as old exporters wrote them: x [1,1,4,4] -> op -> y.
 * onnxruntime has no kernel for AveragePool before opset 7, but still runs e.g. Relu of opset 6.
 */
export function opset6Model(op: 'AveragePool' | 'Relu'): Uint8Array {
  const tensorType = (dims: number[]) => ({
    tensorType: {elemType: OnnxDataType.float32, shape: {dim: dims.map((dimValue) => ({dimValue}))}},
  })
  const attribute = op === 'AveragePool' ? [{name: 'kernel_shape', type: AttributeType.ints, ints: [2, 2]}] : []
  return encodeModel({
    irVersion: 3,
    opsetImport: [{domain: '', version: 6}],
    producerName: 'test',
    graph: {
      name: 'old',
      node: [{input: ['x'], output: ['y'], name: 'n', opType: op, attribute}],
      input: [{name: 'x', type: tensorType([1, 1, 4, 4])}],
      output: [{name: 'y', type: tensorType(op === 'AveragePool' ? [1, 1, 3, 3] : [1, 1, 4, 4])}],
      initializer: [],
    },
  })
}
