import {readFileSync} from 'node:fs'

import {UserError} from '../errors.js'
import {parseTokenizerJson, type TokenizerJson} from './tokenizer-json.js'

/** A tokenizer.json given with --tokenizer, parsed and checked; problems name the file. */
export function readTokenizerFile(path: string): TokenizerJson {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new UserError(`Cannot read the tokenizer ${path}; check the path.`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message}); pass a Hugging Face tokenizer.json.`)
  }
  return parseTokenizerJson(value, path)
}
