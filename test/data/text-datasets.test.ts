import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {parseCsv} from '../../src/core/data/csv-table.js'
import {loadDataPath} from '../../src/core/data/load-data-path.js'
import {loadTextCsv} from '../../src/core/data/text-csv.js'
import type {TextDataset} from '../../src/core/data/dataset.js'
import {WordPieceTokenizer} from '../../src/core/text/wordpiece.js'
import type {TokenizerJson} from '../../src/core/text/tokenizer-json.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlctl-text-'))
})
afterAll(() => rm(dir, {recursive: true, force: true}))

async function put(path: string, content: string | Uint8Array): Promise<string> {
  const full = join(dir, path)
  await mkdir(dirname(full), {recursive: true})
  await writeFile(full, content)
  return full
}

/** Row `n` of a split as token ids without padding. */
function row(dataset: TextDataset, split: 'train' | 'test', n: number): number[] {
  const width = dataset.inputShape[0]
  const ids = Array.from(dataset[split]!.inputs.subarray(n * width, (n + 1) * width))
  return ids.filter((id) => id !== dataset.text.padId)
}

const REVIEWS =
  '\uFEFFid,review,label\r\n' +
  '1,"Great, really great!\nWould buy again",pos\r\n' +
  '2,"Terrible ""product"", broke in a day",neg\r\n' +
  '3,Love it 😍 great,pos\r\n' +
  '4,Awful. Café was cold,neg\r\n' +
  '5,"Best purchase, ever",pos\r\n' +
  '6,never again awful,neg\r\n' +
  '7,great great great,pos\r\n' +
  '8,zyzzyva appears only here,neg\r\n' +
  '9,"fine, great value",pos\r\n' +
  '10,broke again,neg\r\n'

async function loadTextCsvTexts(file: string): Promise<string[]> {
  return parseCsv(await readFile(file, 'utf8'), file)
    .slice(1)
    .map((r) => r.cells[1])
}

describe('text CSV (--data FILE.csv --text-column COL --target COL)', () => {
  it('reads quoted cells with commas, quotes and line breaks after a BOM, as padded token ids', async () => {
    const file = await put('reviews.csv', REVIEWS)
    const dataset = await loadTextCsv(file, 'review', 'label', {testFraction: 0})
    expect(dataset).toMatchObject({name: 'reviews', task: 'classification', classNames: ['neg', 'pos']})
    expect(dataset.train.count).toBe(10)
    expect(dataset.train.inputs).toBeInstanceOf(Int32Array)
    expect(dataset.train.inputs).toHaveLength(10 * dataset.inputShape[0])
    expect(Array.from(dataset.train.targets)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    const tokenizer = new WordPieceTokenizer(dataset.text.tokenizer as TokenizerJson)
    const first = tokenizer.encode('Great, really great!\nWould buy again')
    expect(row(dataset, 'train', 0)).toEqual(first.slice(0, dataset.inputShape[0]))
    expect(tokenizer.encode('Terrible "product", broke in a day')).toEqual(row(dataset, 'train', 1))
    expect(dataset.text).toMatchObject({padId: 0, textColumn: 'review', truncated: expect.any(Number)})
  })

  it('trains the tokenizer on the training rows only and holds out a seeded test split', async () => {
    const file = await put('reviews.csv', REVIEWS)
    const dataset = await loadTextCsv(file, 'review', 'label', {testFraction: 0.3, vocabSize: 500})
    expect(dataset.train.count + dataset.test!.count).toBe(10)
    expect(dataset.test!.count).toBe(3)
    const again = await loadTextCsv(file, 'review', 'label', {testFraction: 0.3, vocabSize: 500})
    expect(again.test!.inputs).toEqual(dataset.test!.inputs)
    const vocab = (dataset.text.tokenizer as TokenizerJson).model.vocab
    const all = await loadTextCsv(file, 'review', 'label', {testFraction: 0, vocabSize: 500})
    const allVocab = (all.text.tokenizer as TokenizerJson).model.vocab
    // Some word of the test rows is unknown to the split's tokenizer but known to one trained on every row.
    expect(Object.keys(allVocab).length).toBeGreaterThan(Object.keys(vocab).length)
  })

  it('--max-length truncates and pads; the default is the 95th percentile of the training lengths', async () => {
    const file = await put('reviews.csv', REVIEWS)
    const short = await loadTextCsv(file, 'review', 'label', {testFraction: 0, maxLength: 3})
    expect(short.inputShape).toEqual([3])
    const tokenizer = new WordPieceTokenizer(short.text.tokenizer as TokenizerJson)
    const texts = (await loadTextCsvTexts(file)).map((text) => tokenizer.encode(text))
    expect(short.text.truncated).toBe(texts.filter((ids) => ids.length > 3).length)
    expect(row(short, 'train', 0)).toEqual(texts[0].slice(0, 3))
    const full = await loadTextCsv(file, 'review', 'label', {testFraction: 0})
    // 10 texts: the 95th percentile is the 10th shortest, the longest.
    expect(full.inputShape).toEqual([Math.max(...texts.map((ids) => ids.length))])
    expect(full.text.truncated).toBe(0)
  })

  it('an empty text cell is an error naming its row unless --allow-empty-text', async () => {
    const file = await put('gaps.csv', 'review,label\ngood,pos\n"",neg\nbad,neg\nok,pos\n')
    await expect(loadTextCsv(file, 'review', 'label', {testFraction: 0})).rejects.toThrow(
      /gaps.csv: row 2 \(line 3\) has an empty "review" cell; fill it, remove the row, or pass --allow-empty-text/,
    )
    const dataset = await loadTextCsv(file, 'review', 'label', {testFraction: 0, allowEmptyText: true})
    expect(dataset.train.count).toBe(4)
    expect(row(dataset, 'train', 1)).toEqual([])
  })

  it('names a missing column and an unclosed quote', async () => {
    const file = await put('reviews.csv', REVIEWS)
    await expect(loadTextCsv(file, 'body', 'label')).rejects.toThrow(
      /has no column "body" \(--text-column\); its columns are: id, review, label/,
    )
    const open = await put('open.csv', 'review,label\n"never closed,pos\nx,neg\n')
    await expect(loadTextCsv(open, 'review', 'label')).rejects.toThrow(/the quote opened on line 2 is never closed/)
  })
})

describe('text folders (--data DIR)', () => {
  it('reads class folders below train/ and test/, skipping and counting binary and non-.txt files', async () => {
    await put('folder/train/pos/1.txt', 'A wonderful film, great acting')
    await put('folder/train/pos/2.txt', '\uFEFFgreat fun, loved it')
    await put('folder/train/neg/1.txt', 'boring and far too long')
    await put('folder/train/neg/2.txt', 'awful, I left early')
    await put('folder/train/neg/cover.bin.txt', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]))
    await put('folder/train/neg/notes.md', 'not an example')
    await put('folder/train/urls_pos.txt', 'http://example.com/ (not in a class folder: not an example)')
    await put('folder/test/pos/1.txt', 'great film')
    await put('folder/test/neg/1.txt', 'too long')
    const dataset = (await loadDataPath(join(dir, 'folder'))) as TextDataset
    expect(dataset).toMatchObject({name: 'folder', classNames: ['neg', 'pos']})
    expect(dataset.train.count).toBe(4)
    expect(dataset.test!.count).toBe(2)
    expect(Array.from(dataset.train.targets)).toEqual([0, 0, 1, 1])
    expect(dataset.text.skippedFiles).toBe(2)
    expect(dataset.origin?.verified).toMatch(/6 texts in 2 classes, 2 binary or non-.txt files skipped/)
    const tokenizer = new WordPieceTokenizer(dataset.text.tokenizer as TokenizerJson)
    expect(row(dataset, 'train', 2)).toEqual(
      tokenizer.encode('A wonderful film, great acting').slice(0, dataset.inputShape[0]),
    )
  })

  it('without train/ every class folder is data and a seeded share is the test split', async () => {
    for (let i = 0; i < 5; i++) {
      await put(`flat/spam/${i}.txt`, `win money now ${i}`)
      await put(`flat/ham/${i}.txt`, `see you at lunch ${i}`)
    }
    const dataset = (await loadDataPath(join(dir, 'flat'))) as TextDataset
    expect(dataset.train.count).toBe(8)
    expect(dataset.test!.count).toBe(2)
  })

  it('a file that is not UTF-8 is an error naming it; a mix of images and texts is refused', async () => {
    await put('latin/a/1.txt', 'fine')
    await put('latin/b/1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9]))
    await expect(loadDataPath(join(dir, 'latin'))).rejects.toThrow(
      /latin: b\/1.txt is not UTF-8 text \(byte 3\); convert it to UTF-8/,
    )
    await put('mixed/a/1.txt', 'text')
    await put('mixed/b/1.png', Uint8Array.from([0x89, 0x50]))
    await expect(loadDataPath(join(dir, 'mixed'))).rejects.toThrow(
      /mixes images \(1 files\) and texts \(1 .txt files\); put each kind in a folder of its own/,
    )
    await put('single/only/1.txt', 'one class')
    await expect(loadDataPath(join(dir, 'single'))).rejects.toThrow(
      /one class folder \("only"\); a classifier needs at least two/,
    )
  })
})
