import {UserError} from '../errors.js'
import type {ModelProto} from '../onnx/onnx-proto.js'

/**
 * The IR version each ONNX release paired with its newest opset (onnx/helper.py VERSION_TABLE), for the
 * opsets an export may declare. mlctl's inference graphs use Conv, MaxPool, AveragePool, Gemm, Flatten,
 * BatchNormalization (inference form), Relu, LeakyRelu, Tanh, Sigmoid, Softmax (on [N, K], where the
 * pre-13 definition agrees), Cast, Add, Mul and Identity with the attributes and float32/uint8 types
 * that every opset from 9 to 23 defines the same way; later versions of these ops only add types.
 * Below 9 the IR version (3) would require every weight to be listed as a graph input as well.
 */
const IR_VERSION_FOR_OPSET: Record<number, number> = {
  9: 4,
  10: 5,
  11: 6,
  12: 7,
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
  22: 10,
  23: 11,
}

export const SUPPORTED_OPSETS = {min: 9, max: 23} as const

export function checkOpset(opset: number): void {
  if (!(opset in IR_VERSION_FOR_OPSET)) {
    throw new UserError(
      `--opset ${opset} is not supported; mlctl's graphs can be written for opsets ${SUPPORTED_OPSETS.min} to ${SUPPORTED_OPSETS.max} (default 17)`,
      2,
    )
  }
}

/** Declares `opset` (and its IR version) in place of the builder's; the nodes stay as they are. */
export function withOpset(model: ModelProto, opset: number): ModelProto {
  checkOpset(opset)
  model.opsetImport = [{domain: '', version: opset}]
  model.irVersion = IR_VERSION_FOR_OPSET[opset]
  return model
}
