import {describe, expect, it} from 'vitest'

import {globBase, globToRegExp, isGlob} from '../../src/core/predict/glob-pattern.js'

describe('predict INPUT globs', () => {
  it('matches *, ?, ** across folders, [sets] and {alternatives} as a shell would', () => {
    const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path)
    expect(matches('photos/*.jpg', 'photos/a.jpg')).toBe(true)
    expect(matches('photos/*.jpg', 'photos/sub/a.jpg')).toBe(false)
    expect(matches('photos/**/*.jpg', 'photos/a.jpg')).toBe(true)
    expect(matches('photos/**/*.jpg', 'photos/x/y/a.jpg')).toBe(true)
    expect(matches('photos/**', 'photos/x/y/a.png')).toBe(true)
    expect(matches('img?.png', 'img1.png')).toBe(true)
    expect(matches('img?.png', 'img10.png')).toBe(false)
    expect(matches('img[0-2].png', 'img2.png')).toBe(true)
    expect(matches('img[!0-2].png', 'img2.png')).toBe(false)
    expect(matches('*.{jpg,png}', 'a.png')).toBe(true)
    expect(matches('*.{jpg,png}', 'a.gif')).toBe(false)
    expect(matches('a+b (1).jpg', 'a+b (1).jpg')).toBe(true)
  })

  it('walks from the part before the first glob character', () => {
    expect(isGlob('photos/a.jpg')).toBe(false)
    expect(globBase('photos/2024/*/a.jpg')).toBe('photos/2024')
    expect(globBase('*.jpg')).toBe('.')
    expect(globBase('/data/**/*.png')).toBe('/data')
  })
})
