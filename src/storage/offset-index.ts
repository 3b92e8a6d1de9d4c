/**
 * Sparse offset index of one segment, Kafka's `.index` layout: 8-byte entries of
 * (offset - baseOffset) int32 and file position int32, both strictly increasing. An entry maps the
 * base offset of a batch to where it starts, so a lookup gives a position at or before any offset's
 * batch, and the reader scans forward from there.
 *
 * Held in memory (8 bytes per `index.interval.bytes` of log, ~0.2% of the segment) and written whole
 * or appended to its file by the segment.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export class OffsetIndex {
  readonly baseOffset: number;
  private rel: Int32Array;
  private pos: Int32Array;
  private n = 0;

  constructor(baseOffset: number, capacity = 16) {
    this.baseOffset = baseOffset;
    this.rel = new Int32Array(capacity);
    this.pos = new Int32Array(capacity);
  }

  get entries(): number {
    return this.n;
  }

  get sizeBytes(): number {
    return this.n * OFFSET_INDEX_ENTRY_BYTES;
  }

  /** Offset of the last entry, or -1 when empty. */
  get lastOffset(): number {
    return this.n === 0 ? -1 : this.baseOffset + this.rel[this.n - 1]!;
  }

  get lastPosition(): number {
    return this.n === 0 ? 0 : this.pos[this.n - 1]!;
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (this.n > 0 && (rel <= this.rel[this.n - 1]! || position <= this.pos[this.n - 1]!)) return;
    if (this.n === this.rel.length) {
      const rel2 = new Int32Array(this.n * 2);
      rel2.set(this.rel);
      const pos2 = new Int32Array(this.n * 2);
      pos2.set(this.pos);
      this.rel = rel2;
      this.pos = pos2;
    }
    this.rel[this.n] = rel;
    this.pos[this.n] = position;
    this.n++;
  }

  /** Position of the last entry whose offset is <= `offset` (0 when none is). */
  lookup(offset: number): number {
    const rel = offset - this.baseOffset;
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? 0 : this.pos[found]!;
  }

  /** Drops entries at positions >= `position` (the log was truncated there). */
  truncateToPosition(position: number): void {
    while (this.n > 0 && this.pos[this.n - 1]! >= position) this.n--;
  }

  /** File bytes of entries [from, entries). */
  toBuffer(from = 0): Buffer {
    const out = Buffer.allocUnsafe((this.n - from) * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = from, at = 0; i < this.n; i++, at += OFFSET_INDEX_ENTRY_BYTES) {
      out.writeInt32BE(this.rel[i]!, at);
      out.writeInt32BE(this.pos[i]!, at + 4);
    }
    return out;
  }

  /**
   * Reads an index file, or returns null when it fails the sanity checks (size not a multiple of 8,
   * entries not increasing, a position outside `logSize`): the caller then rebuilds it from the log.
   * Trailing zero entries (a preallocated Kafka index) end the index.
   */
  static parse(baseOffset: number, buf: Buffer, logSize: number): OffsetIndex | null {
    if (buf.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return null;
    const count = buf.length / OFFSET_INDEX_ENTRY_BYTES;
    const index = new OffsetIndex(baseOffset, Math.max(16, count));
    for (let i = 0; i < count; i++) {
      const rel = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
      const pos = buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      if (i > 0 && rel === 0 && pos === 0) break;
      if (rel < 0 || pos < 0 || pos >= logSize) return null;
      if (i > 0 && (rel <= index.rel[i - 1]! || pos <= index.pos[i - 1]!)) return null;
      index.rel[i] = rel;
      index.pos[i] = pos;
      index.n++;
    }
    return index;
  }
}
