import type {ChalkInstance} from 'chalk'

import type {PredictResult} from '../core/predict/predict-inputs.js'
import type {Prediction} from '../core/predict/prediction.js'

/** The table `mlctl predict` prints without --json: one line per input, aligned, errors in red. */
export function formatPredictions(result: PredictResult, color: ChalkInstance): string {
  const regression = result.model.task === 'regression'
  const header = regression ? ['input', 'value'] : ['input', 'label', 'probability']
  const rows = result.predictions.map((p) => cells(p))
  const width = Math.max(header[0].length, ...rows.map((row) => row[0].length))
  const labelWidth = regression
    ? 0
    : Math.max(header[1].length, ...rows.map((row) => (row.length > 2 ? row[1].length : 0)))
  const line = (row: string[], error: boolean) => {
    const [input, ...rest] = row
    if (error) return `${input.padEnd(width)}  ${color.red(`error: ${rest[0]}`)}`
    if (regression) return `${input.padEnd(width)}  ${rest[0]}`
    const [label, probability, others] = rest
    return `${input.padEnd(width)}  ${label.padEnd(labelWidth)}  ${probability.padStart(11)}${others ? `  ${color.dim(others)}` : ''}`
  }
  const lines = [
    color.bold(line(header, false).trimEnd()),
    ...rows.map((row, i) => line(row, 'error' in result.predictions[i])),
  ]
  const {timing} = result
  const predicted = result.predictions.length - result.failed
  lines.push(
    '',
    `${predicted.toLocaleString('en-US')} predicted${result.failed > 0 ? `, ${result.failed.toLocaleString('en-US')} failed` : ''} in ${timing.seconds.toFixed(2)} s (${Math.round(timing.inputsPerSecond).toLocaleString('en-US')}/s)`,
  )
  return lines.join('\n')
}

function cells(p: Prediction): string[] {
  if ('error' in p) return [p.input, p.error]
  if ('value' in p) return [p.input, (p.values ?? [p.value]).map(formatValue).join(', ')]
  const others = p.top
    .slice(1)
    .map((c) => `${c.label} ${percent(c.probability)}`)
    .join(', ')
  return [p.input, p.label, percent(p.probability), others]
}

function percent(p: number): string {
  return `${(p * 100).toFixed(2)}%`
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(6)
}
