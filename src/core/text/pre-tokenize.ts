import {type PreTokenizerJson, unsupported} from './tokenizer-json.js'

/** Splits normalized text into words, each of which the model encodes on its own. */
export type PreTokenize = (text: string) => string[]

/** Unicode punctuation plus ASCII symbols, as BERT (and `@huggingface/tokenizers`) count punctuation. */
const PUNCTUATION = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E'
const BERT_WORDS = new RegExp(`[^\\s${PUNCTUATION}]+|[${PUNCTUATION}]`, 'gu')
const NON_SPACE = /\S+/g

export function compilePreTokenizer(config: PreTokenizerJson | null, source: string): PreTokenize | undefined {
  if (config === null) return undefined
  switch (config.type) {
    case 'BertPreTokenizer':
      return (text) => text.trim().match(BERT_WORDS) ?? []
    case 'WhitespaceSplit':
      return (text) => text.match(NON_SPACE) ?? []
    case 'Sequence': {
      const steps = config.pretokenizers.map((step) => compilePreTokenizer(step, source))
      return (text) =>
        steps.reduce<string[]>((words, step) => (step ? words.flatMap((word) => step(word)) : words), [text])
    }
    default:
      throw unsupported('pre-tokenizer', (config as {type: string}).type, source)
  }
}
