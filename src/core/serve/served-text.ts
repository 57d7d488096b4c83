/**
 * A served text model's texts as its inputs. The model itself takes token ids (input_ids and attention_mask,
 * int64 [batch, sequence]); clients send texts, as a BYTES tensor "text" to /v2/models/NAME/infer or as
 * {"instances": [...]} to /predict, and each is tokenized here with the model's own tokenizer (ModelTokenIds,
 * what mlctl predict and evaluate use). Token ids sent as the two INT64 tensors go to the model as they are.
 *
 * The metadata shows the one BYTES input, as a Triton ensemble with a tokenizer step shows its text input: a
 * client that fills every input the metadata lists then sends texts, not texts and ids.
 *
 * When the model takes any sequence length (mlctl exports "sequence" symbolic), a request's texts are padded
 * only to its longest text, and the batcher pads merged requests to the longest of the batch: padding is
 * masked, so the answers are those of padding to the full length, without computing on it.
 */
import {ATTENTION_MASK_NAME, INPUT_IDS_NAME, tokenFeeds} from '../engine/index.js'
import {UserError} from '../errors.js'
import type {ModelMetadata} from '../onnx/model-metadata.js'
import {ModelTokenIds, textModelInputOf} from '../text/model-token-ids.js'
import {quote, shapeText} from './client-text.js'
import type {ModelSignature} from './input-validation.js'
import {invalid} from './tensor-codec.js'
import type {RequestTensor, Tensor} from './tensor.js'

export const TEXT_INPUT_NAME = 'text'

export class ServedText {
  /** What the model's metadata shows as its input: one text per row. */
  readonly spec: {name: string; datatype: 'BYTES'; shape: number[]} = {
    name: TEXT_INPUT_NAME,
    datatype: 'BYTES',
    shape: [-1],
  }

  private constructor(
    private readonly model: string,
    readonly tokens: ModelTokenIds,
    /** input_ids' and attention_mask's pad values in the model's input order, when it takes any length */
    readonly sequencePadding: number[] | undefined,
  ) {}

  /**
   * The text side of a model whose metadata records a tokenizer and text_input and whose inputs are
   * input_ids and attention_mask; undefined for any other model. A tokenizer that cannot be read is a UserError.
   */
  static of(model: string, metadata: ModelMetadata, signature: ModelSignature): ServedText | undefined {
    const names = signature.inputs.map((spec) => spec.name)
    if (names.length !== 2 || !names.includes(INPUT_IDS_NAME) || !names.includes(ATTENTION_MASK_NAME)) return undefined
    const input = textModelInputOf(metadata, `model "${model}"`)
    if (!input) return undefined
    const tokens = new ModelTokenIds(input)
    const anyLength = signature.inputs.every((spec) => spec.shape.length === 2 && spec.shape[1] === -1)
    const padding = anyLength
      ? signature.inputs.map((spec) => (spec.name === INPUT_IDS_NAME ? tokens.padId : 0))
      : undefined
    return new ServedText(model, tokens, padding)
  }

  /** The texts' input_ids and attention_mask, int64 [texts, width]. */
  tensors(texts: string[]): Tensor[] {
    const {ids, width} = this.tokens.encode(texts, this.sequencePadding ? 'longest' : 'model')
    const feeds = tokenFeeds(ids, [texts.length, width], this.tokens.padId)
    return Object.entries(feeds).map(([name, feed]) => ({
      name,
      datatype: 'INT64',
      shape: [texts.length, width],
      data: feed.data as BigInt64Array,
    }))
  }

  /** A request's inputs as the model takes them: a BYTES "text" tokenized, token ids as they are. */
  inputsOf(inputs: RequestTensor[]): RequestTensor[] {
    const text = inputs.find((input) => input.datatype === 'BYTES' || input.name === TEXT_INPUT_NAME)
    if (!text) return inputs
    if (text.datatype !== 'BYTES')
      throw invalid(
        `input "${TEXT_INPUT_NAME}" has datatype ${text.datatype} but the model expects BYTES (one string per text)`,
      )
    if (text.name !== TEXT_INPUT_NAME)
      throw invalid(
        `unknown input ${quote(text.name)}; model "${this.model}" takes "${TEXT_INPUT_NAME}" (BYTES, one text per row), or token ids as "${INPUT_IDS_NAME}" and "${ATTENTION_MASK_NAME}" (INT64)`,
      )
    if (inputs.length > 1)
      throw invalid(
        `send "${TEXT_INPUT_NAME}" alone, or "${INPUT_IDS_NAME}" and "${ATTENTION_MASK_NAME}" without it; this request sends ${inputs.map((input) => quote(input.name)).join(', ')}`,
      )
    // [N, 1]: what clients written for Triton models with dims [1] send.
    const [rows, ...rest] = text.shape
    if (text.shape.length === 0 || rest.some((dim) => dim !== 1) || rest.length > 1)
      throw invalid(
        `input "${TEXT_INPUT_NAME}" has shape ${shapeText(text.shape)} but the model expects ${shapeText(this.spec.shape)} (-1: any size): one text per row`,
      )
    if (rows === 0) throw invalid(`input "${TEXT_INPUT_NAME}" holds no text; send at least one`)
    return this.tensors(text.data)
  }
}

/** The model's text side; a tokenizer that cannot be read leaves it taking token ids only (said in `warnings`). */
export function servedTextOf(
  model: string,
  metadata: ModelMetadata,
  signature: ModelSignature,
  warnings: string[],
): ServedText | undefined {
  try {
    return ServedText.of(model, metadata, signature)
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    warnings.push(`${error.message}; texts are refused, token ids (input_ids, attention_mask) still work`)
    return undefined
  }
}
