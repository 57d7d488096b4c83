import {deriveSeed, Random, RandomStream} from '../model/random.js'
import {sizeOf} from '../model/parameters.js'
import {tensor, type Tensor} from './ort-session.js'

/**
 * The uniform noise that dropout layers threshold. Step k's noise comes from a generator seeded with
 * (seed, k), so it depends only on the seed and the step number: a run resumed from a checkpoint at step
 * k draws exactly what the uninterrupted run drew.
 */
export class DropoutNoise {
  private buffers: Float32Array[] = []

  constructor(
    private readonly seed: number,
    private readonly inputs: Array<{name: string; shape: number[]}>,
  ) {}

  /** Feeds for the noise inputs of training step `step` with `batch` examples. */
  feeds(step: number, batch: number): Record<string, Tensor> {
    const random = new Random(deriveSeed(this.seed, RandomStream.dropout, step))
    const feeds: Record<string, Tensor> = {}
    this.inputs.forEach((input, i) => {
      const length = batch * sizeOf(input.shape)
      if (!this.buffers[i] || this.buffers[i].length < length) this.buffers[i] = new Float32Array(length)
      feeds[input.name] = tensor(random.fill(this.buffers[i].subarray(0, length)), [batch, ...input.shape])
    })
    return feeds
  }
}
