import {readFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {parse as parseYaml} from 'yaml'
import {DEFAULT_TEST_FRACTION} from '../data/image-folder.js'
import {DEFAULT_VALIDATION_FRACTION} from '../data/validation-split.js'
import {parseImageSize, RESIZE_MODES} from '../images/image-preprocessing.js'
import {UserError} from '../errors.js'
import {OPTIMIZER_NAMES} from '../optim/index.js'
import {parseAugmentations} from './image-augmentation.js'
import {FEATURE_SCALINGS} from './table-scaling.js'

/** The loss names train accepts (--loss), mapped to the engine's loss configs when a run starts. */
export const LOSS_CHOICES = ['cross-entropy', 'binary-cross-entropy', 'mse', 'mae', 'huber'] as const

/** Adam's learning rate for images and tables. */
export const DEFAULT_LR = 0.001

/**
 * Text models (bag, textcnn) learn an embedding row per token, and each row only learns from the texts that
 * hold its token, so at 0.001 they crawled: sms-spam's bag ended at 96.8% test accuracy after 10 epochs at
 * 0.001 and at 98.0% at 0.01, other settings equal (README "Text, real data").
 */
export const TEXT_LR = 0.01

/**
 * A text run's default epochs give it about TEXT_TARGET_STEPS optimizer steps, within TEXT_EPOCHS. At lr
 * 0.01 a bag model fits its training texts within a few hundred steps and then only memorizes them: imdb
 * (352 steps an epoch) scored 87.4% on its test reviews after 5 epochs and better after 2, while
 * sms-spam (63 steps an epoch) needs 4 or more epochs to reach 98% (README "Text, real data").
 */
export const TEXT_TARGET_STEPS = 700
export const TEXT_EPOCHS = {min: 2, max: 10}

/** One row of TRAIN_OPTIONS: a train flag and config key. */
export type TrainOption = {
  help: string
  /** Stands for the value in help, e.g. `--lr=X`. */
  helpValue?: string
  /** Options that cannot be given together with this one. */
  exclusive?: readonly string[]
  /** Options this one needs. */
  dependsOn?: readonly string[]
} & (
  | {type: 'string'; default?: string}
  /** `min` is checked when the config is resolved, so that it applies to --config files too. */
  | {type: 'integer'; default?: number; min: number}
  | {type: 'number'; default?: number}
  | {type: 'choice'; choices: readonly string[]; default?: string}
  /** `allowNo`: --no-NAME gives false, for an option that is on unless turned off. */
  | {type: 'boolean'; default?: undefined; allowNo?: boolean}
)

/**
 * Everything a training run is made of, as the user states it: one entry per train flag, whose name is also
 * the key in a --config file (JSON or YAML) and in the run's config.json, so one vocabulary describes a run.
 * The TrainConfig type, TRAIN_DEFAULTS and train's command-line flags are all derived from this table.
 * An option with a `default` is always set in a resolved config; its help gets "[default: …]" appended
 * unless the help already states the default in words.
 */
export const TRAIN_OPTIONS = {
  dataset: {
    type: 'string',
    help: 'Registry dataset (see fetch-data --list).',
    helpValue: 'NAME',
    default: 'mnist-sample',
    exclusive: ['data'],
  },
  data: {
    type: 'string',
    help: 'CSV file (with --target; with --text-column for text), or a folder with one subfolder per class of images or of .txt files, to train on instead of a registry dataset.',
    helpValue: 'FILE.csv|DIR',
  },
  target: {type: 'string', help: 'CSV column to predict.', helpValue: 'COL', dependsOn: ['data']},
  'text-column': {
    type: 'string',
    help: 'CSV column holding text: the target is then a class and the text is tokenized.',
    helpValue: 'COL',
    dependsOn: ['data'],
  },
  'allow-empty-text': {type: 'boolean', help: 'Keep texts that are empty instead of refusing the file.'},
  'vocab-size': {
    type: 'integer',
    help: 'Tokens in the WordPiece vocabulary trained on the training texts [default: 8000].',
    helpValue: 'N',
    min: 16,
  },
  lowercase: {
    type: 'boolean',
    help: 'Lowercase text before training the tokenizer and tokenizing (accents are kept); --no-lowercase keeps case [default: on].',
    allowNo: true,
  },
  'max-length': {
    type: 'integer',
    help: 'Tokens per text; longer texts are truncated [default: the 95th percentile of the training texts, at most 1024].',
    helpValue: 'N',
    min: 1,
  },
  ngrams: {
    type: 'integer',
    help: 'Text: 2 adds hashed bigrams of neighbouring tokens to each text, as fastText does (bag model) [default: 1].',
    helpValue: 'N',
    min: 1,
  },
  tokenizer: {
    type: 'string',
    help: 'A Hugging Face tokenizer.json (WordPiece, e.g. BERT) to use instead of training one.',
    helpValue: 'FILE',
    exclusive: ['vocab-size', 'lowercase'],
  },
  ignore: {
    type: 'string',
    help: 'CSV columns not to use as features, comma-separated (constant and id columns are left out anyway).',
    helpValue: 'COL,...',
    dependsOn: ['data'],
  },
  columns: {
    type: 'string',
    help: 'CSV column types where the inferred ones are wrong, comma-separated; TYPE is number, category, binary, date or ignore.',
    helpValue: 'COL:TYPE,...',
    dependsOn: ['data'],
  },
  'drop-missing': {
    type: 'boolean',
    help: 'Leave out CSV rows with a missing cell instead of filling numbers with the mean and giving categories a "(missing)" value.',
    dependsOn: ['data'],
  },
  'image-size': {
    type: 'string',
    help: 'Image folders: size images are resized to [default: the most common size, scaled to fit 64x64].',
    helpValue: 'N|WxH',
    dependsOn: ['data'],
  },
  channels: {
    type: 'integer',
    help: 'Image folders: 1 (grayscale) or 3 (RGB) [default: 3 unless every image is grayscale].',
    helpValue: '1|3',
    min: 1,
    dependsOn: ['data'],
  },
  resize: {
    type: 'choice',
    help: 'Image folders: cover crops the centre, contain letterboxes in black, fill stretches [default: cover].',
    choices: RESIZE_MODES,
    dependsOn: ['data'],
  },
  'test-split': {
    type: 'number',
    help: `Image folders without a test/ folder: share of each class held out as the test split [default: ${DEFAULT_TEST_FRACTION}].`,
    helpValue: 'X',
    dependsOn: ['data'],
  },
  strict: {
    type: 'boolean',
    help: 'Image folders: stop on a bad image file (undecodable, truncated, empty, unsupported) instead of skipping it.',
    dependsOn: ['data'],
  },
  'split-by': {
    type: 'string',
    help: 'Split a CSV by time: the latest rows by this date column are the test split and the latest of the rest validation (no training on the future).',
    helpValue: 'DATECOL',
    dependsOn: ['data'],
  },
  scale: {
    type: 'choice',
    help: "How a CSV's features are scaled, fitted on the training rows: standard (mean and std) or robust (median and interquartile range, for columns with outliers) [default: standard].",
    choices: FEATURE_SCALINGS,
    dependsOn: ['data'],
  },
  model: {
    type: 'string',
    help: "Preset or a JSON model spec file. Presets take any image size and channel count: mlp (2 dense layers of 128, 256 for tables of 2,000 rows or more); lenet (LeNet-5, first conv padded below 32x32; 12x12 and up); lenet-cifar (PyTorch tutorial's CIFAR-10 net, never padded; 16x16 and up); cnn (4 conv 3x3, dense 512, dropout; 16x16 and up). Text presets: bag (fastText-style), textcnn (conv1d widths 3/4/5) [default: lenet for images, mlp for tables, bag for text].",
    helpValue: 'PRESET|spec.json',
  },
  augment: {
    type: 'string',
    help: 'Change training images at random, comma-separated: crop (after zero padding of 1/8 of the side, 4 px for 32x32), flip (horizontal), color (brightness and contrast ±20%); none turns it off. Validation, test, evaluate and export see the images as they are.',
    helpValue: 'flip,crop[,color]',
  },
  epochs: {
    type: 'integer',
    help: `Epochs to train [default: 15 for images; for text, enough for about ${TEXT_TARGET_STEPS} steps (${TEXT_EPOCHS.min} to ${TEXT_EPOCHS.max}); for tables, enough for about 2,000 steps (15 to 500)].`,
    min: 1,
  },
  'batch-size': {
    type: 'integer',
    help: 'Examples per step [default: 64 for images; for tables, a power of two near rows/8, 8 to 64].',
    min: 1,
  },
  optimizer: {type: 'choice', help: 'Optimizer.', choices: OPTIMIZER_NAMES, default: 'adam'},
  lr: {
    type: 'number',
    help: `Learning rate [default: ${DEFAULT_LR}; ${TEXT_LR} for text].`,
    helpValue: 'X',
  },
  momentum: {type: 'number', help: 'Momentum (momentum, rmsprop) [default: 0.9 for momentum].', helpValue: 'X'},
  'weight-decay': {
    type: 'number',
    help: 'L2 penalty; decoupled decay for adamw [default: 0, adamw 0.01].',
    helpValue: 'X',
  },
  'clip-norm': {type: 'number', help: 'Clip gradients to this global L2 norm.', helpValue: 'X'},
  schedule: {
    type: 'choice',
    help: 'Learning-rate schedule: step divides by 10 every third of the run.',
    choices: ['constant', 'step', 'cosine'],
    default: 'cosine',
  },
  'warmup-epochs': {
    type: 'number',
    help: 'Linear learning-rate warm-up over this many epochs (may be fractional).',
    helpValue: 'N',
    default: 0,
  },
  loss: {type: 'choice', help: 'Loss [default: cross-entropy for classes, mse for numbers].', choices: LOSS_CHOICES},
  'label-smoothing': {type: 'number', help: 'Label smoothing for cross-entropy, in [0, 1).', helpValue: 'X'},
  'val-split': {
    type: 'number',
    help: 'Fraction of the training set held out for validation.',
    helpValue: 'X',
    default: DEFAULT_VALIDATION_FRACTION,
  },
  'early-stop': {
    type: 'integer',
    help: 'Stop after N epochs without a better validation metric (0: off) [default: 0 for images; for tables a tenth of the epochs, at least 10].',
    helpValue: 'N',
    min: 0,
  },
  seed: {type: 'integer', help: 'Seed for weights, data order and dropout.', default: 42, min: 0},
  threads: {
    type: 'integer',
    help: 'Compute threads [default: all cores]. Same seed and threads give identical weights.',
    default: availableParallelism(),
    min: 1,
  },
  // Its choices are the engine table's names (train/engines.ts), checked when the run picks its engine.
  engine: {
    type: 'string',
    help: "Training engine; ort is ONNX Runtime, and the README's Engines section describes each of the others.",
    default: 'ort',
  },
  out: {
    type: 'string',
    help: 'Run directory to create [default: runs/<timestamp>]; never overwritten.',
    helpValue: 'DIR',
  },
} as const satisfies Record<string, TrainOption>

type Options = typeof TRAIN_OPTIONS
export type TrainConfigKey = keyof Options
type ValueOf<O> = O extends {choices: readonly (infer C)[]}
  ? C
  : O extends {type: 'integer' | 'number'}
    ? number
    : O extends {type: 'boolean'}
      ? boolean
      : string
type DefaultedKey = {[K in TrainConfigKey]: Options[K] extends {default: unknown} ? K : never}[TrainConfigKey]

type TrainDefaults = {[K in DefaultedKey]: ValueOf<Options[K]>}

/** A resolved training configuration: every option with a default is set. */
export type TrainConfig = TrainDefaults & {[K in Exclude<TrainConfigKey, DefaultedKey>]?: ValueOf<Options[K]>}

const KEYS = Object.keys(TRAIN_OPTIONS) as TrainConfigKey[]

export const TRAIN_DEFAULTS = Object.fromEntries(
  KEYS.filter((key) => 'default' in TRAIN_OPTIONS[key]).map((key) => [
    key,
    (TRAIN_OPTIONS[key] as TrainOption).default,
  ]),
) as TrainDefaults

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
  return values
}

/** Flags override the config file, which overrides the defaults; then every value is checked. */
export function resolveTrainConfig(fromFile: Partial<TrainConfig>, fromFlags: Partial<TrainConfig>): TrainConfig {
  const defined = (o: Partial<TrainConfig>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
  // threads leads, so that config.json keeps its established key order (threads, then the other defaults).
  const config = Object.assign(
    {threads: TRAIN_DEFAULTS.threads},
    TRAIN_DEFAULTS,
    defined(fromFile),
    defined(fromFlags),
  ) as TrainConfig
  // A CSV without --target is refused when it is read (load-data-path.ts): a text folder needs none.
  const integer = (key: TrainConfigKey, min: number) => {
    const v = config[key]
    // Options without a default (epochs, batch size...) are chosen once the dataset is known.
    if (v === undefined && !('default' in TRAIN_OPTIONS[key])) return
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
  for (const key of KEYS) {
    const option: TrainOption = TRAIN_OPTIONS[key]
    if (option.type === 'integer') integer(key, option.min)
  }
  number('val-split', 0, 1, false)
  number('test-split', 0, 1, false)
  if (config.channels !== undefined && config.channels !== 1 && config.channels !== 3)
    throw new UserError(`channels must be 1 or 3, got ${config.channels}`)
  if (config['image-size'] !== undefined && !parseImageSize(config['image-size']))
    throw new UserError(
      `image-size must be N or WxH with sides from 1 to 4096 (e.g. 32 or 48x32), got ${JSON.stringify(config['image-size'])}`,
    )
  if (config.epochs !== undefined) number('warmup-epochs', 0, config.epochs)
  const oneOf = (key: TrainConfigKey, values: readonly string[]) => {
    if (!values.includes(config[key] as string))
      throw new UserError(`${key} must be one of ${values.join(', ')}, got ${JSON.stringify(config[key])}`)
  }
  oneOf('schedule', TRAIN_OPTIONS.schedule.choices)
  if (config.augment !== undefined) parseAugmentations(config.augment)
  if (config.resize !== undefined) oneOf('resize', RESIZE_MODES)
  return config
}
