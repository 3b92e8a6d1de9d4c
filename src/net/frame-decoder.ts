import { SluiceError } from '../base/index.ts';
import { type FrameBufferPool, POOLED_FRAME_BYTES_MIN } from './frame-buffer-pool.ts';

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
/** Largest frame assembled as it arrives; above it, bytes are kept as they come and copied at the end. */
const ASSEMBLE_BYTES_MAX = 16 * 1024 * 1024;
/**
 * New memory for a frame is allocated only once this fraction of it has arrived (idle pooled
 * memory is used at once), so four bytes announcing a large frame cannot make the listener allocate
 * it before the client sent much of it.
 */
const ASSEMBLE_ALLOCATE_FRACTION = 8;

export interface FrameDecoderOptions {
  /**
   * Where large frames (from POOLED_FRAME_BYTES_MIN up) that span reads are assembled; without it,
   * in a fresh buffer each.
   */
  readonly pool?: FrameBufferPool;
}

/**
 * Splits a byte stream into `int32 size` + payload frames.
 *
 * Reads are kept as a list of chunks, never concatenated as they arrive: a frame that lies within
 * one chunk is returned as a zero-copy view. A large frame spanning chunks is copied, as its bytes
 * arrive, into one buffer of its size (from the pool, when one is given), so the socket's read
 * chunks die young; a small one is copied once when complete. The size is checked as soon as its
 * four bytes are known, so an oversized or negative size is refused before any payload is buffered.
 */
export class FrameDecoder {
  readonly frameBytesMax: number;
  private readonly pool: FrameBufferPool | null;
  private chunks: Buffer[] = [];
  /** Index of the first chunk still holding unread bytes (consumed chunks are dropped lazily). */
  private first = 0;
  /** Bytes consumed from chunks[first]. */
  private head = 0;
  private buffered = 0;
  /** Size of the frame being assembled, once its header has been read; -1 before. */
  private pendingSize = -1;
  /** The large frame being filled as bytes arrive, and how much of it is filled. */
  private assembling: Buffer | null = null;
  private filled = 0;
  /** Complete frames already copied out of transient chunks (`pushTransient`), in order. */
  private ready: Buffer[] = [];
  private readyBytes = 0;

  constructor(frameBytesMax: number, options: FrameDecoderOptions = {}) {
    this.frameBytesMax = frameBytesMax;
    this.pool = options.pool ?? null;
  }

  /** Bytes held and not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered + this.filled + this.readyBytes;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const target = this.assembling;
    if (target !== null) {
      const part = Math.min(chunk.length, target.length - this.filled);
      chunk.copy(target, this.filled, 0, part);
      this.filled += part;
      if (part === chunk.length) return;
      chunk = chunk.subarray(part);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * Where the next socket read may land directly: the unfilled rest of the large frame being
   * assembled, or null when bytes must come through `push`. After such a read, call `filledBy`.
   */
  readTarget(): Buffer | null {
    const target = this.assembling;
    return target === null || this.filled === target.length ? null : target.subarray(this.filled);
  }

  /** `n` bytes were read into the view `readTarget` returned (and nothing was pushed since). */
  filledBy(n: number): void {
    const target = this.assembling;
    if (target === null || this.filled + n > target.length) {
      throw new RangeError('FrameDecoder: bytes read into a frame that is not being assembled');
    }
    this.filled += n;
  }

  /**
   * Like `push`, for bytes valid only during this call (a read buffer shared by connections):
   * nothing refers to `chunk` afterwards. Frames it completes are copied out, each into memory of
   * its own (from the pool from POOLED_FRAME_BYTES_MIN up, so a reader that gives frames back
   * allocates nothing at steady state), and wait for `next`; the bytes of an incomplete frame go
   * into the frame being assembled, or are kept as a copy.
   */
  pushTransient(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const target = this.assembling;
      if (target !== null) {
        const part = Math.min(chunk.length - at, target.length - this.filled);
        chunk.copy(target, this.filled, at, at + part);
        this.filled += part;
        at += part;
        const frame = this.nextHeld();
        if (frame !== null) this.enqueue(frame);
        continue;
      }
      if (this.buffered > 0 || this.pendingSize >= 0) {
        // Complete the frame (or header) already held with just the bytes it lacks.
        const lacking = (this.pendingSize >= 0 ? this.pendingSize : SIZE_BYTES) - this.buffered;
        const n = Math.min(Math.max(lacking, 0), chunk.length - at);
        if (n > 0) this.push(Buffer.from(chunk.subarray(at, at + n)));
        at += n;
        const frame = this.nextHeld();
        if (frame !== null) this.enqueue(frame);
        continue;
      }
      // Nothing held: frames are cut straight from the chunk.
      if (chunk.length - at < SIZE_BYTES) {
        this.push(Buffer.from(chunk.subarray(at)));
        return;
      }
      const size = chunk.readInt32BE(at);
      if (size < 0 || size > this.frameBytesMax) throw new FrameSizeError(size, this.frameBytesMax);
      if (chunk.length - at - SIZE_BYTES >= size) {
        const frame =
          size >= POOLED_FRAME_BYTES_MIN && this.pool !== null
            ? this.pool.take(size)
            : Buffer.allocUnsafe(size);
        chunk.copy(frame, 0, at + SIZE_BYTES, at + SIZE_BYTES + size);
        this.enqueue(frame);
        at += SIZE_BYTES + size;
        continue;
      }
      // The start of a frame whose rest is still to come.
      this.pendingSize = size;
      at += SIZE_BYTES;
      const arrived = chunk.length - at;
      if (size >= POOLED_FRAME_BYTES_MIN && size <= ASSEMBLE_BYTES_MAX) {
        const allocate = arrived * ASSEMBLE_ALLOCATE_FRACTION >= size;
        const out =
          this.pool?.takeIdle(size) ??
          (allocate ? (this.pool === null ? Buffer.allocUnsafe(size) : this.pool.take(size)) : null);
        if (out !== null) {
          chunk.copy(out, 0, at);
          this.assembling = out;
          this.filled = arrived;
          return;
        }
      }
      this.push(Buffer.from(chunk.subarray(at)));
      return;
    }
  }

  private enqueue(frame: Buffer): void {
    this.ready.push(frame);
    this.readyBytes += frame.length;
  }

  /** The next complete frame payload (without its size), or null until more bytes arrive. */
  next(): Buffer | null {
    if (this.ready.length > 0) {
      const frame = this.ready.shift()!;
      this.readyBytes -= frame.length;
      return frame;
    }
    return this.nextHeld();
  }

  /** `next` for the bytes held in chunks or in the frame being assembled. */
  private nextHeld(): Buffer | null {
    const target = this.assembling;
    if (target !== null) {
      if (this.filled < target.length) return null;
      this.assembling = null;
      this.filled = 0;
      this.pendingSize = -1;
      return target;
    }
    if (this.pendingSize < 0) {
      if (this.buffered < SIZE_BYTES) return null;
      const size = this.take(SIZE_BYTES).readInt32BE(0);
      if (size < 0 || size > this.frameBytesMax) throw new FrameSizeError(size, this.frameBytesMax);
      this.pendingSize = size;
    }
    const size = this.pendingSize;
    if (this.buffered < size) {
      if (size >= POOLED_FRAME_BYTES_MIN && size <= ASSEMBLE_BYTES_MAX) {
        const allocate = this.buffered * ASSEMBLE_ALLOCATE_FRACTION >= size;
        const out =
          this.pool?.takeIdle(size) ??
          (allocate ? (this.pool === null ? Buffer.allocUnsafe(size) : this.pool.take(size)) : null);
        if (out !== null) {
          // Everything buffered belongs to this frame; what arrives next goes straight into it.
          this.filled = this.copyOut(out, this.buffered);
          this.assembling = out;
        }
      }
      return null;
    }
    const frame = this.take(size);
    this.pendingSize = -1;
    return frame;
  }

  /** Removes `n` buffered bytes (n <= buffered). */
  private take(n: number): Buffer {
    const current = this.chunks[this.first];
    if (n === 0 || current === undefined) return Buffer.alloc(0);
    const available = current.length - this.head;
    if (n <= available) {
      this.buffered -= n;
      const out = current.subarray(this.head, this.head + n);
      this.advance(n, available);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyOut(out, n);
    return out;
  }

  /** Moves the first `n` buffered bytes (n <= buffered) to the start of `out`; returns n. */
  private copyOut(out: Buffer, n: number): number {
    this.buffered -= n;
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.first]!;
      const avail = c.length - this.head;
      const part = Math.min(avail, n - filled);
      c.copy(out, filled, this.head, this.head + part);
      filled += part;
      this.advance(part, avail);
    }
    return n;
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
