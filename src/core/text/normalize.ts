import {type NormalizerJson, unsupported} from './tokenizer-json.js'

/** One normalization step of a tokenizer.json, as a string function. */
export type Normalize = (text: string) => string

/**
 * Control, format, private-use and surrogate characters, which BERT's clean-up drops (tab, newline and carriage
 * return excepted: they become spaces), plus NUL and the replacement character U+FFFD that bad decoding leaves.
 */
const UNPRINTABLE = /[\0\uFFFD]|(?![\t\n\r])[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu
const WHITESPACE = /\s/g
/**
 * CJK ideographs, each made a word of its own. Matched per UTF-16 unit, as `@huggingface/tokenizers` does, so
 * that ideographs outside the Basic Multilingual Plane stay inside their words there and here alike.
 */
const CJK_IDEOGRAPH = /[\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF]/g
const NONSPACING_MARK = /\p{Mn}/gu
const ANY_MARK = /\p{M}/gu

/**
 * The normalizer a tokenizer.json describes, step for step as `@huggingface/tokenizers` applies it (the ids
 * must agree with that library's). A type mlctl does not implement is an error naming it.
 */
export function compileNormalizer(config: NormalizerJson | null, source: string): Normalize | undefined {
  if (config === null) return undefined
  switch (config.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = config.type
      return (text) => text.normalize(form)
    }
    case 'Lowercase':
      return (text) => text.toLowerCase()
    case 'StripAccents':
      return (text) => text.replace(ANY_MARK, '')
    case 'Strip': {
      const {strip_left: left = true, strip_right: right = true} = config
      return (text) => (left && right ? text.trim() : left ? text.trimStart() : right ? text.trimEnd() : text)
    }
    case 'BertNormalizer':
      return bertNormalizer(config)
    case 'Sequence': {
      const steps = config.normalizers
        .map((step) => compileNormalizer(step, source))
        .filter((step): step is Normalize => step !== undefined)
      return (text) => steps.reduce((t, step) => step(t), text)
    }
    default:
      throw unsupported('normalizer', (config as {type: string}).type, source)
  }
}

function bertNormalizer(config: Extract<NormalizerJson, {type: 'BertNormalizer'}>): Normalize {
  const stripAccents = config.lowercase ? config.strip_accents !== false : config.strip_accents === true
  return (text) => {
    if (config.clean_text) text = text.replace(UNPRINTABLE, '').replace(WHITESPACE, ' ')
    if (config.handle_chinese_chars) text = text.replace(CJK_IDEOGRAPH, ' $& ')
    if (config.lowercase) text = text.toLowerCase()
    if (stripAccents) text = text.normalize('NFD').replace(NONSPACING_MARK, '')
    return text
  }
}
