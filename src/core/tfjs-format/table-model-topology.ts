import type {ResolvedLayer} from '../model/resolve-model.js'
import type {CategoryEmbeddingSpec} from '../model/spec.js'
import {type FixedWeight, FunctionalGraph, type FunctionalTopology} from './functional-topology.js'

export const TABLE_INPUT = 'input'

interface KerasLayer {
  class_name: string
  config: Record<string, unknown>
}

/** One step of a flat model: a Keras layer chained after the previous step, or a category embedding. */
export type TableStep = KerasLayer | ResolvedLayer<CategoryEmbeddingSpec>

/**
 * A table model with category embeddings as a Keras functional topology (a Sequential list cannot take a
 * column out and put a vector back). Each categoryEmbedding layer NAME on x [N, F] becomes standard layers
 * with fixed 0/1 weights, which copy values exactly (each output is one input times 1 plus zeros):
 * - `NAME_others`, a Dense without bias to the F - 1 other columns, in order;
 * - `NAME_index`, a Dense without bias to the index column;
 * - NAME, the Embedding (TF.js casts its float input to int32) of one position, then `NAME_vector`, a Flatten;
 * - `NAME_joined`, a Concatenate of the other columns and the vector: the engines' order.
 * TF.js's Embedding takes indices in [0, categories) only, which encodeTableRows always gives; the engines'
 * reading of any other value as 0 is left out.
 */
export function tableModelTopology(
  features: number,
  steps: TableStep[],
): {topology: FunctionalTopology; fixedWeights: FixedWeight[]} {
  const graph = new FunctionalGraph()
  const fixedWeights: FixedWeight[] = []
  graph.input(TABLE_INPUT, [null, features], 'float32')
  const copyColumns = (name: string, columns: number[], width: number, input: string): string => {
    const kernel = new Float32Array(width * columns.length)
    columns.forEach((from, to) => (kernel[from * columns.length + to] = 1))
    fixedWeights.push({name: `${name}/kernel`, shape: [width, columns.length], data: kernel})
    return graph.add('Dense', {name, units: columns.length, activation: 'linear', use_bias: false, trainable: false}, [
      input,
    ])
  }
  let output = TABLE_INPUT
  for (const step of steps) {
    if (!('spec' in step)) {
      output = graph.add(step.class_name, step.config, [output])
      continue
    }
    const {name, spec} = step
    const [width] = step.inputShape
    const others = Array.from({length: width}, (_, c) => c).filter((c) => c !== spec.column)
    const index = copyColumns(`${name}_index`, [spec.column], width, output)
    const embedded = graph.add(
      'Embedding',
      {name, input_dim: spec.categories, output_dim: spec.dim, input_length: 1, mask_zero: false},
      [index],
    )
    const vector = graph.add('Flatten', {name: `${name}_vector`}, [embedded])
    output =
      others.length > 0
        ? graph.add('Concatenate', {name: `${name}_joined`, axis: -1}, [
            copyColumns(`${name}_others`, others, width, output),
            vector,
          ])
        : vector
  }
  return {topology: graph.topology(TABLE_INPUT, output), fixedWeights}
}
