import {UserError} from '../errors.js'
import {DEFAULT_LR, TEXT_EPOCHS, TEXT_LR, TEXT_TARGET_STEPS, type TrainConfig} from './train-config.js'

/** The options whose default depends on the dataset; a run's config.json always records their values. */
export type RunConfig = TrainConfig &
  Required<Pick<TrainConfig, 'model' | 'lr' | 'epochs' | 'batch-size' | 'early-stop'>>

/** About this many optimizer steps make a small table's default run: fewer leave an MLP far from fitted. */
const TABLE_TARGET_STEPS = 2000
const TABLE_EPOCHS = {min: 15, max: 500}
const TABLE_BATCH = {min: 8, max: 64}

/**
 * Fills in the options left unset (by flags, --config and the resumed run) from what the dataset is.
 * Images keep fixed defaults. A table's batch size and epochs follow its number of training rows, so a
 * 100-row table gets thousands of steps rather than a few dozen, and early stopping on the validation
 * metric ends the run once more epochs stop helping. `chosen` says what was picked and why, for the start line.
 */
export function withDatasetDefaults(
  config: TrainConfig,
  dataset: {isTable: boolean; trainingRows: number; isText?: boolean},
): {config: RunConfig; chosen?: string} {
  if (dataset.isText) {
    const lr = config.lr ?? TEXT_LR
    const batch = config['batch-size'] ?? 64
    const epochs = config.epochs ?? textEpochs(dataset.trainingRows, batch)
    const resolved = {
      ...config,
      model: config.model ?? 'bag',
      lr,
      epochs,
      'batch-size': batch,
      'early-stop': config['early-stop'] ?? 0,
    }
    const picked = [config.lr === undefined && `lr ${lr}`, config.epochs === undefined && `${epochs} epochs`].filter(
      (p) => p !== false,
    )
    return {
      config: checkWarmup(resolved),
      ...(picked.length > 0 && {chosen: `${picked.join(', ')} for ${dataset.trainingRows} training texts`}),
    }
  }
  if (!dataset.isTable) {
    const resolved = {
      ...config,
      model: config.model ?? 'lenet',
      lr: config.lr ?? DEFAULT_LR,
      epochs: config.epochs ?? 15,
      'batch-size': config['batch-size'] ?? 64,
      'early-stop': config['early-stop'] ?? 0,
    }
    return {config: checkWarmup(resolved)}
  }
  const rows = dataset.trainingRows
  const batch = config['batch-size'] ?? tableBatchSize(rows)
  const epochs = config.epochs ?? tableEpochs(rows, batch)
  const earlyStop = config['early-stop'] ?? Math.max(10, Math.round(epochs / 10))
  const resolved = {
    ...config,
    model: config.model ?? 'mlp',
    lr: config.lr ?? DEFAULT_LR,
    epochs,
    'batch-size': batch,
    'early-stop': earlyStop,
  }
  const picked = [
    config.model === undefined && 'model mlp',
    config['batch-size'] === undefined && `batch ${batch}`,
    config.epochs === undefined && `${epochs} epochs`,
    config['early-stop'] === undefined && `early stop after ${earlyStop} epochs without improvement`,
  ].filter((p) => p !== false)
  return {
    config: checkWarmup(resolved),
    ...(picked.length > 0 && {chosen: `${picked.join(', ')} for ${rows} training rows`}),
  }
}

/** A power of two near rows / 8: small tables take small batches, hence more steps per epoch. */
export function tableBatchSize(rows: number): number {
  const power = 2 ** Math.round(Math.log2(Math.max(1, rows / 8)))
  return Math.min(TABLE_BATCH.max, Math.max(TABLE_BATCH.min, power))
}

/** Enough epochs for about TABLE_TARGET_STEPS steps, rounded up to a multiple of 10 past 100. */
export function tableEpochs(rows: number, batch: number): number {
  const stepsPerEpoch = Math.max(1, Math.ceil(rows / batch))
  const epochs = Math.ceil(TABLE_TARGET_STEPS / stepsPerEpoch)
  const rounded = epochs > 100 ? Math.ceil(epochs / 10) * 10 : epochs
  return Math.min(TABLE_EPOCHS.max, Math.max(TABLE_EPOCHS.min, rounded))
}

/** Enough epochs for about TEXT_TARGET_STEPS steps, TEXT_EPOCHS.min to TEXT_EPOCHS.max. */
export function textEpochs(rows: number, batch: number): number {
  const stepsPerEpoch = Math.max(1, Math.ceil(rows / batch))
  return Math.min(TEXT_EPOCHS.max, Math.max(TEXT_EPOCHS.min, Math.round(TEXT_TARGET_STEPS / stepsPerEpoch)))
}

function checkWarmup(config: RunConfig): RunConfig {
  const warmup = config['warmup-epochs']
  if (!(warmup >= 0 && warmup <= config.epochs))
    throw new UserError(`warmup-epochs must be a number in [0, ${config.epochs}], got ${JSON.stringify(warmup)}`)
  return config
}
