/**
 * A model spec: plain JSON a user can write by hand. Images are NCHW: inputShape [channels, height, width];
 * tabular inputs are [features]; token ids are [sequenceLength] (inputType int32). Inside the model a
 * sequence is [length, channels] (Keras's channels-last order, what an embedding lookup gives).
 */
export interface ModelSpec {
  inputShape: number[]
  /**
   * Element type of the input tensor. uint8 inputs are divided by 255 inside the graph; int32 inputs are token
   * ids, right-padded with padId, for a model that starts with an embedding. Default float32.
   */
  inputType?: InputType
  /** Token models: the id that pads a sequence; padding positions are masked out of every layer. Default 0. */
  padId?: number
  /** Per-channel (or per-feature) standardization applied after the uint8 scaling: (x - mean) / std. */
  normalize?: {mean: number[]; std: number[]}
  /**
   * Regression on a standardized target: the last layer predicts (y - mean) / std and the model returns
   * output * std + mean, so its predictions, loss and metrics are in the target's own units.
   */
  denormalize?: {mean: number; std: number}
  layers: LayerSpec[]
}

export type InputType = 'uint8' | 'float32' | 'int32'

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

/** Token ids [T] → vectors [T, dim]. The padding id's vector is zero and never trained. */
export interface EmbeddingSpec {
  type: 'embedding'
  /** Number of token ids (rows); ids must be in [0, vocab). */
  vocab: number
  dim: number
}

/**
 * A table's category column, encoded as the category's index, → that category's learned vector:
 * [features] → [features - 1 + dim], the other columns first in their order, then the vector. Index 0 is
 * the unknown bucket (a value the training rows did not have often enough); the input is truncated to an
 * integer, and one that does not truncate into [0, categories) (or NaN) reads as 0. The column must reach
 * the layer unscaled (normalize mean 0, std 1 there).
 */
export interface CategoryEmbeddingSpec {
  type: 'categoryEmbedding'
  /** Position of the index column in the layer's input. */
  column: number
  /** Rows of the table: indices 0 (unknown) to categories - 1. */
  categories: number
  dim: number
}

/**
 * A convolution over a sequence [T, C] → [T, filters]: position t holds the window of `kernel` positions
 * starting at t, zero past the end, so that each token starts a window and a text's windows do not depend on
 * how much padding follows it (a batch padded to its longest text gives every text the same outputs).
 */
export interface Conv1dSpec {
  type: 'conv1d'
  filters: number
  kernel: number
}

/**
 * The mean or maximum over a sequence's positions [T, C] → [C], counting only positions that hold a token
 * (after a conv1d: the windows that start at a token).
 */
export interface GlobalPool1dSpec {
  type: 'globalAveragePool1d' | 'globalMaxPool1d'
}

/** Runs each branch on the same input and concatenates the branches' flat outputs (TextCNN's kernel widths). */
export interface ParallelSpec {
  type: 'parallel'
  branches: LayerSpec[][]
}

export interface ActivationSpec {
  type: 'relu' | 'tanh' | 'sigmoid' | 'softmax'
}

export type LayerSpec =
  | Conv2dSpec
  | Pool2dSpec
  | DenseSpec
  | FlattenSpec
  | DropoutSpec
  | BatchNormSpec
  | LeakyReluSpec
  | ActivationSpec
  | EmbeddingSpec
  | CategoryEmbeddingSpec
  | Conv1dSpec
  | GlobalPool1dSpec
  | ParallelSpec

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
  'embedding',
  'categoryEmbedding',
  'conv1d',
  'globalAveragePool1d',
  'globalMaxPool1d',
  'parallel',
]

/** The spec of one layer type, e.g. LayerOf<'conv2d'> is Conv2dSpec. */
export type LayerOf<T extends LayerType> = Extract<LayerSpec, {type: T}>
