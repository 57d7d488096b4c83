import protobuf from 'protobufjs'

/**
 * The subset of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) that mlctl writes and reads, as
 * protobufjs reflection JSON. Field numbers are the upstream ones; fields we never use are left out
 * (protobuf skips unknown fields when decoding files written by other tools).
 */
const schema = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: {type: 'string', id: 1},
            type: {type: 'int32', id: 20},
            f: {type: 'float', id: 2},
            i: {type: 'int64', id: 3},
            s: {type: 'bytes', id: 4},
            ints: {rule: 'repeated', type: 'int64', id: 8},
          },
        },
        ValueInfoProto: {
          fields: {
            name: {type: 'string', id: 1},
            type: {type: 'TypeProto', id: 2},
          },
        },
        NodeProto: {
          fields: {
            input: {rule: 'repeated', type: 'string', id: 1},
            output: {rule: 'repeated', type: 'string', id: 2},
            name: {type: 'string', id: 3},
            opType: {type: 'string', id: 4},
            domain: {type: 'string', id: 7},
            attribute: {rule: 'repeated', type: 'AttributeProto', id: 5},
          },
        },
        ModelProto: {
          fields: {
            irVersion: {type: 'int64', id: 1},
            opsetImport: {rule: 'repeated', type: 'OperatorSetIdProto', id: 8},
            producerName: {type: 'string', id: 2},
            producerVersion: {type: 'string', id: 3},
            graph: {type: 'GraphProto', id: 7},
            metadataProps: {rule: 'repeated', type: 'StringStringEntryProto', id: 14},
          },
        },
        StringStringEntryProto: {
          fields: {
            key: {type: 'string', id: 1},
            value: {type: 'string', id: 2},
          },
        },
        GraphProto: {
          fields: {
            node: {rule: 'repeated', type: 'NodeProto', id: 1},
            name: {type: 'string', id: 2},
            initializer: {rule: 'repeated', type: 'TensorProto', id: 5},
            input: {rule: 'repeated', type: 'ValueInfoProto', id: 11},
            output: {rule: 'repeated', type: 'ValueInfoProto', id: 12},
          },
        },
        TensorProto: {
          fields: {
            dims: {rule: 'repeated', type: 'int64', id: 1},
            dataType: {type: 'int32', id: 2},
            name: {type: 'string', id: 8},
            rawData: {type: 'bytes', id: 9},
          },
        },
        TensorShapeProto: {
          fields: {
            dim: {rule: 'repeated', type: 'Dimension', id: 1},
          },
          nested: {
            Dimension: {
              oneofs: {value: {oneof: ['dimValue', 'dimParam']}},
              fields: {
                dimValue: {type: 'int64', id: 1},
                dimParam: {type: 'string', id: 2},
              },
            },
          },
        },
        TypeProto: {
          oneofs: {value: {oneof: ['tensorType']}},
          fields: {
            tensorType: {type: 'Tensor', id: 1},
          },
          nested: {
            Tensor: {
              fields: {
                elemType: {type: 'int32', id: 1},
                shape: {type: 'TensorShapeProto', id: 2},
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: {type: 'string', id: 1},
            version: {type: 'int64', id: 2},
          },
        },
      },
    },
  },
}

const root = protobuf.Root.fromJSON(schema)
const ModelProto = root.lookupType('onnx.ModelProto')

/** ONNX TensorProto.DataType codes for the element types mlctl uses. */
export const OnnxDataType = {float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float16: 10} as const
export type ElementType = keyof typeof OnnxDataType

export const AttributeType = {float: 1, int: 2, string: 3, ints: 7} as const

export interface TensorProto {
  name: string
  dims: number[]
  dataType: number
  rawData: Uint8Array
}

export interface AttributeProto {
  name: string
  type: number
  f?: number
  i?: number
  s?: Uint8Array
  ints?: number[]
}

export interface NodeProto {
  name: string
  opType: string
  input: string[]
  output: string[]
  attribute: AttributeProto[]
}

export interface ValueInfoProto {
  name: string
  type: {tensorType: {elemType: number; shape: {dim: Array<{dimValue: number} | {dimParam: string}>}}}
}

export interface GraphProto {
  name: string
  node: NodeProto[]
  input: ValueInfoProto[]
  output: ValueInfoProto[]
  initializer: TensorProto[]
}

export interface ModelProto {
  irVersion: number
  opsetImport: Array<{domain: string; version: number}>
  producerName: string
  producerVersion?: string
  graph: GraphProto
  metadataProps?: Array<{key: string; value: string}>
}

export function encodeModel(model: ModelProto): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish()
}

/**
 * Decodes ONNX bytes into plain objects (int64 fields as numbers). With `defaults: false` fields absent
 * from the file stay absent, so that encodeModel writes back exactly what was read (with defaults, every
 * attribute would come back holding f, i and s at once, which the ONNX checker rejects).
 */
export function decodeModel(bytes: Uint8Array, {defaults = true} = {}): ModelProto {
  const message = ModelProto.decode(bytes)
  return ModelProto.toObject(message, {longs: Number, defaults, arrays: true}) as ModelProto
}
