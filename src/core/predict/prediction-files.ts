/**
 * predict's --out files: CSV (one row per input; spreadsheet and pandas friendly) or JSON Lines (one
 * prediction object per line, as --json holds them).
 */
import {extname} from 'node:path'

import {UserError} from '../errors.js'
import type {Prediction} from './prediction.js'

export type PredictionFileFormat = 'csv' | 'jsonl'

export function predictionFileFormat(path: string): PredictionFileFormat {
  const extension = extname(path).toLowerCase()
  if (extension === '.csv') return 'csv'
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl'
  throw new UserError(`--out ${path}: name the file .csv or .jsonl to choose the format`, 2)
}

export function formatPredictionFile(predictions: Prediction[], format: PredictionFileFormat, topK: number): string {
  if (format === 'jsonl') return predictions.map((p) => `${JSON.stringify(p)}\n`).join('')
  return predictionsCsv(predictions, topK)
}

/**
 * Classification: input,label,probability then label_2,probability_2 ... up to k; regression:
 * input,value (value_1 ... for several targets); an error column, empty when the input was predicted.
 */
function predictionsCsv(predictions: Prediction[], topK: number): string {
  const regression = predictions.some((p) => 'value' in p)
  const targets = Math.max(1, ...predictions.map((p) => ('values' in p && p.values ? p.values.length : 1)))
  const k = Math.max(1, ...predictions.map((p) => ('top' in p ? Math.min(topK, p.top.length) : 1)))
  const header = regression
    ? ['input', ...(targets === 1 ? ['value'] : Array.from({length: targets}, (_, i) => `value_${i + 1}`))]
    : [
        'input',
        'label',
        'probability',
        ...Array.from({length: k - 1}, (_, i) => [`label_${i + 2}`, `probability_${i + 2}`]).flat(),
      ]
  const lines = [[...header, 'error']]
  for (const p of predictions) {
    const cells: string[] = [p.input]
    if ('error' in p) cells.push(...header.slice(1).map(() => ''), p.error)
    else if ('value' in p) cells.push(...(p.values ?? [p.value]).map(String), '')
    else {
      for (let i = 0; i < k; i++) cells.push(p.top[i]?.label ?? '', p.top[i] ? String(p.top[i].probability) : '')
      cells.push('')
    }
    lines.push(cells)
  }
  return lines.map((cells) => cells.map(csvCell).join(',')).join('\n') + '\n'
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text
}
