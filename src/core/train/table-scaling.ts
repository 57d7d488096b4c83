import type {DataSplit} from '../data/index.js'
import {categoryColumns} from '../model/resolve-model.js'
import type {ModelSpec} from '../model/spec.js'
import {isRegressionLoss, type LossConfig} from '../training/index.js'

/** How a table's features are centered and scaled (train --scale). */
export type FeatureScaling = 'standard' | 'robust'
export const FEATURE_SCALINGS: readonly FeatureScaling[] = ['standard', 'robust']

/**
 * A table's numeric columns on a common scale: each feature standardized with the mean and standard
 * deviation (or with `robust`, the median and interquartile range) of the rows the model is fitted on
 * (the training split after the validation hold-out, so neither validation nor test rows leak into
 * them), and a regression target standardized with its mean and std through the spec's denormalize.
 * Both live in the spec, so the run's config.json, checkpoints, model/ and the exported ONNX graph all
 * apply exactly these values. A spec that states its own normalize or denormalize keeps it. The inputs a
 * categoryEmbedding reads, a category's index, are left as they are (mean 0, std 1).
 */
export function withTableScaling(
  spec: ModelSpec,
  fit: DataSplit,
  loss: LossConfig,
  scaling: FeatureScaling = 'standard',
): ModelSpec {
  const features = spec.inputShape[0]
  if (spec.inputShape.length !== 1 || (spec.inputType ?? 'float32') !== 'float32' || fit.count === 0) return spec
  const scaled = {...spec}
  if (!spec.normalize) {
    const statistics = scaling === 'robust' ? robustStatistics : columnStatistics
    // a category's index goes to its embedding as it is
    const indices = new Set(categoryColumns(spec))
    const columns = Array.from({length: features}, (_, f) =>
      indices.has(f) ? {mean: 0, std: 1} : statistics(fit.inputs, fit.count, (n) => n * features + f),
    )
    scaled.normalize = {mean: columns.map((c) => c.mean), std: columns.map((c) => c.std)}
  }
  if (isRegressionLoss(loss) && !spec.denormalize)
    scaled.denormalize = columnStatistics(fit.targets, fit.count, (n) => n)
  return scaled
}

/**
 * Median and interquartile range, as the mean and std the graph applies: a few extreme values (a price
 * typed in cents, a sensor glitch) then do not squash every other row towards 0, as they do through the
 * std. A column whose middle half is one value (a rare one-hot input, a mostly missing column filled
 * with its mean) is divided by its std instead: scikit-learn's RobustScaler leaves it unscaled, which
 * on the movies table of `npm run bench:tables` fed budgets in dollars to the network (R² -5e10). The
 * regression target keeps the mean and std: it only sets the loss's scale.
 */
function robustStatistics(
  values: ArrayLike<number>,
  count: number,
  at: (row: number) => number,
): {mean: number; std: number} {
  const sorted = Float64Array.from({length: count}, (_, n) => values[at(n)]).sort()
  const quantile = (q: number) => {
    // Linear interpolation between the closest ranks, numpy's default.
    const position = q * (count - 1)
    const below = Math.floor(position)
    const above = Math.min(below + 1, count - 1)
    return sorted[below] + (sorted[above] - sorted[below]) * (position - below)
  }
  const median = quantile(0.5)
  const range = quantile(0.75) - quantile(0.25)
  if (range > 1e-12 * Math.max(1, Math.abs(median))) return {mean: median, std: range}
  return {mean: median, std: columnStatistics(values, count, at).std}
}

/** Mean and population standard deviation in float64; a constant column gets std 1 (it only shifts to 0). */
function columnStatistics(
  values: ArrayLike<number>,
  count: number,
  at: (row: number) => number,
): {mean: number; std: number} {
  let sum = 0
  for (let n = 0; n < count; n++) sum += values[at(n)]
  const mean = sum / count
  let squares = 0
  for (let n = 0; n < count; n++) squares += (values[at(n)] - mean) ** 2
  const std = Math.sqrt(squares / count)
  return {mean, std: std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1}
}
