import type {ParameterRole} from '../model/parameters.js'
import type {ResolvedLayer} from '../model/resolve-model.js'
import type {LayerSpec} from '../model/spec.js'
import type {GraphBuilder} from '../onnx/graph-builder.js'

/** 'training': batch statistics, dropout on, backward available. 'inference': moving statistics, no dropout. */
export type GraphMode = 'training' | 'inference'

/** Tensor names of one layer's parameters, by role. */
export type LayerParameters = Partial<Record<ParameterRole, string>>

export interface LayerGradients {
  /** Gradient with respect to the layer's input, when it was asked for. */
  dx?: string
  /** Gradient per trainable parameter. */
  params: LayerParameters
  /** A parallel layer: the gradients of its branches' parameters, by parameter name. */
  named?: Record<string, string>
}

/** What a layer may need beyond its input: the sequence mask, and (for parallel) its branches' parameters. */
export interface LayerContext {
  /**
   * The float32 mask [batch, length] of the token sequence: 1 where a token is, 0 on padding. Every sequence
   * tensor has the input's positions (a conv1d's position t holds the window starting at token t), so this one
   * mask serves them all.
   */
  sequenceMask: () => string
  parameters: (layer: ResolvedLayer) => LayerParameters
}

export interface LayerEmission {
  output: string
  /**
   * Emits the layer's backward nodes (training mode only). Called only for layers a gradient must pass
   * through, and with needInputGradient false for the lowest layer with parameters, so that no node is
   * emitted that nothing reads.
   */
  backward?: (dy: string, needInputGradient: boolean) => LayerGradients
  /** Batch-norm batch mean and biased variance per channel (training mode), for the moving averages. */
  batchStatistics?: {mean: string; variance: string}
  /** Name of a dropout layer's noise input, uniform [0, 1) of shape [batch, ...inputShape] (training mode). */
  noiseInput?: string
}

/**
 * Emits one layer's forward nodes and, in training mode, returns its backward rule as a closure over the
 * forward tensors it needs. x and the result are float32 tensors of shape [batch, ...shape].
 */
export type LayerEmitter<S extends LayerSpec> = (
  g: GraphBuilder,
  x: string,
  layer: ResolvedLayer<S>,
  params: LayerParameters,
  mode: GraphMode,
  context: LayerContext,
) => LayerEmission
