import type {ResolvedLayer} from '../../model/resolve-model.js'
import type {LayerOf, LayerSpec, LayerType} from '../../model/spec.js'
import type {GraphBuilder} from '../../onnx/graph-builder.js'
import type {GraphMode, LayerContext, LayerEmission, LayerEmitter, LayerParameters} from '../layer-emitter.js'
import {emitLeakyRelu, emitRelu, emitSigmoid, emitTanh} from './activations.js'
import {emitAvgPool2d} from './avg-pool2d.js'
import {emitBatchNorm} from './batch-norm.js'
import {emitConv2d} from './conv2d.js'
import {emitDense} from './dense.js'
import {emitDropout} from './dropout.js'
import {emitFlatten} from './flatten.js'
import {emitMaxPool2d} from './max-pool2d.js'
import {emitSoftmax} from './softmax.js'
import {emitEmbedding} from './embedding.js'
import {emitCategoryEmbedding} from './category-embedding.js'
import {emitConv1d} from './conv1d.js'
import {emitGlobalAveragePool1d, emitGlobalMaxPool1d} from './global-pool1d.js'
import {emitParallel} from './parallel.js'

const emitters: {[T in LayerType]: LayerEmitter<LayerOf<T>>} = {
  conv2d: emitConv2d,
  maxPool2d: emitMaxPool2d,
  avgPool2d: emitAvgPool2d,
  dense: emitDense,
  flatten: emitFlatten,
  dropout: emitDropout,
  batchNorm: emitBatchNorm,
  relu: emitRelu,
  leakyRelu: emitLeakyRelu,
  tanh: emitTanh,
  sigmoid: emitSigmoid,
  softmax: emitSoftmax,
  embedding: emitEmbedding,
  categoryEmbedding: emitCategoryEmbedding,
  conv1d: emitConv1d,
  globalAveragePool1d: emitGlobalAveragePool1d,
  globalMaxPool1d: emitGlobalMaxPool1d,
  // a parallel layer emits its branches' layers with this same function
  parallel: (g, x, layer, _params, mode, context) => emitParallel(g, x, layer, mode, context, emitLayer),
}

/** Layers that never ask for the context; the default lets single-layer tests call emitLayer without one. */
const NO_CONTEXT: LayerContext = {
  sequenceMask: () => {
    throw new Error('this layer needs a sequence mask: pass a LayerContext')
  },
  parameters: () => {
    throw new Error('this layer needs its branches parameters: pass a LayerContext')
  },
}

/** Emits any layer with the rule for its type. */
export function emitLayer(
  g: GraphBuilder,
  x: string,
  layer: ResolvedLayer,
  params: LayerParameters,
  mode: GraphMode,
  context: LayerContext = NO_CONTEXT,
): LayerEmission {
  const emitter = emitters[layer.spec.type] as LayerEmitter<LayerSpec>
  return emitter(g, x, layer, params, mode, context)
}
