import {UserError} from '../errors.js'
import {OPTIMIZER_NAMES, type OptimizerConfig} from './optimizer.js'

/**
 * Rejects configs the optimizers cannot run, with a message naming the field and the accepted range.
 * Configs may come from JSON files, so types are checked at runtime too.
 */
export function validateOptimizerConfig(config: OptimizerConfig): void {
  if (!OPTIMIZER_NAMES.includes(config.name)) {
    throw new UserError(`unknown optimizer '${config.name}'; use one of ${OPTIMIZER_NAMES.join(', ')}`)
  }
  checkNumber('lr', config.lr, (v) => v >= 0, 'a number >= 0')
  checkOptional('momentum', config.momentum, (v) => v >= 0 && v < 1, 'a number in [0, 1)')
  checkOptional('beta1', config.beta1, (v) => v >= 0 && v < 1, 'a number in [0, 1)')
  checkOptional('beta2', config.beta2, (v) => v >= 0 && v < 1, 'a number in [0, 1)')
  checkOptional('rho', config.rho, (v) => v >= 0 && v < 1, 'a number in [0, 1)')
  checkOptional('eps', config.eps, (v) => v > 0, 'a number > 0')
  checkOptional('weightDecay', config.weightDecay, (v) => v >= 0, 'a number >= 0')
  checkOptional('clipNorm', config.clipNorm, (v) => v >= 0, 'a number >= 0 (0 turns clipping off)')
  checkOptional('warmupSteps', config.warmupSteps, (v) => Number.isInteger(v) && v >= 0, 'a whole number >= 0')
  if (config.nesterov !== undefined && typeof config.nesterov !== 'boolean') {
    throw new UserError(`optimizer nesterov is ${JSON.stringify(config.nesterov)}; use true or false`)
  }
  const schedule = config.schedule
  if (schedule === undefined) return
  switch (schedule.type) {
    case 'constant':
      return
    case 'step':
      checkNumber('schedule stepSize', schedule.stepSize, (v) => Number.isInteger(v) && v >= 1, 'a whole number >= 1')
      checkNumber('schedule gamma', schedule.gamma, (v) => v > 0, 'a number > 0')
      return
    case 'cosine':
      checkNumber(
        'schedule totalSteps',
        schedule.totalSteps,
        (v) => Number.isInteger(v) && v >= 1,
        'a whole number >= 1',
      )
      checkOptional(
        'schedule minLr',
        schedule.minLr,
        (v) => v >= 0 && v <= config.lr,
        `a number in [0, lr = ${config.lr}]`,
      )
      return
    default:
      throw new UserError(
        `unknown learning-rate schedule '${String((schedule as {type: unknown}).type)}'; use constant, step or cosine`,
      )
  }
}

function checkOptional(field: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (value !== undefined) checkNumber(field, value, ok, expected)
}

function checkNumber(field: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new UserError(`optimizer ${field} is ${JSON.stringify(value)}; use ${expected}`)
  }
}
