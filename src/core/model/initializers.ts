import type {NamedTensor, ParameterInfo} from './parameters.js'
import {sizeOf} from './parameters.js'
import {deriveSeed, Random, RandomStream} from './random.js'
import type {ResolvedModel} from './resolve-model.js'

/**
 * Keras-default initial weights: Glorot-uniform kernels, zero biases, batch-norm gamma 1 / beta 0,
 * moving mean 0 / variance 1, embeddings uniform in [-0.05, 0.05) with the padding id's row zero (as
 * PyTorch's padding_idx). Each tensor draws from its own seeded stream, so the same seed gives
 * bit-identical weights.
 */
export function initialWeights(model: ResolvedModel, seed: number): NamedTensor[] {
  return model.parameters.map((parameter, index) => ({
    name: parameter.name,
    shape: [...parameter.shape],
    data: initialValues(
      parameter,
      new Random(deriveSeed(seed, RandomStream.initialization, index)),
      model.spec.padId ?? 0,
    ),
  }))
}

function initialValues(parameter: ParameterInfo, random: Random, padId: number): Float32Array {
  const data = new Float32Array(sizeOf(parameter.shape))
  switch (parameter.role) {
    case 'embeddings': {
      for (let i = 0; i < data.length; i++) data[i] = (2 * random.next() - 1) * 0.05
      const [, dim] = parameter.shape
      return data.fill(0, padId * dim, (padId + 1) * dim)
    }
    case 'kernel': {
      const [fanIn, fanOut] = fans(parameter)
      const limit = Math.sqrt(6 / (fanIn + fanOut))
      for (let i = 0; i < data.length; i++) data[i] = (2 * random.next() - 1) * limit
      return data
    }
    case 'gamma':
    case 'movingVariance':
      return data.fill(1)
    case 'bias':
    case 'beta':
    case 'movingMean':
      return data
  }
}

/** Keras fan-in / fan-out: a conv kernel counts its receptive field on both sides. */
function fans(parameter: ParameterInfo): [number, number] {
  if (parameter.layout === 'OIHW') {
    const [outChannels, inChannels, kh, kw] = parameter.shape
    return [inChannels * kh * kw, outChannels * kh * kw]
  }
  if (parameter.layout === 'OIW') {
    const [outChannels, inChannels, kernel] = parameter.shape
    return [inChannels * kernel, outChannels * kernel]
  }
  const [inputs, units] = parameter.shape
  return [inputs, units]
}
