import {existsSync, readFileSync, statSync} from 'node:fs'
import {copyFile, mkdir, rename, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {UserError} from '../errors.js'
import {removeStaleTempFiles, tempPathBeside} from '../io/temp-files.js'
import {resolveDataDir} from './cache-dir.js'
import {DEFAULT_CSV_SEED, DEFAULT_TEST_FRACTION, parseCsv} from './csv-table.js'
import type {DatasetOrigin, TextDataset} from './dataset.js'
import {ensureFiles} from './downloader.js'
import {gunzipIfCompressed} from './gunzip.js'
import type {LoadDatasetOptions} from './load-dataset.js'
import type {DatasetEntry, RemoteFile} from './registry.js'
import {sha256OfFile} from './sha256.js'
import {readTar} from './tar-reader.js'
import {type LabelledTexts, splitTexts, type TextOptions, tokenizeTextDataset} from './text-dataset.js'
import {listTextFolder, readTextFiles, type TextFile, textFolderDataset} from './text-folder.js'
import {readZip} from './zip-reader.js'

/** Where each file of a text dataset is, and what was checked about it. */
interface LocatedFiles {
  /** Registry file name → path; an extracted folder or file when --from holds one instead. */
  paths: Map<string, string>
  origin: DatasetOrigin
}

/**
 * A registry text dataset (imdb, ag-news, sms-spam) tokenized for training: its files from --from DIR
 * (the published files, verified by sha256, or their extracted form, checked by structure only), else
 * downloaded (or found in the cache) and verified.
 */
export async function loadTextRegistryDataset(
  entry: DatasetEntry,
  options: LoadDatasetOptions & {text?: TextOptions} = {},
): Promise<TextDataset> {
  const located = options.from ? await locateFrom(entry, options.from) : await download(entry, options)
  if (options.from && options.copyIntoCache && located.origin.verified.startsWith('sha256'))
    await copyIntoCache(entry, located, join(resolveDataDir(options.dataDir), entry.name), options.from)
  const text = options.text ?? {}
  const {paths, origin} = located
  if (entry.format === 'aclimdb') {
    const archive = paths.get('aclImdb_v1.tar.gz')
    const files = archive ? imdbArchiveFiles(archive) : listTextFolder(paths.get('aclImdb')!)
    const parts = readTextFiles(files, archive ?? paths.get('aclImdb')!, {classes: entry.classNames})
    return textFolderDataset(parts, entry.name, origin, text)
  }
  if (entry.format === 'ag-news-csv') {
    const read = (name: string) => agNewsTexts(paths.get(name)!, entry.classNames)
    return tokenizeTextDataset({train: read('train.csv'), test: read('test.csv')}, entry.classNames, text, {
      name: entry.name,
      origin,
    })
  }
  if (entry.format === 'sms-spam-zip') {
    const all = smsSpamTexts(paths, entry.classNames)
    const parts = splitTexts(all, DEFAULT_TEST_FRACTION, DEFAULT_CSV_SEED)
    return tokenizeTextDataset(parts, entry.classNames, text, {name: entry.name, origin})
  }
  throw new Error(`${entry.name} is not a text dataset`)
}

async function download(entry: DatasetEntry, options: LoadDatasetOptions): Promise<LocatedFiles> {
  const dir = join(resolveDataDir(options.dataDir), entry.name)
  const mirrors = options.mirror ? [options.mirror] : entry.mirrors
  const downloaded = await ensureFiles(entry.files, dir, {
    mirrors,
    onEvent: options.onDownload,
    timeoutMs: options.timeoutMs,
  })
  return {
    paths: new Map(entry.files.map((file, i) => [file.name, downloaded.paths[i]])),
    origin: {kind: 'download', location: dir, verified: downloaded.verified},
  }
}

/** The form each dataset may take in a --from folder besides its published files. */
const EXTRACTED: Partial<Record<DatasetEntry['format'], string>> = {
  aclimdb: 'aclImdb',
  'sms-spam-zip': 'SMSSpamCollection',
}

async function locateFrom(entry: DatasetEntry, dir: string): Promise<LocatedFiles> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--from ${dir}: no such directory.`)
  const paths = new Map<string, string>()
  const published = entry.files.filter((file) => existsSync(join(dir, file.name)))
  if (published.length === entry.files.length) {
    for (const file of published) paths.set(file.name, await verified(file, join(dir, file.name)))
    return {
      paths,
      origin: {
        kind: 'local',
        location: dir,
        verified: `sha256 of ${published.length === 1 ? published[0].name : `${published.length} files`} matches the registry`,
      },
    }
  }
  const extracted = EXTRACTED[entry.format]
  if (extracted && existsSync(join(dir, extracted))) {
    paths.set(extracted, join(dir, extracted))
    return {
      paths,
      origin: {
        kind: 'local',
        location: dir,
        verified: `${extracted} read by its structure (no checksum is published for the extracted files)`,
      },
    }
  }
  const wanted = [entry.files.map((f) => f.name).join(' and '), ...(extracted ? [`the extracted ${extracted}`] : [])]
  throw new UserError(`--from ${dir}: ${entry.name} needs ${wanted.join(' or ')}, which is not there.`)
}

/**
 * fetch-data --from: the verified published files are copied to where downloads go (temp name, then
 * rename), so later commands find them as a verified download, without --from, offline.
 */
async function copyIntoCache(entry: DatasetEntry, located: LocatedFiles, dir: string, from: string): Promise<void> {
  await mkdir(dir, {recursive: true})
  for (const file of entry.files) {
    const target = join(dir, file.name)
    removeStaleTempFiles(dir, file.name)
    const temp = tempPathBeside(target)
    try {
      await copyFile(located.paths.get(file.name)!, temp)
      await rename(temp, target)
    } catch (error) {
      await rm(temp, {force: true})
      const {code, message} = error as NodeJS.ErrnoException
      if (!code) throw error
      throw new UserError(
        `Cannot copy ${file.name} into the cache ${dir} (${message}); free some space, or pass --data-dir DIR.`,
      )
    }
    located.paths.set(file.name, target)
  }
  located.origin = {...located.origin, kind: 'imported', location: dir, copiedFrom: from}
}

async function verified(file: RemoteFile, path: string): Promise<string> {
  const actual = await sha256OfFile(path)
  if (actual !== file.sha256)
    throw new UserError(`${path} has sha256 ${actual}, expected ${file.sha256}; it is not the published ${file.name}.`)
  return path
}

/** The archive's files below its aclImdb/ folder. */
function imdbArchiveFiles(archive: string): TextFile[] {
  const files = readTar(gunzipIfCompressed(readFileSync(archive), archive), archive)
  const out: TextFile[] = []
  for (const [path, bytes] of files) {
    const relative = path.replace(/^(\.\/)?aclImdb\//, '')
    if (relative !== path) out.push({path: relative, read: () => bytes})
  }
  return out
}

/** AG News rows are class number (1-4), title, description; the text is the title and the description. */
function agNewsTexts(path: string, classNames: string[]): LabelledTexts {
  const rows = parseCsv(readFileSync(path, 'utf8'), path)
  const texts: string[] = []
  const labels: string[] = []
  for (const {cells, line} of rows) {
    const label = classNames[Number(cells[0]) - 1]
    if (cells.length !== 3 || label === undefined)
      throw new UserError(
        `${path}: line ${line} is not "class (1-${classNames.length}),title,description"; the file is not AG News.`,
      )
    texts.push(`${cells[1]} ${cells[2]}`)
    labels.push(label)
  }
  return {texts, labels}
}

/** SMSSpamCollection: one message a line, "ham" or "spam", a tab, the text. */
function smsSpamTexts(paths: Map<string, string>, classNames: string[]): LabelledTexts {
  const zip = paths.get('smsspamcollection.zip')
  const label = zip ?? paths.get('SMSSpamCollection')!
  const bytes = zip ? readZip(readFileSync(zip), zip).get('SMSSpamCollection') : readFileSync(label)
  if (!bytes) throw new UserError(`${label} holds no SMSSpamCollection file; it is not the SMS Spam Collection.`)
  const texts: string[] = []
  const labels: string[] = []
  for (const [i, line] of Buffer.from(bytes).toString('utf8').split(/\r?\n/).entries()) {
    if (line.trim() === '') continue
    const tab = line.indexOf('\t')
    const name = line.slice(0, tab)
    if (tab < 0 || !classNames.includes(name))
      throw new UserError(`${label}: line ${i + 1} is not "ham" or "spam", a tab and the message.`)
    texts.push(line.slice(tab + 1))
    labels.push(name)
  }
  return {texts, labels}
}
