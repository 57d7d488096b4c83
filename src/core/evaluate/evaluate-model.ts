import {availableParallelism} from 'node:os'

import type {DataSplit} from '../data/index.js'
import {UserError} from '../errors.js'
import {ClassificationAccumulator, type ClassificationReport, type ScoreKind} from './classification-report.js'
import {type DataRequest, loadEvaluationData} from './evaluation-data.js'
import {type EvaluationPlan, type InputScaling, planEvaluation} from './evaluation-plan.js'
import {checkGates, checkGatesApply, type GateResult, type GateThresholds} from './gates.js'
import {InputBatches} from './input-batches.js'
import {type EvaluationModel, openEvaluationModel} from './model-source.js'
import {RegressionAccumulator, type RegressionReport} from './regression-report.js'

export interface EvaluateRequest extends DataRequest {
  /** A run directory or an .onnx file. */
  model: string
  batchSize: number
  /** k of the top-k accuracy. */
  topK: number
  /** onnxruntime intra-op threads; default: all cores. */
  threads?: number
  gates: GateThresholds
  /** --input-scale/--input-mean/--input-std: override how a float32 input is scaled. */
  inputScaling?: InputScaling
}

export interface SplitOptions {
  batchSize: number
  topK: number
}

export interface SplitResult {
  report: ClassificationReport | RegressionReport
  seconds: number
}

/** What `mlctl evaluate --json` prints. */
export interface Evaluation {
  model: {path: string; kind: EvaluationModel['kind']; input: EvaluationPlan['input']; output: EvaluationPlan['output']}
  data: {
    source: string
    split: DataRequest['split']
    examples: number
    /** An image folder's bad files, left out of every split: how many, and the first few with their problem. */
    skipped?: {count: number; first: Array<{path: string; problem: string}>}
  }
  report: ClassificationReport | RegressionReport
  gates: GateResult[]
  passed: boolean
  timing: {seconds: number; examplesPerSecond: number; batchSize: number}
}

/** --batch-size and --top-k, which evaluate and predict share: each a positive integer. */
export function checkBatchOptions(options: {batchSize: number; topK: number}): void {
  for (const [name, value] of [
    ['--batch-size', options.batchSize],
    ['--top-k', options.topK],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new UserError(`${name} must be a positive integer, got ${value}`, 2)
  }
}

export async function evaluateModel(request: EvaluateRequest): Promise<Evaluation> {
  checkBatchOptions(request)
  const model = await openEvaluationModel(request.model, request.threads ?? availableParallelism())
  try {
    const data = await loadEvaluationData(request, model.facts)
    const plan = planEvaluation(model, data.dataset, request.inputScaling)
    checkGatesApply(plan.task, request.gates)
    const {report, seconds} = await evaluateSplit(model, plan, data.split, data.dataset.inputShape, request)
    const gates = checkGates(report, request.gates)
    const rows = plan.input.fixedBatch ?? request.batchSize
    return {
      model: {path: request.model, kind: model.kind, input: plan.input, output: plan.output},
      data: {
        source: data.source,
        split: request.split,
        examples: data.split.count,
        ...(data.dataset.imageFolder?.skipped.count && {skipped: data.dataset.imageFolder.skipped}),
      },
      report,
      gates,
      passed: gates.every((g) => g.passed),
      timing: {seconds, examplesPerSecond: data.split.count / seconds, batchSize: rows},
    }
  } finally {
    await model.session.release()
  }
}

/** Runs every example of the split through the model in batches and accumulates the report. */
export async function evaluateSplit(
  model: EvaluationModel,
  plan: EvaluationPlan,
  split: DataSplit,
  exampleShape: number[],
  options: SplitOptions,
): Promise<SplitResult> {
  if (split.count === 0) throw new UserError('the split has no examples; choose another --split', 2)
  const batches = new InputBatches(split.inputs, exampleShape, plan.input, options.batchSize)
  const width = plan.outputWidth
  const targets = plan.labelMap ? Int32Array.from(split.targets, (label) => plan.labelMap![label]) : split.targets
  const classification =
    plan.task === 'classification'
      ? new ClassificationAccumulator(plan.classNames!, plan.output.kind as ScoreKind, plan.binary, options.topK)
      : undefined
  const regression = plan.task === 'regression' ? new RegressionAccumulator(width, plan.regressionLoss) : undefined
  const started = performance.now()
  for (let from = 0; from < split.count; from += batches.rows) {
    const count = Math.min(batches.rows, split.count - from)
    const feeds = batches.feeds(from, count)
    const input = feeds[plan.input.name]
    const output = (await model.session.run(feeds))[plan.output.name]
    if (output.length !== input.dims[0] * width) {
      throw new UserError(
        `the model's output "${plan.output.name}" has ${output.length / input.dims[0]} values per example, not the ${width} the data needs; use the data it was trained on`,
        2,
      )
    }
    if (classification) classification.add(output, targets.subarray(from, from + count), count)
    else regression!.add(output, targets.subarray(from * width, (from + count) * width), count)
  }
  const seconds = (performance.now() - started) / 1000
  return {report: classification ? classification.report() : regression!.report(), seconds}
}
