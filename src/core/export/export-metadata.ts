import type {InputNormalization} from '../onnx/input-normalization.js'
import {toMetadataProps} from '../onnx/model-metadata.js'
import type {TrainedRun} from './trained-run.js'

/** The metadata_props of an exported file; its training_metrics are the best epoch's, the epoch exported. */
export function exportMetadata(
  run: TrainedRun,
  normalization: InputNormalization,
  mlctlVersion: string,
): Record<string, string> {
  return toMetadataProps({
    classNames: run.classNames,
    task: run.task,
    inputLayout: run.spec.inputShape.length === 3 ? 'NCHW' : 'NC',
    inputNormalization: normalization,
    dataset: run.datasetName,
    trainingMetrics: run.trainingMetrics,
    mlctlVersion,
  })
}
