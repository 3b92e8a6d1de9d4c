/**
 * Avro's Netty transport framing (NettyTransportCodec's NettyDataPack), which Flume's avro source
 * and sink speak: `int32 serial` (echoed in the reply), `int32 count`, then `count` ×
 * (`int32 length`, bytes), all big-endian. It is not the Avro spec's framing. The buffers of one
 * pack are one Avro IPC message cut into pieces, so the decoder hands back their concatenation.
 */

export class NettyFrameError extends Error {
  override readonly name = 'NettyFrameError';
}

export interface NettyFrame {
  readonly serial: number;
  /** The pack's buffers, concatenated. */
  readonly payload: Buffer;
}

/** Default largest pack accepted: 64 MiB (Flume's limit is 10 % of the JVM heap). */
export const NETTY_FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/** Encodes one pack holding `payload` as a single buffer (Java cuts it into 8 KiB pieces; both decode alike). */
export function encodeNettyFrame(serial: number, payload: Buffer | readonly Buffer[]): Buffer {
  const buffers = Buffer.isBuffer(payload) ? [payload] : payload;
  const head = Buffer.allocUnsafe(8 + 4 * buffers.length);
  head.writeInt32BE(serial | 0, 0);
  head.writeInt32BE(buffers.length, 4);
  const parts: Buffer[] = [head.subarray(0, 8)];
  buffers.forEach((b, i) => {
    const len = head.subarray(8 + 4 * i, 12 + 4 * i);
    len.writeInt32BE(b.length, 0);
    parts.push(len, b);
  });
  return Buffer.concat(parts);
}

/**
 * Incremental decoder: `push` bytes as they arrive, get back the complete packs. Counts and
 * lengths are checked against `maxFrameBytes` as soon as they are read, before any byte of the
 * pack body is buffered, so a claimed 2^31-byte buffer is refused at once instead of waited for.
 */
export class NettyFrameDecoder {
  readonly #maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  // Pack being read: header fields, buffers read so far, and the length of the current buffer.
  #serial = 0;
  #count = -1;
  #parts: Buffer[] = [];
  #partLength = -1;
  #frameBytes = 0;
  #failed = false;

  constructor(maxFrameBytes = NETTY_FRAME_BYTES_MAX_DEFAULT) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  push(chunk: Buffer): NettyFrame[] {
    if (this.#failed) throw new NettyFrameError('decoder already failed');
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const out: NettyFrame[] = [];
    try {
      for (;;) {
        const frame = this.#next();
        if (frame === undefined) break;
        out.push(frame);
      }
    } catch (err) {
      this.#failed = true;
      this.#chunks = [];
      this.#parts = [];
      throw err;
    }
    return out;
  }

  /** Bytes received but not yet part of a returned pack. */
  get pendingBytes(): number {
    return this.#buffered + this.#frameBytes;
  }

  #take(n: number): Buffer | undefined {
    if (this.#buffered < n) return undefined;
    if (n === 0) return Buffer.alloc(0);
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }

  #next(): NettyFrame | undefined {
    if (this.#count < 0) {
      const head = this.#take(8);
      if (head === undefined) return undefined;
      this.#serial = head.readInt32BE(0);
      const count = head.readInt32BE(4);
      // Each buffer costs at least its 4-byte length, so the count is bounded by the byte limit.
      if (count < 0 || count * 4 > this.#maxFrameBytes) {
        throw new NettyFrameError(`invalid buffer count ${count} in frame ${this.#serial}`);
      }
      this.#count = count;
      this.#parts = [];
      this.#frameBytes = 0;
    }
    while (this.#parts.length < this.#count) {
      if (this.#partLength < 0) {
        const len = this.#take(4);
        if (len === undefined) return undefined;
        const n = len.readInt32BE(0);
        if (n < 0 || this.#frameBytes + n + 4 * this.#count > this.#maxFrameBytes) {
          throw new NettyFrameError(
            `buffer of ${n} bytes in frame ${this.#serial} exceeds the ${this.#maxFrameBytes}-byte limit`,
          );
        }
        this.#partLength = n;
      }
      const part = this.#take(this.#partLength);
      if (part === undefined) return undefined;
      this.#parts.push(part);
      this.#frameBytes += part.length;
      this.#partLength = -1;
    }
    const parts = this.#parts;
    this.#count = -1;
    this.#parts = [];
    this.#frameBytes = 0;
    return { serial: this.#serial, payload: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
  }
}
