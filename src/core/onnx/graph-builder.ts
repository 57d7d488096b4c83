import {
  AttributeType,
  encodeModel,
  OnnxDataType,
  type AttributeProto,
  type ElementType,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-proto.js'

/** Opset 17 / IR 8 so that Debian's onnx 1.12 checker and older runtimes accept the files. */
export const OPSET_VERSION = 17
export const IR_VERSION = 8

/** A dimension: a fixed size, or a symbolic name such as 'batch'. */
export type Dim = number | string

/**
 * Attribute values. A plain number must be an integer (INT); floats are wrapped with float() so that
 * e.g. alpha = 1 is never silently written as an INT.
 */
export type AttributeValue = number | number[] | string | FloatAttribute

export interface FloatAttribute {
  kind: 'float'
  value: number
}

export const float = (value: number): FloatAttribute => ({kind: 'float', value})

export interface ModelMetadata {
  producerVersion?: string
  metadata?: Record<string, string>
}

/**
 * Builds one ONNX graph node by node. Tensor names are strings; node() returns the name of the new
 * output. The builder refuses to encode a graph with nodes whose outputs nobody reads, because ONNX
 * Runtime executes them anyway: an unused weight-gradient chain would cost its full time every step.
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = []
  private readonly inputs: ValueInfoProto[] = []
  private readonly outputs: ValueInfoProto[] = []
  private readonly initializers: TensorProto[] = []
  private readonly constants = new Map<string, string>()
  private readonly producerOf = new Map<string, NodeProto>()
  private readonly declared = new Set<string>()
  /** Old name → new name of outputs renamed by output(), so later nodes may still use the old name. */
  private readonly renamed = new Map<string, string>()
  private counter = 0

  constructor(private readonly name: string) {}

  input(name: string, type: ElementType, shape: Dim[]): string {
    this.declare(name)
    this.inputs.push(valueInfo(name, type, shape))
    return name
  }

  /**
   * Makes `tensor` a graph output called `name`. The producing node's output is renamed when it can be;
   * otherwise (graph inputs, initializers, tensors already exported) an Identity node is added.
   */
  output(tensor: string, name: string, type: ElementType, shape: Dim[]): void {
    tensor = this.renamed.get(tensor) ?? tensor
    const producer = this.producerOf.get(tensor)
    if (tensor !== name) {
      if (producer && !this.outputs.some((o) => o.name === tensor)) this.rename(tensor, name, producer)
      else this.addNode('Identity', [tensor], {}, [name])
    }
    this.outputs.push(valueInfo(name, type, shape))
  }

  /** Adds a node with one output and returns the output's name. */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.addNode(opType, inputs, attributes, [this.uniqueName(opType)])[0]
  }

  /** Adds a node with `count` outputs. */
  nodeOutputs(opType: string, inputs: string[], attributes: Record<string, AttributeValue>, count: number): string[] {
    const names = Array.from({length: count}, () => this.uniqueName(opType))
    return this.addNode(opType, inputs, attributes, names)
  }

  /** A named float32 tensor stored in the model (weights baked into an inference model). */
  initializer(name: string, shape: number[], data: Float32Array): string {
    this.declare(name)
    this.initializers.push(tensorProto(name, 'float32', shape, data))
    return name
  }

  /** A float32 constant; identical constants are stored once. */
  floatConstant(shape: number[], values: ArrayLike<number>): string {
    return this.constant('float32', shape, Float32Array.from(values))
  }

  scalar(value: number): string {
    return this.floatConstant([], [value])
  }

  /** A 1-D int64 constant, as used for shapes, axes and slice bounds. */
  int64s(values: number[]): string {
    return this.constant('int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v))))
  }

  /** A 1-D int32 constant (compared with int32 token ids). */
  int32s(values: number[]): string {
    return this.constant('int32', [values.length], Int32Array.from(values))
  }

  toBytes(meta: ModelMetadata = {}): Uint8Array {
    this.checkEveryNodeIsUsed()
    return encodeModel({
      irVersion: IR_VERSION,
      opsetImport: [{domain: '', version: OPSET_VERSION}],
      producerName: 'mlctl',
      producerVersion: meta.producerVersion ?? '',
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({key, value})),
    })
  }

  private constant(type: ElementType, shape: number[], data: Float32Array | BigInt64Array | Int32Array): string {
    const key = `${type}|${shape.join('x')}|${data.join(',')}`
    let name = this.constants.get(key)
    if (!name) {
      name = this.uniqueName('const')
      this.declare(name)
      this.initializers.push(tensorProto(name, type, shape, data))
      this.constants.set(key, name)
    }
    return name
  }

  private addNode(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue>,
    outputs: string[],
  ): string[] {
    const node: NodeProto = {
      name: this.uniqueName(`node_${opType}`),
      opType,
      input: inputs.map((i) => this.renamed.get(i) ?? i),
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    }
    for (const output of outputs) {
      this.declare(output)
      this.producerOf.set(output, node)
    }
    this.nodes.push(node)
    return outputs
  }

  private rename(from: string, to: string, producer: NodeProto): void {
    this.declare(to)
    producer.output = producer.output.map((o) => (o === from ? to : o))
    for (const node of this.nodes) node.input = node.input.map((i) => (i === from ? to : i))
    this.producerOf.delete(from)
    this.producerOf.set(to, producer)
    this.renamed.set(from, to)
  }

  private declare(name: string): void {
    if (this.declared.has(name)) throw new Error(`GraphBuilder: tensor name '${name}' is already used`)
    this.declared.add(name)
  }

  private uniqueName(prefix: string): string {
    return `${prefix}_${this.counter++}`
  }

  private checkEveryNodeIsUsed(): void {
    const read = new Set<string>(this.outputs.map((o) => o.name))
    for (const node of this.nodes) for (const input of node.input) read.add(input)
    for (const node of this.nodes) {
      if (!node.output.some((o) => read.has(o)))
        throw new Error(`GraphBuilder: node ${node.name} (${node.opType}) is never used`)
    }
    for (const input of this.inputs) {
      if (!read.has(input.name)) throw new Error(`GraphBuilder: graph input '${input.name}' is never used`)
    }
  }
}

function valueInfo(name: string, type: ElementType, shape: Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType[type],
        shape: {dim: shape.map((d) => (typeof d === 'string' ? {dimParam: d} : {dimValue: d}))},
      },
    },
  }
}

function tensorProto(
  name: string,
  type: ElementType,
  dims: number[],
  data: Float32Array | BigInt64Array | Int32Array,
): TensorProto {
  // raw_data must be little-endian; every platform Node ships for is.
  return {
    name,
    dims,
    dataType: OnnxDataType[type],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  }
}

function attribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'string') return {name, type: AttributeType.string, s: new TextEncoder().encode(value)}
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`GraphBuilder: attribute ${name}=${value} is not an integer; wrap floats with float()`)
    return {name, type: AttributeType.int, i: value}
  }
  if (Array.isArray(value)) {
    if (!value.every(Number.isInteger)) throw new Error(`GraphBuilder: attribute ${name} must hold integers`)
    return {name, type: AttributeType.ints, ints: value}
  }
  return {name, type: AttributeType.float, f: value.value}
}
