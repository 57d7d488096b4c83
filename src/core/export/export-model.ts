import {buildInferenceModel} from '../engine/index.js'
import {UserError} from '../errors.js'
import {resolveModel} from '../model/resolve-model.js'
import type {Dim} from '../onnx/graph-builder.js'
import {decodeModel, encodeModel, OnnxDataType, type ValueInfoProto} from '../onnx/onnx-proto.js'
import {exportMetadata} from './export-metadata.js'
import {withOpset} from './export-opset.js'
import {withFloat16Weights} from './float16-weights.js'
import {checkOnnxStructure} from './onnx-structure-check.js'
import type {TrainedRun} from './trained-run.js'

export interface ExportModelSettings {
  opset: number
  /** A fixed batch size, or a symbolic batch dimension. */
  batch: 'dynamic' | number
  /** Add a `probabilities` output (softmax; sigmoid for a one-output binary classifier). */
  includeSoftmax: boolean
  /** Scale and standardize inside the graph, so that clients send raw values. */
  normalize: boolean
  /** Store the weights as float16. */
  fp16: boolean
  mlctlVersion: string
}

export interface TensorDescription {
  name: string
  type: string
  shape: Dim[]
}

export interface ExportModel {
  bytes: Uint8Array
  inputs: TensorDescription[]
  outputs: TensorDescription[]
  /** What the `probabilities` output applies to the logits, if there is one. */
  probabilities: 'softmax' | 'sigmoid' | 'none'
  metadata: Record<string, string>
  /** The file's size with float32 weights (differs from bytes.byteLength with fp16). */
  float32Bytes: number
}

/**
 * The ONNX file for a trained run: the engine's inference graph with the weights as initializers, the
 * requested opset, batch dimension, outputs and input normalization, mlctl's metadata_props and, with
 * fp16, float16 weights. The result is checked structurally; a problem there is a bug in mlctl.
 */
export function buildExportModel(run: TrainedRun, settings: ExportModelSettings): ExportModel {
  const resolved = resolveModel(run.spec)
  const probabilities = probabilitiesOutput(run, resolved.endsWithSoftmax, resolved.outputs, settings.includeSoftmax)
  const metadata = exportMetadata(run, settings.normalize, settings.mlctlVersion)
  const built = buildInferenceModel(run.spec, run.weights, {
    probabilities,
    normalizeInput: settings.normalize,
    ...(settings.batch !== 'dynamic' && {batchSize: settings.batch}),
    metadata,
    producerVersion: settings.mlctlVersion,
  })
  const model = withOpset(decodeModel(built, {defaults: false}), settings.opset)
  const float32Bytes = encodeModel(model).byteLength
  if (settings.fp16) withFloat16Weights(model, new Set(resolved.parameters.map((p) => p.name)))
  const bytes = encodeModel(model)
  const written = decodeModel(bytes)
  const problems = checkOnnxStructure(written)
  if (problems.length > 0)
    throw new Error(`mlctl built a malformed ONNX graph (please report this bug): ${problems.join('; ')}`)
  return {
    bytes,
    inputs: written.graph.input.map(describe),
    outputs: written.graph.output.map(describe),
    probabilities,
    metadata,
    float32Bytes,
  }
}

function probabilitiesOutput(
  run: TrainedRun,
  endsWithSoftmax: boolean,
  outputs: number,
  includeSoftmax: boolean,
): ExportModel['probabilities'] {
  if (endsWithSoftmax) return 'softmax'
  if (!includeSoftmax) return 'none'
  if (run.task !== 'classification')
    throw new UserError(
      '--include-softmax adds class probabilities, but this run is a regression model; export it without the flag',
      2,
    )
  return outputs === 1 ? 'sigmoid' : 'softmax'
}

const TYPE_NAMES = Object.fromEntries(Object.entries(OnnxDataType).map(([name, code]) => [code, name]))

function describe(value: ValueInfoProto): TensorDescription {
  const {elemType, shape} = value.type.tensorType
  return {
    name: value.name,
    type: TYPE_NAMES[elemType] ?? String(elemType),
    shape: shape.dim.map((d) => ('dimParam' in d && d.dimParam ? d.dimParam : (d as {dimValue: number}).dimValue)),
  }
}
