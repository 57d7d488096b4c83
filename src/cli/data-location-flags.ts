import {Flags} from '@oclif/core'

/** Where dataset files are found: the same two flags on every command that reads a registry dataset. */
export const dataLocationFlags = {
  from: Flags.directory({
    description: 'Read the dataset from files you already have in DIR instead of downloading.',
    helpValue: 'DIR',
  }),
  'data-dir': Flags.string({
    description: 'Dataset cache directory [default: $MLCTL_DATA_DIR, else ~/.cache/mlctl].',
    helpValue: 'DIR',
  }),
}
