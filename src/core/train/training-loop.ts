import type {DataSplit} from '../data/dataset.js'
import {seededPermutation} from '../data/seeded-shuffle.js'
import {UserError} from '../errors.js'
import {deriveSeed, RandomStream} from '../model/random.js'
import {gatherBatch} from '../data/select-examples.js'
import type {EpochRecord} from '../run/read-run.js'
import type {TrainingEngine} from '../training/index.js'
import type {ImageAugmentation} from './image-augmentation.js'

export interface LoopOptions {
  epochs: number
  batchSize: number
  seed: number
  /** Stop after this many epochs without a better monitored metric; 0 turns early stopping off. */
  earlyStop: number
  /** Accuracy improves upwards; regression metrics (MAE) downwards. */
  higherIsBetter: boolean
  /** Learning rate the optimizer will use for the next step (for the epoch record). */
  currentLr: () => number
  /** Changes the training batches' images (never validation's); undefined trains on the images as they are. */
  augmentation?: ImageAugmentation
}

/** Everything needed to continue a run exactly where it stopped; stored in every checkpoint. */
export interface LoopState {
  /** 0-based epoch in progress (or next to start when step is 0). */
  epoch: number
  /** Steps already done in that epoch. */
  step: number
  /** Running sums over the epoch's finished steps. */
  lossSum: number
  metricSum: number
  examples: number
  trainSeconds: number
  /** loss: the monitored split's loss at that epoch, which breaks ties of the metric (absent in older checkpoints). */
  best?: {epoch: number; metric: number; loss?: number}
  epochsSinceBest: number
  history: EpochRecord[]
}

export const initialLoopState = (): LoopState => ({
  epoch: 0,
  step: 0,
  lossSum: 0,
  metricSum: 0,
  examples: 0,
  trainSeconds: 0,
  epochsSinceBest: 0,
  history: [],
})

export interface StepProgress {
  epoch: number
  step: number
  steps: number
  loss: number
  metric: number
  imagesPerSec: number
}

export interface LoopHooks {
  onStep?(progress: StepProgress): void
  onEpoch?(record: EpochRecord, isBest: boolean): void
  /** Persist a checkpoint of the current weights and optimizer state with this loop state. */
  checkpoint(kind: 'last' | 'best', state: LoopState): void
  /** Asked after every step; true finishes the run early with a 'last' checkpoint (Ctrl-C). */
  shouldStop(): boolean
}

export type LoopOutcome = 'completed' | 'early-stopped' | 'interrupted'

/** The loss became NaN or infinite: the weights are lost, training cannot go on from this step. */
export class NonFiniteLossError extends UserError {
  constructor(loss: number, epoch: number, step: number) {
    super(`the loss became ${loss} at epoch ${epoch} step ${step}`)
    this.name = 'NonFiniteLossError'
  }
}

/**
 * How training ended for a run at `state`, or undefined while epochs are left: all epochs done, or no better
 * metric for `earlyStop` epochs. A checkpoint can hold an ended run when the process died before the run's
 * end (model/, test evaluation) was written.
 */
export function trainingOutcome(
  state: LoopState,
  options: Pick<LoopOptions, 'epochs' | 'earlyStop'>,
): 'completed' | 'early-stopped' | undefined {
  if (state.epoch >= options.epochs) return 'completed'
  if (options.earlyStop > 0 && state.epochsSinceBest >= options.earlyStop) return 'early-stopped'
  return undefined
}

/**
 * Runs epochs from `state` to the end. The order of examples in epoch e depends only on (seed, e), and an
 * example's augmentation only on (seed, e, example), so a run resumed from a checkpoint sees exactly the
 * batches an uninterrupted run would have seen.
 */
export async function runTrainingLoop(
  engine: TrainingEngine,
  train: DataSplit,
  val: DataSplit | undefined,
  options: LoopOptions,
  state: LoopState,
  hooks: LoopHooks,
): Promise<LoopOutcome> {
  const steps = Math.ceil(train.count / options.batchSize)
  for (;;) {
    const ended = trainingOutcome(state, options)
    if (ended) return ended
    const order = seededPermutation(train.count, deriveSeed(options.seed, RandomStream.dataOrder, state.epoch))
    while (state.step < steps) {
      const batch = order.subarray(
        state.step * options.batchSize,
        Math.min(train.count, (state.step + 1) * options.batchSize),
      )
      // Timed from batch assembly on, so images/s includes what the command adds to the engine's step.
      const started = performance.now()
      const {inputs, targets} = gatherBatch(train, batch)
      // imageAugmentation() admits uint8 images only.
      options.augmentation?.apply(inputs as Uint8Array, batch, state.epoch)
      const result = await engine.step(inputs, targets, batch.length)
      if (!Number.isFinite(result.loss)) throw new NonFiniteLossError(result.loss, state.epoch + 1, state.step + 1)
      state.trainSeconds += (performance.now() - started) / 1000
      state.lossSum += result.loss * batch.length
      state.metricSum += result.metric * batch.length
      state.examples += batch.length
      state.step++
      hooks.onStep?.({
        epoch: state.epoch,
        step: state.step,
        steps,
        loss: state.lossSum / state.examples,
        metric: state.metricSum / state.examples,
        imagesPerSec: state.examples / state.trainSeconds,
      })
      if (hooks.shouldStop() && (state.step < steps || state.epoch + 1 < options.epochs)) {
        hooks.checkpoint('last', state)
        return 'interrupted'
      }
    }
    await finishEpoch(engine, val, options, state, hooks)
    if (hooks.shouldStop() && !trainingOutcome(state, options)) return 'interrupted'
  }
}

async function finishEpoch(
  engine: TrainingEngine,
  val: DataSplit | undefined,
  options: LoopOptions,
  state: LoopState,
  hooks: LoopHooks,
): Promise<void> {
  const valResult =
    val && val.count > 0
      ? await engine.evaluate(val.inputs, val.targets, val.count, Math.max(options.batchSize, 256))
      : undefined
  const record: EpochRecord = {
    epoch: state.epoch + 1,
    trainLoss: state.lossSum / state.examples,
    trainMetric: state.metricSum / state.examples,
    ...(valResult && {valLoss: valResult.loss, valMetric: valResult.metric}),
    lr: options.currentLr(),
    imagesPerSec: state.examples / state.trainSeconds,
    seconds: state.trainSeconds,
  }
  const monitored = record.valMetric ?? record.trainMetric
  const loss = record.valLoss ?? record.trainLoss
  // A tie is broken by the loss: accuracy on a small validation split (27 penguins in `npm run
  // bench:tables`) reaches 100% within a few epochs and then cannot improve, so without this the
  // best epoch stayed at epoch 2 and early stopping ended the run undertrained.
  const isBest =
    state.best === undefined ||
    (options.higherIsBetter ? monitored > state.best.metric : monitored < state.best.metric) ||
    (monitored === state.best.metric && state.best.loss !== undefined && loss < state.best.loss)
  if (isBest) state.best = {epoch: record.epoch, metric: monitored, loss}
  state.epochsSinceBest = isBest ? 0 : state.epochsSinceBest + 1
  state.history.push(record)
  Object.assign(state, {epoch: state.epoch + 1, step: 0, lossSum: 0, metricSum: 0, examples: 0, trainSeconds: 0})
  if (isBest) hooks.checkpoint('best', state)
  hooks.checkpoint('last', state)
  hooks.onEpoch?.(record, isBest)
}
