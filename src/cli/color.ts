import {Chalk, type ChalkInstance} from 'chalk'

/** chalk, switched off when NO_COLOR is set (https://no-color.org) whatever the terminal supports. */
export function colors(): ChalkInstance {
  return process.env.NO_COLOR ? new Chalk({level: 0}) : new Chalk()
}
