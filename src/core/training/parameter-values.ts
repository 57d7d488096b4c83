import {checkWeights} from '../model/check-weights.js'
import {initialWeights} from '../model/initializers.js'
import type {NamedTensor} from '../model/parameters.js'
import type {ResolvedModel} from '../model/resolve-model.js'

/**
 * Every parameter's values by name, in engine layout (NCHW/OIHW), starting from the seeded initial
 * weights. Updated in place, so that tensors wrapping the arrays stay valid.
 */
export class ParameterValues {
  private readonly values: Map<string, Float32Array>

  constructor(
    private readonly model: ResolvedModel,
    seed: number,
  ) {
    this.values = new Map(initialWeights(model, seed).map((w) => [w.name, w.data]))
  }

  get(name: string): Float32Array {
    return this.values.get(name)!
  }

  /** Every parameter tensor in model.parameters order: copies, or (copy false) views that later updates change. */
  toNamedTensors(copy = true): NamedTensor[] {
    return this.model.parameters.map((p) => {
      const data = this.get(p.name)
      return {name: p.name, shape: [...p.shape], data: copy ? data.slice() : data}
    })
  }

  /** Replaces every parameter's values; names and shapes must be exactly the model's. */
  set(weights: NamedTensor[]): void {
    const byName = checkWeights(this.model.parameters, weights)
    for (const p of this.model.parameters) this.get(p.name).set(byName.get(p.name)!.data)
  }
}
