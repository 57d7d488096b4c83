/** The text presets train on token ids with the ONNX Runtime engine, and its predict runs the exported graph. */
import {afterEach, describe, expect, it} from 'vitest'
import {Trainer} from '../../src/core/engine/index.js'
import {presetSpec} from '../../src/core/model/presets.js'
import {tokenDataset} from '../helpers/token-dataset.js'

const trainers: Trainer[] = []
afterEach(async () => {
  await Promise.all(trainers.splice(0).map((t) => t.release()))
})

describe('text presets on the ONNX Runtime engine', () => {
  it.each(['bag', 'textcnn'] as const)(
    '%s learns whether a token appears (test accuracy above 95 percent)',
    async (preset) => {
      const data = tokenDataset()
      const spec = presetSpec(preset, {inputShape: data.inputShape, outputs: 2, inputType: 'int32', vocabSize: 40})
      const trainer = await Trainer.create({
        spec,
        loss: {name: 'softmaxCrossEntropy'},
        optimizer: {name: 'adam', lr: preset === 'bag' ? 0.05 : 0.01},
        seed: 1,
        threads: 1,
      })
      trainers.push(trainer)
      const {train} = data
      const test = data.test!
      const batch = 32
      for (let epoch = 0; epoch < (preset === 'bag' ? 15 : 6); epoch++)
        for (let from = 0; from + batch <= train.count; from += batch)
          await trainer.step(
            (train.inputs as Int32Array).subarray(from * 16, (from + batch) * 16),
            train.targets.subarray(from, from + batch),
            batch,
          )
      const evaluated = await trainer.evaluate(test.inputs, test.targets, test.count, 64)
      expect(evaluated.metric).toBeGreaterThan(0.95)
      // predict runs the exported graph (input_ids, attention_mask): same decisions as the evaluation graph
      const logits = await trainer.predict(test.inputs, test.count, 50)
      let correct = 0
      for (let n = 0; n < test.count; n++)
        correct += Number((logits[2 * n + 1] > logits[2 * n] ? 1 : 0) === test.targets[n])
      expect(correct / test.count).toBeCloseTo(evaluated.metric, 5)
      // the padding row stays zero: it never gets a gradient
      const table = trainer.getWeights().find((w) => w.name === 'embedding_1/embeddings')!
      expect(Array.from(table.data.subarray(0, table.shape[1])).every((v) => v === 0)).toBe(true)
    },
  )
})
