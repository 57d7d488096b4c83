/**
 * Every preset on the image shapes users bring (MNIST, CIFAR, small photos, a non-square grayscale scan):
 * it builds, both engines take one step with the same loss, and the exported ONNX model predicts what the
 * engine predicts. An image too small for a preset is refused with the smallest size it takes.
 */
import * as ort from 'onnxruntime-node'
import {describe, expect, it} from 'vitest'
import {buildInferenceModel, Trainer} from '../../src/core/engine/index.js'
import {UserError} from '../../src/core/errors.js'
import {PRESET_NAMES, presetSpec} from '../../src/core/model/presets.js'
import {resolveModel} from '../../src/core/model/resolve-model.js'
import {TfjsTrainer} from '../../src/core/tfjs-engine/index.js'
import type {LossConfig} from '../../src/core/training/index.js'

const SHAPES = [
  [1, 28, 28],
  [3, 32, 32],
  [3, 64, 64],
  [1, 20, 30],
]
const CLASSES = 5
const BATCH = 3
const loss: LossConfig = {name: 'softmaxCrossEntropy'}

function batch(shape: number[]): {x: Uint8Array; y: Uint8Array} {
  const size = shape.reduce((a, b) => a * b, 1)
  return {
    x: Uint8Array.from({length: BATCH * size}, (_, i) => (i * 37 + ((i * i) % 11)) % 256),
    y: Uint8Array.from({length: BATCH}, (_, i) => i % CLASSES),
  }
}

describe('presets on any image size and channel count', () => {
  // the text presets take token ids: test/engine/token-models.test.ts covers them
  const imagePresets = PRESET_NAMES.filter((name) => name !== 'bag' && name !== 'textcnn')
  const cases = imagePresets.flatMap((name) => SHAPES.map((shape) => [name, shape.join('x'), shape] as const))
  it.each(cases)('%s on %s builds, trains one step on both engines and exports', async (name, _, shape) => {
    const spec = presetSpec(name, {inputShape: shape, outputs: CLASSES, inputType: 'uint8'})
    expect(resolveModel(spec).outputs).toBe(CLASSES)
    const {x, y} = batch(shape)
    const optimizer = {name: 'sgd', lr: 0.01} as const
    const trainer = await Trainer.create({spec, loss, optimizer, seed: 7, threads: 1})
    const tfjs = await TfjsTrainer.create({spec, loss, optimizer, seed: 7})
    try {
      const [a, b] = [await trainer.step(x, y, BATCH), await tfjs.step(x, y, BATCH)]
      expect(Number.isFinite(a.loss)).toBe(true)
      expect(b.loss).toBeCloseTo(a.loss, 4)

      const logits = await trainer.predict(x, BATCH, BATCH)
      const session = await ort.InferenceSession.create(buildInferenceModel(spec, trainer.getWeights()))
      const output = await session.run({input: new ort.Tensor('uint8', x, [BATCH, ...shape])})
      await session.release()
      const exported = output.logits.data as Float32Array
      expect(output.logits.dims).toEqual([BATCH, CLASSES])
      exported.forEach((v, i) => expect(v).toBeCloseTo(logits[i], 4))
    } finally {
      await trainer.release()
      tfjs.release()
    }
  })

  it('lenet-cifar is the PyTorch tutorial network: 62,006 parameters on 3x32x32, as lenet there', () => {
    const count = (name: 'lenet' | 'lenet-cifar', inputShape: number[]) =>
      resolveModel(presetSpec(name, {inputShape, outputs: 10}))
        .parameters.filter((p) => p.trainable)
        .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0)
    expect(count('lenet-cifar', [3, 32, 32])).toBe(62_006)
    expect(presetSpec('lenet-cifar', {inputShape: [3, 32, 32], outputs: 10})).toEqual(
      presetSpec('lenet', {inputShape: [3, 32, 32], outputs: 10}),
    )
    // Below 32x32 lenet pads its first conv, lenet-cifar does not: 16x4x4 before the dense layers on 28x28.
    const shapes = resolveModel(presetSpec('lenet-cifar', {inputShape: [1, 28, 28], outputs: 10})).layers.map((l) =>
      l.outputShape.join('x'),
    )
    expect(shapes[6]).toBe('256')
  })

  it.each([
    ['lenet', [1, 8, 8], 12, '8x8'],
    ['lenet-cifar', [3, 12, 12], 16, '12x12'],
    ['cnn', [1, 10, 40], 16, '10x40'],
  ] as const)('%s refuses an image smaller than it takes', (name, shape, side, got) => {
    const build = () => presetSpec(name, {inputShape: [...shape], outputs: 2})
    expect(build).toThrow(UserError)
    expect(build).toThrow(
      `preset ${name} needs images of at least ${side}x${side} pixels, got ${got}; use larger images, --model mlp, or a spec file with smaller kernels`,
    )
    // The smallest size it names does build.
    expect(() => presetSpec(name, {inputShape: [shape[0], side, side], outputs: 2})).not.toThrow()
  })
})
