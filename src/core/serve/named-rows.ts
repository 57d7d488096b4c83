/**
 * `{"instances": [{"price": 3.5, "store": "A7", ...}]}` for a table model: rows by column name, in any
 * order, through the encoding the model was trained with (encodeTableRows, as mlctl predict uses for CSV
 * rows). A missing or unknown column is a 400 that names it.
 */
import {encodeTableRows, type TableRow} from '../data/index.js'
import {UserError} from '../errors.js'
import {standardizeInto} from '../onnx/input-normalization.js'
import {ServeError} from './serve-error.js'
import type {ServedModel} from './served-model.js'
import {servedInputs} from './served-inputs.js'
import type {Tensor} from './tensor.js'

export function isNamedRows(instances: unknown[]): instances is TableRow[] {
  return instances.every((row) => typeof row === 'object' && row !== null && !Array.isArray(row))
}

export function namedRowsToTensor(model: ServedModel, rows: TableRow[]): Tensor {
  const {table, normalization} = servedInputs(model)
  if (!table)
    throw new ServeError(
      'invalid_argument',
      `model "${model.name}" does not name its input columns (no table_preprocessing metadata); send each instance as an array of numbers`,
    )
  const [input] = model.signature.inputs
  let encoded
  try {
    encoded = encodeTableRows(rows, table, (i) => `instance ${i}`)
  } catch (error) {
    if (error instanceof UserError) throw new ServeError('invalid_argument', error.message)
    throw error
  }
  const data = normalization ? new Float32Array(encoded.inputs.length) : encoded.inputs
  if (normalization) standardizeInto(encoded.inputs, data, normalization, [encoded.features])
  return {name: input.name, datatype: 'FP32', shape: [encoded.count, encoded.features], data}
}
