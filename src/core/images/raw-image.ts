/** Decoded pixels at the file's own size, before preprocessing: 8 bits per sample, interleaved (HWC). */
export interface RawImage {
  width: number
  height: number
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA */
  channels: number
  data: Uint8Array
}
