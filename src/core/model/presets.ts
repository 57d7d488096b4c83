import {UserError} from '../errors.js'
import type {InputType, LayerSpec, ModelSpec} from './spec.js'

export const PRESET_NAMES = ['mlp', 'lenet', 'cnn', 'bag', 'textcnn'] as const
const TEXT_PRESETS: readonly PresetName[] = ['bag', 'textcnn']
export type PresetName = (typeof PRESET_NAMES)[number]

export interface PresetOptions {
  inputShape: number[]
  /** Classes (or regression outputs): units of the last dense layer. */
  outputs: number
  inputType?: InputType
  /** Token inputs: the embedding's number of ids (tokenizer vocabulary plus any hashed n-gram buckets). */
  vocabSize?: number
  padId?: number
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name)
}

/** The layers of a preset, adapted to the input shape and number of outputs. The last layer emits logits. */
export function presetSpec(name: PresetName, options: PresetOptions): ModelSpec {
  const {inputShape, outputs, inputType} = options
  const isText = inputType === 'int32'
  if (TEXT_PRESETS.includes(name) !== isText) {
    throw new UserError(
      isText
        ? `preset ${name} does not take text; use bag or textcnn`
        : `preset ${name} needs text (token ids); use ${inputShape.length === 3 ? 'lenet or cnn' : 'mlp'}`,
    )
  }
  if (isText) return textPreset(name as 'bag' | 'textcnn', options)
  const needsImage = name !== 'mlp'
  if (needsImage && inputShape.length !== 3) {
    throw new UserError(
      `preset ${name} needs image inputs [channels, height, width], got [${inputShape.join(', ')}]; use the mlp preset`,
    )
  }
  const layers = name === 'mlp' ? mlp(outputs) : name === 'lenet' ? lenet(inputShape, outputs) : cnn(outputs)
  return {inputShape, ...(inputType ? {inputType} : {}), layers}
}

function mlp(outputs: number): LayerSpec[] {
  return [
    {type: 'flatten'},
    {type: 'dense', units: 128},
    {type: 'relu'},
    {type: 'dense', units: 128},
    {type: 'relu'},
    {type: 'dense', units: outputs},
  ]
}

/**
 * Classic LeNet-5 with ReLU and max-pooling. The original was designed for 32x32 inputs; smaller inputs
 * (MNIST's 28x28) pad the first conv 'same' as the classic MNIST setup does, so both give 16x5x5 before
 * the dense layers. Pooling comes before ReLU: max-pool and ReLU commute, and pooling first makes the
 * ReLU four times cheaper.
 */
function lenet(inputShape: number[], outputs: number): LayerSpec[] {
  const firstPadding = inputShape[1] < 32 || inputShape[2] < 32 ? 'same' : 'valid'
  return [
    {type: 'conv2d', filters: 6, kernel: 5, padding: firstPadding},
    {type: 'maxPool2d', size: 2},
    {type: 'relu'},
    {type: 'conv2d', filters: 16, kernel: 5},
    {type: 'maxPool2d', size: 2},
    {type: 'relu'},
    {type: 'flatten'},
    {type: 'dense', units: 120},
    {type: 'relu'},
    {type: 'dense', units: 84},
    {type: 'relu'},
    {type: 'dense', units: outputs},
  ]
}

/** The Keras mnist_cnn example: two 3x3 conv blocks, dropout, a 512-unit dense layer. */
function cnn(outputs: number): LayerSpec[] {
  return [
    {type: 'conv2d', filters: 32, kernel: 3},
    {type: 'relu'},
    {type: 'conv2d', filters: 32, kernel: 3},
    {type: 'relu'},
    {type: 'maxPool2d', size: 2},
    {type: 'conv2d', filters: 64, kernel: 3},
    {type: 'relu'},
    {type: 'conv2d', filters: 64, kernel: 3},
    {type: 'relu'},
    {type: 'maxPool2d', size: 2},
    {type: 'dropout', rate: 0.25},
    {type: 'flatten'},
    {type: 'dense', units: 512},
    {type: 'relu'},
    {type: 'dropout', rate: 0.5},
    {type: 'dense', units: outputs},
  ]
}

/**
 * Embedding width from the vocabulary: the power of two nearest sqrt(vocab), 16 to 128 (8,000 ids → 64,
 * a BERT vocabulary of 30,522 → 128); fastText's supervised default is 100 for vocabularies of this size.
 */
export function embeddingDim(vocab: number): number {
  return Math.min(128, Math.max(16, 2 ** Math.round(Math.log2(Math.sqrt(vocab)))))
}

/** TextCNN's kernel widths (Kim 2014): 3, 4 and 5 tokens, those that fit the sequence. */
const TEXTCNN_WIDTHS = [3, 4, 5]

/**
 * bag: fastText's model, the mean of the tokens' embeddings into a linear classifier. textcnn: Kim's
 * convolutional model, one conv1d per width with ReLU and a max over time side by side, dropout 0.5, then
 * a linear classifier; filters per width as wide as the embedding.
 */
function textPreset(name: 'bag' | 'textcnn', options: PresetOptions): ModelSpec {
  const {inputShape, outputs, vocabSize, padId = 0} = options
  if (vocabSize === undefined) throw new Error(`preset ${name} needs the vocabulary size`)
  const dim = embeddingDim(vocabSize)
  const embedding: LayerSpec = {type: 'embedding', vocab: vocabSize, dim}
  const spec = {inputShape, inputType: 'int32' as const, ...(padId !== 0 && {padId})}
  if (name === 'bag')
    return {...spec, layers: [embedding, {type: 'globalAveragePool1d'}, {type: 'dense', units: outputs}]}
  const widths = TEXTCNN_WIDTHS.filter((k) => k <= inputShape[0])
  const branches: LayerSpec[][] = (widths.length ? widths : [inputShape[0]]).map((kernel) => [
    {type: 'conv1d', filters: dim, kernel},
    {type: 'relu'},
    {type: 'globalMaxPool1d'},
  ])
  const features: LayerSpec[] = branches.length === 1 ? branches[0] : [{type: 'parallel', branches}]
  return {...spec, layers: [embedding, ...features, {type: 'dropout', rate: 0.5}, {type: 'dense', units: outputs}]}
}
