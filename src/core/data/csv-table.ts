import {readFile} from 'node:fs/promises'
import {basename, extname} from 'node:path'

import {UserError} from '../errors.js'
import type {Dataset, DataSplit} from './dataset.js'
import {seededPermutation} from './seeded-shuffle.js'
import {
  type ColumnEncoding,
  type ColumnType,
  describeColumn,
  encodeCell,
  encodedNames,
  fitColumn,
  inferColumnType,
  isInfinityText,
  isMissing,
  isNumberText,
  MISSING_CATEGORY,
  parseNumber,
} from './table-columns.js'
import {dayNumber, parseDate} from './table-dates.js'

export interface CsvOptions {
  /** Default: classification if any target value is not a number, else regression. */
  task?: 'classification' | 'regression'
  /** Share of rows held out as the test split, chosen by a seeded shuffle; 0 keeps every row for training. */
  testFraction?: number
  seed?: number
  /** Columns left out of the features (train --ignore). */
  ignore?: string[]
  /**
   * Exactly these feature columns, in this order, as a trained model takes them (its feature names); other
   * columns are left out and none is ignored automatically. A column missing from the file is an error.
   */
  features?: string[]
  /** The model's fitted column encodings, used as they are (evaluate, export); else fitted on the training rows. */
  encoding?: ColumnEncoding[]
  /** Types given by the user (train --columns); other columns are inferred. */
  columnTypes?: Map<string, ColumnType>
  /** Leave out every row with a missing feature or target cell instead of filling it in. */
  dropMissing?: boolean
  /**
   * A date (or number) column that orders the rows: the test split is the latest rows instead of a random
   * share, and the training split is kept in time order so that validation can be its latest rows too.
   */
  splitBy?: string
}

/** A column the table does not use as a feature, and why. */
export interface IgnoredColumn {
  column: string
  reason: string
}

export const DEFAULT_TEST_FRACTION = 0.2
export const DEFAULT_CSV_SEED = 42

/**
 * A table with a header row and one target column. Each feature column is typed (inferred, or given by
 * `columnTypes`) and encoded into numeric inputs with an encoding fitted on the training rows only (see
 * table-columns.ts), or with the model's own `encoding`. A bad cell is an error naming its row and column,
 * never a silent NaN or Infinity. Class labels (text or numbers) become indices into classNames, sorted so
 * the mapping is stable; a classification target needs at least two classes. A row without a target is an
 * error (a model cannot learn from it, and dropping it silently would hide a broken export), unless
 * `dropMissing` drops every row with a missing cell.
 */
export async function loadCsvDataset(file: string, target: string, options: CsvOptions = {}): Promise<Dataset> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UserError(`Cannot read ${file}; check the path.`)
  })
  const rows = parseCsv(text, file)
  if (rows.length < 2)
    throw new UserError(`${file} has no data rows; it needs a header row and at least one row of values.`)

  const {columns, rows: allRows} = checkedTable(rows, file)
  const targetColumn = columns.indexOf(target)
  if (targetColumn < 0)
    throw new UserError(`${file} has no column "${target}"; its columns are: ${columns.join(', ')}.`)
  const {featureColumns, ignored} = chooseFeatures(columns, targetColumn, allRows, file, options)
  if (featureColumns.length === 0)
    throw new UserError(
      `${file} has no feature column besides the target "${target}"${ignored.length > 0 ? ` and the ignored ${ignored.map((i) => i.column).join(', ')}` : ''}; it needs at least one.`,
    )

  const used = [...featureColumns, targetColumn]
  const numbered = allRows.map((row, r) => ({...row, row: r + 1}))
  const body = options.dropMissing ? numbered.filter((row) => !used.some((c) => isMissing(row.cells[c]))) : numbered
  if (body.length === 0) throw new UserError(`${file}: every row has a missing cell, so --drop-missing leaves none.`)
  const where = (r: number, column: number) =>
    `${file}: row ${body[r].row} (line ${body[r].line}), column "${columns[column]}"`
  const rawTargets = body.map(({cells}, r) => {
    const value = cells[targetColumn].trim()
    if (isMissing(value))
      throw new UserError(
        `${where(r, targetColumn)}: missing target value; fill it in, drop the row, or pass --drop-missing.`,
      )
    return value
  })

  const task =
    options.task ?? (rawTargets.every((v) => isNumberText(v) || isInfinityText(v)) ? 'regression' : 'classification')
  const {targets, classNames} =
    task === 'classification'
      ? classTargets(rawTargets, () => `${file}: the target "${target}"`)
      : {
          targets: Float32Array.from(rawTargets, (v, r) => parseNumber(v, () => where(r, targetColumn))),
          classNames: undefined,
        }

  const splitTimes = (name: string) => {
    const c = columns.indexOf(name)
    if (c < 0)
      throw new UserError(`${file} has no column "${name}" (--split-by); its columns are: ${columns.join(', ')}.`)
    if (c === targetColumn) throw new UserError(`--split-by ${name} is the target column; split by a date column.`, 2)
    return splitKeys(
      body.map((row) => row.cells[c]),
      (r) => where(r, c),
    )
  }
  const times = options.splitBy === undefined ? undefined : splitTimes(options.splitBy)
  const {train: trainRows, test: testRows} = splitIndices(body.length, options, times?.keys)
  const encodings =
    options.encoding ??
    options.features?.map((column): ColumnEncoding => ({column, type: 'number'})) ??
    featureColumns.map((c) => {
      const cells = Array.from(trainRows, (r) => body[r].cells[c])
      const type = options.columnTypes?.get(columns[c]) ?? inferColumnType(body.map((row) => row.cells[c]))
      if (type === 'ignore') throw new Error('ignored columns are not features')
      return fitColumn(columns[c], type, cells, (i) => where(trainRows[i], c))
    })
  const featureNames = encodings.flatMap((e) => encodedNames(e))
  const width = featureNames.length
  const features = new Float32Array(body.length * width)
  for (const [r, {cells}] of body.entries()) {
    let at = r * width
    for (const [f, column] of featureColumns.entries())
      at += encodeCell(encodings[f], cells[column], features, at, () => where(r, column))
  }

  const take = (indices: Uint32Array): DataSplit => {
    const inputs = new Float32Array(indices.length * width)
    const picked = targets instanceof Uint8Array ? new Uint8Array(indices.length) : new Float32Array(indices.length)
    for (const [n, row] of indices.entries()) {
      inputs.set(features.subarray(row * width, (row + 1) * width), n * width)
      picked[n] = targets[row]
    }
    return {inputs, targets: picked, count: indices.length}
  }

  // an embedded category's training values that fell below its vocabulary's count and read as unknown
  const rareValues = (encoding: ColumnEncoding, c: number) => {
    if (encoding.type !== 'category' || !encoding.index) return 0
    const cell = (r: number) => (isMissing(body[r].cells[c]) ? MISSING_CATEGORY : body[r].cells[c].trim())
    return Math.max(0, new Set(Array.from(trainRows, cell)).size - encoding.values.length)
  }
  const missingCounts = featureColumns.map((c) => body.filter((row) => isMissing(row.cells[c])).length)
  const missingTotal = missingCounts.reduce((sum, n) => sum + n, 0)
  const dropped = allRows.length - body.length
  return {
    name: basename(file, extname(file)),
    task,
    inputShape: [width],
    classNames,
    train: take(trainRows),
    ...(testRows && {test: take(testRows)}),
    featureNames,
    targetName: target,
    ...(ignored.length > 0 && {ignoredColumns: ignored}),
    columnEncodings: encodings,
    columnSummary: encodings.map((e, f) => ({
      column: e.column,
      details: describeColumn(e, missingCounts[f], rareValues(e, featureColumns[f])),
    })),
    ...(dropped > 0 && {droppedRows: dropped}),
    ...(times && {
      timeSplit: {
        column: options.splitBy!,
        ...(testRows && testRows.length > 0 && {testFrom: times.labels[testRows[0]]}),
      },
    }),
    origin: {
      kind: 'csv',
      location: file,
      verified: `${body.length} rows${dropped > 0 ? ` (${dropped} with missing cells dropped)` : ''}, ${missingTotal > 0 ? `${missingTotal} missing feature cells filled` : 'no missing values'}`,
    },
  }
}

/**
 * A CSV file's rows by column name (cells as text), for encoding new rows with a trained model's
 * preprocessing (encode-table-rows.ts); the same header and row-length checks as training's loader.
 */
export function csvRecords(text: string, file: string): Array<Record<string, string>> {
  const {columns, rows} = checkedTable(parseCsv(text, file), file)
  return rows.map(({cells}) => Object.fromEntries(columns.map((name, c) => [name, cells[c]])))
}

/** The header's column names and the data rows, each with as many cells as the header. */
function checkedTable(rows: CsvRow[], file: string): {columns: string[]; rows: CsvRow[]} {
  if (rows.length === 0) throw new UserError(`${file} is empty; it needs a header row.`)
  const [header, ...body] = rows
  const columns = header.cells.map((name) => name.trim())
  checkUniqueNames(columns, file)
  for (const [r, {cells, line}] of body.entries()) {
    if (cells.length !== columns.length) {
      throw new UserError(
        `${file}: row ${r + 1} (line ${line}) has ${cells.length} cells but the header has ${columns.length}; fix that row.`,
      )
    }
  }
  return {columns, rows: body}
}

export interface CsvRow {
  cells: string[]
  /** 1-based line in the file, for error messages. */
  line: number
}

/**
 * Comma-separated with RFC 4180 quoting: a quoted value may hold commas, doubled quotes and line breaks (review
 * text does). Blank lines outside quotes are skipped; a leading byte order mark is dropped.
 */
export function parseCsv(text: string, file: string): CsvRow[] {
  const rows: CsvRow[] = []
  const body = text.replace(/^\uFEFF/, '')
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let wasQuoted = false
  let line = 1
  let rowLine = 1
  let quoteLine = 1
  const endRow = () => {
    cells.push(cell)
    if (cells.length > 1 || wasQuoted || cell.trim() !== '') rows.push({cells, line: rowLine})
    cells = []
    cell = ''
    wasQuoted = false
  }
  for (let i = 0; i < body.length; i++) {
    const char = body[i]
    if (quoted) {
      if (char === '"' && body[i + 1] === '"') {
        cell += '"'
        i++
      } else if (char === '"') {
        quoted = false
      } else {
        if (char === '\n') line++
        cell += char
      }
    } else if (char === '"') {
      quoted = true
      wasQuoted = true
      quoteLine = line
    } else if (char === ',') {
      cells.push(cell)
      cell = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && body[i + 1] === '\n') i++
      endRow()
      line++
      rowLine = line
    } else {
      cell += char
    }
  }
  if (quoted)
    throw new UserError(`${file}: the quote opened on line ${quoteLine} is never closed; close it with a double quote.`)
  if (cells.length > 0 || cell !== '' || wasQuoted) endRow()
  return rows
}

/**
 * The feature columns: the model's own when `features` is given; otherwise every column but the target,
 * less those named in `ignore`, a constant column (it carries nothing to learn from) and an id column (named
 * id or ending in _id/Id, with a distinct value in every row: it identifies rows rather than describing them).
 */
function chooseFeatures(
  columns: string[],
  targetColumn: number,
  body: CsvRow[],
  file: string,
  options: CsvOptions,
): {featureColumns: number[]; ignored: IgnoredColumn[]} {
  const find = (name: string, role: string) => {
    const i = columns.indexOf(name)
    if (i < 0) throw new UserError(`${file} has no column "${name}" (${role}); its columns are: ${columns.join(', ')}.`)
    if (i === targetColumn) throw new UserError(`"${name}" is the target column of ${file}; it cannot be ${role}.`)
    return i
  }
  const modelColumns = options.encoding?.map((e) => e.column) ?? options.features
  if (modelColumns)
    return {featureColumns: modelColumns.map((name) => find(name, 'a feature of the model')), ignored: []}
  const ignored: IgnoredColumn[] = []
  const byFlag = new Set((options.ignore ?? []).map((name) => find(name, 'given to --ignore')))
  for (const [name, type] of options.columnTypes ?? []) {
    const i = find(name, 'given to --columns')
    if (type === 'ignore') byFlag.add(i)
  }
  const featureColumns = columns
    .map((_, i) => i)
    .filter((i) => {
      if (i === targetColumn) return false
      if (byFlag.has(i)) {
        ignored.push({column: columns[i], reason: options.ignore?.includes(columns[i]) ? '--ignore' : '--columns'})
        return false
      }
      if (options.columnTypes?.has(columns[i])) return true
      const values = new Set(body.map((row) => row.cells[i]?.trim()))
      if (values.size === 1 && body.length > 1) {
        ignored.push({column: columns[i], reason: `constant (every row is "${[...values][0]}")`})
        return false
      }
      if (/^(id|Id|ID)$|_(id|ID)$|[a-z]Id$/.test(columns[i]) && values.size === body.length && body.length > 1) {
        ignored.push({column: columns[i], reason: 'id (a different value in every row)'})
        return false
      }
      return true
    })
  return {featureColumns, ignored}
}

/** Columns are found by name (--target, the model's feature names), so two columns may not share one. */
function checkUniqueNames(columns: string[], file: string): void {
  const seen = new Map<string, number>()
  for (const [i, name] of columns.entries()) {
    const first = seen.get(name)
    if (first !== undefined)
      throw new UserError(
        `${file}: the header names column "${name}" twice (columns ${first + 1} and ${i + 1}); give every column its own name.`,
      )
    seen.set(name, i)
  }
}

export function classTargets(values: string[], target: () => string): {targets: Uint8Array; classNames: string[]} {
  const distinct = [...new Set(values)]
  if (distinct.length === 1)
    throw new UserError(
      `${target()} has a single class ("${distinct[0]}"); a classifier needs at least two, so add rows of other classes or choose another --target.`,
    )
  const numeric = distinct.every((v) => isNumberText(v))
  const classNames = numeric ? distinct.sort((a, b) => Number(a) - Number(b)) : distinct.sort()
  if (classNames.length > 256)
    throw new UserError(
      `The target has ${classNames.length} distinct values; classification supports at most 256 classes (use regression for a numeric target).`,
    )
  const index = new Map(classNames.map((name, i) => [name, i]))
  return {targets: Uint8Array.from(values, (v) => index.get(v)!), classNames}
}

/**
 * Each row's position in time for --split-by, from a date column (or a number column such as a year), with
 * its text for messages; every row needs one, since a row without a time cannot be put before or after.
 */
function splitKeys(cells: string[], where: (row: number) => string): {keys: number[]; labels: string[]} {
  const dates = cells.every((cell) => isMissing(cell) || parseDate(cell) !== undefined)
  const keys = cells.map((cell, r) => {
    if (isMissing(cell))
      throw new UserError(
        `${where(r)}: missing value; --split-by needs a time in every row, so fill it in or drop the row.`,
      )
    if (!dates && !isNumberText(cell))
      throw new UserError(
        `${where(r)}: "${cell.trim()}" is neither a date nor a number; --split-by orders rows by a date (or number) column.`,
        2,
      )
    return dates ? dayNumber(parseDate(cell)!) : parseNumber(cell, () => where(r))
  })
  return {keys, labels: cells.map((cell) => cell.trim())}
}

/**
 * Row indices of the training and test splits: by a seeded shuffle, or with `times`, the latest rows as
 * the test split and the rest in time order (ties keep the file's order).
 */
export function splitIndices(
  count: number,
  options: CsvOptions,
  times?: number[],
): {train: Uint32Array; test?: Uint32Array} {
  const fraction = options.testFraction ?? DEFAULT_TEST_FRACTION
  if (!(fraction >= 0 && fraction < 1))
    throw new UserError(`Test fraction ${fraction} is out of range; use a value in [0, 1).`, 2)
  const testCount = Math.round(count * fraction)
  if (testCount === count)
    throw new UserError(
      `Only ${count} data rows: too few to hold out a test split of ${fraction}; add rows or lower the test fraction.`,
    )
  const order = times
    ? Uint32Array.from({length: count}, (_, i) => i).sort((a, b) => times[a] - times[b] || a - b)
    : testCount === 0
      ? Uint32Array.from({length: count}, (_, i) => i)
      : seededPermutation(count, options.seed ?? DEFAULT_CSV_SEED)
  if (testCount === 0) return {train: order}
  return {train: order.subarray(0, count - testCount), test: order.subarray(count - testCount)}
}
