import type {Tensor, Tensor2D, Tensor3D, Tensor4D} from '@tensorflow/tfjs'
import type {ParameterInfo} from '../model/parameters.js'
import type {ResolvedLayer, ResolvedModel} from '../model/resolve-model.js'
import type {BatchNormSpec} from '../model/spec.js'
import {convGeometry, poolGeometry} from '../model/window-geometry.js'
import {categoryEmbedding} from './category-embedding.js'
import {conv2d} from './conv2d.js'
import type {Tfjs} from './load-tfjs.js'
import {maxPool2d} from './max-pool2d.js'
import {conv1d, embedding, globalAveragePool1d, globalMaxPool1d} from './sequence-layers.js'

export interface ForwardOptions {
  /** Training: batch statistics and dropout; otherwise moving statistics and no dropout. */
  training: boolean
  /** Softmax cross-entropy takes the logits, so a final softmax layer is left out for it (and for logits). */
  includeFinalSoftmax: boolean
  /** Each dropout layer's scale tensor by layer index, in NHWC order (training). */
  dropoutScales?: Map<number, Tensor>
  /** The pure-JavaScript cpu backend runs: replace its slowest gradient kernels (conv2d.ts, max-pool2d.ts). */
  pureJavaScript: boolean
}

export interface ForwardPass {
  output: Tensor2D
  /** Each batch-norm layer's batch mean and biased variance, in NHWC feature order (training). */
  batchStatistics: Array<{layer: ResolvedLayer<BatchNormSpec>; mean: Tensor; variance: Tensor}>
}

/**
 * The model spec as TensorFlow.js ops, in NHWC: `x` [N, H, W, C] (or [N, features]) from input-values.ts,
 * parameters in the TF.js layers layout (HWIO kernels, dense rows in NHWC flatten order), so the tensors
 * are those of the run's model/ folder. Gradients come from TF.js's autodiff. NHWC rather than NCHW:
 * TF.js pooling ops only take NHWC, TensorFlow's native CPU kernels are NHWC-first, per-channel values
 * broadcast over the last axis (TF.js's fast path), and it is the layout of the layers format.
 */
export function forwardPass(
  tf: Tfjs,
  model: ResolvedModel,
  parameter: (p: ParameterInfo) => Tensor,
  x: Tensor,
  options: ForwardOptions,
): ForwardPass {
  const layers = model.endsWithSoftmax && !options.includeFinalSoftmax ? model.layers.slice(0, -1) : model.layers
  const lowestWithParameters = model.layers.findIndex((l) => l.parameters.some((p) => p.trainable))
  const batchStatistics: ForwardPass['batchStatistics'] = []
  // token ids: 1 where a token is, 0 on padding
  const mask =
    model.inputType === 'int32' ? (tf.cast(tf.notEqual(x, model.spec.padId ?? 0), 'float32') as Tensor2D) : undefined
  const apply = (layer: ResolvedLayer, x: Tensor): Tensor => {
    const param = (role: ParameterInfo['role']) => parameter(layer.parameters.find((p) => p.role === role)!)
    const s = layer.spec
    switch (s.type) {
      case 'conv2d': {
        const [, height, width] = layer.inputShape
        const convolved = conv2d(tf, x as Tensor4D, param('kernel') as Tensor4D, convGeometry(s, height, width), {
          pureJavaScript: options.pureJavaScript,
          needInputGradient: layer.index > lowestWithParameters,
        })
        return tf.add(convolved, param('bias'))
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const geometry = poolGeometry(s, layer.inputShape[1], layer.inputShape[2])
        return s.type === 'maxPool2d'
          ? maxPool2d(tf, x as Tensor4D, geometry, options.pureJavaScript)
          : tf.avgPool(x as Tensor4D, geometry.kernel, geometry.stride, 'valid')
      }
      case 'dense':
        return tf.add(tf.matMul(x as Tensor2D, param('kernel') as Tensor2D), param('bias'))
      case 'flatten':
        return tf.reshape(x, [-1, layer.outputShape[0]])
      case 'dropout': {
        const scale = options.training ? options.dropoutScales?.get(layer.index) : undefined
        return scale ? tf.mul(x, scale) : x
      }
      case 'batchNorm': {
        const epsilon = s.epsilon ?? 1e-3
        if (!options.training)
          return tf.batchNorm(x, param('movingMean'), param('movingVariance'), param('beta'), param('gamma'), epsilon)
        const {mean, variance} = tf.moments(x, layer.inputShape.length === 3 ? [0, 1, 2] : [0])
        batchStatistics.push({layer: layer as ResolvedLayer<BatchNormSpec>, mean, variance})
        return tf.batchNorm(x, mean, variance, param('beta'), param('gamma'), epsilon)
      }
      case 'relu':
        return tf.relu(x)
      case 'leakyRelu':
        return tf.leakyRelu(x, s.alpha ?? 0.3)
      case 'tanh':
        return tf.tanh(x)
      case 'sigmoid':
        return tf.sigmoid(x)
      case 'softmax':
        return tf.softmax(x)
      case 'embedding':
        return embedding(tf, x as Tensor2D, param('embeddings') as Tensor2D, mask!, options.pureJavaScript)
      case 'categoryEmbedding':
        return categoryEmbedding(tf, x as Tensor2D, param('embeddings') as Tensor2D, s, options.pureJavaScript)
      case 'conv1d':
        return conv1d(tf, x as Tensor3D, param('kernel') as Tensor3D, param('bias'), options.pureJavaScript)
      case 'globalAveragePool1d':
        return globalAveragePool1d(tf, x as Tensor3D, mask!)
      case 'globalMaxPool1d':
        return globalMaxPool1d(tf, x as Tensor3D, mask!)
      case 'parallel':
        return tf.concat(
          layer.branches!.map((branch) => branch.reduce((y, inner) => apply(inner, y), x)),
          1,
        )
    }
  }
  for (const layer of layers) x = apply(layer, x)
  const denormalize = model.spec.denormalize
  if (denormalize) x = tf.add(tf.mul(x, denormalize.std), denormalize.mean)
  return {output: x as Tensor2D, batchStatistics}
}
