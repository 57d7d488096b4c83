import {crc32, deflateRawSync, gzipSync} from 'node:zlib'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import type {DatasetEntry} from '../../src/core/data/registry.js'
import {REGISTRY} from '../../src/core/data/registry.js'
import {loadTextRegistryDataset} from '../../src/core/data/text-registry.js'
import {type FileServer, startFileServer} from './file-server.js'
import {remoteFile, tarBytes} from './fixtures.js'

/** A zip archive as zip(1) writes one: deflated entries, local headers, central directory, end record. */
function zipBytes(entries: {name: string; data: Uint8Array}[]): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const {name, data} of entries) {
    const packed = deflateRawSync(data)
    const nameBytes = Buffer.from(name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(crc32(data), 14)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt16LE(20, 6)
    header.writeUInt16LE(8, 10)
    header.writeUInt32LE(crc32(data), 16)
    header.writeUInt32LE(packed.length, 20)
    header.writeUInt32LE(data.length, 24)
    header.writeUInt16LE(nameBytes.length, 28)
    header.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, packed)
    central.push(header, nameBytes)
    offset += local.length + nameBytes.length + packed.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

const text = (s: string) => Buffer.from(s)
const imdbArchive = gzipSync(
  tarBytes([
    {name: 'aclImdb/README', data: text('Large Movie Review Dataset v1.0')},
    {name: 'aclImdb/train/labeledBow.feat', data: text('0 0:1')},
    {name: 'aclImdb/train/pos/0_9.txt', data: text('A wonderful film. <br /><br />Great acting!')},
    {name: 'aclImdb/train/pos/1_8.txt', data: text('Great fun, loved it')},
    {name: 'aclImdb/train/neg/0_2.txt', data: text('Boring and far too long.')},
    {name: 'aclImdb/train/neg/1_1.txt', data: text('Awful; I left early.')},
    {name: 'aclImdb/train/unsup/0_0.txt', data: text('No label for this one.')},
    {name: 'aclImdb/test/pos/0_10.txt', data: text('Great film')},
    {name: 'aclImdb/test/neg/0_3.txt', data: text('Too long')},
  ]),
)
const agTrain = text(
  '"3","Wall St. Bears Claw Back","Reuters - Short-sellers, Wall Street\'s dwindling band"\n"2","Phelps wins","Michael Phelps won gold"\n"1","Talks in Iraq","Leaders met, again"\n"4","New chip","A faster processor ""today"""\n',
)
const agTest = text('"2","Team wins","The team won"\n"4","Software update","A patch"\n')
const sms = Array.from({length: 10}, (_, i) =>
  i % 3 === 0 ? `spam\tWIN cash now ${i}!!!` : `ham\tSee you at ${i}`,
).join('\n')
const smsZip = zipBytes([
  {name: 'readme', data: text('SMS Spam Collection v.1')},
  {name: 'SMSSpamCollection', data: text(`${sms}\n`)},
])

const entry = (name: string): DatasetEntry => REGISTRY.find((e) => e.name === name)!

let server: FileServer
let dataDir: string
beforeAll(async () => {
  server = await startFileServer({
    'aclImdb_v1.tar.gz': imdbArchive,
    'train.csv': agTrain,
    'test.csv': agTest,
    'smsspamcollection.zip': smsZip,
  })
})
afterAll(() => server.close())
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mlctl-text-registry-'))
  server.requests.length = 0
})
afterEach(() => rm(dataDir, {recursive: true, force: true}))

/** The registry entry with this test's files' checksums and the local server as its mirror. */
function served(name: string, files: Record<string, Buffer>, behaviour = 'ok'): DatasetEntry {
  const real = entry(name)
  return {
    ...real,
    files: real.files.map((f) => remoteFile(f.name, files[f.name], f.role)),
    mirrors: [`${server.url}/${behaviour}/`],
  }
}

describe('registry text datasets, downloaded', () => {
  it('imdb: the aclImdb archive, neg and pos from train/ and test/, the unlabelled unsup/ left out', async () => {
    const imdb = served('imdb', {'aclImdb_v1.tar.gz': imdbArchive})
    const dataset = await loadTextRegistryDataset(imdb, {dataDir})
    expect(dataset).toMatchObject({name: 'imdb', classNames: ['neg', 'pos']})
    expect(dataset.train.count).toBe(4)
    expect(dataset.test!.count).toBe(2)
    expect(Array.from(dataset.train.targets)).toEqual([0, 0, 1, 1])
    expect(dataset.origin).toMatchObject({
      kind: 'download',
      verified: 'sha256 of 1 downloaded file matches the registry',
    })
    // Cached and verified: a second load makes no request.
    const requests = server.requests.length
    await loadTextRegistryDataset(imdb, {dataDir})
    expect(server.requests.length).toBe(requests)
  })

  it('ag-news: train.csv and test.csv, classes by number, title and description joined', async () => {
    const dataset = await loadTextRegistryDataset(served('ag-news', {'train.csv': agTrain, 'test.csv': agTest}), {
      dataDir,
    })
    expect(dataset.classNames).toEqual(['World', 'Sports', 'Business', 'Sci/Tech'])
    expect(Array.from(dataset.train.targets)).toEqual([2, 1, 0, 3])
    expect(Array.from(dataset.test!.targets)).toEqual([1, 3])
  })

  it('sms-spam: the zip of SMSSpamCollection, a seeded 20% held out', async () => {
    const dataset = await loadTextRegistryDataset(served('sms-spam', {'smsspamcollection.zip': smsZip}), {dataDir})
    expect(dataset.classNames).toEqual(['ham', 'spam'])
    expect(dataset.train.count).toBe(8)
    expect(dataset.test!.count).toBe(2)
  })

  it('a download that does not match the published sha256 is refused and nothing is kept', async () => {
    const imdb = served('imdb', {'aclImdb_v1.tar.gz': imdbArchive}, 'corrupt')
    await expect(loadTextRegistryDataset(imdb, {dataDir})).rejects.toThrow(
      /Could not download aclImdb_v1.tar.gz .*sha256 mismatch/,
    )
  })
})

describe('registry text datasets, --from DIR', () => {
  it('reads the published files verified by sha256, and fetch-data --from copies them into the cache', async () => {
    const from = join(dataDir, 'mine')
    await mkdir(from)
    await writeFile(join(from, 'smsspamcollection.zip'), smsZip)
    const spam = served('sms-spam', {'smsspamcollection.zip': smsZip}, 'error500')
    const dataset = await loadTextRegistryDataset(spam, {from, dataDir, copyIntoCache: true})
    expect(dataset.origin).toMatchObject({kind: 'imported', copiedFrom: from})
    await rm(from, {recursive: true})
    const offline = await loadTextRegistryDataset(spam, {dataDir})
    expect(offline.train.inputs).toEqual(dataset.train.inputs)
    expect(server.requests).toEqual([])
  })

  it('reads an extracted aclImdb folder by its structure; a wrong file is named', async () => {
    const from = join(dataDir, 'extracted')
    for (const [path, content] of [
      ['aclImdb/train/pos/0_9.txt', 'great'],
      ['aclImdb/train/neg/0_1.txt', 'awful'],
      ['aclImdb/test/pos/0_9.txt', 'great film'],
      ['aclImdb/test/neg/0_1.txt', 'awful film'],
    ]) {
      await mkdir(join(from, path, '..'), {recursive: true})
      await writeFile(join(from, path), content)
    }
    const dataset = await loadTextRegistryDataset(entry('imdb'), {from})
    expect(dataset.origin?.verified).toMatch(/aclImdb read by its structure/)
    expect(dataset.test!.count).toBe(2)
    const wrong = join(dataDir, 'wrong')
    await mkdir(wrong)
    await writeFile(join(wrong, 'aclImdb_v1.tar.gz'), 'not it')
    await expect(loadTextRegistryDataset(entry('imdb'), {from: wrong})).rejects.toThrow(
      /aclImdb_v1.tar.gz has sha256 \w+, expected c40f74a1\w+; it is not the published aclImdb_v1.tar.gz/,
    )
    await expect(loadTextRegistryDataset(entry('ag-news'), {from: wrong})).rejects.toThrow(
      /--from .*wrong: ag-news needs train.csv and test.csv, which is not there/,
    )
  })
})
