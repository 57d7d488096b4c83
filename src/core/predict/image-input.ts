/**
 * How an image file becomes an image model's input, settled once per model for predict and serve alike:
 * the decode (size, channels, resize) from the model's own record (a run's model.json, an ONNX file's
 * image_size/channels/resize), else from the input's fixed shape, else from the user's flags; and, for a
 * float32 input, the scaling its input_normalization says or the flags set.
 */
import type {ImagePreprocessing, ResizeMode} from '../images/image-preprocessing.js'
import {UserError} from '../errors.js'
import type {Standardization} from '../model/standardization.js'
import {standardizeInto} from '../onnx/input-normalization.js'
import {overrideScaling} from './input-scaling.js'

export interface ImageInput {
  /** The model input's name. */
  name: string
  type: 'uint8' | 'float32'
  preprocessing: ImagePreprocessing
  /** float32 inputs: (x * scale - mean[c]) / std[c] of the 0-255 pixels; absent: the pixels as they are. */
  normalization?: Standardization
  /** The model only takes batches of exactly this many images. */
  fixedBatch?: number
}

/** What the user said about a model that does not record it (flags of predict). */
export interface ImageInputOverrides {
  size?: {width: number; height: number}
  channels?: 1 | 3
  resize?: ResizeMode
  scaling?: Partial<Standardization>
}

/** The model's input as onnxruntime or the server describes it; dimensions that are not fixed are strings or -1. */
export interface ModelInputSpec {
  name: string
  type: string
  shape: ReadonlyArray<number | string>
}

export interface ImageModelFacts {
  imagePreprocessing?: ImagePreprocessing
  inputNormalization?: Standardization
}

export function planImageInput(
  input: ModelInputSpec,
  facts: ImageModelFacts,
  overrides: ImageInputOverrides = {},
): ImageInput {
  if (input.type !== 'uint8' && input.type !== 'float32')
    throw new UserError(`the model's input "${input.name}" is ${input.type}; images feed uint8 or float32 inputs`)
  if (input.shape.length !== 4)
    throw new UserError(
      `the model's input "${input.name}" is [${input.shape.join(', ')}], not images [batch, channels, height, width]`,
      2,
    )
  const [batch, c, h, w] = input.shape.map((dim) => (typeof dim === 'number' && dim > 0 ? dim : undefined))
  const own = facts.imagePreprocessing
  const channels = pick('channels', overrides.channels, own?.channels, c, '--channels 1|3')
  if (channels !== 1 && channels !== 3)
    throw new UserError(`the model's input "${input.name}" has ${channels} channels; images give 1 or 3`, 2)
  const height = pick('image height', overrides.size?.height, own?.height, h, '--image-size WxH')
  const width = pick('image width', overrides.size?.width, own?.width, w, '--image-size WxH')
  const preprocessing: ImagePreprocessing = {
    width,
    height,
    channels,
    resize: overrides.resize ?? own?.resize ?? 'cover',
  }
  const fixedBatch = batch
  if (input.type === 'uint8') {
    if (overrides.scaling)
      throw new UserError(
        `--input-scale, --input-mean and --input-std apply to float32 inputs; the model's input "${input.name}" takes the uint8 pixels and scales them itself`,
        2,
      )
    return {name: input.name, type: 'uint8', preprocessing, fixedBatch}
  }
  const normalization = overrideScaling(facts.inputNormalization, overrides.scaling)
  if (normalization) checkChannelValues(normalization, channels, overrides.scaling !== undefined)
  return {name: input.name, type: 'float32', preprocessing, fixedBatch, ...(normalization && {normalization})}
}

/**
 * The flag wins over the model's record, which wins over the input's fixed dimension; a flag or record that
 * contradicts a fixed dimension would only fail inside onnxruntime, so it is an error here.
 */
function pick(
  what: string,
  flag: number | undefined,
  recorded: number | undefined,
  fixed: number | undefined,
  flagName: string,
): number {
  const chosen = flag ?? recorded ?? fixed
  if (chosen === undefined) throw new UserError(`the model does not say its input's ${what}; pass ${flagName}`, 2)
  if (fixed !== undefined && chosen !== fixed)
    throw new UserError(
      `the model's input has ${what} ${fixed} but ${flag === undefined ? 'its metadata says' : flagName.split(' ')[0]} ${chosen}; ${flag === undefined ? 're-export the model' : `drop ${flagName.split(' ')[0]} or pass ${fixed}`}`,
      2,
    )
  return chosen
}

function checkChannelValues({mean, std}: Standardization, channels: number, fromFlags: boolean): void {
  for (const [name, values] of [
    ['mean', mean],
    ['std', std],
  ] as const) {
    if (values.length !== 1 && values.length !== channels)
      throw new UserError(
        fromFlags
          ? `--input-${name} has ${values.length} values but the images have ${channels} channels; pass one value, or one per channel`
          : `the model's input_normalization has ${values.length} ${name} values but its images have ${channels} channels`,
        2,
      )
  }
}

/** Values per image of the input. */
export function imageValues(input: ImageInput): number {
  const {width, height, channels} = input.preprocessing
  return width * height * channels
}

/**
 * Decoded images (uint8 CHW each) as the model input's data, `rows` images long (zeros after the last image
 * when the model takes a fixed batch).
 */
export function imageBatchData(
  images: Uint8Array[],
  input: ImageInput,
  rows = images.length,
): Uint8Array | Float32Array {
  const size = imageValues(input)
  const pixels = new Uint8Array(rows * size)
  images.forEach((image, i) => pixels.set(image, i * size))
  if (input.type === 'uint8') return pixels
  const data = new Float32Array(pixels.length)
  const {channels, height, width} = input.preprocessing
  if (input.normalization) standardizeInto(pixels, data, input.normalization, [channels, height, width])
  else data.set(pixels)
  return data
}
