/**
 * A model spec: plain JSON a user can write by hand. Images are NCHW: inputShape [channels, height, width];
 * tabular inputs are [features].
 */
export interface ModelSpec {
  inputShape: number[]
  /** Element type of the input tensor. uint8 inputs are divided by 255 inside the graph. Default float32. */
  inputType?: InputType
  /** Per-channel (or per-feature) standardization applied after the uint8 scaling: (x - mean) / std. */
  normalize?: {mean: number[]; std: number[]}
  /**
   * Regression on a standardized target: the last layer predicts (y - mean) / std and the model returns
   * output * std + mean, so its predictions, loss and metrics are in the target's own units.
   */
  denormalize?: {mean: number; std: number}
  layers: LayerSpec[]
}

export type InputType = 'uint8' | 'float32'

/**
 * 'same' pads like Keras (output = ceil(input / stride), extra padding at the bottom/right); a number pads every
 * side.
 */
export type Padding = 'same' | 'valid' | number

export interface Conv2dSpec {
  type: 'conv2d'
  filters: number
  kernel: number
  stride?: number
  padding?: Padding
}

export interface Pool2dSpec {
  type: 'maxPool2d' | 'avgPool2d'
  size: number
  /** Defaults to size. */
  stride?: number
}

export interface DenseSpec {
  type: 'dense'
  units: number
}

export interface FlattenSpec {
  type: 'flatten'
}

export interface DropoutSpec {
  type: 'dropout'
  /** Fraction of activations zeroed during training, in [0, 1). */
  rate: number
}

export interface BatchNormSpec {
  type: 'batchNorm'
  /** Keras defaults: momentum 0.99 for the moving statistics, epsilon 0.001. */
  momentum?: number
  epsilon?: number
}

export interface LeakyReluSpec {
  type: 'leakyRelu'
  /** Slope for negative inputs; Keras default 0.3. */
  alpha?: number
}

export interface ActivationSpec {
  type: 'relu' | 'tanh' | 'sigmoid' | 'softmax'
}

export type LayerSpec =
  Conv2dSpec | Pool2dSpec | DenseSpec | FlattenSpec | DropoutSpec | BatchNormSpec | LeakyReluSpec | ActivationSpec

export type LayerType = LayerSpec['type']

export const LAYER_TYPES: readonly LayerType[] = [
  'conv2d',
  'maxPool2d',
  'avgPool2d',
  'dense',
  'flatten',
  'dropout',
  'batchNorm',
  'relu',
  'leakyRelu',
  'tanh',
  'sigmoid',
  'softmax',
]

/** The spec of one layer type, e.g. LayerOf<'conv2d'> is Conv2dSpec. */
export type LayerOf<T extends LayerType> = Extract<LayerSpec, {type: T}>
