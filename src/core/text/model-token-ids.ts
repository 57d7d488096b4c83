import type {ModelMetadata} from '../onnx/model-metadata.js'
import {addHashedBigrams} from './hashed-bigrams.js'
import {encodeTexts, padTokenIds} from './token-ids.js'
import {parseTokenizerJson, type TokenizerJson} from './tokenizer-json.js'
import {WordPieceTokenizer} from './wordpiece.js'

/** What a trained text model records about its input: its tokenizer, sequence length and bigram buckets. */
export interface TextModelInput {
  tokenizer: TokenizerJson
  maxLength: number
  /** train --ngrams 2: hashed bigrams follow each text's tokens. */
  bigramBuckets?: number
}

/**
 * Raw texts as a trained text model's token ids, by the steps train and evaluate use on a text dataset
 * (encodeTexts, padTokenIds to the model's length, then addHashedBigrams for a --ngrams 2 model), so that
 * predict and serve give evaluate's answers for the same texts.
 */
export class ModelTokenIds {
  readonly padId: number
  /** Ids per text: the model's sequence length, or 2 * length - 1 with hashed bigrams. */
  readonly width: number
  private readonly tokenizer: WordPieceTokenizer

  constructor(private readonly input: TextModelInput) {
    this.tokenizer = new WordPieceTokenizer(input.tokenizer)
    this.padId = this.tokenizer.padId
    this.width = widthOf(input.maxLength, input.bigramBuckets)
  }

  /**
   * Row-major [texts.length, width] ids, right-padded with padId. Each text keeps at most the model's sequence
   * length in tokens; `pad` 'model' pads to that length, 'longest' only to the longest text's (for a model
   * that takes any length: padding is masked, so the answers are the same, and short texts cost less).
   */
  encode(texts: readonly string[], pad: 'model' | 'longest' = 'model'): {ids: Int32Array; width: number} {
    const {maxLength, bigramBuckets} = this.input
    const encoded = encodeTexts(this.tokenizer, texts)
    let length = maxLength
    if (pad === 'longest') {
      let longest = 1
      for (const ids of encoded) longest = Math.max(longest, ids.length)
      length = Math.min(maxLength, longest)
    }
    const ids = padTokenIds(this.tokenizer, encoded, length)
    const width = widthOf(length, bigramBuckets)
    if (!bigramBuckets) return {ids, width}
    return {
      ids: addHashedBigrams(ids, texts.length, length, this.padId, this.tokenizer.vocabSize, bigramBuckets),
      width,
    }
  }
}

function widthOf(length: number, bigramBuckets: number | undefined): number {
  return bigramBuckets ? 2 * length - 1 : length
}

/**
 * An exported text model's input from its metadata (text_input and tokenizer), or undefined for a model that
 * does not take text. A tokenizer that is not a valid tokenizer.json is a UserError naming `source`.
 */
export function textModelInputOf(
  metadata: Pick<ModelMetadata, 'textInput' | 'tokenizer'>,
  source: string,
): TextModelInput | undefined {
  const {textInput, tokenizer} = metadata
  if (!textInput || tokenizer === undefined) return undefined
  return {
    tokenizer: parseTokenizerJson(parseJsonOrUndefined(tokenizer), `${source} (metadata_props tokenizer)`),
    maxLength: textInput.sequenceLength,
    ...(textInput.bigramBuckets && {bigramBuckets: textInput.bigramBuckets}),
  }
}

/** Text that is not JSON becomes undefined, which parseTokenizerJson then reports as not a tokenizer.json. */
function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
