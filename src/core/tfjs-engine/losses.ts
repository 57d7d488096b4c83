import type {Scalar, Tensor2D} from '@tensorflow/tfjs'
import type {BatchTargets, LossConfig} from '../training/index.js'
import type {Tfjs} from './load-tfjs.js'

/**
 * Every loss as TF.js ops on output [N, K] and targetValues [N, K]; their gradients come from autodiff,
 * an independent check on the ONNX Runtime engine's hand-written ones.
 */
export function lossValue(tf: Tfjs, loss: LossConfig, output: Tensor2D, target: Tensor2D): Scalar {
  switch (loss.name) {
    case 'softmaxCrossEntropy':
      return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(output)), 1))) as Scalar
    case 'binaryCrossEntropy':
      // max(z, 0) - z*y + log(1 + exp(-|z|)): stable for any logit z
      return tf.mean(tf.add(tf.sub(tf.relu(output), tf.mul(output, target)), tf.softplus(tf.neg(tf.abs(output)))))
    case 'mse':
      return tf.mean(tf.square(tf.sub(output, target)))
    case 'mae':
      return tf.mean(tf.abs(tf.sub(output, target)))
    case 'huber': {
      const delta = loss.delta ?? 1
      const absolute = tf.abs(tf.sub(output, target))
      const quadratic = tf.minimum(absolute, delta)
      return tf.mean(tf.add(tf.mul(tf.square(quadratic), 0.5), tf.mul(tf.sub(absolute, quadratic), delta)))
    }
  }
}

/**
 * The target of `count` examples as [count, outputs] float32 values: class labels become (smoothed)
 * one-hot rows, onehot * (1 - e) + e / classes as LossConfig describes; float
 * targets pass through.
 */
export function targetValues(loss: LossConfig, targets: BatchTargets, count: number, outputs: number): Float32Array {
  if (loss.name !== 'softmaxCrossEntropy') return targets instanceof Float32Array ? targets : Float32Array.from(targets)
  const smoothing = loss.labelSmoothing ?? 0
  const off = smoothing / outputs
  const values = new Float32Array(count * outputs).fill(off)
  for (let n = 0; n < count; n++) values[n * outputs + targets[n]] = 1 - smoothing + off
  return values
}
