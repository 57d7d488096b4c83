import {readFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {parse as parseYaml} from 'yaml'
import {UserError} from '../errors.js'

/**
 * Everything a training run is made of, as the user states it: flag names are the keys, both on the
 * command line and in a --config file (JSON or YAML), so one vocabulary describes a run.
 */
export interface TrainConfig {
  dataset: string
  data?: string
  target?: string
  model: string
  epochs: number
  'batch-size': number
  optimizer: string
  lr: number
  momentum?: number
  'weight-decay'?: number
  'clip-norm'?: number
  schedule: 'constant' | 'step' | 'cosine'
  'warmup-epochs': number
  loss?: string
  'label-smoothing'?: number
  'val-split': number
  'early-stop': number
  seed: number
  threads: number
  engine: string
  out?: string
}

export type TrainConfigKey = keyof TrainConfig

export const TRAIN_DEFAULTS = {
  dataset: 'mnist-sample',
  model: 'lenet',
  epochs: 15,
  'batch-size': 64,
  optimizer: 'adam',
  lr: 0.001,
  schedule: 'cosine',
  'warmup-epochs': 0,
  'val-split': 0.1,
  'early-stop': 0,
  seed: 42,
  engine: 'ort',
} as const satisfies Partial<TrainConfig>

const KEYS: TrainConfigKey[] = [
  'dataset',
  'data',
  'target',
  'model',
  'epochs',
  'batch-size',
  'optimizer',
  'lr',
  'momentum',
  'weight-decay',
  'clip-norm',
  'schedule',
  'warmup-epochs',
  'loss',
  'label-smoothing',
  'val-split',
  'early-stop',
  'seed',
  'threads',
  'engine',
  'out',
]

/** Reads a --config file: a JSON or YAML mapping whose keys are train's flag names. */
export function readConfigFile(path: string): Partial<TrainConfig> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new UserError(`config file ${path} cannot be read; check the path given to --config`)
  }
  let values: unknown
  try {
    values = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new UserError(
      `config file ${path} is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
    )
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new UserError(`config file ${path} must hold a mapping of train flags to values, e.g. {"epochs": 5}`)
  }
  const unknown = Object.keys(values).filter((k) => !KEYS.includes(k as TrainConfigKey))
  if (unknown.length > 0)
    throw new UserError(
      `config file ${path}: unknown key ${unknown[0]}; keys are train's flag names: ${KEYS.join(', ')}`,
    )
  return values as Partial<TrainConfig>
}

/** Flags override the config file, which overrides the defaults; then every value is checked. */
export function resolveTrainConfig(fromFile: Partial<TrainConfig>, fromFlags: Partial<TrainConfig>): TrainConfig {
  const defined = (o: Partial<TrainConfig>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
  const config = {
    threads: availableParallelism(),
    ...TRAIN_DEFAULTS,
    ...defined(fromFile),
    ...defined(fromFlags),
  } as TrainConfig
  if (config.data !== undefined && config.target === undefined)
    throw new UserError('--data needs --target COLUMN naming the column to predict')
  const integer = (key: TrainConfigKey, min: number) => {
    const v = config[key]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw new UserError(`${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`)
  }
  const number = (key: TrainConfigKey, min: number, max: number, maxInclusive = true) => {
    const v = config[key]
    if (v === undefined) return
    if (typeof v !== 'number' || !(v >= min) || !(maxInclusive ? v <= max : v < max)) {
      throw new UserError(
        `${key} must be a number in [${min}, ${max}${maxInclusive ? ']' : ')'}, got ${JSON.stringify(v)}`,
      )
    }
  }
  integer('epochs', 1)
  integer('batch-size', 1)
  integer('early-stop', 0)
  integer('seed', 0)
  integer('threads', 1)
  number('val-split', 0, 1, false)
  number('warmup-epochs', 0, config.epochs)
  const oneOf = (key: TrainConfigKey, values: readonly string[]) => {
    if (!values.includes(config[key] as string))
      throw new UserError(`${key} must be one of ${values.join(', ')}, got ${JSON.stringify(config[key])}`)
  }
  oneOf('schedule', ['constant', 'step', 'cosine'])
  return config
}
