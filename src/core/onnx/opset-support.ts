/**
 * Whether a model's ONNX operator set is one onnxruntime runs. onnxruntime implements the default domain
 * from opset 7 on; an older model either loads (when each of its operators kept its definition since) or
 * fails with a message about a missing kernel, such as "Could not find an implementation for
 * AveragePool(1)", that does not say why. Callers ask only once loading failed, so models that load still run.
 */
import {decodeModel} from './onnx-proto.js'

export const MIN_ONNXRUNTIME_OPSET = 7

/** Why onnxruntime cannot run the model in `bytes` if its opset is the reason, as a clause; else undefined. */
export function unsupportedOpset(bytes: Uint8Array): string | undefined {
  const opset = defaultDomainOpset(bytes)
  if (opset === undefined || opset >= MIN_ONNXRUNTIME_OPSET) return undefined
  return `it uses ONNX opset ${opset}, and onnxruntime needs opset ${MIN_ONNXRUNTIME_OPSET} or later; convert it with onnx.version_converter.convert_version(model, ${MIN_ONNXRUNTIME_OPSET}) and save it again`
}

/** The opset imported for the default ("" or "ai.onnx") domain, or undefined if the bytes do not say. */
function defaultDomainOpset(bytes: Uint8Array): number | undefined {
  try {
    const {opsetImport} = decodeModel(bytes)
    return opsetImport.find(({domain}) => domain === '' || domain === 'ai.onnx')?.version
  } catch {
    // Not an ONNX file: the caller reports onnxruntime's own message.
    return undefined
  }
}
