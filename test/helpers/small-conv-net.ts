import type {ModelSpec} from '../../src/core/model/spec.js'

/**
 * A small image classifier (2x6x6 uint8 images, 3 classes) holding everything that could make two runs or two
 * engines differ: dropout masks, batch-norm moving statistics (with a non-default momentum), max-pool routing.
 * Small enough to take many steps in a test.
 */
export const smallConvNet: ModelSpec = {
  inputShape: [2, 6, 6],
  inputType: 'uint8',
  layers: [
    {type: 'conv2d', filters: 3, kernel: 3, padding: 'same'},
    {type: 'relu'},
    {type: 'batchNorm', momentum: 0.9},
    {type: 'maxPool2d', size: 2},
    {type: 'dropout', rate: 0.25},
    {type: 'flatten'},
    {type: 'dense', units: 8},
    {type: 'tanh'},
    {type: 'dense', units: 3},
  ],
}
