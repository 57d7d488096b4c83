import {type Dirent, readdirSync, realpathSync, statSync} from 'node:fs'
import {extname, join, relative, sep} from 'node:path'

import {UserError} from '../errors.js'

/** The extensions of the formats mlctl reads (see core/images/image-preprocessing.ts). */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
])

/** Images mlctl does not read: skipped and counted as unsupported rather than passed over as non-images. */
const OTHER_IMAGE_EXTENSIONS = new Set(['.bmp', '.heic', '.heif', '.svg', '.ico', '.jxl', '.jp2', '.psd', '.dng'])

/** Class folders are capped at what a uint8 target holds. */
const MAX_CLASSES = 256

export interface ScannedFile {
  /** Relative to the folder given, with "/" separators: the name in summaries and the cache's key. */
  path: string
  absolute: string
  /** The path below its class folder, e.g. "2024/img_001.jpg". */
  nameInClass: string
  size: number
  mtimeMs: number
  classIndex: number
  /** Not decoded: its extension names a format mlctl does not read. */
  unsupported?: string
}

export interface FolderScan {
  root: string
  classNames: string[]
  train: ScannedFile[]
  /** From a test/ (or val/) folder; undefined when the split is held out of the class folders. */
  test?: ScannedFile[]
  /** One line each, for the start of a run: what was left out and why (non-image files, symlink loops, val/). */
  notes: string[]
}

/**
 * Finds an image folder's classes and files: one subfolder per class (names sorted), searched recursively,
 * or top-level train/ and test/ (or val/) folders that each hold the class subfolders.
 */
export function scanImageFolder(root: string): FolderScan {
  const top = listDirectory(root)
  const splitDirs = top.dirs.filter((name) => ['train', 'test', 'val'].includes(name))
  const notes: string[] = []
  if (splitDirs.includes('train')) {
    const heldOutName = splitDirs.includes('test') ? 'test' : splitDirs.includes('val') ? 'val' : undefined
    if (heldOutName === 'test' && splitDirs.includes('val'))
      notes.push('val/ is not used: test/ is the test split, and train holds out its validation split (--val-split)')
    const train = scanClasses(join(root, 'train'), root, notes)
    let test: ScannedFile[] | undefined
    if (heldOutName) {
      const held = scanClasses(join(root, heldOutName), root, notes, train.classNames)
      test = held.files
    }
    return {root, classNames: train.classNames, train: train.files, ...(test && {test}), notes}
  }
  const {classNames, files} = scanClasses(root, root, notes)
  return {root, classNames, train: files, notes}
}

/** Class subfolders of `dir`, each searched recursively; with `knownClasses`, the train split's classes. */
function scanClasses(
  dir: string,
  root: string,
  notes: string[],
  knownClasses?: string[],
): {classNames: string[]; files: ScannedFile[]} {
  const {dirs, files: loose} = listDirectory(dir)
  const shown = relative(root, dir) === '' ? dir : `${relative(root, dir)}/`
  const classNames = dirs.filter((name) => !name.startsWith('.')).sort()
  const looseImages = loose.filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
  const nonImages = loose.filter((name) => !looseImages.includes(name))
  if (classNames.length === 0) {
    throw new UserError(
      looseImages.length > 0
        ? `${shown} holds images but no class folders; put each class's images in a subfolder named after the class (${join(dir, 'cat', looseImages[0])})`
        : `${shown} holds no class folders of images; put each class's images (JPEG, PNG, WebP, GIF, TIFF, AVIF) in a subfolder named after the class`,
    )
  }
  if (knownClasses) {
    const unknown = classNames.filter((name) => !knownClasses.includes(name))
    if (unknown.length > 0)
      throw new UserError(
        `${shown}${unknown[0]}/ is a class that train/ does not have; its images cannot be scored (train/ has ${knownClasses.join(', ')})`,
      )
  } else {
    if (classNames.length === 1)
      throw new UserError(
        `${shown} has one class folder (${classNames[0]}/); a classifier needs at least two, each a subfolder of images`,
      )
    if (classNames.length > MAX_CLASSES)
      throw new UserError(
        `${shown} has ${classNames.length} class folders; mlctl trains at most ${MAX_CLASSES} classes`,
      )
  }
  if (looseImages.length > 0)
    notes.push(
      `${looseImages.length} image${plural(looseImages.length)} directly in ${shown} left out: not in a class folder (e.g. ${looseImages[0]})`,
    )
  const classes = knownClasses ?? classNames
  const files: ScannedFile[] = []
  for (const name of classNames) {
    const classDir = join(dir, name)
    const before = files.length
    const ancestors = new Set([realpathSync(root), realpathSync(dir), realpathSync(classDir)])
    const inRoot = relative(root, classDir).split(sep).join('/')
    walk(classDir, {inRoot, inClass: ''}, classes.indexOf(name), files, nonImages, notes, ancestors)
    if (!knownClasses && files.slice(before).every((file) => file.unsupported))
      throw new UserError(
        `class folder ${relative(root, classDir)}/ has no images mlctl reads; add JPEG, PNG, WebP, GIF, TIFF or AVIF files or remove the folder`,
      )
  }
  if (nonImages.length > 0) {
    const names = [...new Set(nonImages.map((path) => path.split('/').at(-1)!))]
    notes.push(
      `${nonImages.length} non-image file${plural(nonImages.length)} ignored (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''})`,
    )
  }
  return {classNames, files}
}

/**
 * Files under `dir` in sorted order; a directory already on the path (a symlink loop) is not entered again.
 * `names` are `dir`'s paths from the folder given and from its class folder, with "/" after each part:
 * joining names as strings took a third of the time to list a 10,000-file folder with path.relative
 * (bench:images profile).
 */
function walk(
  dir: string,
  names: {inRoot: string; inClass: string},
  classIndex: number,
  files: ScannedFile[],
  nonImages: string[],
  notes: string[],
  ancestors: Set<string>,
): void {
  const {dirs, files: entries} = listDirectory(dir)
  const prefix = dir + sep
  for (const name of entries) {
    const absolute = prefix + name
    const path = `${names.inRoot}/${names.inClass}${name}`
    const extension = extname(name).toLowerCase()
    if (!IMAGE_EXTENSIONS.has(extension) && !OTHER_IMAGE_EXTENSIONS.has(extension)) {
      nonImages.push(path)
      continue
    }
    const stat = statSync(absolute)
    files.push({
      path,
      absolute,
      nameInClass: names.inClass + name,
      size: stat.size,
      mtimeMs: stat.mtimeMs,
      classIndex,
      ...(OTHER_IMAGE_EXTENSIONS.has(extension) && {unsupported: extension.slice(1).toUpperCase()}),
    })
  }
  for (const name of dirs) {
    const sub = prefix + name
    const real = realpathSync(sub)
    if (ancestors.has(real)) {
      notes.push(
        `${names.inRoot}/${names.inClass}${name} not followed: a symbolic link back to a folder that contains it (a loop)`,
      )
      continue
    }
    const deeper = {inRoot: names.inRoot, inClass: `${names.inClass}${name}/`}
    walk(sub, deeper, classIndex, files, nonImages, notes, new Set([...ancestors, real]))
  }
}

/**
 * Entries sorted by name (code points, as torchvision's ImageFolder sorts), symbolic links resolved, dot-folders
 * skipped. Only links are stat'ed here: the directory entry already says what the rest are.
 */
function listDirectory(dir: string): {dirs: string[]; files: string[]} {
  let entries: Dirent[]
  try {
    entries = readdirSync(dir, {withFileTypes: true})
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UserError(
      code === 'ENOENT'
        ? `${dir} does not exist; pass a folder of class subfolders or a .csv file to --data`
        : `${dir} cannot be read (${code}); check its permissions`,
    )
  }
  const dirs: string[] = []
  const files: string[] = []
  for (const entry of entries) {
    let isDirectory = entry.isDirectory()
    let isFile = entry.isFile()
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(join(dir, entry.name))
        isDirectory = target.isDirectory()
        isFile = target.isFile()
      } catch {
        continue // a dangling symbolic link
      }
    }
    if (isDirectory) {
      if (!entry.name.startsWith('.')) dirs.push(entry.name)
    } else if (isFile) files.push(entry.name)
  }
  const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  return {dirs: dirs.sort(byCodePoint), files: files.sort(byCodePoint)}
}

export function plural(count: number): string {
  return count === 1 ? '' : 's'
}
