/**
 * Text end to end through the CLI: train the text presets on a CSV of reviews on both engines, resume a run to
 * the weights of an uninterrupted one, and export a verified ONNX file with token inputs.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {Random} from '../../src/core/model/random.js'
import {readCheckpoint} from '../../src/core/train/checkpoint-file.js'
import {mlctl} from '../helpers/mlctl-cli.js'

const root = mkdtempSync(join(tmpdir(), 'mlctl-text-train-'))
afterAll(() => rmSync(root, {recursive: true, force: true}))

/** Reviews whose class is told by one word among neutral ones. */
function reviewsCsv(): string {
  const random = new Random(3)
  const pick = <T>(list: T[]) => list[Math.floor(random.next() * list.length)]
  const positive = ['great', 'excellent', 'love', 'wonderful', 'perfect']
  const negative = ['terrible', 'awful', 'hate', 'broken', 'refund']
  const neutral = 'the product arrived on time and the box was fine it works as described for the kids'.split(' ')
  const rows = ['review,label']
  for (let i = 0; i < 300; i++) {
    const words = Array.from({length: 3 + Math.floor(random.next() * 10)}, () => pick(neutral))
    words.splice(Math.floor(random.next() * words.length), 0, pick(i % 2 ? positive : negative))
    rows.push(`"${words.join(' ')}",${i % 2 ? 'positive' : 'negative'}`)
  }
  const path = join(root, 'reviews.csv')
  writeFileSync(path, `${rows.join('\n')}\n`)
  return path
}

const csv = reviewsCsv()
const base = ['train', '--data', csv, '--text-column', 'review', '--target', 'label', '--threads', '1']
const weightsOf = (run: string) =>
  new Map(
    Object.entries(readCheckpoint(join(run, 'checkpoints/last')).tensors).map(([n, t]) => [n, Array.from(t.data)]),
  )

describe('mlctl train on text', () => {
  it('bag: learns the reviews, writes curves and metrics, and exports a verified file with token inputs', () => {
    const out = join(root, 'bag')
    const trained = mlctl([...base, '--epochs', '30', '--lr', '0.05', '--out', out])
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stdout + trained.stderr).toContain('bag: embedding → globalAveragePool1d → dense')
    expect(Number(/Test: loss [\d.]+, accuracy ([\d.]+)%/.exec(trained.stdout + trained.stderr)![1])).toBeGreaterThan(
      95,
    )
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(30)
    expect(readFileSync(join(out, 'learning-curve.svg'), 'utf8')).toContain('<svg')
    const exported = mlctl(['export-onnx', out, '--json'])
    expect(exported.code, exported.stderr).toBe(0)
    const report = JSON.parse(exported.stdout) as {
      inputs: Array<{name: string; type: string; shape: unknown[]}>
      verification: {passed: boolean}
      metadata: Record<string, string>
    }
    expect(report.verification.passed).toBe(true)
    expect(report.inputs.map((i) => [i.name, i.type, i.shape])).toEqual([
      ['input_ids', 'int64', ['batch', 'sequence']],
      ['attention_mask', 'int64', ['batch', 'sequence']],
    ])
    expect(JSON.parse(report.metadata.tokenizer)).toHaveProperty('model')
  })

  it('a run resumed for more epochs ends with the weights of an uninterrupted one (textcnn, dropout)', () => {
    const args = [...base, '--model', 'textcnn', '--schedule', 'constant', '--lr', '0.005']
    const whole = mlctl([...args, '--epochs', '3', '--out', join(root, 'whole')])
    expect(whole.code, whole.stderr).toBe(0)
    const first = mlctl([...args, '--epochs', '2', '--out', join(root, 'split')])
    expect(first.code, first.stderr).toBe(0)
    const resumed = mlctl(['train', '--resume', join(root, 'split'), '--epochs', '3'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(weightsOf(join(root, 'split'))).toEqual(weightsOf(join(root, 'whole')))
  })

  it('bag --ngrams 2 on the TF.js engine', () => {
    const out = join(root, 'tfjs')
    const trained = mlctl([
      ...base,
      '--engine',
      'tfjs',
      '--ngrams',
      '2',
      '--epochs',
      '20',
      '--lr',
      '0.05',
      '--out',
      out,
    ])
    expect(trained.code, trained.stderr).toBe(0)
    expect(
      Number(/Test: loss [\d.]+, accuracy ([\d.]+)%/.exec(trained.stdout + trained.stderr)![1]),
    ).toBeGreaterThanOrEqual(85)
    const refused = mlctl([...base, '--model', 'textcnn', '--ngrams', '2', '--out', join(root, 'refused')])
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim()).toBe(
      'Error: --ngrams 2 is for the bag model: textcnn reads word order itself; leave out --ngrams',
    )
  })
})
