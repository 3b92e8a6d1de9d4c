import { EncodeError } from './errors.ts';

const INITIAL_BYTES = 256;
/** Byte fields at least this large are referenced as their own chunk instead of copied. */
const ZERO_COPY_BYTES_MIN = 4096;

/**
 * Big-endian writer producing a list of chunks ready for `socket.write`/`writev`. Memory already
 * written is never moved: growing starts a new chunk, and large byte fields (record batches) are
 * referenced, not copied. Reserved slots (`reserveInt32`) can be patched later, e.g. a size prefix.
 *
 * Encoders validate what they write: out-of-range integers and oversized strings raise EncodeError.
 */
export class ByteWriter {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private flushedBytes = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.flushedBytes + (this.pos - this.start);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.cut();
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2, INITIAL_BYTES));
    this.pos = 0;
    this.start = 0;
  }

  /** Moves the bytes written into the current buffer since the last cut into the chunk list. */
  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.flushedBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  boolean(v: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  int8(v: number): this {
    checkInt(v, -0x80, 0x7f, 'int8');
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    checkInt(v, -0x8000, 0x7fff, 'int16');
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    checkInt(v, 0, 0xffff, 'uint16');
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    checkInt(v, -0x80000000, 0x7fffffff, 'int32');
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    checkInt(v, 0, 0xffffffff, 'uint32');
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: bigint): this {
    if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn)
      throw new EncodeError(`int64 out of range: ${v}`);
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  uuid(v: string): this {
    const hex = v.replaceAll('-', '');
    if (hex.length !== 32 || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new EncodeError(`invalid uuid: ${v}`);
    this.ensure(16);
    this.buf.write(hex, this.pos, 16, 'hex');
    this.pos += 16;
    return this;
  }

  uvarint(v: number): this {
    checkInt(v, 0, 0xffffffff, 'unsigned varint');
    this.ensure(5);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
    return this;
  }

  varint(v: number): this {
    checkInt(v, -0x80000000, 0x7fffffff, 'varint');
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): this {
    if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn)
      throw new EncodeError(`varlong out of range: ${v}`);
    let u = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    this.ensure(10);
    const buf = this.buf;
    while (u >= 0x80n) {
      buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    buf[this.pos++] = Number(u);
    return this;
  }

  /** Zig-zag varlong from a safe integer (the hot path for record timestamps and deltas). */
  varlongNumber(v: number): this {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`varlong not a safe integer: ${v}`);
    // Beyond 2^52 the zig-zag form needs more than 53 bits: take the exact (slower) path.
    if (v > 0x10000000000000 || v < -0x10000000000000) return this.varlong(BigInt(v));
    let u = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    const buf = this.buf;
    while (u >= 0x80) {
      buf[this.pos++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    buf[this.pos++] = u;
    return this;
  }

  /** Copies `src` in, or for large buffers references it as its own chunk (zero copy). */
  raw(src: Uint8Array): this {
    if (src.length >= ZERO_COPY_BYTES_MIN) {
      this.cut();
      this.chunks.push(Buffer.isBuffer(src) ? src : Buffer.from(src.buffer, src.byteOffset, src.length));
      this.flushedBytes += src.length;
      return this;
    }
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
    return this;
  }

  private utf8Length(v: string): number {
    return Buffer.byteLength(v, 'utf8');
  }

  private utf8(v: string, n: number): void {
    this.ensure(n);
    this.buf.write(v, this.pos, n, 'utf8');
    this.pos += n;
  }

  string(v: string): this {
    const n = this.utf8Length(v);
    if (n > 0x7fff) throw new EncodeError(`string longer than 32767 bytes (${n})`);
    this.int16(n);
    this.utf8(v, n);
    return this;
  }

  nullableString(v: string | null): this {
    if (v === null) return this.int16(-1);
    return this.string(v);
  }

  compactString(v: string): this {
    const n = this.utf8Length(v);
    this.uvarint(n + 1);
    this.utf8(v, n);
    return this;
  }

  compactNullableString(v: string | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactString(v);
  }

  bytes(v: Uint8Array): this {
    this.int32(v.length);
    return this.raw(v);
  }

  nullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.int32(-1);
    return this.bytes(v);
  }

  compactBytes(v: Uint8Array): this {
    this.uvarint(v.length + 1);
    return this.raw(v);
  }

  compactNullableBytes(v: Uint8Array | null): this {
    if (v === null) return this.uvarint(0);
    return this.compactBytes(v);
  }

  arrayLength(n: number): this {
    return this.int32(n);
  }

  compactArrayLength(n: number): this {
    return n < 0 ? this.uvarint(0) : this.uvarint(n + 1);
  }

  /** Reserves 4 bytes and returns a function that fills them with an int32 later. */
  reserveInt32(): (v: number) => void {
    this.ensure(4);
    const buf = this.buf;
    const at = this.pos;
    this.pos += 4;
    return (v: number) => {
      checkInt(v, -0x80000000, 0x7fffffff, 'int32');
      buf.writeInt32BE(v, at);
    };
  }

  /** The written bytes as chunks (no copy); the writer must not be used afterwards. */
  toChunks(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  /** The written bytes as one Buffer (copies only when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.flushedBytes);
  }
}

function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new EncodeError(`${what} out of range [${min}, ${max}]: ${v}`);
  }
}
