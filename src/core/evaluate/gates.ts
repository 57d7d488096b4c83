import {UserError} from '../errors.js'
import type {ClassificationReport} from './classification-report.js'
import type {RegressionReport} from './regression-report.js'

/** Exit code of `mlctl evaluate` when the model misses a gate; distinct from errors (1) and bad usage (2). */
export const GATE_FAILED_EXIT = 3

type Report = ClassificationReport | RegressionReport

interface GateRule {
  metric: string
  bound: 'min' | 'max'
  /** undefined: applies to both tasks */
  task?: Report['task']
  value(report: Report): number
  /** Metrics that are shares must be given as fractions; 90 for 90% would make every model fail. */
  fraction?: boolean
}

/** The gate flags, named as on the command line. */
export const GATES = {
  'min-accuracy': {
    metric: 'accuracy',
    bound: 'min',
    task: 'classification',
    fraction: true,
    value: (r) => (r as ClassificationReport).accuracy,
  },
  'min-top-k-accuracy': {
    metric: 'top-k accuracy',
    bound: 'min',
    task: 'classification',
    fraction: true,
    value: (r) => (r as ClassificationReport).topK.accuracy,
  },
  'min-macro-f1': {
    metric: 'macro F1',
    bound: 'min',
    task: 'classification',
    fraction: true,
    value: (r) => (r as ClassificationReport).macro.f1,
  },
  'max-loss': {metric: 'loss', bound: 'max', value: (r) => (r.task === 'classification' ? r.loss : r.loss.value)},
  'max-mse': {metric: 'MSE', bound: 'max', task: 'regression', value: (r) => (r as RegressionReport).mse},
  'max-rmse': {metric: 'RMSE', bound: 'max', task: 'regression', value: (r) => (r as RegressionReport).rmse},
  'max-mae': {metric: 'MAE', bound: 'max', task: 'regression', value: (r) => (r as RegressionReport).mae},
  'min-r2': {metric: 'R²', bound: 'min', task: 'regression', value: (r) => (r as RegressionReport).r2},
} as const satisfies Record<string, GateRule>

export type GateFlag = keyof typeof GATES

export type GateThresholds = Partial<Record<GateFlag, number>>

export interface GateResult {
  flag: GateFlag
  metric: string
  bound: 'min' | 'max'
  threshold: number
  value: number
  passed: boolean
}

/** Rejects, before any work, gates that cannot apply: a classification gate on a regression model, 90 for 0.9. */
export function checkGatesApply(task: Report['task'], thresholds: GateThresholds): void {
  for (const [flag, threshold] of gateEntries(thresholds)) {
    const rule: GateRule = GATES[flag]
    if (rule.task && rule.task !== task)
      throw new UserError(`--${flag} applies to ${rule.task} models, and this one is ${task}; drop it`, 2)
    if (!Number.isFinite(threshold)) throw new UserError(`--${flag} must be a number, got ${threshold}`, 2)
    if (rule.fraction && (threshold < 0 || threshold > 1))
      throw new UserError(`--${flag} is a fraction in [0, 1] (e.g. 0.9 for 90%), got ${threshold}`, 2)
  }
}

export function checkGates(report: Report, thresholds: GateThresholds): GateResult[] {
  return gateEntries(thresholds).map(([flag, threshold]) => {
    const rule: GateRule = GATES[flag]
    const value = rule.value(report)
    // NaN (e.g. an overflowing loss) passes no gate
    const passed = rule.bound === 'min' ? value >= threshold : value <= threshold
    return {flag, metric: rule.metric, bound: rule.bound, threshold, value, passed}
  })
}

/** One line naming every missed gate, e.g. "accuracy 0.8812 < 0.9 (--min-accuracy)". */
export function gateFailureReason(results: GateResult[]): string | undefined {
  const failed = results.filter((r) => !r.passed)
  if (failed.length === 0) return undefined
  return failed
    .map((r) => `${r.metric} ${formatValue(r.value)} ${r.bound === 'min' ? '<' : '>'} ${r.threshold} (--${r.flag})`)
    .join('; ')
}

function formatValue(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : String(value)
}

function gateEntries(thresholds: GateThresholds): Array<[GateFlag, number]> {
  return (Object.entries(thresholds) as Array<[GateFlag, number | undefined]>).filter(
    (entry): entry is [GateFlag, number] => entry[1] !== undefined,
  )
}
