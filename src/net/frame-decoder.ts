import { SluiceError } from '../base/index.ts';

/** A frame header announced a size that this listener refuses. */
export class FrameSizeError extends SluiceError {
  readonly size: number;
  readonly maxBytes: number;

  constructor(size: number, maxBytes: number) {
    super(
      'FRAME_SIZE',
      size < 0
        ? `frame size ${size} is negative`
        : `frame size ${size} exceeds the maximum of ${maxBytes} bytes (socket.request.max.bytes)`,
    );
    this.size = size;
    this.maxBytes = maxBytes;
  }
}

const SIZE_BYTES = 4;

/**
 * Splits a byte stream into `int32 size` + payload frames.
 *
 * Reads are kept as a list of chunks, never concatenated as they arrive: a frame that lies within
 * one chunk is returned as a zero-copy view, and a frame spanning chunks is copied once into a
 * buffer of exactly its size. The size is checked as soon as its four bytes are known, so an
 * oversized or negative size is refused before any of the payload is buffered.
 */
export class FrameDecoder {
  readonly frameBytesMax: number;
  private chunks: Buffer[] = [];
  /** Index of the first chunk still holding unread bytes (consumed chunks are dropped lazily). */
  private first = 0;
  /** Bytes consumed from chunks[first]. */
  private head = 0;
  private buffered = 0;
  /** Size of the frame being assembled, once its header has been read; -1 before. */
  private pendingSize = -1;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /** Bytes held and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame payload (without its size), or null until more bytes arrive. */
  next(): Buffer | null {
    if (this.pendingSize < 0) {
      if (this.buffered < SIZE_BYTES) return null;
      const size = this.take(SIZE_BYTES).readInt32BE(0);
      if (size < 0 || size > this.frameBytesMax) throw new FrameSizeError(size, this.frameBytesMax);
      this.pendingSize = size;
    }
    if (this.buffered < this.pendingSize) return null;
    const frame = this.take(this.pendingSize);
    this.pendingSize = -1;
    return frame;
  }

  /** Removes `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    this.buffered -= n;
    const current = this.chunks[this.first];
    if (n === 0 || current === undefined) return Buffer.alloc(0);
    const available = current.length - this.head;
    if (n <= available) {
      const out = current.subarray(this.head, this.head + n);
      this.advance(n, available);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.first]!;
      const avail = c.length - this.head;
      const part = Math.min(avail, n - filled);
      c.copy(out, filled, this.head, this.head + part);
      filled += part;
      this.advance(part, avail);
    }
    return out;
  }

  private advance(n: number, available: number): void {
    if (n === available) {
      this.first++;
      this.head = 0;
      // Drop consumed chunks in batches, so many tiny reads cost linear time overall.
      if (this.first === this.chunks.length) {
        this.chunks = [];
        this.first = 0;
      } else if (this.first >= 64 && this.first * 2 >= this.chunks.length) {
        this.chunks = this.chunks.slice(this.first);
        this.first = 0;
      }
    } else {
      this.head += n;
    }
  }
}
