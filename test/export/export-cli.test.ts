import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {loadDataset} from '../../src/core/data/index.js'
import {OrtSession, tensor} from '../../src/core/engine/ort-session.js'
import {mlctl, startMlctl} from '../helpers/mlctl-cli.js'
import {startServe} from '../serve/serve-process.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-export-cli-'))
const run = join(root, 'digits')
afterAll(() => rmSync(root, {recursive: true, force: true}))

beforeAll(() => {
  const trained = mlctl(['train', '--model', 'mlp', '--epochs', '1', '--out', run])
  if (trained.code !== 0) throw new Error(`train failed:\n${trained.stderr}`)
})

describe('mlctl export-onnx', () => {
  it('exports a run (--json), and the file is served and evaluated like the run', async () => {
    const exported = mlctl(['export-onnx', run, '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const result = JSON.parse(exported.stdout)
    expect(result).toMatchObject({
      output: join(run, 'model.onnx'),
      kept: true,
      opset: 17,
      verification: {examples: 128, split: 'test', passed: true},
    })
    const raw = mlctl(['export-onnx', run, '--normalize', '--include-softmax', '-o', join(root, 'raw.onnx')])
    expect(raw.code, raw.stderr).toBe(0)
    expect(raw.stdout).toMatch(/input {5}input uint8\[batch,1,28,28\] {2}NCHW, send raw uint8 values/)
    expect(raw.stdout).toMatch(
      /verified {2}128 test examples in a fresh onnxruntime session against TensorFlow.js on model\/: passed/,
    )

    // evaluate scores the run through the engine's graph and the file as any ONNX model: same numbers
    const fromRun = JSON.parse(mlctl(['evaluate', run, '--json']).stdout).report
    const fromFile = mlctl(['evaluate', result.output, '--json'])
    expect(fromFile.code, fromFile.stderr).toBe(0)
    const fileReport = JSON.parse(fromFile.stdout).report
    expect(fileReport.accuracy).toBe(fromRun.accuracy)
    expect(fileReport.loss).toBeCloseTo(fromRun.loss, 5)

    const test = (await loadDataset('mnist-sample')).test!
    const images = [test.inputs.subarray(0, 784), test.inputs.subarray(784, 1568)]
    const session = await OrtSession.create(readFileSync(result.output), 1)
    const {logits} = await session.run({
      input: tensor(
        Float32Array.from(test.inputs.subarray(0, 1568), (v) => v / 255),
        [2, 1, 28, 28],
      ),
    })
    await session.release()
    const expected = [0, 1].map((n) => {
      const row = Array.from(logits.subarray(n * 10, n * 10 + 10))
      return row.indexOf(Math.max(...row))
    })

    const server = await startServe(['--model', `plain=${run}`, '--model', `raw=${join(root, 'raw.onnx')}`])
    try {
      const predict = async (model: string, instances: number[][]) => {
        const response = await fetch(`${server.httpUrl}/predict?model=${model}`, {
          method: 'POST',
          body: JSON.stringify({instances}),
        })
        expect(response.status).toBe(200)
        return ((await response.json()) as {predictions: Array<{class: number; label: string}>}).predictions
      }
      const normalized = await predict(
        'plain',
        images.map((image) => Array.from(image, (v) => v / 255)),
      )
      const fromRawPixels = await predict(
        'raw',
        images.map((image) => Array.from(image)),
      )
      expect(normalized.map((p) => p.class)).toEqual(expected)
      expect(fromRawPixels.map((p) => p.class)).toEqual(expected)
      expect(fromRawPixels.map((p) => p.label)).toEqual(expected.map(String))
      const metadata = (await (await fetch(`${server.httpUrl}/v2/models/plain`)).json()) as {
        properties: Record<string, string>
      }
      expect(metadata.properties).toMatchObject({task: 'classification', input_layout: 'NCHW', dataset: 'mnist-sample'})
    } finally {
      await server.stop()
    }
  })

  it('exits 1 and leaves no file when verification fails; 2 on bad flags', () => {
    const strict = mlctl(['export-onnx', run, '--fp16', '--tolerance', '0', '-o', join(root, 'strict.onnx')])
    expect(strict.code).toBe(1)
    expect(strict.stdout).toMatch(/failed verification/)
    expect(strict.stderr).toMatch(
      /Error: verification failed: max abs diff .* is above the tolerance 0; no file was written/,
    )
    expect(readdirSync(root).filter((f) => f.includes('strict'))).toEqual([])

    for (const flags of [
      ['--batch', '0'],
      ['--opset', '30'],
    ]) {
      const bad = mlctl(['export-onnx', run, ...flags])
      expect(bad.code, flags.join(' ')).toBe(2)
      expect(bad.stderr).toMatch(new RegExp(`Error: ${flags[0]}`))
    }
    const imageRun = mlctl(['export-onnx', run, '--include-preprocessing'])
    expect(imageRun.code).toBe(2)
    expect(imageRun.stderr).toContain(
      `--include-preprocessing is for table models; ${run} takes images, so use --normalize to bake in its input scaling`,
    )
    const missing = mlctl(['export-onnx', join(root, 'no-such-run')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(
      /is not a training run \(no config.json\); pass a run directory written by mlctl train/,
    )
    expect(existsSync(join(root, 'no-such-run'))).toBe(false)
  })

  it('on Ctrl-C while the file is being verified exits 130 and leaves no file, not even the temporary one', async () => {
    const output = join(root, 'interrupted.onnx')
    const {child, exited} = startMlctl(['export-onnx', run, '-o', output])
    // Signal exactly while the unverified temporary file exists.
    const unverified = () =>
      readdirSync(root).some((f) => f.startsWith('.interrupted.onnx.') && f.endsWith('.unverified'))
    const start = Date.now()
    while (!unverified() && child.exitCode === null && Date.now() - start < 60_000)
      await new Promise((r) => setTimeout(r, 2))
    expect(unverified()).toBe(true)
    child.kill('SIGINT')
    const result = await exited
    expect(result.code).toBe(130)
    expect(result.stderr).toMatch(/Interrupted; no file was written/)
    expect(readdirSync(root).filter((f) => f.includes('interrupted'))).toEqual([])
  })

  it('after kill -9 while the file is being verified, the next export removes the temporary file', async () => {
    const unverified = () => readdirSync(run).filter((f) => f.startsWith('.model.onnx.') && f.endsWith('.unverified'))
    const {child, exited} = startMlctl(['export-onnx', run])
    const start = Date.now()
    while (unverified().length === 0 && child.exitCode === null && Date.now() - start < 60_000)
      await new Promise((r) => setTimeout(r, 2))
    child.kill('SIGKILL')
    await exited
    expect(unverified()).toEqual([`.model.onnx.${child.pid}.unverified`])

    const again = mlctl(['export-onnx', run])
    expect(again.code, again.stderr).toBe(0)
    expect(readdirSync(run).filter((f) => f.startsWith('.'))).toEqual([])
  })
})
