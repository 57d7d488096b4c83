import {execFileSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile, mkdir} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync, gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeCifarBatches} from '../../src/core/data/cifar-reader.js'
import {decodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC} from '../../src/core/data/idx-reader.js'
import {readTar} from '../../src/core/data/tar-reader.js'
import {UserError} from '../../src/core/errors.js'
import {cifarBatch, idxBytes, patternBytes, tarBytes, tinyCifarArchive} from './fixtures.js'

describe('IDX reader', () => {
  const pixels = patternBytes(3 * 4 * 5, 1)
  const raw = idxBytes(2051, [3, 4, 5], pixels)

  it('reads raw and gzip files alike into a compact uint8 array', () => {
    for (const bytes of [raw, gzipSync(raw)]) {
      const idx = decodeIdx(bytes, 'images', IDX_IMAGES_MAGIC)
      expect(idx.dims).toEqual([3, 4, 5])
      expect(idx.data).toBeInstanceOf(Uint8Array)
      expect(idx.data.byteOffset).toBe(0)
      expect(idx.data.buffer.byteLength).toBe(60)
      expect(idx.data).toEqual(pixels)
    }
  })

  it('rejects a wrong magic number, naming the file', () => {
    expect(() => decodeIdx(raw, 'labels.idx', IDX_LABELS_MAGIC)).toThrow(
      new UserError(
        'labels.idx has magic number 2051, expected 2049 for an IDX label file; the file is corrupt or not what it claims to be.',
      ),
    )
  })

  it('rejects a file shorter or longer than its header says', () => {
    expect(() => decodeIdx(raw.subarray(0, 50), 'cut.idx', IDX_IMAGES_MAGIC)).toThrow(
      /^cut\.idx is truncated: 50 bytes, but its header \[3, 4, 5\] needs 76/,
    )
    expect(() => decodeIdx(Buffer.concat([raw, Buffer.alloc(1)]), 'long.idx', IDX_IMAGES_MAGIC)).toThrow(
      /long\.idx has trailing bytes/,
    )
    expect(() => decodeIdx(raw.subarray(0, 2), 'tiny.idx', IDX_IMAGES_MAGIC)).toThrow(/tiny\.idx is 2 bytes, too short/)
  })

  it('rejects a damaged gzip stream, naming the file', () => {
    const gz = gzipSync(raw)
    expect(() => decodeIdx(gz.subarray(0, gz.length - 10), 'x.gz', IDX_IMAGES_MAGIC)).toThrow(
      /^x\.gz is not a valid gzip file/,
    )
  })
})

describe('tar reader', () => {
  it('reads the files of an archive it built', () => {
    const files = readTar(
      tarBytes([
        {name: 'd/a.bin', data: patternBytes(700, 1)},
        {name: 'd/empty', data: new Uint8Array()},
      ]),
      't.tar',
    )
    expect([...files.keys()]).toEqual(['d/a.bin', 'd/empty'])
    expect(Buffer.from(files.get('d/a.bin')!)).toEqual(Buffer.from(patternBytes(700, 1)))
  })

  describe('with archives made by tar(1)', () => {
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'mlctl-tar-'))
      await mkdir(join(dir, 'src/a-directory-name-long-enough-to-need-more-than-the-hundred-byte-ustar-name-field/x'), {
        recursive: true,
      })
      await writeFile(join(dir, 'src/small.txt'), 'hello\n')
      await writeFile(
        join(
          dir,
          'src/a-directory-name-long-enough-to-need-more-than-the-hundred-byte-ustar-name-field/x/deep-file-with-a-long-name.bin',
        ),
        patternBytes(1500, 2),
      )
    })
    afterAll(() => rm(dir, {recursive: true, force: true}))

    for (const format of ['gnu', 'ustar', 'pax']) {
      it(`reads --format=${format}`, async () => {
        execFileSync('tar', ['-cf', join(dir, `${format}.tar`), `--format=${format}`, '-C', dir, 'src'])
        const files = readTar(await readFile(join(dir, `${format}.tar`)), `${format}.tar`)
        expect(Buffer.from(files.get('src/small.txt')!)).toEqual(Buffer.from('hello\n'))
        const deep = [...files.keys()].find((name) => name.endsWith('/x/deep-file-with-a-long-name.bin'))
        expect(deep).toBe(
          'src/a-directory-name-long-enough-to-need-more-than-the-hundred-byte-ustar-name-field/x/deep-file-with-a-long-name.bin',
        )
        expect(Buffer.from(files.get(deep!)!)).toEqual(Buffer.from(patternBytes(1500, 2)))
      })
    }
  })

  it('rejects a damaged header and a truncated archive', () => {
    const tar = tarBytes([{name: 'a.bin', data: patternBytes(1000, 1)}])
    const damaged = Buffer.from(tar)
    damaged[10] ^= 1
    expect(() => readTar(damaged, 'd.tar')).toThrow(/^d\.tar has a damaged header at byte 0/)
    expect(() => readTar(tar.subarray(0, 1024), 'cut.tar')).toThrow(/^cut\.tar is truncated: an entry needs 1000 bytes/)
    expect(() => readTar(tar.subarray(0, 1536), 'end.tar')).toThrow(/^end\.tar is truncated: it ends without/)
  })
})

describe('CIFAR-10 reader', () => {
  it('decodes 3073-byte records into uint8 CHW pixels and labels', () => {
    const a = cifarBatch(2, 1)
    const b = cifarBatch(3, 2)
    const split = decodeCifarBatches([
      {label: 'a', data: a},
      {label: 'b', data: b},
    ])
    expect(split.count).toBe(5)
    expect(split.inputs).toHaveLength(5 * 3072)
    expect([...split.targets]).toEqual([1, 2, 2, 3, 4])
    // The record's pixel bytes are already red plane, green plane, blue plane: copied unchanged.
    expect(split.inputs.subarray(3 * 3072, 4 * 3072)).toEqual(b.subarray(3073 + 1, 2 * 3073))
  })

  it('rejects a batch that is not whole records, or has a label outside 0-9', () => {
    expect(() => decodeCifarBatches([{label: 'batch.bin', data: cifarBatch(2, 1).subarray(0, 5000)}])).toThrow(
      /^batch\.bin is 5000 bytes, not a whole number of 3073-byte CIFAR-10 records/,
    )
    const bad = cifarBatch(2, 1)
    bad[3073] = 12
    expect(() => decodeCifarBatches([{label: 'batch.bin', data: bad}])).toThrow(
      /^batch\.bin has label 12 at index 1, outside 0\.\.9/,
    )
  })

  it('finds the batches inside the test archive', () => {
    const names = [...readTar(gunzipSync(tinyCifarArchive()), 'x').keys()]
    expect(names).toContain('cifar-10-batches-bin/test_batch.bin')
  })
})
