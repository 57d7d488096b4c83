import {UserError} from '../errors.js'
import {sizeOf, type NamedTensor, type ParameterInfo} from './parameters.js'

/**
 * The weights by parameter name, after checking that they are exactly the model's: no extra tensor,
 * none missing, every shape as the model needs. Throws UserError (weights of another model spec).
 */
export function checkWeights(parameters: ParameterInfo[], weights: NamedTensor[]): Map<string, NamedTensor> {
  const byName = new Map(weights.map((w) => [w.name, w]))
  const known = new Set(parameters.map((p) => p.name))
  for (const w of weights) {
    if (!known.has(w.name))
      throw new UserError(
        `the weights have a tensor ${w.name} that this model does not; they belong to another model spec`,
      )
  }
  for (const p of parameters) {
    const w = byName.get(p.name)
    if (!w) throw new UserError(`the weights lack tensor ${p.name}; they belong to another model spec`)
    if (w.shape.join('x') !== p.shape.join('x') || w.data.length !== sizeOf(p.shape)) {
      throw new UserError(`weight ${p.name} has shape [${w.shape}] but the model needs [${p.shape}]`)
    }
  }
  return byName
}
