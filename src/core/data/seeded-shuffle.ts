/**
 * A permutation of 0..n-1 that depends only on `seed`: Fisher-Yates driven by mulberry32, so a
 * dataset split is the same on every machine and Node version (Math.random cannot be seeded).
 */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const order = Uint32Array.from({length: n}, (_, i) => i)
  const random = mulberry32(seed)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = order[i]
    order[i] = order[j]
    order[j] = swap
  }

  return order
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
