/**
 * Reads an ONNX file's metadata_props (free-form key/value pairs such as mlctl's `class_names`), which
 * onnxruntime-node does not expose. Only the top level of ModelProto is walked; the graph is skipped unread.
 */
import {readFile} from 'node:fs/promises'
import protobuf from 'protobufjs/minimal.js'

// Field numbers from onnx.proto: ModelProto.metadata_props = 14; StringStringEntryProto.key = 1, value = 2.
const METADATA_PROPS_FIELD = 14
const LENGTH_DELIMITED = 2

export async function readOnnxMetadataProps(path: string): Promise<Record<string, string>> {
  const bytes = await readFile(path)
  const reader = protobuf.Reader.create(bytes)
  const props: Record<string, string> = {}
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag >>> 3 === METADATA_PROPS_FIELD && (tag & 7) === LENGTH_DELIMITED) {
      const [key, value] = readStringPair(protobuf.Reader.create(reader.bytes()))
      props[key] = value
    } else {
      reader.skipType(tag & 7)
    }
  }
  return props
}

function readStringPair(reader: protobuf.Reader): [string, string] {
  let key = ''
  let value = ''
  while (reader.pos < reader.len) {
    const tag = reader.uint32()
    if (tag >>> 3 === 1) key = reader.string()
    else if (tag >>> 3 === 2) value = reader.string()
    else reader.skipType(tag & 7)
  }
  return [key, value]
}
