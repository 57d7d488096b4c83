import {UserError} from '../errors.js'
import {compileNormalizer, type Normalize} from './normalize.js'
import {compilePreTokenizer, type PreTokenize} from './pre-tokenize.js'
import {
  type AddedTokenJson,
  PAD_TOKEN,
  type PostProcessorJson,
  type TokenizerJson,
  unsupported,
} from './tokenizer-json.js'

/** Words encoded once and remembered; text repeats its words, so most lookups hit (see bench/tokenizer-bench.ts). */
const WORD_CACHE_LIMIT = 200_000

/**
 * A WordPiece tokenizer read from a tokenizer.json: added tokens split out, normalizer, pre-tokenizer, greedy
 * longest-match-first WordPiece with a continuation prefix, and the post-processor's special tokens. Each step
 * follows `@huggingface/tokenizers` exactly, so a tokenizer.json gives the same ids in both (tested in
 * test/text/tokenizer-compat.test.ts).
 */
export class WordPieceTokenizer {
  readonly vocabSize: number
  readonly padId: number
  readonly unkId: number
  /** Special tokens the post-processor puts before and after every text ([CLS] and [SEP] for BERT). */
  readonly prefixIds: number[]
  readonly suffixIds: number[]
  private readonly ids: Map<string, number>
  private readonly normalize?: Normalize
  private readonly preTokenize?: PreTokenize
  private readonly rawAdded: TokenSplitter
  private readonly normalizedAdded: TokenSplitter
  private readonly addedByContent = new Map<string, AddedTokenJson>()
  private readonly prefix: string
  private readonly maxWordChars: number
  private readonly longestToken: number
  private readonly cache = new Map<string, number[]>()

  /** `source` names the file in error messages. */
  constructor(
    readonly json: TokenizerJson,
    source = 'tokenizer.json',
  ) {
    const {model} = json
    this.ids = new Map(Object.entries(model.vocab))
    this.normalize = compileNormalizer(json.normalizer, source)
    this.preTokenize = compilePreTokenizer(json.pre_tokenizer, source)
    const raw: string[] = []
    const normalized: string[] = []
    for (const token of json.added_tokens) {
      this.ids.set(token.content, token.id)
      this.addedByContent.set(token.content, token)
      const isNormalized = token.normalized ?? !token.special
      if (isNormalized && this.normalize) {
        const content = this.normalize(token.content)
        normalized.push(content)
        this.addedByContent.set(content, token)
      } else {
        raw.push(token.content)
      }
    }
    this.rawAdded = new TokenSplitter(raw)
    this.normalizedAdded = new TokenSplitter(normalized)
    this.prefix = model.continuing_subword_prefix
    this.maxWordChars = model.max_input_chars_per_word
    let longest = 0
    let top = -1
    for (const [token, id] of this.ids) {
      longest = Math.max(longest, token.length)
      top = Math.max(top, id)
    }
    this.longestToken = longest
    this.vocabSize = top + 1
    const unk = this.ids.get(model.unk_token)
    if (unk === undefined)
      throw new UserError(`${source}: its unknown token "${model.unk_token}" is not in its vocabulary.`)
    this.unkId = unk
    const pad = this.ids.get(PAD_TOKEN)
    if (pad === undefined) throw new UserError(`${source} has no ${PAD_TOKEN} token; mlctl pads with it.`)
    this.padId = pad
    ;[this.prefixIds, this.suffixIds] = specialIds(json.post_processor, this.ids, source)
  }

  /** The ids `@huggingface/tokenizers` gives for `text` (special tokens included), unpadded and untruncated. */
  encode(text: string): number[] {
    return [...this.prefixIds, ...this.encodeContent(text), ...this.suffixIds]
  }

  /** The text's own ids, without the post-processor's special tokens. */
  encodeContent(text: string): number[] {
    const out: number[] = []
    const sections = stripAround(this.rawAdded.split(text), this.addedByContent)
    for (const section of sections) {
      if (section.length === 0) continue
      const added = this.addedByContent.get(section)
      if (added) {
        out.push(added.id)
        continue
      }
      const normalized = this.normalize ? this.normalize(section) : section
      if (normalized.length === 0) continue
      for (const piece of stripAround(this.normalizedAdded.split(normalized), this.addedByContent)) {
        if (piece.length === 0) continue
        const pieceToken = this.addedByContent.get(piece)
        if (pieceToken) {
          out.push(pieceToken.id)
          continue
        }
        const words = this.preTokenize ? this.preTokenize(piece) : [piece]
        for (const word of words) {
          const ids = this.encodeWord(word)
          for (const id of ids) out.push(id)
        }
      }
    }
    return out
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word)
    if (cached) return cached
    const ids = this.wordPieces(word)
    if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear()
    this.cache.set(word, ids)
    return ids
  }

  /** Greedy longest match from the left; one piece that matches nothing makes the whole word [UNK]. */
  private wordPieces(word: string): number[] {
    const length = word.length
    if (length > this.maxWordChars && [...word].length > this.maxWordChars) return [this.unkId]
    const pieces: number[] = []
    let start = 0
    while (start < length) {
      let end = Math.min(length, start + this.longestToken)
      let found = -1
      while (end > start) {
        if (!splitsPair(word, end)) {
          const piece = start > 0 ? this.prefix + word.slice(start, end) : word.slice(start, end)
          const id = this.ids.get(piece)
          if (id !== undefined) {
            found = id
            break
          }
        }
        end--
      }
      if (found < 0) return [this.unkId]
      pieces.push(found)
      start = end
    }
    return pieces
  }
}

/** Whether cutting `word` at `index` would split a surrogate pair (pieces are whole code points). */
function splitsPair(word: string, index: number): boolean {
  if (index <= 0 || index >= word.length) return false
  const before = word.charCodeAt(index - 1)
  const after = word.charCodeAt(index)
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff
}

/** Splits text around added tokens, longest match first at each position (a trie over UTF-16 units). */
class TokenSplitter {
  private readonly root: TrieNode = new Map()

  constructor(tokens: string[]) {
    for (const token of tokens) {
      let node = this.root
      for (let i = 0; i < token.length; i++) {
        let next = node.get(token[i])
        if (typeof next !== 'object') {
          next = new Map()
          node.set(token[i], next)
        }
        node = next
      }
      node.set(END, token)
    }
  }

  split(text: string): string[] {
    if (this.root.size === 0) return [text]
    const out: string[] = []
    let start = 0
    let i = 0
    while (i < text.length) {
      let node: TrieNode | undefined = this.root
      let match: string | undefined
      for (let j = i; j < text.length; j++) {
        node = node.get(text[j]) as TrieNode | undefined
        if (!node) break
        const end = node.get(END)
        if (typeof end === 'string') match = end
      }
      if (match) {
        if (i > start) out.push(text.slice(start, i))
        out.push(match)
        i += match.length
        start = i
      } else {
        i++
      }
    }
    if (start < text.length) out.push(text.slice(start))
    return out
  }
}

const END = '\u0000end'
type TrieNode = Map<string, TrieNode | string>

/** An added token with lstrip/rstrip eats the whitespace beside it. */
function stripAround(sections: string[], added: Map<string, AddedTokenJson>): string[] {
  for (const [i, section] of sections.entries()) {
    const token = added.get(section)
    if (!token) continue
    if (token.lstrip && i > 0) sections[i - 1] = sections[i - 1].trimEnd()
    if (token.rstrip && i < sections.length - 1) sections[i + 1] = sections[i + 1].trimStart()
  }
  return sections
}

function specialIds(
  config: PostProcessorJson | null,
  ids: Map<string, number>,
  source: string,
): [prefix: number[], suffix: number[]] {
  if (config === null) return [[], []]
  const idOf = (token: string) => {
    const id = ids.get(token)
    if (id === undefined)
      throw new UserError(`${source}: its post-processor names "${token}", which is not in its vocabulary.`)
    return id
  }
  if (config.type === 'BertProcessing') return [[idOf(config.cls[0])], [idOf(config.sep[0])]]
  if (config.type === 'TemplateProcessing') {
    const prefix: number[] = []
    const suffix: number[] = []
    let seen = false
    for (const piece of config.single) {
      if ('Sequence' in piece) seen = true
      else (seen ? suffix : prefix).push(idOf(piece.SpecialToken.id))
    }
    return [prefix, suffix]
  }
  throw unsupported('post-processor', (config as {type: string}).type, source)
}
