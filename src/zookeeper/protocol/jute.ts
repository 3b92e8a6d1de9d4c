/**
 * Jute primitives the generated record codecs build on (BinaryInputArchive/BinaryOutputArchive
 * layout): big-endian `int` (4 bytes) and `long` (8), `boolean` (1 byte, non-zero is true),
 * `ustring` and `buffer` as an int32 length then the bytes, `vector<T>` as an int32 count then the
 * elements. A length or count of -1 is null; any other negative value is malformed.
 *
 * Strings are written as standard UTF-8. The Java encoder writes each UTF-16 unit of a surrogate
 * pair separately (6 bytes, CESU-8); both sides then decode such bytes to replacement characters, so
 * only characters outside the Basic Multilingual Plane, which ZooKeeper paths forbid anyway, differ.
 */
import type { ByteReader, ByteWriter } from '../../base/index.ts';

/** `ustring`: int32 byte length (-1 = null) + UTF-8. */
export function readUstring(r: ByteReader): string | null {
  const n = r.int32();
  if (n === -1) return null;
  if (n < 0) r.fail(`ustring: invalid length ${n}`);
  return r.raw(n, 'ustring').toString('utf8');
}

export function writeUstring(w: ByteWriter, v: string | null): void {
  if (v === null) {
    w.int32(-1);
    return;
  }
  const bytes = Buffer.from(v, 'utf8');
  w.int32(bytes.length);
  w.raw(bytes);
}

/** `buffer`: int32 length (-1 = null) + bytes, returned as a view of the input (no copy). */
export function readBuffer(r: ByteReader): Buffer | null {
  return r.nullableBytes();
}

export function writeBuffer(w: ByteWriter, v: Uint8Array | null): void {
  w.nullableBytes(v);
}

export function readInt(r: ByteReader): number {
  return r.int32();
}

export function writeInt(w: ByteWriter, v: number): void {
  w.int32(v);
}

export function readLong(r: ByteReader): bigint {
  return r.int64();
}

export function writeLong(w: ByteWriter, v: bigint): void {
  w.int64(v);
}

export function readBoolean(r: ByteReader): boolean {
  return r.boolean();
}

export function writeBoolean(w: ByteWriter, v: boolean): void {
  w.boolean(v);
}

/**
 * `vector<T>`: int32 count (-1 = null) + elements. The count is checked against the bytes left,
 * assuming every element takes at least `itemBytesMin`, before anything is allocated.
 */
export function readVector<T>(
  r: ByteReader,
  itemBytesMin: number,
  readItem: (r: ByteReader) => T,
): T[] | null {
  const n = r.arrayLength(itemBytesMin);
  if (n < 0) return null;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(readItem(r));
  return out;
}

export function writeVector<T>(
  w: ByteWriter,
  v: readonly T[] | null,
  writeItem: (w: ByteWriter, item: T) => void,
): void {
  if (v === null) {
    w.int32(-1);
    return;
  }
  w.int32(v.length);
  for (const item of v) writeItem(w, item);
}
