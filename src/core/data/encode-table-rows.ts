import {UserError} from '../errors.js'
import {type ColumnEncoding, encodeCell, encodedNames} from './table-columns.js'

/** One row by column name, as a CSV row (text cells) or a JSON object (numbers, booleans, strings, null). */
export type TableRow = Record<string, unknown>

/**
 * What a table model needs to encode rows: the model's input names (`columns`, its feature names), how
 * each CSV column became them (`columnEncodings`; a model without them took each column as a number) and
 * the target column, which a row may carry and which is then left out. ONNX `table_preprocessing`, a run's
 * config.json and model/ all hold these.
 */
export interface TableRowSchema {
  columns: string[]
  columnEncodings?: ColumnEncoding[]
  target?: string
}

export interface EncodedTableRows {
  /** float32 row-major [count, features], the model's input. */
  inputs: Float32Array
  count: number
  features: number
  /** Columns the rows carry that the model does not take but that are expected there (the target). */
  ignoredColumns: string[]
}

/**
 * Encodes named rows, in any column order, into a table model's inputs with the encoding fitted at
 * training, through the same per-cell code as training (encodeCell), so a row gives the model exactly the
 * numbers its training rows gave. A cell may be the CSV text or a JSON value; null, undefined and the
 * missing spellings ("", NA, ...) are missing cells. A column the model needs that a row lacks, and a
 * column the model does not know, are one-line errors naming the row and the column: a misspelled column
 * name must not quietly become a missing value. `describeRow(i)` names row i in messages (default "row
 * i+1").
 */
export function encodeTableRows(
  rows: TableRow[],
  schema: TableRowSchema,
  describeRow: (index: number) => string = (index) => `row ${index + 1}`,
): EncodedTableRows {
  const encodings = schema.columnEncodings ?? schema.columns.map((column): ColumnEncoding => ({column, type: 'number'}))
  const features = encodings.reduce((sum, e) => sum + encodedNames(e).length, 0)
  if (features !== schema.columns.length)
    throw new UserError(
      `The model's column encodings give ${features} inputs but it names ${schema.columns.length}; its preprocessing metadata is damaged, so re-export it.`,
    )
  const known = new Set(encodings.map((e) => e.column))
  const ignored = schema.target !== undefined && !known.has(schema.target) ? [schema.target] : []
  const inputs = new Float32Array(rows.length * features)
  const seenIgnored = new Set<string>()
  for (const [r, row] of rows.entries()) {
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      throw new UserError(
        `${describeRow(r)} is not an object of column values; send rows like {"${encodings[0].column}": ...}.`,
      )
    for (const name of Object.keys(row)) {
      if (known.has(name)) continue
      if (ignored.includes(name)) {
        seenIgnored.add(name)
        continue
      }
      throw new UserError(
        `${describeRow(r)} has column "${name}", which the model does not take; its columns are: ${[...known].join(', ')}.`,
      )
    }
    let at = r * features
    for (const encoding of encodings) {
      const {column} = encoding
      if (!Object.hasOwn(row, column))
        throw new UserError(
          `${describeRow(r)} has no column "${column}"; the model takes ${[...known].join(', ')} (send null for a missing value).`,
        )
      const where = () => `${describeRow(r)}, column "${column}"`
      at += encodeCell(encoding, cellText(row[column], where), inputs, at, where)
    }
  }
  return {inputs, count: rows.length, features, ignoredColumns: [...seenIgnored]}
}

/** A JSON value as the CSV cell text it stands for; null and undefined are an empty (missing) cell. */
function cellText(value: unknown, where: () => string): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new UserError(`${where()}: ${value} is not a finite number; send a number or null.`)
    return String(value)
  }
  throw new UserError(
    `${where()}: a ${Array.isArray(value) ? 'list' : typeof value} is not a cell value; send a number, string, boolean or null.`,
  )
}
