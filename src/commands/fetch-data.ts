import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {BaseCommand} from '../cli/base-command.js'
import {dataLocationFlags} from '../cli/data-location-flags.js'
import {colors} from '../cli/color.js'
import {DownloadProgress, formatBytes} from '../cli/download-progress.js'
import {
  type Dataset,
  type DatasetEntry,
  findDataset,
  isTextEntry,
  loadCsvDataset,
  loadDataset,
  loadTextCsv,
  loadTextRegistryDataset,
  REGISTRY,
  type TextDataset,
} from '../core/data/index.js'
import {UserError} from '../core/errors.js'

export default class FetchData extends BaseCommand {
  static description =
    'Download a standard dataset (with checksums, mirrors and a cache), import local files, or load the embedded sample.'

  static examples = [
    '<%= config.bin %> <%= command.id %> --list',
    '<%= config.bin %> <%= command.id %> mnist-sample',
    '<%= config.bin %> <%= command.id %> mnist --data-dir ./data',
    '<%= config.bin %> <%= command.id %> fashion-mnist --from /usr/share/datasets/fashion-mnist',
    '<%= config.bin %> <%= command.id %> examples/cars.csv --target Miles_per_Gallon',
    '<%= config.bin %> <%= command.id %> imdb --from ~/Downloads',
    '<%= config.bin %> <%= command.id %> reviews.csv --text-column review --target label',
  ]

  static args = {
    name: Args.string({description: 'Dataset name from --list, or a path to a .csv file (with --target).'}),
  }

  static enableJsonFlag = true

  static flags = {
    list: Flags.boolean({description: 'List the datasets mlctl knows.'}),
    json: Flags.boolean({description: 'Print JSON instead of text.'}),
    ...dataLocationFlags,
    from: Flags.directory({
      description:
        'Import the dataset from files you already have in DIR: verified, then copied into the cache, where train, evaluate and export-onnx find them without --from.',
      helpValue: 'DIR',
    }),
    mirror: Flags.string({
      description: 'Download from this base URL instead of the registry mirrors.',
      helpValue: 'URL',
    }),
    target: Flags.string({description: 'CSV only: the column to predict.', helpValue: 'COL'}),
    'text-column': Flags.string({
      description: 'CSV only: the column holding text; the target is then a class and the text is tokenized.',
      helpValue: 'COL',
    }),
    task: Flags.string({
      description: 'CSV only: how to treat the target [default: classification if any value is text, else regression].',
      options: ['classification', 'regression'],
    }),
  }

  async run() {
    const {args, flags} = await this.parse(FetchData)
    const color = colors()

    if (flags.list) {
      this.log(formatRegistry(color))
      return REGISTRY
    }

    if (!args.name) throw new UserError('Name a dataset (see `mlctl fetch-data --list`) or a .csv file.', 2)

    let dataset: Dataset | TextDataset
    let entry: DatasetEntry | undefined
    if (args.name.toLowerCase().endsWith('.csv')) {
      if (!flags.target)
        throw new UserError(`${args.name} is a CSV file; name the column to predict with --target COL.`, 2)
      dataset = flags['text-column']
        ? await loadTextCsv(args.name, flags['text-column'], flags.target)
        : await loadCsvDataset(args.name, flags.target, {task: flags.task as Dataset['task'] | undefined})
    } else {
      entry = findDataset(args.name)
      const progress = new DownloadProgress(this.jsonEnabled())
      try {
        const options = {
          dataDir: flags['data-dir'],
          from: flags.from,
          copyIntoCache: true,
          mirror: flags.mirror,
          onDownload: (event: Parameters<DownloadProgress['report']>[0]) => progress.report(event),
        }
        dataset = isTextEntry(entry)
          ? await loadTextRegistryDataset(entry, options)
          : await loadDataset(entry.name, options)
      } finally {
        progress.stop()
      }
    }

    this.log(formatSummary(dataset, entry, color))
    return summary(dataset, entry)
  }
}

function summary(dataset: Dataset | TextDataset, entry: DatasetEntry | undefined) {
  const inputs = dataset.train.inputs
  return {
    name: dataset.name,
    task: dataset.task,
    inputShape: dataset.inputShape,
    inputType: inputs instanceof Int32Array ? 'token ids' : inputs instanceof Uint8Array ? 'uint8' : 'float32',
    ...('text' in dataset &&
      dataset.text && {
        text: {
          vocabSize: dataset.text.vocabSize,
          padId: dataset.text.padId,
          truncated: dataset.text.truncated,
          ...(dataset.text.skippedFiles && {skippedFiles: dataset.text.skippedFiles}),
        },
      }),
    classNames: dataset.classNames,
    featureNames: dataset.featureNames,
    targetName: dataset.targetName,
    splits: {train: dataset.train.count, ...(dataset.test ? {test: dataset.test.count} : {})},
    source: dataset.origin,
    licence: entry?.licence,
    attribution: entry?.attribution,
  }
}

function formatSummary(dataset: Dataset | TextDataset, entry: DatasetEntry | undefined, color: ChalkInstance): string {
  const s = summary(dataset, entry)
  const what = dataset.task === 'classification' ? `${dataset.classNames?.length}-class classification` : 'regression'
  const rows: [string, string | undefined][] = [
    ['task', what],
    [
      'input',
      `${s.inputShape.join('×')} ${s.inputType}${dataset.featureNames ? ` (${dataset.featureNames.join(', ')})` : ''}`,
    ],
    [
      'tokenizer',
      s.text &&
        `WordPiece, ${s.text.vocabSize.toLocaleString('en-US')} tokens, ${(s.text.truncated ?? 0).toLocaleString('en-US')} texts truncated to ${s.inputShape[0]} tokens${s.text.skippedFiles ? `, ${s.text.skippedFiles} files skipped (binary or not .txt)` : ''}`,
    ],
    ['target', dataset.targetName],
    ['classes', dataset.classNames?.join(', ')],
    ['train', `${s.splits.train.toLocaleString('en-US')} examples`],
    ['test', s.splits.test === undefined ? undefined : `${s.splits.test.toLocaleString('en-US')} examples`],
    ['read from', dataset.origin?.copiedFrom ?? (isCached(dataset) ? undefined : dataset.origin?.location)],
    ['cached in', isCached(dataset) ? dataset.origin?.location : undefined],
    ['verified', dataset.origin?.verified],
    ['licence', entry ? `${entry.licence}; ${entry.attribution}` : undefined],
  ]
  const lines = rows
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `  ${color.dim(key.padEnd(10))}${value}`)
  return [color.bold(dataset.name), ...lines].join('\n')
}

function isCached(dataset: Dataset | TextDataset): boolean {
  return dataset.origin?.kind === 'download' || dataset.origin?.kind === 'imported'
}

function formatRegistry(color: ChalkInstance): string {
  return REGISTRY.map((e) => {
    const size = e.files.length > 0 ? formatBytes(e.files.reduce((sum, f) => sum + f.bytes, 0)) : 'embedded'
    const counts = `${e.trainCount.toLocaleString('en-US')} train + ${e.testCount.toLocaleString('en-US')} test`
    const input = e.inputShape.length > 0 ? e.inputShape.join('×') : 'text'
    return `${color.bold(e.name.padEnd(14))}${e.description}\n${' '.repeat(14)}${color.dim(`${counts}, ${input}, ${size}, ${e.licence}`)}`
  }).join('\n')
}
