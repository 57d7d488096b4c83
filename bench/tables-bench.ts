/**
 * `npm run bench:tables`: mlctl's default `train` on four real public tables from the vega-datasets
 * package (BSD-3-Clause, a development dependency), next to predicting the training mean (or majority
 * class), linear least squares (or logistic regression) and scikit-learn's HistGradientBoosting, all on
 * the same test split. Target: mlctl beats the mean and the linear model on every table, and is within
 * 0.03 R² (or 1 accuracy point) of gradient boosting on at least three of the four.
 *
 * Each table is converted to CSV in a temp dir (rows without a target left out: a model cannot be scored
 * on them). mlctl trains with its defaults and nothing but --target and --ignore (a title that names
 * nearly every row, and a column that contains the target); categories over 50 values are embedded. Its
 * test metric is the median of 3 seeds. The Python baselines (bench/tables_baselines.py, python3 with
 * Debian's python3-sklearn) get the inputs mlctl encoded, from the very split mlctl tested on, exported to
 * CSV, with the embedded categories' index columns named so that they one-hot encode them for the linear
 * models and give them to HistGradientBoosting as categorical features.
 *
 * usage: npm run bench:tables [-- --seeds 3] [-- --only cars]
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {categoryIndexInputs, type DataSplit, loadCsvDataset} from '../src/core/data/index.js'
import {median} from './median.js'

const DATA = 'node_modules/vega-datasets/data'

interface Table {
  name: string
  file: string
  target: string
  ignore: string[]
  /** Why each ignored column is left out. */
  why: string
}

export const TABLES: Table[] = [
  {name: 'penguins', file: 'penguins.json', target: 'Species', ignore: [], why: ''},
  {name: 'cars', file: 'cars.json', target: 'Miles_per_Gallon', ignore: [], why: ''},
  {name: 'seattle-weather', file: 'seattle-weather.csv', target: 'weather', ignore: [], why: ''},
  {
    name: 'movies',
    file: 'movies.json',
    target: 'US Gross',
    ignore: ['Title', 'Worldwide Gross'],
    why: 'Title: a different name for nearly every film, an identifier; Worldwide Gross contains the US gross',
  },
  {
    // what the embeddings of Director (551 values) and Distributor (175) change, against leaving them out
    name: 'movies-ignoring-director-distributor',
    file: 'movies.json',
    target: 'US Gross',
    ignore: ['Title', 'Director', 'Distributor', 'Worldwide Gross'],
    why: 'as movies, and Director and Distributor left out',
  },
]

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : undefined
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break; null is an empty (missing) cell. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The table as CSV text, without the rows whose target is missing. */
export function tableCsv(table: Table): string {
  const path = join(DATA, table.file)
  if (table.file.endsWith('.csv')) return readFileSync(path, 'utf8')
  const records = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, unknown>>
  const columns = Object.keys(records[0])
  const rows = records.filter((r) => r[table.target] !== null && r[table.target] !== undefined)
  return `${[columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n')}\n`
}

function splitCsv(split: DataSplit, width: number): string {
  const lines = [[...Array.from({length: width}, (_, f) => `f${f}`), 'target'].join(',')]
  for (let n = 0; n < split.count; n++)
    lines.push([...split.inputs.subarray(n * width, (n + 1) * width), split.targets[n]].join(','))
  return `${lines.join('\n')}\n`
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`)
  return result.stdout
}

const scratch = mkdtempSync(join(tmpdir(), 'mlctl-tables-bench-'))
const seeds = Number(option('seeds') ?? 3)
const rows: string[] = []
try {
  for (const table of TABLES.filter((t) => option('only') === undefined || t.name === option('only'))) {
    const csv = join(scratch, `${table.name}.csv`)
    writeFileSync(csv, tableCsv(table))
    const dataset = await loadCsvDataset(csv, table.target, {ignore: table.ignore})
    const width = dataset.inputShape[0]
    const trainCsv = join(scratch, `${table.name}-train.csv`)
    const testCsv = join(scratch, `${table.name}-test.csv`)
    writeFileSync(trainCsv, splitCsv(dataset.train, width))
    writeFileSync(testCsv, splitCsv(dataset.test!, width))
    const categories = categoryIndexInputs(dataset.columnEncodings!).map((c) => [c.column, c.categories])
    const baselines = JSON.parse(
      run('python3', ['bench/tables_baselines.py', trainCsv, testCsv, dataset.task, JSON.stringify(categories)]),
    ) as {
      mean: number
      linear: number
      boosting: number
    }

    const key = dataset.task === 'classification' ? 'accuracy' : 'r2'
    const ignore = table.ignore.length > 0 ? ['--ignore', table.ignore.join(',')] : []
    const scores: number[] = []
    const started = performance.now()
    for (let seed = 1; seed <= seeds; seed++) {
      const out = join(scratch, `${table.name}-run-${seed}`)
      run('node', [
        'bin/run.js',
        'train',
        '--data',
        csv,
        '--target',
        table.target,
        ...ignore,
        '--seed',
        `${seed}`,
        '--out',
        out,
      ])
      const {report} = JSON.parse(run('node', ['bin/run.js', 'evaluate', out, '--json'])) as {
        report: Record<string, number>
      }
      scores.push(report[key])
    }
    const seconds = (performance.now() - started) / 1000 / seeds
    const format = (value: number) => (key === 'accuracy' ? `${(100 * value).toFixed(1)}%` : value.toFixed(3))
    const mlctl = median(scores)
    const gap = key === 'accuracy' ? 100 * (baselines.boosting - mlctl) : baselines.boosting - mlctl
    rows.push(
      `| ${table.name} (${table.target}) | ${dataset.train.count}/${dataset.test!.count} | ${key === 'r2' ? 'R²' : 'accuracy'} | ` +
        `**${format(mlctl)}** (${scores.map(format).join(', ')}) | ${format(baselines.mean)} | ${format(baselines.linear)} | ` +
        `${format(baselines.boosting)} | ${gap <= (key === 'accuracy' ? 1 : 0.03) ? 'yes' : 'no'} (${gap > 0 ? '−' : '+'}${Math.abs(gap).toFixed(key === 'accuracy' ? 1 : 3)}) | ${seconds.toFixed(1)} s |`,
    )
    process.stderr.write(`${rows.at(-1)}\n`)
  }
} finally {
  rmSync(scratch, {recursive: true, force: true})
}

console.log(
  `| table (target) | train/test rows | metric | mlctl, median of ${seeds} seeds | mean / majority | linear / logistic | HistGradientBoosting | within 0.03 R² / 1 point | mlctl train + evaluate, s |`,
)
console.log('|---|---|---|---|---|---|---|---|---|')
for (const row of rows) console.log(row)
