import {InferenceSession, Tensor} from 'onnxruntime-node'

export type TensorData = Float32Array | Uint8Array | Int32Array | BigInt64Array

/**
 * An onnxruntime-node session with sequential execution (training graphs are long chains, which the parallel
 * executor only slows down), every graph optimization, and intra-op threads as given.
 * Call release() when done: a session that has run holds its memory arena (~50-90 MB) until then.
 */
export class OrtSession {
  private constructor(private readonly session: InferenceSession) {}

  static async create(model: Uint8Array, threads: number): Promise<OrtSession> {
    const session = await InferenceSession.create(model, {
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    })
    return new OrtSession(session)
  }

  /** Names, element types and shapes of the graph's inputs (symbolic dimensions are strings). */
  get inputMetadata(): readonly InferenceSession.ValueMetadata[] {
    return this.session.inputMetadata
  }

  get outputMetadata(): readonly InferenceSession.ValueMetadata[] {
    return this.session.outputMetadata
  }

  /** Runs the graph; every output of mlctl's graphs is float32. */
  async run(feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
    const results = await this.session.run(feeds)
    const outputs: Record<string, Float32Array> = {}
    for (const [name, tensor] of Object.entries(results)) outputs[name] = tensor.data as Float32Array
    return outputs
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}

/** Wraps a typed array (a view, no copy) as a tensor of the given dimensions. */
export function tensor(data: TensorData, dims: number[]): Tensor {
  if (data instanceof Uint8Array) return new Tensor('uint8', data, dims)
  if (data instanceof Int32Array) return new Tensor('int32', data, dims)
  if (data instanceof BigInt64Array) return new Tensor('int64', data, dims)
  return new Tensor('float32', data, dims)
}

export type {Tensor}
