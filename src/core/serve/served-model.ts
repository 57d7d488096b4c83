/**
 * One model behind the server: its inference thread, its batcher, its signature and the metadata a
 * client may want (class names). Any ONNX file onnxruntime loads can be served, not only mlctl's.
 */
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

import {UserError} from '../errors.js'
import {DynamicBatcher, type BatcherOptions} from './dynamic-batcher.js'
import {InferenceThread, type WireValueInfo} from './inference-thread.js'
import {validateInputs, validateOutputNames, type ModelSignature, type TensorSpec} from './input-validation.js'
import {readOnnxMetadataProps} from '../onnx/metadata-props.js'
import {fromMetadataProps} from '../onnx/model-metadata.js'
import {unsupportedOpset} from '../onnx/opset-support.js'
import {ServeError} from './serve-error.js'
import {type ServedText, servedTextOf} from './served-text.js'
import {allocateData, DATATYPES, datatypeOfOrtType, elementCount, type RequestTensor, type Tensor} from './tensor.js'

/** How every model is run, whatever its file. */
export interface ModelSettings {
  /** onnxruntime intra-op threads for this model's session */
  threads: number
  batching: Omit<BatcherOptions, 'mergeable' | 'maxInFlight' | 'padSequences'>
}

export interface ModelConfig extends ModelSettings {
  name: string
  version: number
  path: string
}

export interface ModelSummary {
  name: string
  path: string
  /** inputs -> outputs, each as name DATATYPE[shape] */
  signature: string
  /** problems that do not stop serving */
  warnings: string[]
}

export interface ModelObserver {
  onBatch(model: string, rows: number, requests: number): void
  onQueueDepth(model: string, depth: number): void
  onInference(model: string, seconds: number): void
}

export class ServedModel {
  private readonly batcher: DynamicBatcher

  private constructor(
    readonly name: string,
    /** the version number, as the protocol writes it */
    readonly version: string,
    readonly path: string,
    readonly signature: ModelSignature,
    /** from the file's metadata_props key `class_names` (a JSON array of strings), if present and valid */
    readonly classNames: string[] | undefined,
    /** the file's metadata_props, shown to clients as the model's properties */
    readonly properties: Record<string, string>,
    /** problems that do not stop serving, for the caller to show */
    readonly warnings: string[],
    /** a text model's texts as its token ids; undefined for other models */
    readonly text: ServedText | undefined,
    private readonly thread: InferenceThread,
    config: ModelConfig,
    observer: ModelObserver,
  ) {
    const runBatch = async (inputs: Tensor[]): Promise<Tensor[]> => {
      const result = await thread.run(
        inputs.map((input) => ({
          name: input.name,
          type: DATATYPES[input.datatype].ortType,
          dims: input.shape,
          data: input.data,
        })),
      )
      observer.onInference(name, result.seconds)
      return result.outputs.map((output) => ({
        name: output.name,
        datatype: datatypeOfOrtType(output.type)!,
        shape: output.dims,
        data: output.data,
      }))
    }
    // Two batches out: one running, the next already waiting in the thread (see dynamic-batcher.ts).
    this.batcher = new DynamicBatcher(
      runBatch,
      {
        ...config.batching,
        mergeable: signature.batched,
        maxInFlight: 2,
        ...(text?.sequencePadding && {padSequences: text.sequencePadding}),
      },
      {
        onBatch: (rows, requests) => observer.onBatch(name, rows, requests),
        onQueueDepth: (depth) => observer.onQueueDepth(name, depth),
      },
    )
  }

  static async load(config: ModelConfig, observer: ModelObserver): Promise<ServedModel> {
    if (!existsSync(config.path))
      throw new UserError(`model file ${config.path} not found; pass the path of an .onnx file or of a run directory`)
    let thread: InferenceThread
    try {
      thread = await InferenceThread.start({modelPath: config.path, intraOpThreads: config.threads})
    } catch (err) {
      const tooOld = unsupportedOpset(await readFile(config.path))
      if (tooOld) throw new UserError(`cannot serve ${config.path}: ${tooOld}`)
      throw new UserError(
        `cannot load ${config.path} as an ONNX model (${(err as Error).message.split('\n')[0]}); check that it is an ONNX file`,
      )
    }
    try {
      const signature = {
        inputs: thread.inputs.map((value) => toSpec(config.name, 'input', value)),
        outputs: thread.outputs.map((value) => toSpec(config.name, 'output', value)),
        batched: sharesBatchDimension(thread.inputs, thread.outputs),
      }
      const props = await readOnnxMetadataProps(config.path)
      const {metadata, problems} = fromMetadataProps(props)
      const warnings = problems.map((problem) => `${problem.message}; ${consequence(problem.key)}`)
      const {classNames} = metadata
      const version = String(config.version)
      const text = servedTextOf(config.name, metadata, signature, warnings)
      const model = new ServedModel(
        config.name,
        version,
        config.path,
        signature,
        classNames,
        props,
        warnings,
        text,
        thread,
        config,
        observer,
      )
      await model.warmUp()
      return model
    } catch (err) {
      await thread.close()
      throw err
    }
  }

  /**
   * The protocol's model metadata (same fields over HTTP and gRPC); `versions`: the model's versions serving.
   * A text model shows its BYTES text input (served-text.ts says why); its properties hold text_input.
   */
  metadata(versions: string[]) {
    return {
      name: this.name,
      versions,
      platform: 'onnx_onnxv1',
      inputs: this.text ? [this.text.spec] : this.signature.inputs,
      outputs: this.signature.outputs,
      properties: this.properties,
    }
  }

  /** What a person starting the server wants to see about this model. */
  summary(): ModelSummary {
    const describe = (specs: Array<{name: string; datatype: string; shape: number[]}>) =>
      specs.map((spec) => `${spec.name} ${spec.datatype}[${spec.shape.join(',')}]`).join(', ')
    const inputs = this.text
      ? `${describe([this.text.spec])} (or ${describe(this.signature.inputs)})`
      : describe(this.signature.inputs)
    return {
      name: this.name,
      path: this.path,
      signature: `${inputs} -> ${describe(this.signature.outputs)}`,
      warnings: this.warnings,
    }
  }

  /** Runs one request through the batcher; returns the requested outputs (all by default) in request order. */
  async infer(inputs: RequestTensor[], outputNames?: string[]): Promise<Tensor[]> {
    const ordered = validateInputs(this.signature, this.text ? this.text.inputsOf(inputs) : inputs)
    const wanted = validateOutputNames(this.signature, outputNames)
    const outputs = await this.batcher.submit(ordered)
    return wanted.map((name) => {
      const output = outputs.find((candidate) => candidate.name === name)
      if (!output) throw new ServeError('internal', `the model produced no output "${name}"`)
      return output
    })
  }

  /**
   * One run on zeros shaped as the inputs declare (free dimensions as 1), so that the first requests after a
   * reload do not pay for onnxruntime's first-run allocations. A model whose inputs need meaningful values
   * (e.g. a shape vector) may refuse zeros; it loaded, so it is served all the same.
   */
  private async warmUp(): Promise<void> {
    const feeds = this.signature.inputs.map((spec) => {
      const dims = spec.shape.map((dim) => (dim < 0 ? 1 : dim))
      return {
        name: spec.name,
        type: DATATYPES[spec.datatype].ortType,
        dims,
        data: allocateData(spec.datatype, elementCount(dims)),
      }
    })
    await this.thread.run(feeds).catch(() => undefined)
  }

  /** Waits for queued and running requests, then stops the inference thread. */
  async close(): Promise<void> {
    await this.batcher.whenIdle()
    await this.thread.close()
  }
}

function toSpec(model: string, role: string, value: WireValueInfo): TensorSpec {
  const datatype = datatypeOfOrtType(value.type)
  if (!datatype) {
    throw new UserError(
      `model "${model}" ${role} "${value.name}" has type ${value.type}, which mlctl serve does not support (supported: ${Object.keys(DATATYPES).join(', ')})`,
    )
  }
  return {name: value.name, datatype, shape: value.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1))}
}

/**
 * Whether requests can be merged along the first dimension: every input's first dimension is free and has one
 * symbolic name (e.g. "batch"), and every output's first dimension is free and has that name or none (shape
 * inference often loses it). A fixed first dimension, inputs without one (scalars), or inputs whose first
 * dimensions have different or no names leave it unclear what a row is; such models run one request at a time.
 */
function sharesBatchDimension(inputs: WireValueInfo[], outputs: WireValueInfo[]): boolean {
  const name = inputs[0]?.shape[0]
  if (typeof name !== 'string' || name === '') return false
  return (
    inputs.every((value) => value.shape[0] === name) &&
    outputs.every((value) => value.shape[0] === name || value.shape[0] === '')
  )
}

/** What a bad metadata_props entry means for the server, which reads only class_names itself. */
function consequence(key: string): string {
  return key === 'class_names' ? 'predictions will name classes by index' : 'clients see it as written'
}
