import {UserError} from '../errors.js'
import {deriveSeed, Random, RandomStream} from '../model/random.js'

/** The augmentations `--augment` names, in the order they are applied to an image. */
export const AUGMENTATION_NAMES = ['crop', 'flip', 'color'] as const
export type AugmentationName = (typeof AUGMENTATION_NAMES)[number]

/** Brightness and contrast factors are drawn from [1 - JITTER, 1 + JITTER]. */
export const COLOR_JITTER = 0.2

/**
 * The names in an `--augment` value ("flip,crop", spaces allowed, "none" for no augmentation), checked, without
 * repeats and in application order. Throws UserError naming the unknown or empty entry.
 */
export function parseAugmentations(value: string): AugmentationName[] {
  const names = value.split(',').map((name) => name.trim().toLowerCase())
  if (names.length === 1 && names[0] === 'none') return []
  for (const name of names) {
    if (!(AUGMENTATION_NAMES as readonly string[]).includes(name))
      throw new UserError(
        `augment: ${name === '' ? `an empty name in ${JSON.stringify(value)}` : `unknown augmentation ${JSON.stringify(name)}`}; use a comma-separated list of flip, crop, color (or none)`,
      )
  }
  return AUGMENTATION_NAMES.filter((name) => names.includes(name))
}

/**
 * Zero padding before a random crop: an eighth of the shorter side, rounded, at least 1 pixel. That is the
 * 4 pixels of torchvision's CIFAR-10 recipe (RandomCrop(32, padding=4)) for 32x32 images, and the same
 * proportion for other sizes (4 for 28x28, 8 for 64x64, 3 for 20x30).
 */
export function cropPadding(height: number, width: number): number {
  return Math.max(1, Math.round(Math.min(height, width) / 8))
}

/**
 * Random changes to training images, as torchvision's RandomCrop(padding) + RandomHorizontalFlip + ColorJitter
 * (brightness, contrast) do, applied to uint8 NCHW batches before the engine sees them, so both engines train
 * on the same augmented pixels. Each image's random draws come from its own generator seeded by
 * (seed, epoch, example index): an image is changed the same way whichever batch holds it, so a resumed run
 * repeats an uninterrupted one exactly. Every image draws all five numbers whichever augmentations are on, so
 * adding `color` leaves the flips and crops of the same seed as they were.
 */
export class ImageAugmentation {
  readonly padding: number
  private readonly crop: boolean
  private readonly flip: boolean
  private readonly color: boolean
  private readonly channels: number
  private readonly height: number
  private readonly width: number
  /** How much each channel counts in an image's mean gray level. */
  private readonly grayWeights: number[]
  private readonly scratch: Uint8Array
  private readonly levels = new Uint8Array(256)

  constructor(
    readonly names: readonly AugmentationName[],
    inputShape: readonly number[],
    private readonly seed: number,
  ) {
    ;[this.channels, this.height, this.width] = inputShape
    this.padding = cropPadding(this.height, this.width)
    ;[this.crop, this.flip, this.color] = AUGMENTATION_NAMES.map((name) => names.includes(name))
    this.grayWeights =
      this.channels === 3 ? [0.299, 0.587, 0.114] : new Array<number>(this.channels).fill(1 / this.channels)
    this.scratch = new Uint8Array(this.channels * this.height * this.width)
  }

  /** What the run does, for its start line, e.g. "crop (4 px zero padding), horizontal flip". */
  describe(): string {
    return this.names
      .map((name) =>
        name === 'crop'
          ? `crop (${this.padding} px zero padding)`
          : name === 'flip'
            ? 'horizontal flip'
            : `brightness and contrast ±${COLOR_JITTER * 100}%`,
      )
      .join(', ')
  }

  /** Augments, in place, the images of a batch: image k of `batch` is example `examples[k]` of the split. */
  apply(batch: Uint8Array, examples: ArrayLike<number>, epoch: number): void {
    const size = this.scratch.length
    const span = 2 * this.padding + 1
    for (let k = 0; k < examples.length; k++) {
      const random = new Random(deriveSeed(this.seed, RandomStream.augmentation, epoch, examples[k]))
      const mirrored = random.next() < 0.5 && this.flip
      const dy = Math.floor(random.next() * span) - this.padding
      const dx = Math.floor(random.next() * span) - this.padding
      const brightness = 1 + COLOR_JITTER * (2 * random.next() - 1)
      const contrast = 1 + COLOR_JITTER * (2 * random.next() - 1)
      const image = batch.subarray(k * size, (k + 1) * size)
      if (this.crop) this.move(image, dy, dx, mirrored)
      else if (mirrored) this.move(image, 0, 0, true)
      if (this.color) this.jitter(image, brightness, contrast)
    }
  }

  /**
   * The crop at offset (dy, dx) in [-padding, padding] of the zero-padded image, then mirrored or not: pixel
   * (y, x) becomes pixel (y + dy, x' + dx) of the original, x' = x or width - 1 - x, or 0 outside it. Crop and
   * flip share one pass of plain loops: on rows this short, a native copy and a reverse per row were slower.
   */
  private move(image: Uint8Array, dy: number, dx: number, mirrored: boolean): void {
    const {height, width, scratch} = this
    scratch.set(image)
    // Output columns whose source column is inside the image.
    const left = mirrored ? Math.max(0, dx) : Math.max(0, -dx)
    const right = mirrored ? Math.min(width, width + dx) : Math.min(width, width - dx)
    for (let c = 0; c < this.channels; c++) {
      const plane = c * height * width
      for (let y = 0; y < height; y++) {
        const row = plane + y * width
        const from = y + dy
        if (from < 0 || from >= height) {
          for (let x = 0; x < width; x++) image[row + x] = 0
          continue
        }
        for (let x = 0; x < left; x++) image[row + x] = 0
        if (mirrored) {
          const end = plane + from * width + width - 1 + dx
          for (let x = left; x < right; x++) image[row + x] = scratch[end - x]
        } else {
          const start = plane + from * width + dx
          for (let x = left; x < right; x++) image[row + x] = scratch[start + x]
        }
        for (let x = right; x < width; x++) image[row + x] = 0
      }
    }
  }

  /**
   * Brightness scales every value (clipped to 255), then contrast moves each value away from or towards the
   * image's mean gray level (Rec. 601 luma for RGB, as torchvision's adjust_contrast; the plain mean otherwise).
   * Both are per-image maps of the 256 levels, so one table lookup per pixel applies them together.
   */
  private jitter(image: Uint8Array, brightness: number, contrast: number): void {
    const {levels} = this
    const plane = this.height * this.width
    // Integer sums of the levels; brightness clips only the values from 255 / brightness up.
    const clip = brightness > 1 ? Math.ceil(255 / brightness) : 256
    let mean = 0
    for (let c = 0; c < this.channels; c++) {
      let sum = 0
      let clipped = 0
      for (let i = c * plane; i < (c + 1) * plane; i++) {
        const v = image[i]
        if (v < clip) sum += v
        else clipped++
      }
      mean += (this.grayWeights[c] * (sum * brightness + clipped * 255)) / plane
    }
    for (let v = 0; v < 256; v++) {
      const bright = Math.min(255, v * brightness)
      levels[v] = Math.min(255, Math.max(0, Math.round(mean + (bright - mean) * contrast)))
    }
    for (let i = 0; i < image.length; i++) image[i] = levels[image[i]]
  }
}

/**
 * The augmentation a run's `--augment` value asks for, or undefined for none. Only uint8 images
 * ([channels, height, width]) can be augmented; anything else is a one-line error.
 */
export function imageAugmentation(
  value: string | undefined,
  dataset: {name: string; inputShape: readonly number[]; inputs: ArrayLike<number>},
  seed: number,
): ImageAugmentation | undefined {
  const names = value === undefined ? [] : parseAugmentations(value)
  if (names.length === 0) return undefined
  if (dataset.inputShape.length !== 3 || !(dataset.inputs instanceof Uint8Array))
    throw new UserError(
      `--augment ${value} needs images, but ${dataset.name} has inputs of shape [${dataset.inputShape.join(', ')}]; leave --augment out`,
    )
  return new ImageAugmentation(names, dataset.inputShape, seed)
}
