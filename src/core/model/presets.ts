import {UserError} from '../errors.js'
import type {InputType, LayerSpec, ModelSpec} from './spec.js'

export const PRESET_NAMES = ['mlp', 'lenet', 'cnn'] as const
export type PresetName = (typeof PRESET_NAMES)[number]

export interface PresetOptions {
  inputShape: number[]
  /** Classes (or regression outputs): units of the last dense layer. */
  outputs: number
  inputType?: InputType
  /** Rows the model is fitted on: a table's mlp widens for large tables (see mlpWidth). */
  trainingRows?: number
}

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name)
}

/** The layers of a preset, adapted to the input shape and number of outputs. The last layer emits logits. */
export function presetSpec(name: PresetName, options: PresetOptions): ModelSpec {
  const {inputShape, outputs, inputType, trainingRows} = options
  const needsImage = name !== 'mlp'
  if (needsImage && inputShape.length !== 3) {
    throw new UserError(
      `preset ${name} needs image inputs [channels, height, width], got [${inputShape.join(', ')}]; use the mlp preset`,
    )
  }
  const layers =
    name === 'mlp'
      ? mlp(outputs, mlpWidth(inputShape, trainingRows))
      : name === 'lenet'
        ? lenet(inputShape, outputs)
        : cnn(outputs)
  return {inputShape, ...(inputType ? {inputType} : {}), layers}
}

/** A table of this many fitted rows or more gets the wider mlp. */
export const WIDE_MLP_ROWS = 2000

/**
 * 128 units per hidden layer, 256 for a table of WIDE_MLP_ROWS fitted rows or more. Measured with
 * `npm run bench:tables` (3 seeds each): on movies (2,300 rows) 256 units gave R² 0.578-0.597 against
 * 0.540-0.568 with 128 (512: 0.557-0.583); on penguins, cars and seattle-weather (250-1,050 rows) 256
 * did no better or worse. Images keep 128.
 */
function mlpWidth(inputShape: number[], trainingRows: number | undefined): number {
  return inputShape.length === 1 && trainingRows !== undefined && trainingRows >= WIDE_MLP_ROWS ? 256 : 128
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
