import type {ChalkInstance} from 'chalk'

import type {ClassificationReport} from '../core/evaluate/classification-report.js'
import type {Evaluation} from '../core/evaluate/evaluate-model.js'
import type {RegressionReport} from '../core/evaluate/regression-report.js'

/** A terminal this narrow still shows the matrix; wider matrices are left to --json and --confusion. */
const MAX_MATRIX_CLASSES = 20

/** The readable report `mlctl evaluate` prints without --json. */
export function formatEvaluation(evaluation: Evaluation, color: ChalkInstance): string {
  const {model, data, report, timing} = evaluation
  const lines = [
    color.bold(
      `Evaluated ${model.path} (${model.kind === 'run' ? 'run directory' : 'ONNX file'}) on ${data.source}, ${data.split} split`,
    ),
    `  ${data.examples.toLocaleString('en-US')} examples in ${timing.seconds.toFixed(2)} s (${Math.round(timing.examplesPerSecond).toLocaleString('en-US')} examples/s, batch ${timing.batchSize})`,
    `  input: ${describeInput(model.input)}`,
    '',
    ...(report.task === 'classification' ? classificationLines(report, color) : regressionLines(report, color)),
  ]
  if (evaluation.gates.length > 0) {
    lines.push('', 'Gates:')
    for (const g of evaluation.gates) {
      const mark = g.passed ? color.green('pass') : color.red.bold('FAIL')
      lines.push(
        `  ${mark}  ${g.metric} ${formatNumber(g.value)}, needs ${g.bound === 'min' ? '≥' : '≤'} ${g.threshold}  (--${g.flag})`,
      )
    }
  }
  return lines.join('\n')
}

/**
 * The one case where a guess is likely wrong and silent: image bytes fed unscaled to a float32 input
 * because the model does not say what it expects. Other frameworks' exports usually expect [0, 1].
 */
export function rawPixelsWarning({model}: Evaluation): string | undefined {
  if (model.input.conversion !== 'cast' || model.input.scaling !== 'none') return undefined
  return 'Warning: the model does not say how to scale its float32 input, so it gets the pixel values as stored (0-255); if it expects scaled pixels pass --input-scale 1/255 (and --input-mean/--input-std), or --input-scale 1 to keep them'
}

/** What the model's input gets, and who said so. */
function describeInput(input: Evaluation['model']['input']): string {
  if (input.type === 'uint8') return 'uint8 values as stored (the model scales them itself)'
  if (input.tokens) return "text tokenized with the model's tokenizer (input_ids and attention_mask)"
  const {conversion} = input
  const what =
    conversion === undefined
      ? 'values as stored'
      : conversion === 'cast'
        ? 'pixel values as stored (0-255)'
        : standardizationFormula(conversion.scale, conversion.mean, conversion.std)
  const who =
    input.scaling === 'flags'
      ? 'set by --input-scale/--input-mean/--input-std'
      : input.scaling === 'model'
        ? "the model's own"
        : 'the model does not say; set it with --input-scale/--input-mean/--input-std'
  return `float32 ${what} (${who})`
}

/** e.g. "x × 1/255", "(x × 1/255 − 0.5) / 0.25", "(x × 1/255 − [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]" */
function standardizationFormula(scale: number, mean: number[], std: number[]): string {
  const short = (value: number) => String(Number(value.toPrecision(6)))
  const list = (values: number[]) => (values.length === 1 ? short(values[0]) : `[${values.map(short).join(', ')}]`)
  const inverse = Math.round(1 / scale)
  const scaled = `x × ${inverse > 1 && Math.abs(1 / scale - inverse) < 1e-6 ? `1/${inverse}` : short(scale)}`
  const centred = mean.every((m) => m === 0) ? scaled : `(${scaled} − ${list(mean)})`
  return std.every((d) => d === 1) ? centred : `${centred} / ${list(std)}`
}

function classificationLines(r: ClassificationReport, color: ChalkInstance): string[] {
  const lines = [
    `  ${color.bold('accuracy')} ${percent(r.accuracy)}   top-${r.topK.k} accuracy ${percent(r.topK.accuracy)}   loss ${r.loss.toFixed(4)}`,
    '',
  ]
  const nameWidth = Math.max(12, ...r.classes.map((c) => c.name.length))
  const row = (name: string, p: number, rc: number, f1: number, support: number | string) =>
    `  ${name.padEnd(nameWidth)}  ${p.toFixed(3).padStart(9)}  ${rc.toFixed(3).padStart(6)}  ${f1.toFixed(3).padStart(6)}  ${String(support).padStart(7)}`
  lines.push(
    color.dim(
      `  ${'class'.padEnd(nameWidth)}  ${'precision'.padStart(9)}  ${'recall'.padStart(6)}  ${'f1'.padStart(6)}  ${'support'.padStart(7)}`,
    ),
  )
  const weakestF1 = Math.min(...r.classes.filter((c) => c.support > 0).map((c) => c.f1))
  for (const c of r.classes) {
    const line = row(c.name, c.precision, c.recall, c.f1, c.support)
    lines.push(c.support > 0 && c.f1 === weakestF1 ? color.yellow(line) : line)
  }
  lines.push(row('macro avg', r.macro.precision, r.macro.recall, r.macro.f1, r.examples))
  lines.push(row('weighted avg', r.weighted.precision, r.weighted.recall, r.weighted.f1, r.examples))
  lines.push('', ...confusionLines(r, color))
  if (r.mostConfused.length > 0) {
    lines.push('', 'Most confused (actual → predicted):')
    for (const p of r.mostConfused)
      lines.push(`  ${p.actual} → ${p.predicted}: ${p.count} (${percent(p.share)} of ${p.actual})`)
  }
  return lines
}

/** Rows are the actual class, columns the predicted one; the diagonal is green, the worst confusions red. */
function confusionLines(r: ClassificationReport, color: ChalkInstance): string[] {
  const n = r.classNames.length
  if (n > MAX_MATRIX_CLASSES)
    return [`Confusion matrix: ${n} classes, too wide for the terminal; see --json or --confusion (SVG).`]
  const worst = new Set(
    r.mostConfused.map((p) => `${r.classNames.indexOf(p.actual)},${r.classNames.indexOf(p.predicted)}`),
  )
  // Short names head the columns themselves; longer ones are numbered and the rows say which is which.
  const shortNames = r.classNames.every((name) => name.length <= 5)
  const heads = shortNames ? r.classNames : r.classNames.map((_, i) => String(i))
  const rowLabels = shortNames ? r.classNames : r.classNames.map((name, i) => `${i} ${name}`)
  const cell = Math.max(4, ...heads.map((h) => h.length), ...r.confusionMatrix.flat().map((c) => String(c).length))
  const labelWidth = Math.max(...rowLabels.map((l) => l.length))
  const lines = [
    'Confusion matrix (rows: actual, columns: predicted):',
    color.dim(`  ${''.padEnd(labelWidth)}  ${heads.map((h) => h.padStart(cell)).join(' ')}`),
  ]
  r.confusionMatrix.forEach((row, actual) => {
    const cells = row.map((count, predicted) => {
      const text = (count === 0 ? '·' : String(count)).padStart(cell)
      if (actual === predicted) return color.green(text)
      if (worst.has(`${actual},${predicted}`)) return color.red.bold(text)
      return count === 0 ? color.dim(text) : text
    })
    lines.push(`  ${rowLabels[actual].padEnd(labelWidth)}  ${cells.join(' ')}`)
  })
  return lines
}

function regressionLines(r: RegressionReport, color: ChalkInstance): string[] {
  return [
    `  ${color.bold('R²')} ${r.r2.toFixed(4)}   RMSE ${formatNumber(r.rmse)}   MAE ${formatNumber(r.mae)}   MSE ${formatNumber(r.mse)}`,
    `  loss (${r.loss.name}) ${formatNumber(r.loss.value)}${r.outputs > 1 ? `   averaged over ${r.outputs} outputs` : ''}`,
  ]
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1000 || value === 0 || !Number.isFinite(value)
    ? String(Number(value.toFixed(2)))
    : value.toPrecision(4)
}
