import {Random} from '../model/random.js'

/**
 * A permutation of 0..n-1 that depends only on `seed`: Fisher-Yates driven by a seeded generator, so a
 * dataset split is the same on every machine and Node version (Math.random cannot be seeded).
 */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const order = Uint32Array.from({length: n}, (_, i) => i)
  const random = new Random(seed)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1))
    const swap = order[i]
    order[i] = order[j]
    order[j] = swap
  }
  return order
}
