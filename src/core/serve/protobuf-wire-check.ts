/**
 * Checks that bytes are exactly one well-formed protobuf message of a given type, field by field, before
 * protobufjs decodes them. protobufjs is lenient where a request should be refused: it accepts field number 0,
 * reads a known field sent with another wire type as if it had the right one, and cuts short a string that
 * runs past the end of the message; damaged bytes could then be answered as some other, valid request.
 * Unknown fields with a valid wire type are skipped, as protobuf requires for compatibility.
 */
import protobuf from 'protobufjs'

const VARINT = 0
const FIXED64 = 1
const LENGTH_DELIMITED = 2
const FIXED32 = 5

/** What a field's bytes must look like: its wire type, and the schema to check a message field's contents. */
interface FieldLayout {
  wireType: number
  /** for repeated numeric fields, which may also come packed in one length-delimited field */
  packedElement?: number
  /** for message fields (map entries included): the layout of the fields inside */
  fields?: (number: number) => FieldLayout | undefined
}

/** Returns why `bytes` are not one well-formed `type` message, or undefined if they are. */
export function wireFormatProblem(type: protobuf.Type, bytes: Uint8Array): string | undefined {
  try {
    checkFields(bytes, 0, bytes.length, (number) => layoutOf(type.fieldsById[number]))
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

function checkFields(
  bytes: Uint8Array,
  start: number,
  end: number,
  fields: (number: number) => FieldLayout | undefined,
): void {
  let pos = start
  while (pos < end) {
    const tagAt = pos
    const [tag, afterTag] = readVarint(bytes, pos, end)
    const number = Math.floor(tag / 8)
    const wireType = tag % 8
    if (number === 0 || number > 0x1fffffff) throw new Error(`field number ${number} at byte ${tagAt}`)
    const layout = fields(number)
    const packed = layout?.packedElement !== undefined && wireType === LENGTH_DELIMITED
    if (layout && wireType !== layout.wireType && !packed) {
      throw new Error(`field ${number} at byte ${tagAt} has wire type ${wireType}, not ${layout.wireType}`)
    }
    pos = afterTag
    if (wireType === VARINT) pos = readVarint(bytes, pos, end)[1]
    else if (wireType === FIXED64) pos = advance(pos, 8, end, number)
    else if (wireType === FIXED32) pos = advance(pos, 4, end, number)
    else if (wireType === LENGTH_DELIMITED) {
      const [length, contentStart] = readVarint(bytes, pos, end)
      pos = advance(contentStart, length, end, number)
      if (packed) checkPacked(bytes, contentStart, pos, layout.packedElement!, number)
      else if (layout?.fields) checkFields(bytes, contentStart, pos, layout.fields)
    } else {
      // Groups (3, 4) are deprecated and part of no message here; 6 and 7 do not exist.
      throw new Error(`field ${number} at byte ${tagAt} has wire type ${wireType}, which this protocol does not use`)
    }
  }
}

function checkPacked(bytes: Uint8Array, start: number, end: number, elementWireType: number, number: number): void {
  if (elementWireType === VARINT) {
    for (let pos = start; pos < end;) pos = readVarint(bytes, pos, end)[1]
    return
  }
  const size = elementWireType === FIXED64 ? 8 : 4
  if ((end - start) % size !== 0)
    throw new Error(`packed field ${number} has ${end - start} bytes, not a multiple of ${size}`)
}

/** A varint of at most 10 bytes that ends before `end`; its value is exact up to 2^53. */
function readVarint(bytes: Uint8Array, pos: number, end: number): [value: number, next: number] {
  let value = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new Error(`a number runs past the end of its message at byte ${pos}`)
    const byte = bytes[pos++]
    value += (byte & 0x7f) * scale
    if (byte < 0x80) return [value, pos]
    scale *= 128
  }
  throw new Error(`a number longer than 10 bytes ends at byte ${pos}`)
}

function advance(pos: number, length: number, end: number, number: number): number {
  if (pos + length > end) throw new Error(`field ${number} runs past the end of its message`)
  return pos + length
}

const layouts = new WeakMap<protobuf.Field, FieldLayout>()

function layoutOf(field: protobuf.Field | undefined): FieldLayout | undefined {
  if (!field) return undefined
  let layout = layouts.get(field)
  if (!layout) {
    layout = describeField(field.resolve())
    layouts.set(field, layout)
  }
  return layout
}

function describeField(field: protobuf.Field): FieldLayout {
  if (field instanceof protobuf.MapField) {
    // On the wire, a map is a repeated message of entries {key = 1, value = 2}.
    const key = {wireType: scalarWireType(field.keyType)}
    const value = valueLayout(field)
    return {wireType: LENGTH_DELIMITED, fields: (number) => (number === 1 ? key : number === 2 ? value : undefined)}
  }
  const layout = valueLayout(field)
  return field.repeated && layout.wireType !== LENGTH_DELIMITED ? {...layout, packedElement: layout.wireType} : layout
}

/** The layout of one value of the field (for a map field: of the map's values). */
function valueLayout(field: protobuf.Field): FieldLayout {
  const type = field.resolvedType
  if (type instanceof protobuf.Type)
    return {wireType: LENGTH_DELIMITED, fields: (number) => layoutOf(type.fieldsById[number])}
  if (type instanceof protobuf.Enum) return {wireType: VARINT}
  return {wireType: scalarWireType(field.type)}
}

function scalarWireType(typeName: string): number {
  return (protobuf.types.basic as Record<string, number>)[typeName]
}
