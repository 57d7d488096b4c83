import {readFile} from 'node:fs/promises'
import {basename, extname} from 'node:path'

import {UserError} from '../errors.js'
import {classTargets, DEFAULT_CSV_SEED, DEFAULT_TEST_FRACTION, parseCsv} from './csv-table.js'
import type {TextDataset} from './dataset.js'
import {isMissing} from './table-columns.js'
import {splitTexts, type TextOptions, tokenizeTextDataset} from './text-dataset.js'

export interface TextCsvOptions extends TextOptions {
  /** Keep rows whose text cell is empty (as an empty text) instead of refusing the file (--allow-empty-text). */
  allowEmptyText?: boolean
  testFraction?: number
  seed?: number
  /** The model's classes (evaluate): labels are mapped to them instead of being collected from the file. */
  classNames?: string[]
}

/**
 * A CSV with a text column and a class column (train --data FILE.csv --text-column COL --target COL). Quoted
 * cells may hold commas, quotes and line breaks. The test split is a seeded share of the rows, as for tables.
 */
export async function loadTextCsv(
  file: string,
  textColumn: string,
  target: string,
  options: TextCsvOptions = {},
): Promise<TextDataset> {
  const content = await readFile(file, 'utf8').catch(() => {
    throw new UserError(`Cannot read ${file}; check the path.`)
  })
  const [header, ...rows] = parseCsv(content, file)
  if (!header || rows.length === 0)
    throw new UserError(`${file} has no data rows; it needs a header row and at least one row of values.`)
  const columns = header.cells.map((name) => name.trim())
  const find = (name: string, flag: string) => {
    const i = columns.indexOf(name)
    if (i < 0) throw new UserError(`${file} has no column "${name}" (${flag}); its columns are: ${columns.join(', ')}.`)
    return i
  }
  const textAt = find(textColumn, '--text-column')
  const targetAt = find(target, '--target')
  if (textAt === targetAt) throw new UserError(`--text-column and --target both name "${target}"; they must differ.`)
  const texts: string[] = []
  const labels: string[] = []
  for (const [r, {cells, line}] of rows.entries()) {
    const where = `${file}: row ${r + 1} (line ${line})`
    if (cells.length !== columns.length)
      throw new UserError(`${where} has ${cells.length} cells but the header has ${columns.length}; fix that row.`)
    const text = cells[textAt]
    if (text.trim() === '' && !options.allowEmptyText)
      throw new UserError(
        `${where} has an empty "${textColumn}" cell; fill it, remove the row, or pass --allow-empty-text.`,
      )
    const label = cells[targetAt].trim()
    if (isMissing(label)) throw new UserError(`${where} has no "${target}" value; fill it in or remove the row.`)
    texts.push(text)
    labels.push(label)
  }
  const classNames = options.classNames ?? classTargets(labels, () => `${file}: the target "${target}"`).classNames
  const parts = splitTexts(
    {texts, labels},
    options.testFraction ?? DEFAULT_TEST_FRACTION,
    options.seed ?? DEFAULT_CSV_SEED,
  )
  return tokenizeTextDataset(parts, classNames, options, {
    name: basename(file, extname(file)),
    targetName: target,
    textColumn,
    origin: {kind: 'csv', location: file, verified: `${rows.length} rows of text`},
  })
}
