import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {mlctl} from '../helpers/mlctl-cli.js'
import {DIGITS, IMAGE_SPEC, seededWeights, writeOnnxFile, writeRunDir} from './fixtures.js'

const tmp = mkdtempSync(join(tmpdir(), 'mlctl-evaluate-cli-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

const run = writeRunDir(
  join(tmp, 'run'),
  IMAGE_SPEC,
  seededWeights(IMAGE_SPEC),
  {dataset: 'mnist-sample', task: 'classification', classNames: DIGITS, loss: {name: 'softmaxCrossEntropy'}},
  {dataset: 'mnist-sample', 'val-split': 0.1},
)

describe('mlctl evaluate', () => {
  it('removes the temp files that killed processes left in the run, and keeps those of running ones', () => {
    const died = writeRunDir(
      join(tmp, 'died'),
      IMAGE_SPEC,
      seededWeights(IMAGE_SPEC),
      {dataset: 'mnist-sample', task: 'classification', classNames: DIGITS, loss: {name: 'softmaxCrossEntropy'}},
      {dataset: 'mnist-sample'},
    )
    const dead = spawnSync(process.execPath, ['-e', '0']).pid
    mkdirSync(join(died, `.model.${dead}.tmp`))
    writeFileSync(join(died, `.model.onnx.${dead}.unverified`), 'partial')
    mkdirSync(join(died, 'checkpoints'))
    writeFileSync(join(died, 'checkpoints', `.best.${dead}.tmp`), 'partial')
    writeFileSync(join(died, 'checkpoints', `.last.${process.pid}.tmp`), 'being written')

    const {code, stderr} = mlctl(['evaluate', died])
    expect(code, stderr).toBe(0)
    expect(readdirSync(died).filter((f) => f.startsWith('.'))).toEqual([])
    expect(readdirSync(join(died, 'checkpoints'))).toEqual([`.last.${process.pid}.tmp`])
  })

  it('prints the report and exits 3 with a one-line reason when a gate is missed', () => {
    const {code, stdout, stderr} = mlctl(['evaluate', run, '--min-accuracy', '0.99', '--max-loss', '100'])
    expect(code).toBe(3)
    expect(stdout).toMatch(/on mnist-sample, test split/)
    expect(stdout).toMatch(/Confusion matrix \(rows: actual, columns: predicted\)/)
    expect(stdout).toMatch(/FAIL {2}accuracy .* needs ≥ 0\.99/)
    expect(stdout).not.toContain('\u001B[') // NO_COLOR
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^Gate failed: accuracy 0\.\d{4} < 0\.99 \(--min-accuracy\)$/),
    ])
  })

  it('--json prints one object, --out writes the same, --confusion an SVG beside it; exit 0 when the gates pass', () => {
    const out = join(tmp, 'eval.json')
    const {code, stdout, stderr} = mlctl([
      'evaluate',
      run,
      '--json',
      '--out',
      out,
      '--confusion',
      '--min-accuracy',
      '0',
    ])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const evaluation = JSON.parse(stdout)
    expect(evaluation).toMatchObject({
      data: {source: 'mnist-sample', split: 'test', examples: 2000},
      passed: true,
      report: {task: 'classification', classNames: DIGITS},
    })
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(evaluation)
    expect(readFileSync(join(tmp, 'eval.confusion.svg'), 'utf8')).toMatch(/^<svg/)
  })

  it('exits 1 with one line for a corrupt model or an unwritable --out, and 2 for a gate given as a percentage', () => {
    const corrupt = join(tmp, 'corrupt.onnx')
    writeFileSync(corrupt, Buffer.from([0x08, 0x07, 0x12, 0xff, 0xff]))
    const broken = mlctl(['evaluate', corrupt, '--dataset', 'mnist-sample'])
    expect(broken.code).toBe(1)
    expect(broken.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^Error: cannot load corrupt\.onnx as an ONNX model \(.+\); pass an \.onnx file or a run directory$/,
      ),
    ])

    const unwritable = mlctl(['evaluate', run, '--out', join(tmp, 'no-such-dir', 'eval.json')])
    expect(unwritable.code).toBe(1)
    expect(unwritable.stderr).toMatch(
      /^Error: cannot write next to .*eval\.json \(.*\); check that the directory exists and is writable\n$/,
    )

    const percent = mlctl(['evaluate', run, '--min-accuracy', '95'])
    expect(percent.code).toBe(2)
    expect(percent.stderr).toMatch(/--min-accuracy is a fraction in \[0, 1\] \(e\.g\. 0\.9 for 90%\), got 95/)
    expect(existsSync(join(run, 'confusion-test.svg'))).toBe(false)
  })

  it('says how a foreign float32 model is fed, warns about raw pixels, and takes --input-scale/--input-mean/--input-std', () => {
    // No mlctl metadata; the graph expects standardized pixels, as other frameworks export it.
    const spec = {...IMAGE_SPEC, normalize: {mean: [0.5], std: [0.25]}}
    const foreign = writeOnnxFile(join(tmp, 'foreign.onnx'), spec, seededWeights(spec), {}, {normalizeInput: false})
    const raw = mlctl(['evaluate', foreign, '--dataset', 'mnist-sample'])
    expect(raw.code).toBe(0)
    expect(raw.stdout).toContain(
      '  input: float32 pixel values as stored (0-255) (the model does not say; set it with --input-scale/--input-mean/--input-std)\n',
    )
    expect(raw.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Warning: .* pass --input-scale 1\/255/)])

    const args = ['evaluate', foreign, '--dataset', 'mnist-sample', '--input-scale', '1/255']
    const scaled = mlctl([...args, '--input-mean', '0.5', '--input-std', '0.25'])
    expect(scaled.code).toBe(0)
    expect(scaled.stderr).toBe('')
    expect(scaled.stdout).toContain(
      '  input: float32 (x × 1/255 − 0.5) / 0.25 (set by --input-scale/--input-mean/--input-std)\n',
    )
    const json = JSON.parse(mlctl([...args, '--json']).stdout)
    expect(json.model.input).toMatchObject({conversion: {scale: 1 / 255, mean: [0], std: [1]}, scaling: 'flags'})

    for (const bad of [
      ['--input-scale', 'tiny'],
      ['--input-std', '0.2,0'],
      ['--input-mean', '0.1,,0.2'],
    ]) {
      const refused = mlctl(['evaluate', foreign, '--dataset', 'mnist-sample', ...bad])
      expect(refused.code).toBe(2)
      const oneLine = refused.stderr.replaceAll(/\s*›\s*/g, ' ')
      expect(oneLine).toMatch(`Error: Parsing ${bad[0]}`)
      expect(oneLine).toMatch(`but received: ${bad[1]}`)
    }
    const uint8 = mlctl(['evaluate', run, '--input-scale', '1/255'])
    expect(uint8.code).toBe(2)
    expect(uint8.stderr).toMatch(/^Error: --input-scale, --input-mean and --input-std apply to float32 inputs/)
  })
})
