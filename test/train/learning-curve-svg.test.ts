import {describe, expect, it} from 'vitest'
import {learningCurveSvg} from '../../src/core/train/learning-curve-svg.js'

describe('learning curve SVG', () => {
  it('draws one line per series with a point per finite value, and a legend', () => {
    const svg = learningCurveSvg(
      [1, 2, 3],
      [
        {
          title: 'loss',
          series: [
            {label: 'train', color: '#1f77b4', values: [0.9, 0.5, 0.3]},
            {label: 'val', color: '#ff7f0e', values: [1, undefined, 0.4]},
          ],
        },
        {title: 'accuracy', series: [{label: 'train', color: '#1f77b4', values: [0.7, 0.8, 0.9]}]},
      ],
    )
    expect(svg.startsWith('<svg')).toBe(true)
    expect(svg.match(/<polyline/g)).toHaveLength(3)
    expect(svg.match(/<circle/g)).toHaveLength(3 + 2 + 3)
    expect(svg).toContain('>val</text>')
    expect(svg).not.toContain('NaN')
  })
})
