import type {ResolvedLayer, ResolvedModel} from '../model/resolve-model.js'
import {type FixedWeight, FunctionalGraph, type FunctionalTopology} from './functional-topology.js'

/**
 * A token model as a Keras functional topology that TensorFlow.js loads and runs exactly as mlctl's engines
 * do, masking included. TF.js's pooling layers ignore Keras masks (GlobalAveragePooling1D averages every
 * position), so the mask is spelled out with standard layers and fixed weights computed from the token ids:
 * - `token_penalty`, an Embedding to one value: 0 for a token, the lowest float32 for padding;
 * - `token_indicator`, an Embedding to one value: 1 for a token, 0 for padding;
 * - masked mean: Softmax over positions of the penalty gives 1 / tokens on tokens and exactly 0 on padding
 *   and Dot over positions with the sequence gives the mean, times the row's token indicator (0 for an
 *   all-padding row, as the engines give);
 * - masked max: sequence + penalty, GlobalMaxPooling1D, times the row's token indicator (0 for an
 *   all-padding row, as the engines give).
 * The embedding layer also zeroes padding: its padding row is zero and never trained. A conv1d, whose windows
 * run past the end into zeros, is a Conv2D of width 1 after ZeroPadding2D (TF.js has no ZeroPadding1D).
 */

const LOWEST_FLOAT32 = -3.4028234663852886e38
export const TOKEN_INPUT = 'input_ids'

/**
 * `kerasLayers` gives a layer's Keras layers (class and config, chained one after the other); the fixed
 * weights of the mask layers are returned to be stored with the model's own.
 */
export function tokenModelTopology(
  model: ResolvedModel,
  kerasLayers: (layer: ResolvedLayer) => Array<{class_name: string; config: Record<string, unknown>}>,
): {topology: FunctionalTopology; fixedWeights: FixedWeight[]} {
  const [length] = model.inputShape
  const [vocab] = model.parameters[0].shape
  const padId = model.spec.padId ?? 0
  const graph = new FunctionalGraph()
  const fixedWeights: FixedWeight[] = []
  const add = graph.add.bind(graph)
  graph.input(TOKEN_INPUT, [null, length], 'int32')

  const perToken = (name: string, token: number, padding: number): string => {
    if (graph.has(name)) return name
    const table = new Float32Array(vocab).fill(token)
    table[padId] = padding
    fixedWeights.push({name: `${name}/embeddings`, shape: [vocab, 1], data: table})
    return add('Embedding', {name, input_dim: vocab, output_dim: 1, input_length: length, trainable: false}, [
      TOKEN_INPUT,
    ])
  }
  /** [N, 1]: 1 for a row with a token, 0 for an all-padding row. */
  const hasToken = (): string =>
    graph.has('token_any')
      ? 'token_any'
      : add('GlobalMaxPooling1D', {name: 'token_any'}, [perToken('token_indicator', 1, 0)])

  const chain = (layer: ResolvedLayer, input: string): string => {
    const type = layer.spec.type
    if (type === 'parallel') {
      const outputs = layer.branches!.map((branch) => branch.reduce((x, inner) => chain(inner, x), input))
      return add('Concatenate', {name: layer.name, axis: -1}, outputs)
    }
    if (type === 'globalAveragePool1d') {
      // TF.js's softmax takes the last axis only: positions go there, [N, 1, L]
      const row = add('Permute', {name: `${layer.name}_positions`, dims: [2, 1]}, [
        perToken('token_penalty', 0, LOWEST_FLOAT32),
      ])
      const weights = add('Softmax', {name: `${layer.name}_weights`, axis: -1}, [row])
      const summed = add('Dot', {name: `${layer.name}_dot`, axes: [2, 1], normalize: false}, [weights, input])
      const mean = add('Flatten', {name: `${layer.name}_mean`}, [summed])
      return add('Multiply', {name: layer.name}, [mean, hasToken()])
    }
    if (type === 'globalMaxPool1d') {
      const shifted = add('Add', {name: `${layer.name}_masked`}, [input, perToken('token_penalty', 0, LOWEST_FLOAT32)])
      const pooled = add('GlobalMaxPooling1D', {name: `${layer.name}_max`}, [shifted])
      return add('Multiply', {name: layer.name}, [pooled, hasToken()])
    }
    return kerasLayers(layer).reduce((x, k) => add(k.class_name, k.config, [x]), input)
  }
  let output: string = TOKEN_INPUT
  for (const layer of model.layers) output = chain(layer, output)
  return {topology: graph.topology(TOKEN_INPUT, output), fixedWeights}
}
