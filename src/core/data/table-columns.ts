import {UserError} from '../errors.js'
import {type CalendarDate, DATE_FEATURES, dateFeatures, dayNumber, formatDate, parseDate} from './table-dates.js'

/**
 * How a table column becomes model inputs, fitted on the training rows and saved with the model so that
 * evaluate and export encode new rows exactly the same way.
 * - number: the value itself; a missing cell gets the training mean (`fill`), and when the training rows
 *   had gaps, a second input "COL missing" is 1 for a filled cell and 0 otherwise.
 * - binary: 0 for values[0], 1 for values[1] (compared case-insensitively), then as a number.
 * - category: one 0/1 input per training value ("COL=value"), then "COL=(unknown)" for a value the
 *   training rows did not have; a missing cell is the value "(missing)" (its own input when training
 *   had gaps, else unknown). Over MAX_CATEGORIES values (`index`): one input "COL index" holding 1 + the
 *   value's position in `values` (the values met at least MIN_EMBEDDED_COUNT times in the training rows),
 *   or 0 for any other value (unseen, or too rare to learn a vector of its own), which the model looks up
 *   in a learned embedding (the categoryEmbedding layer).
 * - date: the DATE_FEATURES of the date ("COL year", "COL month sin", ...); a missing cell gets the training
 *   rows' median date (`fill`, YYYY-MM-DD), with a "COL missing" input as for numbers.
 */
export type ColumnEncoding =
  | {column: string; type: 'number'; fill?: number; missingIndicator?: boolean}
  | {column: string; type: 'binary'; values: [string, string]; fill: number; missingIndicator?: boolean}
  | {column: string; type: 'category'; values: string[]; index?: boolean}
  | {column: string; type: 'date'; fill: string; missingIndicator?: boolean}

export type ColumnType = 'number' | 'category' | 'binary' | 'date' | 'ignore'
export const COLUMN_TYPES: readonly ColumnType[] = ['number', 'category', 'binary', 'date', 'ignore']

/** A category of more values than this gets a learned embedding instead of one-hot inputs. */
export const MAX_CATEGORIES = 50
/**
 * An embedded category's values met fewer times than this in the training rows share index 0 with unseen
 * values: one row cannot teach a vector, and index 0 is then trained on such rows, so that a value unseen
 * in training gets what rare values taught rather than an untrained vector.
 */
export const MIN_EMBEDDED_COUNT = 2
export const MISSING_CATEGORY = '(missing)'
export const UNKNOWN_CATEGORY = '(unknown)'

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '?'])
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const INFINITY = /^[+-]?inf(inity)?$/i
/** Features are stored as float32: a larger magnitude would become ±Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38
/** Spellings of a yes/no column, false first; any other two values are ordered alphabetically. */
const BINARY_SPELLINGS: Array<[string, string]> = [
  ['false', 'true'],
  ['no', 'yes'],
  ['n', 'y'],
  ['0', '1'],
  ['f', 't'],
]

export function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase())
}

export function isNumberText(cell: string): boolean {
  return NUMBER.test(cell.trim())
}

/** Infinity, -inf, ...: read as a number so that it is reported as not finite, not taken for a category. */
export function isInfinityText(cell: string): boolean {
  return INFINITY.test(cell.trim())
}

/** A finite float32 number, or a one-line error saying where and what to do. */
export function parseNumber(cell: string, where: () => string): number {
  const value = cell.trim()
  if (MISSING.has(value.toLowerCase())) throw new UserError(`${where()}: missing value; fill it in or drop the row.`)
  if (INFINITY.test(value))
    throw new UserError(
      `${where()}: ${value} is not a finite number; fix the cell, or empty it to mark the value missing.`,
    )
  if (!NUMBER.test(value))
    throw new UserError(
      `${where()}: "${value}" is not a number; fix the cell or pass --columns NAME:category to treat the column as text.`,
    )
  const number = Number(value)
  if (!(Math.abs(number) <= FLOAT32_MAX))
    throw new UserError(
      `${where()}: ${value} is beyond the float32 range (±3.4e38) mlctl computes in; rescale the column, fix the cell, or empty it to mark the value missing.`,
    )
  return number
}

/** A date, or a one-line error saying where and which forms are read. */
export function parseDateCell(cell: string, where: () => string): CalendarDate {
  const date = parseDate(cell)
  if (!date)
    throw new UserError(
      `${where()}: "${cell.trim()}" is not a date mlctl reads (2026-11-28, 2026-11-28T10:00:00Z, 28 Nov 2026, Nov 28 2026); fix the cell.`,
    )
  return date
}

/**
 * number when most present cells are numeric (only 0 and 1: binary), so that a stray text cell in a
 * numeric column is reported as a bad number; date when most are dates, likewise; binary for two text
 * values; else category.
 */
export function inferColumnType(cells: string[]): Exclude<ColumnType, 'ignore'> {
  const present = cells.map((c) => c.trim()).filter((c) => !isMissing(c))
  const distinct = new Set(present.map((c) => c.toLowerCase()))
  const numeric = present.filter((c) => NUMBER.test(c) || INFINITY.test(c)).length
  if (numeric > present.length / 2) {
    return distinct.size === 2 && [...distinct].every((v) => Number(v) === 0 || Number(v) === 1) ? 'binary' : 'number'
  }
  if (present.filter((c) => parseDate(c) !== undefined).length > present.length / 2) return 'date'
  return distinct.size === 2 ? 'binary' : 'category'
}

/** Fits one column's encoding on its training cells; `where(i)` names the i-th cell for error messages. */
export function fitColumn(
  column: string,
  type: Exclude<ColumnType, 'ignore'>,
  cells: string[],
  where: (i: number) => string,
): ColumnEncoding {
  if (type === 'category') {
    const counts = new Map<string, number>()
    for (const cell of cells) {
      const value = isMissing(cell) ? MISSING_CATEGORY : cell.trim()
      counts.set(value, (counts.get(value) ?? 0) + 1)
    }
    const values = [...counts.keys()].sort()
    if (values.length <= MAX_CATEGORIES) return {column, type, values}
    return {column, type, values: values.filter((v) => counts.get(v)! >= MIN_EMBEDDED_COUNT), index: true}
  }
  const missing = cells.some(isMissing)
  if (type === 'date') {
    const dates = cells.flatMap((cell, i) => (isMissing(cell) ? [] : [parseDateCell(cell, () => where(i))]))
    dates.sort((a, b) => dayNumber(a) - dayNumber(b))
    const fill = dates.length > 0 ? formatDate(dates[Math.floor((dates.length - 1) / 2)]) : '1970-01-01'
    return {column, type, fill, ...(missing && {missingIndicator: true})}
  }
  const values = type === 'binary' ? binaryValues(column, cells) : undefined
  const numbers: number[] = []
  for (const [i, cell] of cells.entries()) {
    if (isMissing(cell)) continue
    numbers.push(values ? binaryNumber(values, cell, () => where(i)) : parseNumber(cell, () => where(i)))
  }
  const fill = numbers.length > 0 ? numbers.reduce((sum, n) => sum + n, 0) / numbers.length : 0
  const indicator = missing ? {missingIndicator: true} : {}
  return values ? {column, type: 'binary', values, fill, ...indicator} : {column, type: 'number', fill, ...indicator}
}

function binaryValues(column: string, cells: string[]): [string, string] {
  const distinct = [...new Set(cells.filter((c) => !isMissing(c)).map((c) => c.trim().toLowerCase()))]
  if (distinct.length > 2)
    throw new UserError(
      `Column "${column}" has ${distinct.length} values (${distinct.slice(0, 5).join(', ')}${distinct.length > 5 ? ', …' : ''}), not two; use --columns ${column}:category.`,
    )
  const known = BINARY_SPELLINGS.find((pair) => distinct.every((v) => pair.includes(v)))
  if (known) return [...known]
  const sorted = distinct.sort()
  return [sorted[0], sorted[1] ?? sorted[0]]
}

function binaryNumber(values: [string, string], cell: string, where: () => string): number {
  const value = cell.trim().toLowerCase()
  let index = values.indexOf(value)
  // A yes/no column accepts any common spelling of yes and no, whichever one its training rows used.
  if (index < 0 && BINARY_SPELLINGS.some((pair) => pair[0] === values[0] && pair[1] === values[1]))
    index = BINARY_SPELLINGS.find((pair) => pair.includes(value))?.indexOf(value) ?? -1
  if (index < 0)
    throw new UserError(
      `${where()}: "${cell.trim()}" is neither of the column's two values (${values.join(', ')}); fix the cell.`,
    )
  return index
}

/** The names of the model inputs a column becomes, in order. */
export function encodedNames(encoding: ColumnEncoding): string[] {
  if (encoding.type === 'category' && encoding.index) return [`${encoding.column} index`]
  if (encoding.type === 'category')
    return [...encoding.values, UNKNOWN_CATEGORY].map((value) => `${encoding.column}=${value}`)
  if (encoding.type === 'date') {
    const names = DATE_FEATURES.map((feature) => `${encoding.column} ${feature}`)
    return encoding.missingIndicator ? [...names, `${encoding.column} missing`] : names
  }
  return encoding.missingIndicator ? [encoding.column, `${encoding.column} missing`] : [encoding.column]
}

/** Writes one cell's inputs at `out[at…]`; returns how many it wrote. */
export function encodeCell(
  encoding: ColumnEncoding,
  cell: string,
  out: Float32Array,
  at: number,
  where: () => string,
): number {
  if (encoding.type === 'category') {
    const value = isMissing(cell) ? MISSING_CATEGORY : cell.trim()
    const index = encoding.values.indexOf(value)
    if (encoding.index) {
      out[at] = index + 1
      return 1
    }
    out[at + (index < 0 ? encoding.values.length : index)] = 1
    return encoding.values.length + 1
  }
  const missing = isMissing(cell)
  if (encoding.type === 'date') {
    const features = dateFeatures(missing ? parseDateCell(encoding.fill, where) : parseDateCell(cell, where))
    out.set(features, at)
    if (encoding.missingIndicator) out[at + features.length] = missing ? 1 : 0
    return features.length + (encoding.missingIndicator ? 1 : 0)
  }
  if (missing && encoding.fill === undefined) parseNumber(cell, where)
  out[at] = missing
    ? encoding.fill!
    : encoding.type === 'binary'
      ? binaryNumber(encoding.values, cell, where)
      : parseNumber(cell, where)
  if (encoding.missingIndicator) out[at + 1] = missing ? 1 : 0
  return encoding.missingIndicator ? 2 : 1
}

/**
 * One line per column for the start of a run, e.g. "category, 4 values, 3 missing"; `rareValues`: how many
 * training values an embedded category leaves to the unknown index.
 */
export function describeColumn(encoding: ColumnEncoding, missingCount: number, rareValues = 0): string {
  const missing = missingCount > 0 ? `, ${missingCount} missing` : ''
  if (encoding.type === 'category') {
    const values = encoding.values.filter((v) => v !== MISSING_CATEGORY).length
    if (!encoding.index) return `category, ${values} values${missing}`
    const rare = rareValues > 0 ? `; ${rareValues} more seen once, read as unknown` : ''
    return `category (embedding, ${values} values${rare})${missing}`
  }
  if (encoding.type === 'binary') return `binary (${encoding.values[0]}=0, ${encoding.values[1]}=1)${missing}`
  if (encoding.type === 'date') return `date${missing}`
  return `number${missing}`
}

/**
 * The model inputs that hold an embedded category's index, by position among all the encodings' inputs, with
 * the number of indices (its values and the unknown index 0): what the model's categoryEmbedding layers read.
 */
export function categoryIndexInputs(encodings: ColumnEncoding[]): Array<{column: number; categories: number}> {
  let at = 0
  return encodings.flatMap((encoding) => {
    const position = at
    at += encodedNames(encoding).length
    return encoding.type === 'category' && encoding.index
      ? [{column: position, categories: encoding.values.length + 1}]
      : []
  })
}

/** `--columns name:type,...` as a map, or a one-line error naming the bad entry. */
export function parseColumnTypes(text: string): Map<string, ColumnType> {
  const types = new Map<string, ColumnType>()
  for (const entry of text.split(',')) {
    const at = entry.lastIndexOf(':')
    const name = entry.slice(0, at).trim()
    const type = entry.slice(at + 1).trim() as ColumnType
    if (at < 0 || name === '' || !COLUMN_TYPES.includes(type))
      throw new UserError(
        `--columns entry "${entry}" is not NAME:TYPE with TYPE one of ${COLUMN_TYPES.join(', ')}; e.g. --columns store:category,promo:binary.`,
        2,
      )
    types.set(name, type)
  }
  return types
}

/** Checks encodings read back from a file (model.json, ONNX metadata). */
export function isColumnEncodingList(value: unknown): value is ColumnEncoding[] {
  return (
    Array.isArray(value) &&
    value.every((e: unknown) => {
      if (typeof e !== 'object' || e === null) return false
      const {column, type, values, fill, index} = e as Record<string, unknown>
      const strings = Array.isArray(values) && values.every((v) => typeof v === 'string')
      const date = type === 'date' && typeof fill === 'string' && parseDate(fill) !== undefined
      return (
        typeof column === 'string' &&
        (index === undefined || (type === 'category' && typeof index === 'boolean')) &&
        (type === 'number' || date || ((type === 'binary' || type === 'category') && strings))
      )
    })
  )
}
