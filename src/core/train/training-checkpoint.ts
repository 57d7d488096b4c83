import type {ModelSpec} from '../model/spec.js'
import type {OptimizerState} from '../optim/optimizer.js'
import {type CheckpointTensor, readCheckpoint, writeCheckpoint} from './checkpoint-file.js'
import type {TrainingEngine} from '../training/index.js'
import type {LoopState} from './training-loop.js'

/** What `checkpoints/last` and `checkpoints/best` hold: enough to continue the run bit for bit. */
export interface TrainingCheckpoint {
  spec: ModelSpec
  loop: LoopState
  weights: Array<{name: string; shape: number[]; data: Float32Array}>
  optimizer: OptimizerState
}

interface Meta {
  format: 1
  spec: ModelSpec
  loop: LoopState
  weightNames: string[]
  optimizer: {name: OptimizerState['name']; step: number; slots: Record<string, number>}
}

export function saveTrainingCheckpoint(path: string, spec: ModelSpec, engine: TrainingEngine, loop: LoopState): void {
  const weights = engine.getWeights()
  const optimizer = engine.optimizer.getState()
  const tensors: Record<string, CheckpointTensor> = {}
  for (const w of weights) tensors[`weights/${w.name}`] = {shape: w.shape, data: w.data}
  for (const [slot, arrays] of Object.entries(optimizer.slots)) {
    arrays.forEach((data, i) => (tensors[`optimizer/${slot}/${i}`] = {shape: [data.length], data}))
  }
  const meta: Meta = {
    format: 1,
    spec,
    loop,
    weightNames: weights.map((w) => w.name),
    optimizer: {
      name: optimizer.name,
      step: optimizer.step,
      slots: Object.fromEntries(Object.entries(optimizer.slots).map(([k, v]) => [k, v.length])),
    },
  }
  writeCheckpoint(path, {meta, tensors})
}

export function loadTrainingCheckpoint(path: string): TrainingCheckpoint {
  const {meta, tensors} = readCheckpoint<Meta>(path)
  const slots = Object.fromEntries(
    Object.entries(meta.optimizer.slots).map(([slot, count]) => [
      slot,
      Array.from({length: count}, (_, i) => tensors[`optimizer/${slot}/${i}`].data),
    ]),
  )
  return {
    spec: meta.spec,
    loop: meta.loop,
    weights: meta.weightNames.map((name) => ({name, ...tensors[`weights/${name}`]})),
    optimizer: {name: meta.optimizer.name, step: meta.optimizer.step, slots},
  }
}
