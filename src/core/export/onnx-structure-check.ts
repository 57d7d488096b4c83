import type {Dim} from '../onnx/graph-builder.js'
import {OnnxDataType, type ModelProto, type TensorProto, type ValueInfoProto} from '../onnx/onnx-proto.js'
import {SHAPE_RULES, ShapeProblem, type TensorInfo} from './onnx-shape-rules.js'

const BYTES_PER_ELEMENT: Record<number, number> = {
  [OnnxDataType.float32]: 4,
  [OnnxDataType.uint8]: 1,
  [OnnxDataType.int32]: 4,
  [OnnxDataType.int64]: 8,
  [OnnxDataType.bool]: 1,
  [OnnxDataType.float16]: 2,
}

/**
 * Structural problems of an ONNX model, as sentences (none: the model is well-formed): an opset import
 * for the default domain; every tensor defined once; every node input defined by a graph input, an
 * initializer or an earlier node; initializers whose bytes fit their type and dims; and types and shapes
 * that fit together through every node up to the declared outputs. Ops without a rule in SHAPE_RULES
 * are reported too: this checks mlctl's own files, whose ops are all known.
 */
export function checkOnnxStructure(model: ModelProto): string[] {
  const problems: string[] = []
  if (!(model.irVersion >= 4))
    problems.push(
      `ir_version ${model.irVersion} is below 4, which would need every initializer listed as a graph input`,
    )
  const imported = new Map(model.opsetImport.map((o) => [o.domain === 'ai.onnx' ? '' : o.domain, o.version]))
  if (!((imported.get('') ?? 0) > 0)) problems.push('no opset_import for the default ONNX domain')

  // undefined: defined, but its type is unknown because an earlier problem stopped inference
  const tensors = new Map<string, TensorInfo | undefined>()
  const define = (name: string, info: TensorInfo | undefined, what: string) => {
    if (name === '') problems.push(`a ${what} has no name`)
    else if (tensors.has(name)) problems.push(`${what} '${name}' reuses a name that is already defined`)
    tensors.set(name, info)
  }
  for (const input of model.graph.input) define(input.name, declared(input), 'graph input')
  for (const init of model.graph.initializer) {
    const size = BYTES_PER_ELEMENT[init.dataType]
    const count = init.dims.reduce((a, b) => a * b, 1)
    if (size === undefined) problems.push(`initializer '${init.name}' has unsupported data type ${init.dataType}`)
    else if (init.rawData.byteLength !== count * size) {
      problems.push(
        `initializer '${init.name}' holds ${init.rawData.byteLength} bytes, but [${init.dims}] of type ${init.dataType} needs ${count * size}`,
      )
    }
    define(init.name, {type: init.dataType, shape: init.dims, ...int64Values(init)}, 'initializer')
  }

  for (const node of model.graph.node) {
    const label = `node ${node.name} (${node.opType})`
    const domain = (node as {domain?: string}).domain ?? ''
    if (!imported.has(domain === 'ai.onnx' ? '' : domain))
      problems.push(`${label} uses domain '${domain}', which is not imported`)
    const undefinedInputs = node.input.filter((name) => name !== '' && !tensors.has(name))
    for (const name of undefinedInputs)
      problems.push(`${label} reads '${name}', which no graph input, initializer or earlier node defines`)
    let outputs: Array<TensorInfo | undefined> = []
    const inputs = node.input.map((name) => (name === '' ? undefined : tensors.get(name)))
    const inputsKnown = inputs.every((info, i) => info || node.input[i] === '')
    const rule = SHAPE_RULES[node.opType]
    if (!rule) problems.push(`${label}: no type and shape rule for this op`)
    else if (inputsKnown) {
      try {
        outputs = rule(inputs, new Map(node.attribute.map((a) => [a.name, a])))
        if (outputs.length !== node.output.length)
          problems.push(`${label} has ${node.output.length} outputs; the op gives ${outputs.length} here`)
      } catch (error) {
        if (!(error instanceof ShapeProblem)) throw error
        problems.push(`${label}: ${error.message}`)
      }
    }
    node.output.forEach((name, i) => define(name, outputs[i], `output of ${label}`))
  }

  for (const output of model.graph.output) {
    if (!tensors.has(output.name)) {
      problems.push(`graph output '${output.name}' is not produced by any node`)
      continue
    }
    const inferred = tensors.get(output.name)
    const want = declared(output)
    if (!inferred || !want) continue
    if (inferred.type !== want.type)
      problems.push(`graph output '${output.name}' is declared type ${want.type} but computed as ${inferred.type}`)
    if (!sameShape(inferred.shape, want.shape))
      problems.push(`graph output '${output.name}' is declared [${want.shape}] but computed as [${inferred.shape}]`)
  }
  return problems
}

/** A small int64 initializer's values (axes, starts, ends): the rules of Unsqueeze, ReduceSum and Slice read them. */
function int64Values(init: TensorProto): {values?: number[]} {
  const count = init.dims.reduce((a, b) => a * b, 1)
  if (init.dataType !== OnnxDataType.int64 || count > 16 || init.rawData.byteLength !== count * 8) return {}
  const copy = new Uint8Array(init.rawData)
  return {values: Array.from(new BigInt64Array(copy.buffer, 0, count), Number)}
}

function declared(value: ValueInfoProto): TensorInfo | undefined {
  const tensorType = value.type?.tensorType
  if (!tensorType?.shape) return undefined
  return {
    type: tensorType.elemType,
    shape: tensorType.shape.dim.map((d): Dim =>
      'dimParam' in d && d.dimParam ? d.dimParam : (d as {dimValue: number}).dimValue,
    ),
  }
}

function sameShape(a: Dim[], b: Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}
