import {UserError} from '../errors.js'
import {inferLayerShape} from './layer-shapes.js'
import type {InputType, LayerSpec, ModelSpec} from './spec.js'

export const PRESET_NAMES = ['mlp', 'lenet', 'lenet-cifar', 'cnn', 'bag', 'textcnn'] as const
const TEXT_PRESETS: readonly PresetName[] = ['bag', 'textcnn']
export type PresetName = (typeof PRESET_NAMES)[number]

export interface PresetOptions {
  inputShape: number[]
  /** Classes (or regression outputs): units of the last dense layer. */
  outputs: number
  inputType?: InputType
  /** Rows the model is fitted on: a table's mlp widens for large tables (see mlpWidth). */
  trainingRows?: number
  /** Token inputs: the embedding's number of ids (tokenizer vocabulary plus any hashed n-gram buckets). */
  vocabSize?: number
  padId?: number
  /**
   * Tables: the inputs holding a category's index (0 unknown, 1..categories - 1), by position, each given a
   * learned embedding (the mlp only).
   */
  categoryColumns?: Array<{column: number; categories: number}>
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name)
}

/**
 * The layers of a preset, adapted to the input shape (any channel count and image size the preset's kernels
 * and pools fit in) and number of outputs. The last layer emits logits. An image too small for the preset is a
 * UserError naming the smallest size it takes.
 */
export function presetSpec(name: PresetName, options: PresetOptions): ModelSpec {
  const {inputShape, outputs, inputType, trainingRows} = options
  const isText = inputType === 'int32'
  if (TEXT_PRESETS.includes(name) !== isText) {
    throw new UserError(
      isText
        ? `preset ${name} does not take text; use bag or textcnn`
        : `preset ${name} needs text (token ids); use ${inputShape.length === 3 ? 'lenet, lenet-cifar or cnn' : 'mlp'}`,
    )
  }
  if (isText) return textPreset(name as 'bag' | 'textcnn', options)
  const needsImage = name !== 'mlp'
  if (needsImage && inputShape.length !== 3) {
    throw new UserError(
      `preset ${name} needs image inputs [channels, height, width], got [${inputShape.join(', ')}]; use the mlp preset`,
    )
  }
  const categories = categoryColumns(name, options)
  const layers = [...categories, ...presetLayers(name as GridPresetName, inputShape, outputs, trainingRows)]
  if (needsImage && !fits(layers, inputShape)) {
    const [channels, height, width] = inputShape
    const side = smallestSide(name as GridPresetName, channels, outputs)
    throw new UserError(
      `preset ${name} needs images of at least ${side}x${side} pixels, got ${height}x${width}; use larger images, --model mlp, or a spec file with smaller kernels`,
    )
  }
  return {inputShape, ...(inputType ? {inputType} : {}), layers}
}

/**
 * One categoryEmbedding per index column, the last column first: each takes its column out of the row and
 * appends the vector, so the columns before it keep their positions for the next one.
 */
function categoryColumns(name: PresetName, options: PresetOptions): LayerSpec[] {
  const columns = options.categoryColumns ?? []
  if (columns.length > 0 && name !== 'mlp')
    throw new UserError(`preset ${name} does not take table category indices; use mlp`)
  return [...columns]
    .sort((a, b) => b.column - a.column)
    .map(({column, categories}) => ({
      type: 'categoryEmbedding',
      column,
      categories,
      dim: categoryEmbeddingDim(categories),
    }))
}

/**
 * Vector width of a category of `categories` indices (unknown included): fastai's rule, round(1.6 *
 * categories^0.56), capped at 16, under a table mlp's 128 units: 6 for 20 values, 16 from 72.
 */
export function categoryEmbeddingDim(categories: number): number {
  return Math.min(16, Math.max(1, Math.round(1.6 * categories ** 0.56)))
}

/** The presets for images and tables; the text presets are built by textPreset. */
type GridPresetName = Exclude<PresetName, 'bag' | 'textcnn'>

function presetLayers(name: GridPresetName, inputShape: number[], outputs: number, trainingRows?: number): LayerSpec[] {
  switch (name) {
    case 'mlp':
      return mlp(outputs, mlpWidth(inputShape, trainingRows))
    case 'lenet':
      return lenet(outputs, inputShape[1] < 32 || inputShape[2] < 32 ? 'same' : 'valid')
    case 'lenet-cifar':
      return lenet(outputs, 'valid')
    case 'cnn':
      return cnn(outputs)
  }
}

/** Whether every layer's window fits in what the layer before it outputs. */
function fits(layers: LayerSpec[], inputShape: number[]): boolean {
  try {
    layers.reduce((shape, layer, index) => inferLayerShape(layer, index, shape).outputShape, inputShape)
    return true
  } catch (error) {
    if (error instanceof UserError) return false
    throw error
  }
}

/** The smallest square image a preset takes; its layers treat height and width alike, so each side needs it. */
function smallestSide(name: GridPresetName, channels: number, outputs: number): number {
  let side = 1
  while (!fits(presetLayers(name, [channels, side, side], outputs), [channels, side, side])) side++
  return side
}

/** A table of this many fitted rows or more gets the wider mlp. */
export const WIDE_MLP_ROWS = 2000

/**
 * 128 units per hidden layer, 512 for a table of WIDE_MLP_ROWS fitted rows or more. Measured with
 * `npm run bench:tables -- --seeds 15 --only movies` (2,299 fitted rows): median R² 0.581 with 512 units
 * against 0.568 with 256 (better on 12 of the 15 seeds), 0.560 with 128 and 0.579 with 1,024; with Director
 * and Distributor ignored 0.580 against 0.569. On penguins, cars and seattle-weather (250-1,050 rows)
 * 256 did no better or worse (3 seeds). Images keep 128.
 */
function mlpWidth(inputShape: number[], trainingRows: number | undefined): number {
  return inputShape.length === 1 && trainingRows !== undefined && trainingRows >= WIDE_MLP_ROWS ? 512 : 128
}

function mlp(outputs: number, width: number): LayerSpec[] {
  return [
    {type: 'flatten'},
    {type: 'dense', units: width},
    {type: 'relu'},
    {type: 'dense', units: width},
    {type: 'relu'},
    {type: 'dense', units: outputs},
  ]
}

/**
 * Classic LeNet-5 with ReLU and max-pooling. The original was designed for 32x32 inputs; `lenet` pads the
 * first conv 'same' for smaller inputs (MNIST's 28x28) as the classic MNIST setup does, so both give 16x5x5
 * before the dense layers. `lenet-cifar` never pads: it is the network of PyTorch's "Training a classifier"
 * tutorial (conv 6@5x5, pool, conv 16@5x5, pool, 120, 84) on any input, the same as `lenet` from 32x32 up.
 * Pooling comes before ReLU: max-pool and ReLU commute, and pooling first makes the ReLU four times cheaper.
 */
function lenet(outputs: number, firstPadding: 'same' | 'valid'): LayerSpec[] {
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

/**
 * Two blocks of two 3x3 convs and a max-pool, dropout, a 512-unit dense layer: the layout of Keras'
 * cifar10_cnn example, which also pads the first conv of each block 'same' and drops out after the first block.
 */
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
