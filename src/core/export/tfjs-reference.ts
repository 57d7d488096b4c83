import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {Tensor} from '@tensorflow/tfjs'

import type {DataSplit} from '../data/index.js'
import {loadTfjs} from '../tfjs-engine/load-tfjs.js'
import {MODEL_JSON} from '../tfjs-format/layers-model-dir.js'
import type {LayersModelJson} from '../tfjs-format/layers-model.js'

/** Examples per predict call: bounds TensorFlow.js's memory on large samples. */
const BATCH = 64

/**
 * The logits (the output before a final softmax layer) of the run's model/ as TensorFlow.js computes them,
 * for the raw examples of `sample` (NCHW images or feature rows), [count * outputs].
 *
 * This is the reference an export is verified against, chosen because it shares nothing with the ONNX
 * file but the weights as model/ stores them: another runtime (TensorFlow.js kernels, not onnxruntime),
 * another layout (NHWC activations, HWIO kernels, its own flatten order), the Keras topology instead of the
 * mlctl spec, and the input scaling of a Rescaling layer instead of the graph's. The engine's own
 * predict would run the very graph the exporter builds and could not catch a mistake in it.
 */
export async function tfjsReferenceLogits(
  modelDir: string,
  sample: DataSplit,
  endsWithSoftmax: boolean,
): Promise<Float32Array> {
  const {tf} = await loadTfjs()
  const modelJson = JSON.parse(readFileSync(join(modelDir, MODEL_JSON), 'utf8')) as LayersModelJson
  const weightData = Buffer.concat(
    modelJson.weightsManifest.flatMap((group) => group.paths.map((path) => readFileSync(join(modelDir, path)))),
  )
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
      weightData: new Uint8Array(weightData).buffer,
    }),
  )
  try {
    const beforeSoftmax = loaded.layers[loaded.layers.length - 2]
    const model = endsWithSoftmax ? tf.model({inputs: loaded.inputs, outputs: beforeSoftmax.output}) : loaded
    const exampleShape = loaded.inputs[0].shape.slice(1) as number[]
    const perExample = exampleShape.reduce((a, b) => a * b, 1)
    const logits: Float32Array[] = []
    for (let from = 0; from < sample.count; from += BATCH) {
      const count = Math.min(BATCH, sample.count - from)
      const raw = sample.inputs.subarray(from * perExample, (from + count) * perExample)
      // token ids go in as they are; images are NHWC in TF.js
      const values =
        raw instanceof Int32Array
          ? raw
          : exampleShape.length === 3
            ? nchwToNhwc(raw, count, exampleShape)
            : Float32Array.from(raw)
      const output = tf.tidy(() => model.predict(tf.tensor(values, [count, ...exampleShape])) as Tensor)
      logits.push((await output.data()) as Float32Array)
      output.dispose()
    }
    return concat(logits)
  } finally {
    loaded.dispose()
  }
}

/** TensorFlow.js layers take images NHWC: reorders `count` NCHW images, given their [H, W, C] shape. */
function nchwToNhwc(raw: Uint8Array | Float32Array, count: number, [height, width, channels]: number[]): Float32Array {
  const out = new Float32Array(raw.length)
  const plane = height * width
  for (let n = 0; n < count; n++) {
    const base = n * plane * channels
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < plane; p++) out[base + p * channels + c] = raw[base + c * plane + p]
  }
  return out
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
