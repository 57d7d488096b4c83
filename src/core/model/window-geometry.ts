import type {Conv2dSpec, Pool2dSpec} from './spec.js'

/** Where a sliding window (conv kernel or pool) goes over an input of height x width. */
export interface WindowGeometry {
  kernel: number
  stride: number
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number]
  outHeight: number
  outWidth: number
}

export function convGeometry(spec: Conv2dSpec, height: number, width: number): WindowGeometry {
  const kernel = spec.kernel
  const stride = spec.stride ?? 1
  const padding = spec.padding ?? 'valid'
  if (padding === 'same') {
    const [top, bottom] = samePadding(height, kernel, stride)
    const [left, right] = samePadding(width, kernel, stride)
    return {
      kernel,
      stride,
      pads: [top, left, bottom, right],
      outHeight: Math.ceil(height / stride),
      outWidth: Math.ceil(width / stride),
    }
  }
  const p = padding === 'valid' ? 0 : padding
  return {
    kernel,
    stride,
    pads: [p, p, p, p],
    outHeight: Math.floor((height + 2 * p - kernel) / stride) + 1,
    outWidth: Math.floor((width + 2 * p - kernel) / stride) + 1,
  }
}

export function poolGeometry(spec: Pool2dSpec, height: number, width: number): WindowGeometry {
  const kernel = spec.size
  const stride = spec.stride ?? spec.size
  return {
    kernel,
    stride,
    pads: [0, 0, 0, 0],
    outHeight: Math.floor((height - kernel) / stride) + 1,
    outWidth: Math.floor((width - kernel) / stride) + 1,
  }
}

/** Keras/TensorFlow 'same': output ceil(n / stride); the odd pixel of padding goes after. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}
