import {Flags, type Interfaces} from '@oclif/core'

import {TRAIN_OPTIONS, type TrainConfig, type TrainConfigKey, type TrainOption} from '../core/train/train-config.js'
import {numberFlag} from './number-flag.js'

/**
 * train's flags for the training options, one per TRAIN_OPTIONS row. None has an oclif default: a flag left
 * out must not override the --config file or the resumed run; defaults apply when the config is resolved.
 */
export const trainOptionFlags = Object.fromEntries(
  Object.entries(TRAIN_OPTIONS).map(([name, option]) => [name, optionFlag(option)]),
) as {[K in TrainConfigKey]: Interfaces.OptionFlag<TrainConfig[K] | undefined>}

/** The training options among train's parsed flags (undefined where not given), without the other flags. */
export function trainOptionsGiven(flags: Partial<TrainConfig>): Partial<TrainConfig> {
  return Object.fromEntries(Object.keys(TRAIN_OPTIONS).map((key) => [key, flags[key as TrainConfigKey]]))
}

function optionFlag(option: TrainOption) {
  const properties = {
    description:
      option.default === undefined || option.help.includes('[default:')
        ? option.help
        : `${option.help} [default: ${option.default}]`,
    helpValue: option.helpValue,
    exclusive: option.exclusive && [...option.exclusive],
    dependsOn: option.dependsOn && [...option.dependsOn],
  }
  switch (option.type) {
    case 'string':
      return Flags.string(properties)
    case 'integer':
      return Flags.integer(properties)
    case 'number':
      return numberFlag(properties)
    case 'choice':
      return Flags.string({...properties, options: [...option.choices]})
    case 'boolean':
      return Flags.boolean({
        description: properties.description,
        exclusive: properties.exclusive,
        dependsOn: properties.dependsOn,
        allowNo: option.allowNo,
      })
  }
}
