/**
 * Predicts image files: decodes them on the decode pool's threads (which read the files), in the order
 * given, and runs the model on full batches while the next images decode. A file that cannot be read or
 * decoded becomes a prediction with an error; every other file is still predicted.
 */
import {tensor} from '../engine/ort-session.js'
import {decodePool} from '../images/decode-pool.js'
import type {ImagePreprocessing} from '../images/image-preprocessing.js'
import {imageBatchData} from './image-input.js'
import type {InputFile} from './input-files.js'
import {mapOrdered} from './ordered-map.js'
import {type Prediction, readPredictions} from './prediction.js'
import type {PredictionModel} from './prediction-model.js'

export interface PredictOptions {
  batchSize: number
  topK: number
  /** Files queued for decoding at once (the pool sends them to its threads in batches). */
  concurrency: number
  /** Called after each batch with the inputs done so far. */
  onProgress?: (done: number, total: number) => void
}

type Decoded = {index: number; input: string; pixels: Uint8Array} | {index: number; input: string; error: string}

export async function predictImages(
  model: PredictionModel,
  files: InputFile[],
  options: PredictOptions,
): Promise<Prediction[]> {
  if (model.input.kind !== 'image') throw new Error('predictImages needs an image model')
  const image = model.input.image
  const rows = image.fixedBatch ?? options.batchSize
  const {channels, height, width} = image.preprocessing
  const predictions: Prediction[] = Array.from({length: files.length})
  let done = 0
  let batch: Array<Extract<Decoded, {pixels: Uint8Array}>> = []
  const flush = async () => {
    if (batch.length === 0) return
    const batchRows = image.fixedBatch ?? batch.length
    const data = imageBatchData(
      batch.map((item) => item.pixels),
      image,
      batchRows,
    )
    const feed = tensor(data, [batchRows, channels, height, width])
    const output = (await model.source.session.run({[image.name]: feed}))[model.output.name]
    const read = readPredictions(
      batch.map((item) => item.input),
      output,
      batchRows,
      model.output.reading,
      options.topK,
    )
    batch.forEach((item, i) => (predictions[item.index] = read[i]))
    done += batch.length
    batch = []
    options.onProgress?.(done, files.length)
  }
  const decodes = mapOrdered(files, options.concurrency, (file, index) => decodeFile(file, index, image.preprocessing))
  for await (const decoded of decodes) {
    if ('error' in decoded) {
      predictions[decoded.index] = {input: decoded.input, error: decoded.error}
      done++
      continue
    }
    batch.push(decoded)
    if (batch.length === rows) await flush()
  }
  await flush()
  return predictions
}

async function decodeFile(file: InputFile, index: number, preprocessing: ImagePreprocessing): Promise<Decoded> {
  const {input} = file
  if (file.error) return {index, input, error: file.error}
  try {
    const outcome = await decodePool().decode({source: {path: input}, preprocessing})
    return 'pixels' in outcome ? {index, input, pixels: outcome.pixels} : {index, input, error: outcome.message}
  } catch (error) {
    return {index, input, error: `cannot be decoded (${(error as Error).message})`}
  }
}
