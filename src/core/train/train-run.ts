import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'
import {
  categoryIndexInputs,
  type Dataset,
  type DataSplit,
  type DownloadEvent,
  type ImageFolderProgress,
  findDataset,
  isTextEntry,
  loadDataPath,
  loadDataset,
  loadTextRegistryDataset,
  parseColumnTypes,
  resolveDataDir,
  type TextOptions,
} from '../data/index.js'
import {type ImagePreprocessing, parseImageSize} from '../images/image-preprocessing.js'
import {describeRareClasses, rareClasses} from '../data/rare-classes.js'
import {readTokenizerFile} from '../text/read-tokenizer-file.js'
import {meanTokensPerText} from '../text/token-ids.js'
import {withHashedBigrams} from '../data/hashed-bigram-dataset.js'
import {holdOut} from '../data/validation-split.js'
import {UserError} from '../errors.js'
import {writeFileAtomic} from '../io/atomic-write.js'
import {resolveModelSpec} from '../model/resolve-model-spec.js'
import type {InputType, ModelSpec} from '../model/spec.js'
import {type OptimizerConfig, scheduledLr} from '../optim/index.js'
import {writeLayersModelDir} from '../tfjs-format/layers-model-dir.js'
import {learningCurveSvg} from './learning-curve-svg.js'
import {type EpochRecord, readRun, readRunModel, type RunModelMetadata, type RunRecord} from '../run/read-run.js'
import {createRunDir, removeStaleRunTempFiles, RUN_FILES, RUN_TOKENIZER_FILE} from '../run/run-dir.js'
import {type RunConfig, withDatasetDefaults} from './dataset-defaults.js'
import {withTableScaling} from './table-scaling.js'
import {LOSS_CHOICES, readConfigFile, resolveTrainConfig, type TrainConfig} from './train-config.js'
import {defaultMetric, type LossConfig, type MetricName, type TrainingEngine} from '../training/index.js'
import {engineFactory} from './engines.js'
import {imageAugmentation} from './image-augmentation.js'
import {loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainingCheckpoint} from './training-checkpoint.js'
import {
  initialLoopState,
  type LoopOutcome,
  type LoopState,
  NonFiniteLossError,
  runTrainingLoop,
  type StepProgress,
  trainingOutcome,
} from './training-loop.js'

export interface TrainRunRequest {
  /** Values given on the command line (undefined when not given). */
  flags: Partial<TrainConfig>
  configFile?: string
  resume?: string
  /** Where dataset files are (not part of the run's config: they differ between machines). */
  from?: string
  dataDir?: string
  mlctlVersion: string
  onDownload?: (event: DownloadEvent) => void
  /** Hears an image folder's decoding progress. */
  onImageProgress?: (event: ImageFolderProgress) => void
  /** Hears what the user should know that does not stop the run (TensorFlow.js running in pure JavaScript). */
  onWarning?: (message: string) => void
  onStart?: (start: TrainRunStart) => void
  onStep?: (progress: StepProgress) => void
  onEpoch?: (record: EpochRecord, isBest: boolean) => void
  shouldStop: () => boolean
}

export interface TrainRunStart {
  runDir: string
  config: RunConfig
  /** Defaults picked from the dataset that the user did not set, and why, e.g. "batch 16 … for 108 training rows". */
  chosen?: string
  spec: ModelSpec
  dataset: {
    name: string
    task: Dataset['task']
    train: number
    validation: number
    test: number
    ignoredColumns?: Dataset['ignoredColumns']
    timeSplit?: Dataset['timeSplit']
    columnSummary?: Dataset['columnSummary']
    droppedRows?: number
    imageFolder?: Dataset['imageFolder']
    /**
     * Text: the tokenizer's size, the sequence length, texts cut to it, files skipped, and the mean tokens per
     * training text after truncation (examples/s times it is the tokens/s the epoch line reports).
     */
    text?: {
      vocabSize: number
      maxLength: number
      truncated: number
      skippedFiles?: number
      trained: boolean
      meanTokens: number
    }
  }
  metric: MetricName
  /** The augmentation of training images, e.g. 'crop (4 px zero padding), horizontal flip'. */
  augmentation?: string
  /** Which engine and backend trains, e.g. 'onnxruntime-node (CPU), 4 threads'. */
  engine: string
  /** Where a resumed run continues: epoch and step 0 for a run that died before its first checkpoint. */
  resumedAt?: {epoch: number; step: number}
  /** The resumed run had trained all it should: only its end (model/, test evaluation) is left to do. */
  trainingEnded?: boolean
}

export interface TrainRunResult {
  runDir: string
  outcome: LoopOutcome
  metric: MetricName
  epochs: EpochRecord[]
  best?: {epoch: number; metric: number}
  test?: {loss: number; metric: number}
}

export async function trainRun(request: TrainRunRequest): Promise<TrainRunResult> {
  const resumed = request.resume ? readResumeDir(request.resume) : undefined
  const fromFile = request.configFile ? readConfigFile(request.configFile) : {}
  const given = resolveTrainConfig({...resumed?.config, ...fromFile}, request.flags)
  const createEngine = engineFactory(given.engine)

  const loaded = await loadTrainingData(given, request, resumed)
  const dataset = withNgrams(loaded, given.ngrams)
  const augmentation = imageAugmentation(
    given.augment,
    {name: dataset.name, inputShape: dataset.inputShape, inputs: dataset.train.inputs},
    given.seed,
  )
  const rare = rareClasses(dataset)
  if (rare.length > 0 && !request.resume) request.onWarning?.(describeRareClasses(rare, dataset.train.count))
  const loss = lossConfig(given, dataset)
  const train = withTargetsFor(loss, dataset.train)
  const {fit, validation} = holdOut(train, given['val-split'], dataset.timeSplit !== undefined)
  const {config, chosen} = withDatasetDefaults(given, {
    isTable: dataset.inputShape.length === 1 && !dataset.text,
    isText: dataset.text !== undefined,
    trainingRows: fit.count,
  })
  const outputs =
    loss.name === 'binaryCrossEntropy'
      ? 1
      : dataset.task === 'classification'
        ? (dataset.classNames as string[]).length
        : 1
  const modelSpec = await resolveModelSpec(config.model, {
    inputShape: dataset.inputShape,
    outputs,
    inputType: inputTypeOf(dataset.train.inputs),
    trainingRows: fit.count,
    ...(dataset.columnEncodings && {categoryColumns: categoryIndexInputs(dataset.columnEncodings)}),
    ...(dataset.text && {
      vocabSize: dataset.text.vocabSize + (dataset.text.bigramBuckets ?? 0),
      padId: dataset.text.padId,
    }),
  })
  if (dataset.text?.bigramBuckets && config.model === 'textcnn')
    throw new UserError('--ngrams 2 is for the bag model: textcnn reads word order itself; leave out --ngrams')
  const spec = withTableScaling(modelSpec, fit, loss, given.scale)
  const steps = Math.ceil(fit.count / config['batch-size'])
  const optimizer = optimizerConfig(config, steps)
  const metric = defaultMetric(loss)
  const checkpoint = resumed ? latestCheckpoint(resumed.dir, spec) : undefined
  const ended = checkpoint && trainingOutcome(checkpoint.loop, {epochs: config.epochs, earlyStop: config['early-stop']})
  if (ended && runEndIsWritten(resumed!.dir, checkpoint.loop))
    throw new UserError(alreadyFinished(resumed!.dir, ended, checkpoint.loop, config, metric))

  const engine = await createEngine({
    spec,
    loss,
    optimizer,
    seed: config.seed,
    threads: config.threads,
    onWarning: request.onWarning,
  })
  try {
    const loop = checkpoint ? restore(engine, checkpoint) : initialLoopState()
    const runDir = resumed?.dir ?? createRunDir(config.out)
    if (dataset.text) writeFileAtomic(join(runDir, RUN_TOKENIZER_FILE), `${JSON.stringify(dataset.text.tokenizer)}\n`)
    writeFileAtomic(
      join(runDir, RUN_FILES.config),
      `${JSON.stringify(runRecord(config, spec, dataset, request.mlctlVersion), null, 2)}\n`,
    )
    request.onStart?.({
      runDir,
      config,
      spec,
      dataset: {
        name: dataset.name,
        task: dataset.task,
        train: fit.count,
        validation: validation?.count ?? 0,
        test: dataset.test?.count ?? 0,
        ignoredColumns: dataset.ignoredColumns,
        columnSummary: dataset.columnSummary,
        droppedRows: dataset.droppedRows,
        imageFolder: dataset.imageFolder,
        timeSplit: dataset.timeSplit,
        ...(dataset.text && {
          text: {
            vocabSize: dataset.text.vocabSize,
            maxLength: loaded.inputShape[0],
            truncated: dataset.text.truncated ?? 0,
            ...(dataset.text.skippedFiles && {skippedFiles: dataset.text.skippedFiles}),
            trained: config.tokenizer === undefined && !resumed,
            meanTokens: meanTokensPerText(
              fit.inputs as Int32Array,
              dataset.inputShape[0],
              loaded.inputShape[0],
              dataset.text.padId,
            ),
          },
        }),
      },
      metric,
      ...(augmentation && {augmentation: augmentation.describe()}),
      ...(chosen && !resumed && {chosen}),
      engine: engine.description,
      ...(resumed && {resumedAt: {epoch: loop.epoch, step: loop.step}}),
      ...(ended && {trainingEnded: true}),
    })

    let outcome: LoopOutcome
    try {
      outcome = await runTrainingLoop(
        engine,
        fit,
        validation,
        {
          epochs: config.epochs,
          batchSize: config['batch-size'],
          seed: config.seed,
          earlyStop: config['early-stop'],
          higherIsBetter: metric === 'accuracy',
          currentLr: () => scheduledLr(optimizer, engine.optimizer.stepCount),
          augmentation,
        },
        loop,
        {
          onStep: request.onStep,
          onEpoch: (record, isBest) => {
            writeEpochFiles(runDir, loop.history, metric)
            request.onEpoch?.(record, isBest)
          },
          checkpoint: (kind, state) =>
            saveTrainingCheckpoint(
              join(runDir, kind === 'last' ? RUN_FILES.last : RUN_FILES.best),
              spec,
              engine,
              state,
            ),
          shouldStop: request.shouldStop,
        },
      )
    } catch (error) {
      if (error instanceof NonFiniteLossError)
        throw new UserError(`${error.message}; ${nonFiniteLossAdvice(runDir, loop, config.lr)}`)
      throw error
    }
    const result: TrainRunResult = {runDir, outcome, metric, epochs: loop.history, best: loop.best}
    if (outcome === 'interrupted') return result

    // The run's end, also what a resumed run whose process died after its last epoch still has to do.
    // Epoch files again: the process may have died between the last checkpoint and writing them.
    writeEpochFiles(runDir, loop.history, metric)
    // The model a run hands on is its best epoch's, not its last.
    const best = loadTrainingCheckpoint(join(runDir, RUN_FILES.best))
    engine.setWeights(best.weights)
    const metadata: RunModelMetadata = {
      dataset: dataset.name,
      task: dataset.task,
      loss,
      ...(dataset.classNames && {classNames: dataset.classNames}),
      ...(dataset.featureNames && {featureNames: dataset.featureNames, targetName: dataset.targetName}),
      ...(dataset.columnEncodings && {columnEncodings: dataset.columnEncodings}),
      ...(dataset.imagePreprocessing && {imagePreprocessing: dataset.imagePreprocessing}),
      ...(dataset.text && {text: dataset.text}),
      bestEpoch: loop.best,
    }
    writeLayersModelDir(join(runDir, RUN_FILES.model), spec, best.weights, `mlctl ${request.mlctlVersion}`, metadata)
    if (dataset.test) {
      const test = withTargetsFor(loss, dataset.test)
      result.test = await engine.evaluate(test.inputs, test.targets, test.count, 256)
    }
    return result
  } finally {
    await engine.release()
  }
}

/**
 * The data a run trains on: --data (a CSV table, a text CSV with --text-column, a text folder) or a registry
 * dataset. Text is tokenized with --tokenizer, else the tokenizer a resumed run saved (the same ids as
 * before), else one trained on the training texts.
 */
async function loadTrainingData(
  given: TrainConfig,
  request: TrainRunRequest,
  resumed?: {dir: string; imagePreprocessing?: ImagePreprocessing},
): Promise<Dataset> {
  const saved = resumed && join(resumed.dir, RUN_TOKENIZER_FILE)
  const tokenizerFile = given.tokenizer ?? (saved && existsSync(saved) ? saved : undefined)
  const text: TextOptions & {allowEmptyText?: boolean} = {
    ...(given['vocab-size'] !== undefined && {vocabSize: given['vocab-size']}),
    ...(given.lowercase !== undefined && {lowercase: given.lowercase}),
    ...(given['max-length'] !== undefined && {maxLength: given['max-length']}),
    ...(tokenizerFile && {tokenizer: readTokenizerFile(tokenizerFile)}),
    allowEmptyText: given['allow-empty-text'] === true,
  }
  if (given.data)
    return loadDataPath(given.data, {
      target: given.target,
      textColumn: given['text-column'],
      csv: {
        ignore: given.ignore?.split(',').map((c) => c.trim()),
        ...(given.columns && {columnTypes: parseColumnTypes(given.columns)}),
        dropMissing: given['drop-missing'] === true,
        ...(given['split-by'] && {splitBy: given['split-by']}),
      },
      text,
      images: {
        size: given['image-size'] === undefined ? undefined : parseImageSize(given['image-size']),
        channels: given.channels as 1 | 3 | undefined,
        resize: given.resize,
        // a resumed run reads its images as it first did, even if files changed the most common size since
        preprocessing: resumed?.imagePreprocessing,
        testFraction: given['test-split'],
        strict: given.strict === true,
        cacheDir: resolveDataDir(request.dataDir),
        onProgress: request.onImageProgress,
      },
    })
  const location = {from: request.from, dataDir: request.dataDir, onDownload: request.onDownload}
  const entry = findDataset(given.dataset)
  if (isTextEntry(entry)) return loadTextRegistryDataset(entry, {...location, text})
  return loadDataset(given.dataset, location)
}

function lossConfig(config: TrainConfig, dataset: Dataset): LossConfig {
  const name = config.loss ?? (dataset.task === 'classification' ? 'cross-entropy' : 'mse')
  const classes = dataset.classNames?.length ?? 0
  switch (name) {
    case 'cross-entropy':
      if (dataset.task !== 'classification')
        throw new UserError(
          `--loss cross-entropy needs class labels but ${dataset.name} is a regression task; use mse, mae or huber`,
        )
      return {
        name: 'softmaxCrossEntropy',
        ...(config['label-smoothing'] !== undefined && {labelSmoothing: config['label-smoothing']}),
      }
    case 'binary-cross-entropy':
      if (classes !== 2)
        throw new UserError(
          `--loss binary-cross-entropy needs a 2-class dataset, ${dataset.name} has ${classes || 'no'} classes; use cross-entropy`,
        )
      return {name: 'binaryCrossEntropy'}
    case 'mse':
    case 'mae':
    case 'huber':
      if (dataset.task !== 'regression')
        throw new UserError(
          `--loss ${name} needs numeric targets but ${dataset.name} is a classification task; use cross-entropy`,
        )
      return {name}
    default:
      throw new UserError(`unknown loss ${JSON.stringify(name)}; use one of ${LOSS_CHOICES.join(', ')}`)
  }
}

/** Binary cross-entropy reads one float target per example; the dataset stores class labels. */
function withTargetsFor(loss: LossConfig, split: DataSplit): DataSplit {
  return loss.name === 'binaryCrossEntropy' ? {...split, targets: Float32Array.from(split.targets)} : split
}

function optimizerConfig(config: RunConfig, stepsPerEpoch: number): OptimizerConfig {
  const totalSteps = config.epochs * stepsPerEpoch
  const schedule =
    config.schedule === 'cosine'
      ? {type: 'cosine' as const, totalSteps}
      : config.schedule === 'step'
        ? {type: 'step' as const, stepSize: Math.max(1, Math.round(config.epochs / 3)) * stepsPerEpoch, gamma: 0.1}
        : {type: 'constant' as const}
  return {
    name: config.optimizer,
    lr: config.lr,
    ...(config.momentum !== undefined && {momentum: config.momentum}),
    ...(config['weight-decay'] !== undefined && {weightDecay: config['weight-decay']}),
    ...(config['clip-norm'] !== undefined && {clipNorm: config['clip-norm']}),
    schedule,
    ...(config['warmup-epochs'] > 0 && {warmupSteps: Math.round(config['warmup-epochs'] * stepsPerEpoch)}),
  }
}

function readResumeDir(dir: string): {
  dir: string
  config: Partial<TrainConfig>
  imagePreprocessing?: ImagePreprocessing
} {
  const run = readRun(dir)
  // The run keeps its own directory: --out does not apply when resuming.
  const {out: _out, ...config} = run.config as Partial<TrainConfig>
  removeStaleRunTempFiles(dir)
  return {dir, config, ...('folder' in run.data && {imagePreprocessing: run.data.imagePreprocessing})}
}

/**
 * The newest complete checkpoint: `last`, or `best` when `last` is missing or damaged. Undefined when the run
 * has none yet (it died, or its loss became NaN, before its first epoch ended): it starts again from epoch 1.
 */
function latestCheckpoint(dir: string, spec: ModelSpec): TrainingCheckpoint | undefined {
  let checkpoint: TrainingCheckpoint | undefined
  let lastError: Error | undefined
  for (const file of [RUN_FILES.last, RUN_FILES.best]) {
    if (!existsSync(join(dir, file))) continue
    try {
      checkpoint = loadTrainingCheckpoint(join(dir, file))
      break
    } catch (error) {
      lastError = error as Error
    }
  }
  if (!checkpoint) {
    if (lastError) throw lastError
    return undefined
  }
  if (JSON.stringify(checkpoint.spec) !== JSON.stringify(spec)) {
    throw new UserError(
      `the checkpoint in ${dir} was trained with a different model spec; resume without --model (the run's own model), or start a new run`,
    )
  }
  return checkpoint
}

/**
 * Whether what a run writes once training has ended is there for the training in `loop`: model/ holds its
 * best epoch and metrics.jsonl every epoch. Anything missing or damaged is written again from the checkpoints.
 */
function runEndIsWritten(dir: string, loop: LoopState): boolean {
  try {
    const model = readRunModel(join(dir, RUN_FILES.model))
    return (
      model.metadata.bestEpoch?.epoch === loop.best?.epoch &&
      readFileSync(join(dir, RUN_FILES.metrics), 'utf8') === metricsLines(loop.history)
    )
  } catch {
    return false
  }
}

function alreadyFinished(
  dir: string,
  ended: 'completed' | 'early-stopped',
  loop: LoopState,
  config: RunConfig,
  metric: MetricName,
): string {
  return ended === 'completed'
    ? `${dir} already finished ${loop.epoch} epochs; pass a larger --epochs to train it further`
    : `${dir} stopped early after epoch ${loop.epoch} (no better validation ${metric} for ${loop.epochsSinceBest} epochs); ` +
        `pass a larger --early-stop than ${config['early-stop']}, or --early-stop 0, to train it further`
}

/** What to do after a NaN loss: the run can always be resumed, from its last checkpoint or from epoch 1. */
function nonFiniteLossAdvice(runDir: string, loop: LoopState, lr: number): string {
  const resume = `mlctl train --resume ${runDir} --lr ${+(lr / 10).toPrecision(3)}`
  return loop.history.length > 0
    ? `lower --lr and resume: checkpoints/last from epoch ${loop.history.at(-1)!.epoch} is kept (${resume})`
    : `lower --lr or change the model: no epoch had finished, so nothing was saved (${resume} starts it again from epoch 1)`
}

function restore(engine: TrainingEngine, checkpoint: TrainingCheckpoint): LoopState {
  engine.setWeights(checkpoint.weights)
  engine.optimizer.setState(checkpoint.optimizer)
  return checkpoint.loop
}

function runRecord(config: RunConfig, spec: ModelSpec, dataset: Dataset, mlctlVersion: string): RunRecord {
  const require = createRequire(import.meta.url)
  return {
    config,
    spec,
    dataset: {
      name: dataset.name,
      task: dataset.task,
      inputShape: dataset.inputShape,
      classNames: dataset.classNames,
      featureNames: dataset.featureNames,
      targetName: dataset.targetName,
      columnEncodings: dataset.columnEncodings,
      imagePreprocessing: dataset.imagePreprocessing,
      ...(dataset.text && {
        text: {
          vocabSize: dataset.text.vocabSize,
          padId: dataset.text.padId,
          // tokens per text, before any hashed bigrams are appended
          maxLength: dataset.text.bigramBuckets ? (dataset.inputShape[0] + 1) / 2 : dataset.inputShape[0],
          ...(dataset.text.bigramBuckets && {bigramBuckets: dataset.text.bigramBuckets}),
          ...(dataset.text.textColumn && {textColumn: dataset.text.textColumn}),
        },
      }),
    },
    versions: {
      mlctl: mlctlVersion,
      node: process.version,
      onnxruntime: (require('onnxruntime-node/package.json') as {version: string}).version,
    },
  }
}

function metricsLines(history: EpochRecord[]): string {
  return history.map((r) => `${JSON.stringify(r)}\n`).join('')
}

function writeEpochFiles(runDir: string, history: EpochRecord[], metric: MetricName): void {
  writeFileAtomic(join(runDir, RUN_FILES.metrics), metricsLines(history))
  const epochs = history.map((r) => r.epoch)
  const series = (key: keyof EpochRecord) => history.map((r) => r[key])
  writeFileAtomic(
    join(runDir, RUN_FILES.curve),
    learningCurveSvg(epochs, [
      {
        title: 'loss',
        series: [
          {label: 'train', color: '#1f77b4', values: series('trainLoss')},
          {label: 'validation', color: '#ff7f0e', values: series('valLoss')},
        ],
      },
      {
        title: metric,
        series: [
          {label: 'train', color: '#1f77b4', values: series('trainMetric')},
          {label: 'validation', color: '#ff7f0e', values: series('valMetric')},
        ],
      },
    ]),
  )
}

function withNgrams(dataset: Dataset, ngrams: number | undefined): Dataset {
  if (ngrams === undefined || ngrams === 1) return dataset
  if (ngrams !== 2) throw new UserError(`--ngrams must be 1 or 2, got ${ngrams}`, 2)
  return withHashedBigrams(dataset)
}

function inputTypeOf(inputs: DataSplit['inputs']): InputType {
  if (inputs instanceof Uint8Array) return 'uint8'
  return inputs instanceof Int32Array ? 'int32' : 'float32'
}
