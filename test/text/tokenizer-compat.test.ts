import {Tokenizer} from '@huggingface/tokenizers'
import {describe, expect, it} from 'vitest'

import type {TokenizerJson} from '../../src/core/text/tokenizer-json.js'
import {parseTokenizerJson} from '../../src/core/text/tokenizer-json.js'
import {WordPieceTokenizer} from '../../src/core/text/wordpiece.js'
import {trainWordPiece} from '../../src/core/text/wordpiece-trainer.js'
import {REVIEW_TEXTS} from './review-texts.js'

/** Texts the tokenizers were not trained on, with characters outside every vocabulary. */
const UNSEEN = [
  'unseen wörds 🤖 and a new ideograph 龍, plus https://foo.bar/baz?q=1',
  '',
  '   ',
  'x'.repeat(150),
  'MiXeD CaSe ÉCOLE ÅNGSTRÖM',
]

function hfIds(json: TokenizerJson, text: string): number[] {
  // A fresh copy: the library keeps the object it is given.
  return new Tokenizer(structuredClone(json), {}).encode(text).ids
}

describe('tokenizer.json read by @huggingface/tokenizers gives the same ids as mlctl', () => {
  for (const lowercase of [false, true]) {
    it(`a trained WordPiece (lowercase ${lowercase}) on real review text`, () => {
      const json = trainWordPiece(REVIEW_TEXTS, {vocabSize: 300, lowercase})
      const ours = new WordPieceTokenizer(json)
      const hf = new Tokenizer(structuredClone(json), {})
      for (const text of [...REVIEW_TEXTS, ...UNSEEN]) expect(ours.encode(text), text).toEqual(hf.encode(text).ids)
      // Learned pieces are used, not only characters: a frequent word is one token.
      expect(ours.encode('product')).toHaveLength(1)
      expect(ours.encode('🤖')).toEqual([ours.unkId])
    })
  }

  it('a BERT-style tokenizer.json: uncased normalizer with accent stripping, [CLS]/[SEP] template, added tokens', () => {
    const words = [
      '[PAD]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
      'the',
      'product',
      'was',
      'great',
      'cafe',
      '!',
      ',',
      '.',
    ]
    const pieces = ['un', '##believ', '##able', 'e', '##cole', 'c', '##a', '##f', '##e', 'i', '##s', '##n']
    const vocab = Object.fromEntries([...words, ...pieces].map((token, id) => [token, id]))
    const special = (id: number, content: string) => ({id, content, special: true, normalized: false})
    const json = parseTokenizerJson(
      {
        version: '1.0',
        added_tokens: [
          special(0, '[PAD]'),
          special(1, '[UNK]'),
          special(2, '[CLS]'),
          special(3, '[SEP]'),
          special(4, '[MASK]'),
        ],
        normalizer: {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
          lowercase: true,
        },
        pre_tokenizer: {type: 'BertPreTokenizer'},
        post_processor: {
          type: 'TemplateProcessing',
          single: [
            {SpecialToken: {id: '[CLS]', type_id: 0}},
            {Sequence: {id: 'A', type_id: 0}},
            {SpecialToken: {id: '[SEP]', type_id: 0}},
          ],
        },
        decoder: {type: 'WordPiece', prefix: '##', cleanup: true},
        model: {
          type: 'WordPiece',
          unk_token: '[UNK]',
          continuing_subword_prefix: '##',
          max_input_chars_per_word: 100,
          vocab,
        },
      },
      'bert/tokenizer.json',
    )
    const ours = new WordPieceTokenizer(json)
    expect(ours.encode('The CAFÉ was unbelievable!')).toEqual([2, 5, 9, 7, 13, 14, 15, 10, 3])
    expect(ours.encode('[MASK] is great')).toEqual([2, 4, 22, 23, 8, 3])
    for (const text of [...REVIEW_TEXTS, ...UNSEEN, 'The CAFÉ was unbelievable!', '[MASK] is great'])
      expect(ours.encode(text), text).toEqual(hfIds(json, text))
  })

  it('a tokenizer.json of a model type mlctl does not read is refused with a message naming it', () => {
    const bpe = {model: {type: 'BPE', vocab: {}, merges: []}}
    expect(() => parseTokenizerJson(bpe, 'gpt2/tokenizer.json')).toThrow(
      /gpt2\/tokenizer.json: its model "BPE" is not supported; mlctl reads WordPiece/,
    )
    expect(() => parseTokenizerJson([1, 2], 'x.json')).toThrow(/x.json is not a tokenizer.json/)
    const metaspace = trainWordPiece(['a b'], {vocabSize: 20, lowercase: false})
    metaspace.pre_tokenizer = {type: 'Metaspace'} as never
    expect(() => new WordPieceTokenizer(metaspace, 'm.json')).toThrow(
      /m.json: its pre-tokenizer "Metaspace" is not supported/,
    )
  })
})
