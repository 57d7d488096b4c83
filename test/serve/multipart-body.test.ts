import {describe, expect, it} from 'vitest'

import {multipartBoundary, parseMultipart} from '../../src/core/serve/multipart-body.js'

describe('multipart/form-data bodies', () => {
  it('reads what fetch sends: files with their names and types, and text fields', async () => {
    const form = new FormData()
    form.append(
      'file',
      new Blob([Buffer.from([0xff, 0xd8, 0x0d, 0x0a, 0x2d, 0x2d])], {type: 'image/jpeg'}),
      'crème.jpg',
    )
    form.append('note', 'hello')
    const request = new Request('http://localhost/', {method: 'POST', body: form})
    const body = Buffer.from(await request.arrayBuffer())
    const parts = parseMultipart(body, multipartBoundary(request.headers.get('content-type')!))
    expect(parts).toEqual([
      {
        name: 'file',
        filename: 'crème.jpg',
        contentType: 'image/jpeg',
        data: Buffer.from([0xff, 0xd8, 0x0d, 0x0a, 0x2d, 0x2d]),
      },
      {name: 'note', data: Buffer.from('hello')},
    ])
  })

  it('names what is wrong with a body cut short or without its boundary', () => {
    const body = Buffer.from('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nPNG...')
    expect(() => parseMultipart(body, 'xyz')).toThrow(/the last part is not closed by the boundary/)
    expect(() => parseMultipart(body, 'other')).toThrow(/never has the boundary "other"/)
    expect(() => multipartBoundary('multipart/form-data')).toThrow(/needs a boundary/)
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b')
  })
})
