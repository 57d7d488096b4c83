import type {RawImage} from './raw-image.js'

/**
 * EXIF orientation (tag 0x0112 of the first IFD): how a camera says its stored pixels must be turned to be
 * viewed upright. 1 is upright; 2-4 mirror or turn by 180°; 5-8 also swap width and height.
 */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8

/**
 * The orientation in an EXIF block's TIFF bytes (a JPEG APP1 after its "Exif\0\0", or a PNG eXIf chunk);
 * 1 when there is none or the block cannot be read (viewers then show the pixels as stored, as sharp did).
 */
export function exifOrientation(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1
  const little = tiff[0] === 0x49 && tiff[1] === 0x49
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength)
  const ifd = view.getUint32(4, little)
  if (ifd + 2 > tiff.length) return 1
  const entries = view.getUint16(ifd, little)
  for (let i = 0; i < entries; i++) {
    const at = ifd + 2 + i * 12
    if (at + 12 > tiff.length) return 1
    if (view.getUint16(at, little) !== 0x0112) continue
    // type SHORT, one value, stored in the entry itself
    const value = view.getUint16(at + 8, little)
    return value >= 1 && value <= 8 ? (value as Orientation) : 1
  }
  return 1
}

/** Whether the upright image is the stored one turned on its side (width and height swap). */
export function swapsSides(orientation: Orientation): boolean {
  return orientation >= 5
}

/** The upright image: the stored pixels mirrored and turned as `orientation` says. */
export function orient(image: RawImage, orientation: Orientation): RawImage {
  if (orientation === 1) return image
  const {width: w, height: h, channels, data} = image
  const swap = swapsSides(orientation)
  const outWidth = swap ? h : w
  const outHeight = swap ? w : h
  const out = new Uint8Array(data.length)
  // the stored pixel (sx, sy) that upright pixel (x, y) shows
  for (let y = 0; y < outHeight; y++)
    for (let x = 0; x < outWidth; x++) {
      let sx: number
      let sy: number
      switch (orientation) {
        case 2:
          ;[sx, sy] = [w - 1 - x, y]
          break
        case 3:
          ;[sx, sy] = [w - 1 - x, h - 1 - y]
          break
        case 4:
          ;[sx, sy] = [x, h - 1 - y]
          break
        case 5:
          ;[sx, sy] = [y, x]
          break
        case 6:
          ;[sx, sy] = [y, h - 1 - x]
          break
        case 7:
          ;[sx, sy] = [w - 1 - y, h - 1 - x]
          break
        default:
          ;[sx, sy] = [w - 1 - y, x]
      }
      const from = (sy * w + sx) * channels
      const to = (y * outWidth + x) * channels
      for (let c = 0; c < channels; c++) out[to + c] = data[from + c]
    }
  return {width: outWidth, height: outHeight, channels, data: out}
}
