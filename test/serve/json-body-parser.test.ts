import {describe, expect, it} from 'vitest'

import {Float32JsonArray, parseJsonBody} from '../../src/core/serve/json-body-parser.js'

const parse = (text: string) => parseJsonBody(Buffer.from(text))

/** What the parser must reproduce: JSON.parse with the "data"/"instances" arrays as Float32Array. */
function viaJsonParse(text: string): unknown {
  return JSON.parse(text, function (key, value) {
    return (key === 'data' || key === 'instances') &&
      Array.isArray(value) &&
      value.flat(Infinity).every((v) => typeof v === 'number')
      ? Float32Array.from(value.flat(Infinity) as number[])
      : value
  })
}

function normalize(value: unknown): unknown {
  if (value instanceof Float32JsonArray) return value.values
  if (Array.isArray(value)) return value.map(normalize)
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]))
  return value
}

describe('parseJsonBody', () => {
  it('reads number arrays into exactly the float32 values JSON.parse + Float32Array give', () => {
    const generators: Array<() => number> = [
      () => Math.random(),
      () => Math.fround(Math.random() * 2 - 1),
      () => Math.round(Math.random() * 1000) / 1000,
      () => Math.floor(Math.random() * 256),
      () => (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 60 - 30),
      () => Math.fround((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 16 - 8)),
    ]
    for (const generate of generators) {
      const data = Array.from({length: 2000}, generate)
      const text = JSON.stringify({inputs: [{name: 'x', datatype: 'FP32', shape: [2000], data}]})
      expect(normalize(parse(text))).toEqual(viaJsonParse(text))
    }
    for (const literal of [
      '1e5',
      '-0',
      '0.1E-3',
      '2.5e+2',
      '123456789012345678901234567890',
      '1e-50',
      '3.4028235677973366e38',
      '1e39',
      '-1.401298464324817e-45',
    ]) {
      const text = `{"data":[${literal}, [${literal}]]}`
      expect(normalize(parse(text)), literal).toEqual(viaJsonParse(text))
    }
  })

  it('flattens nested arrays and keeps the original array for other datatypes', () => {
    const value = parse('{"data": [[1, 2], [3, 4.5]], "other": [[1, 2]]}') as {data: Float32JsonArray; other: unknown}
    expect(Array.from(value.data.values)).toEqual([1, 2, 3, 4.5])
    expect(value.data.json()).toEqual([
      [1, 2],
      [3, 4.5],
    ])
    expect(value.other).toEqual([[1, 2]])
  })

  it('limits the nesting of number arrays as it does any other value', () => {
    const nested = (levels: number) => `{"data":${'['.repeat(levels)}1${']'.repeat(levels)}}`
    expect(Array.from((parse(nested(63)) as {data: Float32JsonArray}).data.values)).toEqual([1])
    expect(() => parse(nested(64))).toThrow(/nested deeper than 64 levels at byte 71/)
    expect(() => parse(nested(100_000))).toThrow(/nested deeper than 64 levels/)
  })

  it('reads arrays with anything but numbers like JSON.parse does', () => {
    for (const text of [
      '{"data":[true,false]}',
      '{"data":["a",1]}',
      '{"data":[1,null]}',
      '{"data":[]}',
      '{"data":[[],[1]]}',
      '{"instances":[{"a":1}]}',
    ]) {
      expect(normalize(parse(text)), text).toEqual(viaJsonParse(text))
    }
  })

  it('parses ordinary JSON like JSON.parse', () => {
    const documents = [
      '{"id":"42","inputs":[{"name":"in\\u0070ut\\n","shape":[1,2],"datatype":"FP32","parameters":{"a":true,"b":null,"c":-1.5e3}}]}',
      ' [ 1 , "two" , { "three" : [ ] } , { } ] ',
      '"\\"quoted\\" \\u00e9 é"',
      '{"a":1,"a":2}',
      '{"__proto__":{"polluted":true}}',
      '0',
    ]
    for (const text of documents) expect(parse(text), text).toEqual(JSON.parse(text))
    expect(({} as {polluted?: boolean}).polluted).toBeUndefined()
  })

  it('rejects what JSON.parse rejects, with a position', () => {
    const invalid = [
      '',
      '{',
      '{"a":1,}',
      '[1,]',
      '{"data":[1,,2]}',
      '{"data":[1 2]}',
      '{"data":[NaN]}',
      '{"data":[01]}',
      '{"data":[1.]}',
      '{"data":[.5]}',
      '{"data":[-]}',
      '{"data":[1e]}',
      '{"data":[+1]}',
      '{"data":[1]]}',
      '{"data":[[1]',
      '{"a" 1}',
      "{'a':1}",
      '{"a":"\\x"}',
      '{"a":"unterminated}',
      '[1] x',
      'tru',
      '{"a":1}{',
      '"tab\there"',
    ]
    for (const text of invalid) {
      expect(() => JSON.parse(text), text).toThrow()
      expect(() => parse(text), text).toThrow(/not valid JSON \(.* at byte \d+\)/)
    }
    expect(() => parse('['.repeat(100) + ']'.repeat(100))).toThrow(/nested deeper than 64/)
  })
})
