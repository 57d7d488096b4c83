/**
 * A Keras functional model (class Model) as the TensorFlow.js layers format writes it: layers that name the
 * layers they read (inbound_nodes), for the models a Sequential list cannot spell (a token model's mask, a
 * table model's category embeddings).
 */

export interface KerasNode {
  class_name: string
  name: string
  config: Record<string, unknown>
  inbound_nodes: Array<Array<[string, number, number, Record<string, never>]>>
}

export interface FixedWeight {
  name: string
  shape: number[]
  data: Float32Array
}

export interface FunctionalTopology {
  class_name: 'Model'
  config: {
    name: string
    layers: KerasNode[]
    input_layers: Array<[string, number, number]>
    output_layers: Array<[string, number, number]>
  }
  keras_version: string
  backend: string
}

/** Collects the nodes of one functional model; every node has one output, named as the node. */
export class FunctionalGraph {
  readonly nodes: KerasNode[] = []

  /** The model's input layer; returns its name. */
  input(name: string, batchInputShape: Array<number | null>, dtype: 'float32' | 'int32'): string {
    this.nodes.push({
      class_name: 'InputLayer',
      name,
      config: {name, batch_input_shape: batchInputShape, dtype, sparse: false},
      inbound_nodes: [],
    })
    return name
  }

  /** A layer of class `className` (config.name names it) on the outputs of `inputs`; returns its name. */
  add(className: string, config: Record<string, unknown>, inputs: string[]): string {
    const name = config.name as string
    this.nodes.push({class_name: className, name, config, inbound_nodes: [inputs.map((input) => [input, 0, 0, {}])]})
    return name
  }

  has(name: string): boolean {
    return this.nodes.some((n) => n.name === name)
  }

  topology(input: string, output: string): FunctionalTopology {
    return {
      class_name: 'Model',
      config: {name: 'model', layers: this.nodes, input_layers: [[input, 0, 0]], output_layers: [[output, 0, 0]]},
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    }
  }
}
