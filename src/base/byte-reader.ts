import { DecodeError } from './errors.ts';

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * Sequential big-endian reader over a Buffer. Every read checks the remaining length first, so a
 * length field is never trusted: a declared size past the end raises DecodeError without allocating.
 * Byte fields are returned as zero-copy subarrays of the input.
 */
export class ByteReader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(message: string): never {
    throw new DecodeError(message, this.offset);
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, what = 'field'): void {
    if (n < 0 || n > this.end - this.offset) {
      this.fail(`${what}: need ${n} bytes, ${this.end - this.offset} remain`);
    }
  }

  boolean(): boolean {
    this.need(1, 'boolean');
    return this.buf[this.offset++] !== 0;
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.offset++);
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** 16 bytes, returned in the canonical 8-4-4-4-12 hex form. */
  uuid(): string {
    this.need(16, 'uuid');
    const h = this.buf.toString('hex', this.offset, this.offset + 16);
    this.offset += 16;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Protobuf-style unsigned varint, at most 5 bytes, value < 2^32. */
  uvarint(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) this.fail('unsigned varint: truncated');
      const b = buf[this.offset++]!;
      if (i === 4 && b > 0x0f) this.fail('unsigned varint: exceeds 32 bits');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return this.fail('unsigned varint: longer than 5 bytes');
  }

  /** Zig-zag signed varint (int32). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong (int64), at most 10 bytes. */
  varlong(): bigint {
    const buf = this.buf;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) this.fail('varlong: truncated');
      const b = buf[this.offset++]!;
      if (i === 9 && b > 0x01) this.fail('varlong: exceeds 64 bits');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    return this.fail('varlong: longer than 10 bytes');
  }

  /**
   * Zig-zag varlong decoded as a number; exact for |v| <= 2^53 (timestamps and offset deltas).
   * Larger values raise DecodeError instead of silently losing precision.
   */
  varlongNumber(): number {
    const buf = this.buf;
    const start = this.offset;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.offset >= this.end) this.fail('varlong: truncated');
      const b = buf[this.offset++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // The zig-zag form of |v| in (2^52, 2^53) exceeds 2^53, where doubles lose bits: redo exactly.
        if (result > Number.MAX_SAFE_INTEGER) break;
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      mul *= 128;
    }
    this.offset = start;
    const v = this.varlong();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.offset = start;
      this.fail('varlong: exceeds 2^53');
    }
    return Number(v);
  }

  /** `n` raw bytes as a zero-copy view. */
  raw(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  private utf8(n: number, what: string): string {
    this.need(n, what);
    const start = this.offset;
    this.offset += n;
    // Short ASCII strings are the norm (topic names, client ids); toString is fastest for them.
    return n < 64
      ? this.buf.toString('utf8', start, start + n)
      : utf8Decoder.decode(this.buf.subarray(start, start + n));
  }

  /** STRING: int16 length, must not be null. */
  string(): string {
    const n = this.int16();
    if (n < 0) this.fail(`string: negative length ${n}`);
    return this.utf8(n, 'string');
  }

  /** NULLABLE_STRING: int16 length, -1 is null. */
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) this.fail(`nullable string: invalid length ${n}`);
    return this.utf8(n, 'string');
  }

  /** COMPACT_STRING: unsigned varint length+1; 0 (null) is invalid. */
  compactString(): string {
    const n = this.uvarint() - 1;
    if (n < 0) this.fail('compact string: null where a string is required');
    return this.utf8(n, 'compact string');
  }

  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    return this.utf8(n, 'compact string');
  }

  /** BYTES: int32 length, must not be null. */
  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) this.fail(`bytes: negative length ${n}`);
    return this.raw(n, 'bytes');
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) this.fail(`nullable bytes: invalid length ${n}`);
    return this.raw(n, 'bytes');
  }

  compactBytes(): Buffer {
    const n = this.uvarint() - 1;
    if (n < 0) this.fail('compact bytes: null where bytes are required');
    return this.raw(n, 'compact bytes');
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    return this.raw(n, 'compact bytes');
  }

  /**
   * ARRAY count (int32, -1 = null). A count is checked against the bytes left, assuming every
   * element takes at least `minElementBytes`, so an absurd count fails before any allocation.
   */
  arrayLength(minElementBytes = 1): number {
    const n = this.int32();
    if (n === -1) return -1;
    if (n < 0) this.fail(`array: negative count ${n}`);
    this.checkCount(n, minElementBytes);
    return n;
  }

  /** COMPACT_ARRAY count (unsigned varint count+1, 0 = null → -1). */
  compactArrayLength(minElementBytes = 1): number {
    const n = this.uvarint() - 1;
    if (n < 0) return -1;
    this.checkCount(n, minElementBytes);
    return n;
  }

  private checkCount(n: number, minElementBytes: number): void {
    if (n * minElementBytes > this.end - this.offset) {
      this.fail(`array: count ${n} cannot fit in the ${this.end - this.offset} bytes left`);
    }
  }

  /**
   * Tagged-field section of a flexible struct. Known tags are passed to `onTag` with a reader
   * bounded to the field; unknown tags are skipped. Tags must be strictly increasing.
   */
  taggedFields(onTag?: (tag: number, field: ByteReader) => boolean): void {
    const count = this.uvarint();
    this.checkCount(count, 2);
    let last = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= last) this.fail(`tagged fields: tag ${tag} out of order`);
      last = tag;
      const size = this.uvarint();
      this.need(size, 'tagged field');
      const start = this.offset;
      if (onTag) {
        const field = new ByteReader(this.buf, start, start + size);
        if (onTag(tag, field) && field.offset !== field.end) {
          this.fail(`tagged field ${tag}: ${field.end - field.offset} trailing bytes`);
        }
      }
      this.offset = start + size;
    }
  }

  /** Fails unless every byte has been consumed. */
  expectEnd(what: string): void {
    if (this.offset !== this.end) this.fail(`${what}: ${this.end - this.offset} trailing bytes`);
  }
}
