/**
 * Scales all gradients in place so that their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_ does (factor maxNorm / (norm + 1e-6), applied only when below 1).
 * Returns the norm before clipping.
 */
export function clipGradNorm(grads: Float32Array[], maxNorm: number): number {
  let sumSquares = 0
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) sumSquares += g[i] * g[i]
  }
  const norm = Math.sqrt(sumSquares)
  const scale = maxNorm / (norm + 1e-6)
  if (scale < 1) {
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) g[i] *= scale
    }
  }
  return norm
}
