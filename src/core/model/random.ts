/**
 * Seeded pseudo-random numbers for weight initialization, dropout masks and the order of examples. Every random
 * draw in mlctl comes from a generator seeded with deriveSeed(userSeed, stream, index), so each parameter tensor and
 * each training step has its own reproducible sequence that does not depend on what ran before it.
 */

/**
 * Random streams, so that initialization, dropout, the data order and image augmentation never share numbers.
 * The values are part of every run's reproducibility: changing one changes the weights of every run with that seed.
 */
export const RandomStream = {initialization: 1, dropout: 2, dataOrder: 3, augmentation: 4} as const

/** Hashes integers (any safe integers, negative included) into a 32-bit seed. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new Error(`deriveSeed: ${part} is not a safe integer`)
    const low = part >>> 0
    const high = Math.floor(part / 0x1_0000_0000) >>> 0
    h = mix(h ^ low)
    h = mix(h ^ high)
  }
  return h
}

/** The murmur3 32-bit finaliser: every input bit affects every output bit. */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/** mulberry32: a small, fast generator with a 32-bit state, ample for initializers and dropout masks. */
export class Random {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Fills `target` with uniform values in [0, 1). */
  fill(target: Float32Array): Float32Array {
    for (let i = 0; i < target.length; i++) target[i] = this.next()
    return target
  }
}
