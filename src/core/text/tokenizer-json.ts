import {UserError} from '../errors.js'

/**
 * The parts of the Hugging Face tokenizers `tokenizer.json` format that mlctl reads and writes. The format is
 * the Rust crate's serialization; `@huggingface/tokenizers` (JavaScript) reads the same file, and the test
 * `test/text/tokenizer-compat.test.ts` checks that both give the same ids.
 */

export interface AddedTokenJson {
  id: number
  content: string
  single_word?: boolean
  lstrip?: boolean
  rstrip?: boolean
  normalized?: boolean
  special?: boolean
}

export type NormalizerJson =
  | {
      type: 'BertNormalizer'
      clean_text?: boolean
      handle_chinese_chars?: boolean
      strip_accents?: boolean | null
      lowercase?: boolean
    }
  | {type: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' | 'Lowercase' | 'StripAccents'}
  | {type: 'Strip'; strip_left?: boolean; strip_right?: boolean}
  | {type: 'Sequence'; normalizers: NormalizerJson[]}

export type PreTokenizerJson =
  {type: 'BertPreTokenizer' | 'WhitespaceSplit'} | {type: 'Sequence'; pretokenizers: PreTokenizerJson[]}

export interface WordPieceModelJson {
  type: 'WordPiece'
  unk_token: string
  continuing_subword_prefix: string
  max_input_chars_per_word: number
  vocab: Record<string, number>
}

type TemplatePiece = {SpecialToken: {id: string; type_id: number}} | {Sequence: {id: 'A' | 'B'; type_id: number}}

export type PostProcessorJson =
  | {type: 'BertProcessing'; sep: [string, number]; cls: [string, number]}
  | {type: 'TemplateProcessing'; single: TemplatePiece[]; pair?: TemplatePiece[]; special_tokens?: object}

export interface TokenizerJson {
  version: string
  truncation: null | object
  padding: null | object
  added_tokens: AddedTokenJson[]
  normalizer: NormalizerJson | null
  pre_tokenizer: PreTokenizerJson | null
  post_processor: PostProcessorJson | null
  decoder: object | null
  model: WordPieceModelJson
}

export const PAD_TOKEN = '[PAD]'
export const UNK_TOKEN = '[UNK]'
export const CONTINUATION_PREFIX = '##'

export function unsupported(part: string, type: string | undefined, source: string): UserError {
  return new UserError(
    `${source}: its ${part} "${type}" is not supported; mlctl reads WordPiece tokenizers with BERT-style normalizers and pre-tokenizers. Pass such a tokenizer.json, or leave out --tokenizer to train one.`,
  )
}

/**
 * A parsed tokenizer.json checked for what mlctl needs: a WordPiece model with a vocabulary of integer ids.
 * Defaults are the Rust crate's (continuation prefix `##`, 100 characters per word). Unsupported normalizers
 * and pre-tokenizers are reported when the tokenizer is built.
 */
export function parseTokenizerJson(value: unknown, source: string): TokenizerJson {
  if (!isObject(value) || !isObject(value.model))
    throw new UserError(`${source} is not a tokenizer.json (no "model" object); pass a Hugging Face tokenizer.json.`)
  const model = value.model
  if (model.type !== 'WordPiece')
    throw unsupported('model', typeof model.type === 'string' ? model.type : 'untyped', source)
  if (!isObject(model.vocab) || !Object.values(model.vocab).every((id) => Number.isInteger(id) && (id as number) >= 0))
    throw new UserError(`${source}: its WordPiece vocabulary is not an object of token: id (a whole number).`)
  if (typeof model.unk_token !== 'string') throw new UserError(`${source}: its WordPiece model has no unk_token.`)
  const added = value.added_tokens ?? []
  if (
    !Array.isArray(added) ||
    !added.every((t) => isObject(t) && typeof t.content === 'string' && Number.isInteger(t.id))
  )
    throw new UserError(`${source}: its added_tokens are not a list of {id, content} objects.`)
  return {
    version: typeof value.version === 'string' ? value.version : '1.0',
    truncation: null,
    padding: null,
    added_tokens: added as AddedTokenJson[],
    normalizer: (value.normalizer ?? null) as NormalizerJson | null,
    pre_tokenizer: (value.pre_tokenizer ?? null) as PreTokenizerJson | null,
    post_processor: (value.post_processor ?? null) as PostProcessorJson | null,
    decoder: isObject(value.decoder) ? value.decoder : null,
    model: {
      type: 'WordPiece',
      unk_token: model.unk_token,
      continuing_subword_prefix:
        typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : CONTINUATION_PREFIX,
      max_input_chars_per_word: Number.isInteger(model.max_input_chars_per_word)
        ? (model.max_input_chars_per_word as number)
        : 100,
      vocab: model.vocab as Record<string, number>,
    },
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
