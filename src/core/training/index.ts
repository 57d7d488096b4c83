/**
 * The contract between the training loop and its engines, and what every engine shares: loss and metric
 * configuration, checks of the data callers pass, batch-norm moving statistics and the weights store.
 */
export type {BatchResult, TrainingEngine, TrainingEngineFactory, TrainingEngineOptions} from './training-engine.js'
export {checkUsable, inputBatch, targetBatch, type BatchInputs, type BatchTargets} from './batch-checks.js'
export {
  checkLossConfig,
  isRegressionLoss,
  LOSS_NAMES,
  lossTarget,
  type LossConfig,
  type LossName,
  type TargetKind,
} from './loss-config.js'
export {defaultMetric, METRIC_NAMES, metricRule, metricValue, type MetricName, type MetricRule} from './metrics.js'
export {updateMovingStatistics, type ChannelStatistics} from './moving-statistics.js'
export {ParameterValues} from './parameter-values.js'
