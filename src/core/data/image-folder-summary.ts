import type {ImagePreprocessing} from '../images/image-preprocessing.js'

/** What the start of a run says about an image folder. */
export interface ImageFolderSummary {
  folder: string
  images: number
  preprocessing: ImagePreprocessing
  /** How the defaults were picked, e.g. "most common size 28×28; every image grayscale". */
  chosen?: string
  /** From the cache / decoded in this run. */
  cached: number
  decoded: number
  seconds: number
  /** Files skipped, with the first few named. */
  skipped: {count: number; first: Array<{path: string; problem: string}>}
  notes: string[]
}
