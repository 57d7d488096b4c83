/**
 * What a parameter tensor is, so that weights can be converted to other formats (TensorFlow.js
 * layers model.json: conv kernels HWIO, NHWC flatten order) without knowing the engine.
 */
export type ParameterRole = 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance' | 'embeddings'

/**
 * Memory layout of a parameter tensor:
 * - 'OIHW': conv kernel [filters, inChannels, kernel, kernel] (ONNX Conv order);
 * - 'IO': dense kernel [inputs, units] (Keras order); when the dense layer follows a flatten of an
 *   image, `inputs` runs over the flattened [channels, height, width] in that (NCHW) order;
 * - 'OIW': conv1d kernel [filters, inChannels, kernel] (ONNX Conv order);
 * - 'VD': embedding table [vocab, dim] (Keras order), one row per token id;
 * - 'C': one value per channel or unit.
 */
export type ParameterLayout = 'OIHW' | 'IO' | 'OIW' | 'VD' | 'C'

export interface ParameterInfo {
  /** `${layerName}/${role}`, e.g. 'conv2d_1/kernel'. */
  name: string
  layerName: string
  /** Position of the layer in spec.layers (0-based). */
  layerIndex: number
  role: ParameterRole
  shape: number[]
  layout: ParameterLayout
  /** Moving statistics are updated from batch statistics, not by the optimizer. */
  trainable: boolean
}

/** A parameter tensor's values; getWeights/setWeights and inference-model export exchange these. */
export interface NamedTensor {
  name: string
  shape: number[]
  data: Float32Array
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
