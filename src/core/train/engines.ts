import {Trainer} from '../engine/index.js'
import {UserError} from '../errors.js'
import {TfjsTrainer} from '../tfjs-engine/index.js'
import type {TrainingEngineFactory} from '../training/index.js'

/** The training engines by `--engine` name. */
const ENGINES = {
  ort: (options) => Trainer.create(options),
  tfjs: (options) => TfjsTrainer.create(options),
} satisfies Record<string, TrainingEngineFactory>

export const ENGINE_NAMES = Object.keys(ENGINES) as Array<keyof typeof ENGINES>

/** The factory of the engine called `name`; throws UserError for a name no engine has. */
export function engineFactory(name: string): TrainingEngineFactory {
  if (!Object.hasOwn(ENGINES, name))
    throw new UserError(`engine must be one of ${ENGINE_NAMES.join(', ')}, got ${JSON.stringify(name)}`)
  return ENGINES[name as keyof typeof ENGINES]
}
