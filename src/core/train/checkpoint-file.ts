import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {UserError} from '../errors.js'
import {writeFileAtomic} from '../io/atomic-write.js'

/**
 * One-file training checkpoint: a JSON header (metadata plus a tensor index) followed by the raw
 * float32 data of every tensor. A single file can be replaced atomically, and the sha256 in the
 * header lets a reader reject a file that is damaged rather than resume from garbage.
 *
 * Layout: "MLCKPT1\n" | uint32 LE header length | header JSON | tensor bytes.
 */
const MAGIC = 'MLCKPT1\n'

export interface CheckpointTensor {
  shape: number[]
  data: Float32Array
}

export interface Checkpoint<Meta> {
  meta: Meta
  tensors: Record<string, CheckpointTensor>
}

interface Header<Meta> {
  meta: Meta
  sha256: string
  tensors: Array<{name: string; shape: number[]; offset: number; length: number}>
}

export function writeCheckpoint<Meta>(path: string, checkpoint: Checkpoint<Meta>): void {
  const index: Header<Meta>['tensors'] = []
  const bodies: Uint8Array[] = []
  const hash = createHash('sha256')
  let offset = 0
  for (const [name, {shape, data}] of Object.entries(checkpoint.tensors)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    index.push({name, shape, offset, length: data.length})
    bodies.push(bytes)
    hash.update(bytes)
    offset += bytes.byteLength
  }
  const header: Header<Meta> = {meta: checkpoint.meta, sha256: hash.digest('hex'), tensors: index}
  const headerBytes = Buffer.from(JSON.stringify(header))
  const length = Buffer.alloc(4)
  length.writeUInt32LE(headerBytes.byteLength)
  writeFileAtomic(path, [MAGIC, length, headerBytes, ...bodies])
}

export function readCheckpoint<Meta>(path: string): Checkpoint<Meta> {
  let file: Buffer
  try {
    file = readFileSync(path)
  } catch {
    throw new UserError(`checkpoint ${path} cannot be read; check the path`)
  }
  const damaged = (why: string) =>
    new UserError(`checkpoint ${path} is damaged (${why}); resume from another checkpoint`)
  if (file.subarray(0, MAGIC.length).toString() !== MAGIC) throw damaged('not an mlctl checkpoint')
  const headerStart = MAGIC.length + 4
  if (file.byteLength < headerStart) throw damaged('truncated header')
  const headerEnd = headerStart + file.readUInt32LE(MAGIC.length)
  if (file.byteLength < headerEnd) throw damaged('truncated header')
  let header: Header<Meta>
  try {
    header = JSON.parse(file.subarray(headerStart, headerEnd).toString()) as Header<Meta>
  } catch {
    throw damaged('unreadable header')
  }
  const body = file.subarray(headerEnd)
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) throw damaged('checksum mismatch')
  // Copy into an aligned buffer: Float32Array views need 4-byte alignment, the body may start anywhere.
  const aligned = new Uint8Array(body).buffer
  const tensors: Record<string, CheckpointTensor> = {}
  for (const {name, shape, offset, length} of header.tensors) {
    tensors[name] = {shape, data: new Float32Array(aligned, offset, length)}
  }
  return {meta: header.meta, tensors}
}
