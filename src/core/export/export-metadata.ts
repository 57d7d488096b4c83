import {describeInputNormalization} from '../onnx/input-normalization.js'
import {resolveModel} from '../model/resolve-model.js'
import {toMetadataProps} from '../onnx/model-metadata.js'
import type {TrainedRun} from './trained-run.js'

/**
 * The metadata_props of an exported file; its training_metrics are the best epoch's, the epoch exported.
 * normalizeInGraph: the graph scales and standardizes its input itself (export --normalize).
 */
export function exportMetadata(
  run: TrainedRun,
  normalizeInGraph: boolean,
  mlctlVersion: string,
): Record<string, string> {
  const tokens = run.spec.inputType === 'int32'
  return toMetadataProps({
    classNames: run.classNames,
    task: run.task,
    // a token model's inputs are described by text_input instead
    ...(!tokens && {
      inputLayout: run.spec.inputShape.length === 3 ? 'NCHW' : 'NC',
      inputNormalization: describeInputNormalization(run.spec, normalizeInGraph),
    }),
    dataset: run.datasetName,
    trainingMetrics: run.trainingMetrics,
    mlctlVersion,
    ...(run.featureNames && {
      tablePreprocessing: {
        columns: run.featureNames,
        ...(run.columnEncodings && {columnEncodings: run.columnEncodings}),
        ...(run.targetName && {target: run.targetName}),
        ...(run.spec.normalize && {
          featureStandardization: {
            ...run.spec.normalize,
            inGraph: normalizeInGraph,
            ...(run.robustScaling && {method: 'robust' as const}),
          },
        }),
        ...(run.spec.denormalize && {targetStandardization: run.spec.denormalize}),
      },
    }),
    ...(run.imagePreprocessing && {imagePreprocessing: run.imagePreprocessing}),
    ...(tokens && {
      textInput: {
        padId: run.spec.padId ?? 0,
        vocabSize: resolveModel(run.spec).parameters[0].shape[0],
        // tokens per text: hashed bigrams, when the model has them, come after
        sequenceLength: run.text?.bigramBuckets ? (run.spec.inputShape[0] + 1) / 2 : run.spec.inputShape[0],
        ...(run.text?.bigramBuckets && {bigramBuckets: run.text.bigramBuckets}),
      },
    }),
    ...(run.text && {tokenizer: JSON.stringify(run.text.tokenizer)}),
  })
}
