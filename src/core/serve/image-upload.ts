/**
 * Uploaded images to a served model's input: decoded with the model's own preprocessing (the decode pool,
 * as train, evaluate and predict do), all of a request's images at once. The pool decodes on worker threads,
 * so a large photo does not hold up the thread that answers health checks and other requests; what stays on
 * it is copying the bytes there and the small decoded result into the batch.
 */
import {type DecodeOutcome, decodePool} from '../images/decode-pool.js'
import {imageBatchData} from '../predict/image-input.js'
import type {UploadedImage} from './predict-body.js'
import {ServeError} from './serve-error.js'
import type {ServedModel} from './served-model.js'
import {servedImageInput} from './served-inputs.js'
import type {Tensor} from './tensor.js'

export interface ImageObserver {
  onImagesDecoded(model: string, images: number, seconds: number): void
}

export interface ImageUploadOptions {
  /** Decoded images larger than this many pixels are refused (413) as possible decompression bombs. */
  maxPixels?: number
  observer?: ImageObserver
}

export async function imagesToTensor(
  model: ServedModel,
  images: UploadedImage[],
  options: ImageUploadOptions = {},
): Promise<Tensor> {
  const plan = servedImageInput(model)
  if (plan.fixedBatch !== undefined && images.length !== plan.fixedBatch)
    throw new ServeError(
      'invalid_argument',
      `model "${model.name}" takes exactly ${plan.fixedBatch} image${plan.fixedBatch === 1 ? '' : 's'} per request; this request has ${images.length}`,
    )
  const started = performance.now()
  const pool = decodePool()
  const decoded = await Promise.allSettled(
    images.map((image) =>
      pool.decode({source: {bytes: image.bytes}, preprocessing: plan.preprocessing, maxPixels: options.maxPixels}),
    ),
  )
  options.observer?.onImagesDecoded(model.name, images.length, (performance.now() - started) / 1000)
  const pixels = decoded.map((result, i) => {
    if (result.status === 'rejected')
      throw new ServeError('internal', `decoding an uploaded image failed: ${String(result.reason)}`)
    if ('pixels' in result.value) return result.value.pixels
    throw uploadError(images[i].name, result.value)
  })
  const {channels, height, width} = plan.preprocessing
  return {
    name: plan.name,
    datatype: plan.type === 'uint8' ? 'UINT8' : 'FP32',
    shape: [images.length, channels, height, width],
    data: imageBatchData(pixels, plan),
  }
}

function uploadError(name: string | undefined, reason: Extract<DecodeOutcome, {problem: unknown}>): ServeError {
  const kind = reason.problem === 'too-many-pixels' ? 'too_large' : 'invalid_argument'
  return new ServeError(
    kind,
    `the uploaded image ${name === undefined ? '' : `${JSON.stringify(name)} `}${reason.message}`,
  )
}
