import type {ResolvedLayer} from '../../model/resolve-model.js'
import type {LayerSpec} from '../../model/spec.js'
import type {GraphBuilder} from '../../onnx/graph-builder.js'
import type {GraphMode, LayerContext, LayerEmission, LayerParameters} from '../layer-emitter.js'

type EmitLayer = (
  g: GraphBuilder,
  x: string,
  layer: ResolvedLayer,
  params: LayerParameters,
  mode: GraphMode,
  context: LayerContext,
) => LayerEmission

/**
 * Each branch's layers on the same x, the branches' flat outputs concatenated. Backward: dy is split back
 * into the branches' parts, each goes down its branch, and the branches' input gradients add up. A branch
 * holds no dropout or batch norm (resolve-model refuses them), so it has no noise input or statistics.
 */
export function emitParallel(
  g: GraphBuilder,
  x: string,
  layer: ResolvedLayer<LayerSpec>,
  mode: GraphMode,
  context: LayerContext,
  emitLayer: EmitLayer,
): LayerEmission {
  const branches = layer.branches!.map((branch) => {
    let y = x
    const emissions = branch.map((inner) => {
      const emission = emitLayer(g, y, inner, context.parameters(inner), mode, context)
      y = emission.output
      return emission
    })
    return {layers: branch, emissions, output: y}
  })
  const output = g.node(
    'Concat',
    branches.map((b) => b.output),
    {axis: 1},
  )
  if (mode === 'inference') return {output}
  const widths = branches.map((b) =>
    b.layers.length ? b.layers[b.layers.length - 1].outputShape[0] : layer.inputShape[0],
  )
  return {
    output,
    backward: (dy, needInputGradient) => {
      const parts = g.nodeOutputs('Split', [dy, g.int64s(widths)], {axis: 1}, branches.length)
      const named: Record<string, string> = {}
      const dxs: string[] = []
      branches.forEach((branch, b) => {
        const lowest = branch.layers.findIndex((l) => l.parameters.some((p) => p.trainable))
        if (lowest < 0 && !needInputGradient) return
        const bottom = needInputGradient ? 0 : lowest
        let d = parts[b]
        for (let i = branch.layers.length - 1; i >= bottom; i--) {
          const result = branch.emissions[i].backward!(d, needInputGradient || i > lowest)
          for (const p of branch.layers[i].parameters) {
            const grad = result.params[p.role]
            if (grad) named[p.name] = grad
          }
          if (result.dx) d = result.dx
        }
        if (needInputGradient) dxs.push(d)
      })
      const dx = needInputGradient ? dxs.reduce((sum, d) => g.node('Add', [sum, d])) : undefined
      return {params: {}, named, dx}
    },
  }
}
