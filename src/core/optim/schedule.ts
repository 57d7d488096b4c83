import type {OptimizerConfig} from './optimizer.js'

/**
 * Learning rate for the update with 0-based index `step` (= number of updates already applied).
 * The schedule runs on the absolute step count; warm-up multiplies it by a linear ramp
 * (step + 1) / warmupSteps, so the first update already moves the weights and update number
 * warmupSteps (index warmupSteps - 1) is the first at the full scheduled rate.
 */
export function scheduledLr(config: OptimizerConfig, step: number): number {
  const warmupSteps = config.warmupSteps ?? 0
  const warmup = step < warmupSteps ? (step + 1) / warmupSteps : 1
  return warmup * decayedLr(config, step)
}

function decayedLr(config: OptimizerConfig, step: number): number {
  const schedule = config.schedule ?? {type: 'constant'}
  switch (schedule.type) {
    case 'constant':
      return config.lr
    case 'step':
      return config.lr * schedule.gamma ** Math.floor(step / schedule.stepSize)
    case 'cosine': {
      const minLr = schedule.minLr ?? 0
      const progress = Math.min(step, schedule.totalSteps) / schedule.totalSteps
      return minLr + (config.lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress))
    }
  }
}
