/** Frames below this size are not pooled: they are cheap to allocate and rarely span reads. */
export const POOLED_FRAME_BYTES_MIN = 16 * 1024;
/** Idle pooled memory one server keeps by default. */
export const FRAME_POOL_IDLE_BYTES_DEFAULT = 16 * 1024 * 1024;
const ALLOCATION_STEP = 64 * 1024;

/**
 * Reusable receive buffers for large request frames.
 *
 * Every large frame used to be assembled in a fresh buffer; at a few hundred MB/s these buffers are
 * the external memory that makes V8 run a full mark-compact every few tens of milliseconds. A frame
 * taken from here goes back with `give` once nothing refers to its bytes any more — which only the
 * frame's handler knows, so the connection gives a frame back only when its handler said so (see
 * `ConnectionInfo.releaseFrameWhenSettled`); other frames are left to the garbage collector.
 */
export class FrameBufferPool {
  readonly idleBytesMax: number;
  private readonly idle: ArrayBuffer[] = [];
  private idleBytes = 0;
  /** Memory allocated here, so a view of anything else is never taken in. */
  private readonly own = new WeakSet<ArrayBuffer>();

  constructor(idleBytesMax = FRAME_POOL_IDLE_BYTES_DEFAULT) {
    this.idleBytesMax = idleBytesMax;
  }

  /** Bytes held for reuse. */
  get idleBytesHeld(): number {
    return this.idleBytes;
  }

  /** A buffer of exactly `size` bytes (uninitialised), reused when one is idle. */
  take(size: number): Buffer {
    const idle = this.takeIdle(size);
    if (idle !== null) return idle;
    // Headroom, so the next frame of a producer, a few bytes larger, fits the same memory.
    const length = Math.ceil((size + (size >> 3)) / ALLOCATION_STEP) * ALLOCATION_STEP;
    const memory = Buffer.allocUnsafeSlow(length).buffer as ArrayBuffer;
    this.own.add(memory);
    return Buffer.from(memory, 0, size);
  }

  /** Like `take`, but only from idle memory: null when none fits. */
  takeIdle(size: number): Buffer | null {
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const length = this.idle[i]!.byteLength;
      if (length >= size && (best < 0 || length < this.idle[best]!.byteLength)) best = i;
    }
    if (best >= 0) {
      const memory = this.idle[best]!;
      this.idle[best] = this.idle.at(-1)!;
      this.idle.pop();
      this.idleBytes -= memory.byteLength;
      return Buffer.from(memory, 0, size);
    }
    return null;
  }

  /** Whether `frame` lies in memory of this pool. */
  owns(frame: Buffer): boolean {
    return this.own.has(frame.buffer as ArrayBuffer);
  }

  /**
   * Takes a frame's memory back. The caller guarantees nothing refers to it any more; memory not
   * from this pool, already idle, or beyond the idle bound is left to the garbage collector.
   */
  give(frame: Buffer): void {
    const memory = frame.buffer as ArrayBuffer;
    if (!this.own.has(memory)) return;
    if (this.idleBytes + memory.byteLength > this.idleBytesMax || this.idle.includes(memory)) return;
    this.idle.push(memory);
    this.idleBytes += memory.byteLength;
  }
}
