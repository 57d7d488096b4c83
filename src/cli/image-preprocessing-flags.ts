import {Errors, Flags} from '@oclif/core'

import {parseImageSize, RESIZE_MODES, type ResizeMode} from '../core/images/image-preprocessing.js'
import type {ImageInputOverrides} from '../core/predict/image-input.js'

/** How an image file becomes the input of a model that does not record it (e.g. one exported by PyTorch). */
export const imagePreprocessingFlags = {
  'image-size': Flags.custom<{width: number; height: number}>({
    parse: async (input) => {
      const size = parseImageSize(input)
      if (!size) throw new Errors.CLIError(`Expected N or WxH (e.g. 32 or 64x48, at most 4096) but received: ${input}`)
      return size
    },
  })({
    description: "Resize images to N×N or W×H [default: the model's image_size, else its input's fixed size].",
    helpValue: 'N|WxH',
    helpGroup: 'IMAGE',
  }),
  channels: Flags.custom<1 | 3>({
    parse: async (input) => {
      if (input !== '1' && input !== '3') throw new Errors.CLIError(`Expected 1 or 3 but received: ${input}`)
      return Number(input) as 1 | 3
    },
  })({
    description: "1 (grayscale) or 3 (RGB) [default: the model's channels, else its input's].",
    helpValue: '1|3',
    helpGroup: 'IMAGE',
  }),
  resize: Flags.string({
    description:
      "cover: scale and centre-crop; contain: fit and pad black; fill: stretch [default: the model's, else cover].",
    options: [...RESIZE_MODES],
    helpGroup: 'IMAGE',
  }),
}

export function imagePreprocessingFromFlags(flags: {
  'image-size'?: {width: number; height: number}
  channels?: 1 | 3
  resize?: string
}): Omit<ImageInputOverrides, 'scaling'> {
  return {
    ...(flags['image-size'] && {size: flags['image-size']}),
    ...(flags.channels && {channels: flags.channels}),
    ...(flags.resize && {resize: flags.resize as ResizeMode}),
  }
}
