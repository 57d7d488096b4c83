import {describe, expect, it} from 'vitest'

import {confusionMatrixSvg} from '../../src/core/evaluate/confusion-matrix-svg.js'

describe('confusion matrix SVG', () => {
  it('draws a cell per pair with its count, blue on the diagonal, red off it, names escaped', () => {
    const svg = confusionMatrixSvg(
      ['cat', 'dog', 'a<b'],
      [
        [6, 0, 0],
        [0, 4, 2],
        [3, 0, 0],
      ],
      'pets & more',
    )
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<rect x=/g)).toHaveLength(9)
    expect(svg).toContain('>pets &amp; more</text>')
    expect(svg).toContain('>a&lt;b</text>')
    expect(svg).toContain('<title>dog → a&lt;b: 2 (33.3%)</title>')
    // cat → cat is all of its row: full blue; a<b → cat is all of its row: full red
    expect(svg).toMatch(/fill="rgb\(31,119,180\)"[^>]*><title>cat → cat: 6/)
    expect(svg).toMatch(/fill="rgb\(214,39,40\)"[^>]*><title>a&lt;b → cat: 3/)
    expect(svg).not.toContain('NaN')
  })
})
