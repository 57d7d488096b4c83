import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeInferRequest} from '../../src/core/serve/infer-json.js'
import type * as Decoder from '../../src/core/serve/infer-request-decoder.js'
import {compiledModule} from '../helpers/compiled-module.js'

// The decoder starts its worker thread from the compiled file beside it.
const {InferRequestDecoder, OFFLOAD_MIN_BYTES} = await compiledModule<typeof Decoder>(
  'core/serve/infer-request-decoder.js',
)

const json = (value: unknown) => Buffer.from(JSON.stringify(value))

function imageRequest(count: number, extra: object = {}) {
  const data = Array.from({length: count * 784}, (_, i) => ((i * 7919) % 1000) / 997)
  return {
    id: 'r1',
    inputs: [{name: 'input', datatype: 'FP32', shape: [count, 1, 28, 28], data}],
    outputs: [{name: 'logits'}],
    ...extra,
  }
}

describe('InferRequestDecoder', () => {
  let threaded: Decoder.InferRequestDecoder

  beforeAll(async () => {
    threaded = await InferRequestDecoder.start(2)
  })

  afterAll(async () => {
    await threaded.close()
  })

  it('decodes large bodies on its threads to exactly what decoding in place gives', async () => {
    const bodies = [
      json(imageRequest(1)),
      json(imageRequest(64, {parameters: {binary_data_output: true}})),
      json({
        inputs: [{name: 'ids', datatype: 'INT64', shape: [2000], data: Array.from({length: 2000}, (_, i) => i - 1000)}],
      }),
    ]
    for (const body of bodies) {
      expect(body.length).toBeGreaterThan(OFFLOAD_MIN_BYTES)
      const expected = decodeInferRequest(body, undefined)
      // A body that owns its buffer is handed over, not copied: the decoder gets a copy here.
      const request = await threaded.decode(Buffer.from(body), undefined)
      expect(request).toEqual(expected)
      expect(request.inputs[0].data.constructor).toBe(expected.inputs[0].data.constructor)
    }
    // Many at once, spread over both threads, each answered with its own request.
    const many = Array.from({length: 20}, (_, i) => json(imageRequest(1, {id: `r${i}`})))
    expect(
      (await Promise.all(many.map((body) => threaded.decode(body, undefined)))).map((request) => request.id),
    ).toEqual(many.map((_, i) => `r${i}`))
  })

  it('passes the client errors found on a thread back with their kind and message', async () => {
    const wrongCount = json({
      inputs: [{name: 'input', datatype: 'FP32', shape: [2], data: imageRequest(1).inputs[0].data}],
    })
    const notJson = Buffer.concat([json(imageRequest(1)), Buffer.from('}')])
    for (const body of [wrongCount, notJson]) {
      const inPlace = (() => {
        try {
          decodeInferRequest(body, undefined)
        } catch (err) {
          return err as Error
        }
      })()
      expect(inPlace?.message).toMatch(/has 784 values but shape \[2\] needs 2|not valid JSON/)
      await expect(threaded.decode(Buffer.from(body), undefined)).rejects.toMatchObject({
        name: 'ServeError',
        kind: 'invalid_argument',
        message: inPlace!.message,
      })
    }
  })

  it('answers data nested deeper than the JSON parser allows with a client error, on a thread and in place', async () => {
    const inPlace = await InferRequestDecoder.start(0)
    const deep = (datatype: string, value: string) =>
      Buffer.from(
        `{"inputs":[{"name":"x","datatype":"${datatype}","shape":[1],"data":${'['.repeat(100_000)}${value}${']'.repeat(100_000)}}]}`,
      )
    for (const body of [deep('INT32', '1'), deep('FP32', '1'), deep('BOOL', 'true')]) {
      for (const decoder of [threaded, inPlace]) {
        await expect(decoder.decode(Buffer.from(body), undefined)).rejects.toMatchObject({
          kind: 'invalid_argument',
          message: expect.stringMatching(/not valid JSON \(nested deeper than 64 levels at byte \d+\)/),
        })
      }
    }
    await inPlace.close()
  })

  it('decodes in place with no threads, and for small bodies', async () => {
    const inPlace = await InferRequestDecoder.start(0)
    const small = json({inputs: [{name: 'x', datatype: 'FP32', shape: [2], data: [1, 2.5]}]})
    expect(await inPlace.decode(json(imageRequest(1)), undefined)).toEqual(
      decodeInferRequest(json(imageRequest(1)), undefined),
    )
    expect(Array.from((await threaded.decode(small, undefined)).inputs[0].data as Float32Array)).toEqual([1, 2.5])
    await inPlace.close()
  })

  it('keeps decoding, in place, after its thread has died', async () => {
    const decoder = await InferRequestDecoder.start(1)
    const [thread] = (decoder as unknown as {threads: Array<{worker: {terminate(): Promise<number>}}>}).threads
    await thread.worker.terminate()
    const body = json(imageRequest(1))
    expect(await decoder.decode(Buffer.from(body), undefined)).toEqual(decodeInferRequest(body, undefined))
    await decoder.close()
  })
})
