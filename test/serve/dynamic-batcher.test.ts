import {describe, expect, it} from 'vitest'

import {DynamicBatcher, type BatcherOptions, type BatchRunner} from '../../src/core/serve/dynamic-batcher.js'
import {ServeError} from '../../src/core/serve/serve-error.js'
import type {Tensor} from '../../src/core/serve/tensor.js'

const OPTIONS: BatcherOptions = {
  maxBatchSize: 8,
  maxQueueDelayMs: 0,
  maxQueue: 100,
  timeoutMs: 10_000,
  mergeable: true,
  maxInFlight: 1,
}

/** rows x width input whose values encode the request: row r of request k holds k*100 + r. */
function input(request: number, rows: number, width = 2): Tensor {
  const data = new Float32Array(rows * width)
  for (let r = 0; r < rows; r++) data.fill(request * 100 + r, r * width, (r + 1) * width)
  return {name: 'x', datatype: 'FP32', shape: [rows, width], data}
}

/** A model that doubles its input, records each run's row count, and can be held to let requests pile up. */
function doublingModel() {
  const runs: number[] = []
  let release: () => void = () => {}
  let held: Promise<void> = Promise.resolve()
  const run: BatchRunner = async ([x]) => {
    runs.push(x.shape[0])
    await held
    return [{name: 'y', datatype: 'FP32', shape: x.shape, data: (x.data as Float32Array).map((v) => v * 2)}]
  }
  return {
    run,
    runs,
    hold() {
      held = new Promise((resolve) => (release = resolve))
    },
    release: () => release(),
  }
}

const noObserver = {onBatch() {}, onQueueDepth() {}}

describe('DynamicBatcher', () => {
  it('merges requests that queue while the model is busy and gives each its own rows back', async () => {
    const model = doublingModel()
    const batches: Array<[number, number]> = []
    const batcher = new DynamicBatcher(model.run, OPTIONS, {
      onBatch: (rows, requests) => batches.push([rows, requests]),
      onQueueDepth() {},
    })
    model.hold()
    const first = batcher.submit([input(0, 1)])
    const rest = [1, 2, 3].map((k) => batcher.submit([input(k, k)]))
    model.release()
    const results = await Promise.all([first, ...rest])
    expect(model.runs).toEqual([1, 6])
    expect(batches).toEqual([
      [1, 1],
      [6, 3],
    ])
    results.forEach(([y], k) => {
      const rows = Math.max(k, 1)
      expect(y.shape).toEqual([rows, 2])
      expect(Array.from(y.data as Float32Array)).toEqual(Array.from(input(k, rows).data as Float32Array, (v) => v * 2))
    })
  })

  it('with maxInFlight 2, sends a full batch while another runs, but lets a partial batch grow', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, {...OPTIONS, maxBatchSize: 2, maxInFlight: 2}, noObserver)
    model.hold()
    const pending = [0, 1, 2, 3].map((k) => batcher.submit([input(k, 1)]))
    expect(model.runs).toEqual([1, 2])
    model.release()
    const results = await Promise.all(pending)
    expect(model.runs).toEqual([1, 2, 1])
    results.forEach(([y], k) => expect(Array.from(y.data as Float32Array)).toEqual([k * 200, k * 200]))

    const partial = doublingModel()
    const growing = new DynamicBatcher(partial.run, {...OPTIONS, maxInFlight: 2}, noObserver)
    partial.hold()
    const waiting = [0, 1, 2, 3].map((k) => growing.submit([input(k, 1)]))
    expect(partial.runs).toEqual([1])
    partial.release()
    await Promise.all(waiting)
    expect(partial.runs).toEqual([1, 3])
  })

  it('never exceeds maxBatchSize rows, but runs a larger single request alone', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, {...OPTIONS, maxBatchSize: 4}, noObserver)
    model.hold()
    const pending = [
      batcher.submit([input(0, 1)]),
      ...[1, 2, 3, 4, 5].map((k) => batcher.submit([input(k, 2)])),
      batcher.submit([input(6, 9)]),
    ]
    model.release()
    await Promise.all(pending)
    expect(model.runs).toEqual([1, 4, 4, 2, 9])
  })

  it('does not merge requests whose shapes differ beyond the batch dimension', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, OPTIONS, noObserver)
    model.hold()
    const pending = [batcher.submit([input(0, 1)]), batcher.submit([input(1, 1, 3)]), batcher.submit([input(2, 1, 2)])]
    model.release()
    const [, wide] = await Promise.all(pending)
    expect(model.runs).toEqual([1, 1, 1])
    expect(wide[0].shape).toEqual([1, 3])
  })

  it('with padSequences, merges requests of different lengths, each row right-padded to the longest', async () => {
    const seen: Tensor[][] = []
    const run: BatchRunner = async (inputs) => {
      seen.push(inputs)
      // Sums each row: padding with 0 leaves a masked sum unchanged, as a token model's masking does.
      const [ids] = inputs
      const [rows, length] = ids.shape
      const sums = new Float32Array(rows)
      for (let r = 0; r < rows; r++)
        for (let t = 0; t < length; t++) sums[r] += Number((ids.data as BigInt64Array)[r * length + t] % 100n)
      return [{name: 'y', datatype: 'FP32', shape: [rows, 1], data: sums}]
    }
    const batcher = new DynamicBatcher(run, {...OPTIONS, padSequences: [100, 0]}, noObserver)
    const tokens = (rows: number[][]): Tensor[] => {
      const width = rows[0].length
      const ids = BigInt64Array.from(rows.flat(), BigInt)
      return [
        {name: 'input_ids', datatype: 'INT64', shape: [rows.length, width], data: ids},
        {name: 'attention_mask', datatype: 'INT64', shape: [rows.length, width], data: ids.map(() => 1n)},
      ]
    }
    const first = batcher.submit(tokens([[1]]))
    const merged = [tokens([[2, 3, 4]]), tokens([[5], [6]]), tokens([[7, 8]])].map((inputs) => batcher.submit(inputs))
    const results = await Promise.all([first, ...merged])
    expect(seen.map((inputs) => inputs[0].shape)).toEqual([
      [1, 1],
      [4, 3],
    ])
    expect(Array.from(seen[1][0].data as BigInt64Array, Number)).toEqual([2, 3, 4, 5, 100, 100, 6, 100, 100, 7, 8, 100])
    expect(Array.from(seen[1][1].data as BigInt64Array, Number)).toEqual([1, 1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0])
    expect(results.map(([y]) => Array.from(y.data as Float32Array))).toEqual([[1], [9], [5, 6], [15]])
  })

  it('runs every request alone for a model with a fixed batch dimension', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, {...OPTIONS, mergeable: false}, noObserver)
    model.hold()
    const pending = [0, 1, 2].map((k) => batcher.submit([input(k, 1)]))
    model.release()
    await Promise.all(pending)
    expect(model.runs).toEqual([1, 1, 1])
  })

  it('refuses requests beyond maxQueue with an unavailable error and keeps serving', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, {...OPTIONS, maxQueue: 2}, noObserver)
    model.hold()
    const running = batcher.submit([input(0, 1)])
    const queued = [batcher.submit([input(1, 1)]), batcher.submit([input(2, 1)])]
    const refused = batcher.submit([input(3, 1)])
    await expect(refused).rejects.toMatchObject({kind: 'unavailable'})
    model.release()
    await Promise.all([running, ...queued])
    await expect(batcher.submit([input(4, 1)])).resolves.toHaveLength(1)
  })

  it('fails only the requests of a failed run', async () => {
    let calls = 0
    const batcher = new DynamicBatcher(
      async ([x]) => {
        if (++calls === 1) throw new ServeError('internal', 'boom')
        return [x]
      },
      OPTIONS,
      noObserver,
    )
    await expect(batcher.submit([input(0, 1)])).rejects.toThrow('boom')
    await expect(batcher.submit([input(1, 1)])).resolves.toHaveLength(1)
  })

  it('waits up to maxQueueDelayMs for company while idle, then runs what it has', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, {...OPTIONS, maxQueueDelayMs: 30}, noObserver)
    const started = performance.now()
    const first = batcher.submit([input(0, 1)])
    await new Promise((resolve) => setTimeout(resolve, 5))
    await Promise.all([first, batcher.submit([input(1, 1)])])
    expect(model.runs).toEqual([2])
    expect(performance.now() - started).toBeGreaterThanOrEqual(25)
  })

  it('fails requests that waited longer than timeoutMs in the queue', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, {...OPTIONS, timeoutMs: 10}, noObserver)
    model.hold()
    const running = batcher.submit([input(0, 1)])
    const late = batcher.submit([input(1, 1)])
    await new Promise((resolve) => setTimeout(resolve, 20))
    model.release()
    await running
    await expect(late).rejects.toMatchObject({kind: 'deadline_exceeded'})
  })

  it('whenIdle resolves after queued and running requests are answered', async () => {
    const model = doublingModel()
    const batcher = new DynamicBatcher(model.run, OPTIONS, noObserver)
    model.hold()
    const answered: number[] = []
    const pending = [0, 1].map((k) => batcher.submit([input(k, 1)]).then(() => answered.push(k)))
    const idle = batcher.whenIdle().then(() => answered.length)
    model.release()
    await Promise.all(pending)
    expect(await idle).toBe(2)
  })
})
