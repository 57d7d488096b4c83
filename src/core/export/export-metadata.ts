import type {InputNormalization} from '../onnx/input-normalization.js'
import type {TrainedRun} from './trained-run.js'

/**
 * The metadata_props of an exported file: what a server or a user needs to feed it and read its output.
 * Keys: class_names (JSON array, classification only), task, input_layout (NCHW or NC),
 * input_normalization (JSON, see InputNormalization), dataset, training_metrics (JSON: the best epoch's
 * record, which is the epoch exported), mlctl_version.
 */
export function exportMetadata(
  run: TrainedRun,
  normalization: InputNormalization,
  mlctlVersion: string,
): Record<string, string> {
  return {
    ...(run.classNames && {class_names: JSON.stringify(run.classNames)}),
    task: run.task,
    input_layout: run.spec.inputShape.length === 3 ? 'NCHW' : 'NC',
    input_normalization: JSON.stringify(normalization),
    dataset: run.datasetName,
    training_metrics: JSON.stringify(run.trainingMetrics),
    mlctl_version: mlctlVersion,
  }
}
