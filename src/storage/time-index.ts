/**
 * Time index of one segment, Kafka's `.timeindex` layout: 12-byte entries of timestamp int64 and
 * (offset - baseOffset) int32. An entry (t, o) says every record up to offset o has a timestamp <= t
 * (t is the segment's largest timestamp so far), so a search for the first record with timestamp >= T
 * can start at the last entry with t < T. Timestamps and offsets strictly increase.
 */
export const TIME_INDEX_ENTRY_BYTES = 12;

export class TimeIndex {
  readonly baseOffset: number;
  private ts: Float64Array;
  private rel: Int32Array;
  private n = 0;

  constructor(baseOffset: number, capacity = 16) {
    this.baseOffset = baseOffset;
    this.ts = new Float64Array(capacity);
    this.rel = new Int32Array(capacity);
  }

  get entries(): number {
    return this.n;
  }

  /** Largest timestamp recorded, or -1 when empty. */
  get lastTimestamp(): number {
    return this.n === 0 ? -1 : this.ts[this.n - 1]!;
  }

  get lastOffset(): number {
    return this.n === 0 ? -1 : this.baseOffset + this.rel[this.n - 1]!;
  }

  /** Adds (timestamp, offset) when the timestamp is a new maximum and the offset moved on. */
  maybeAppend(timestamp: number, offset: number): void {
    const rel = offset - this.baseOffset;
    if (this.n > 0 && (timestamp <= this.ts[this.n - 1]! || rel < this.rel[this.n - 1]!)) return;
    if (this.n > 0 && rel === this.rel[this.n - 1]!) {
      // Same offset, later timestamp: widen the last entry instead of adding a duplicate offset.
      this.ts[this.n - 1] = timestamp;
      return;
    }
    if (this.n === this.ts.length) {
      const ts2 = new Float64Array(this.n * 2);
      ts2.set(this.ts);
      const rel2 = new Int32Array(this.n * 2);
      rel2.set(this.rel);
      this.ts = ts2;
      this.rel = rel2;
    }
    this.ts[this.n] = timestamp;
    this.rel[this.n] = rel;
    this.n++;
  }

  /** Offset of the last entry with timestamp < `timestamp` (the base offset when none). */
  lookupBefore(timestamp: number): number {
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.rel[found]!;
  }

  /** Drops entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    while (this.n > 0 && this.baseOffset + this.rel[this.n - 1]! >= offset) this.n--;
  }

  toBuffer(from = 0): Buffer {
    const out = Buffer.allocUnsafe((this.n - from) * TIME_INDEX_ENTRY_BYTES);
    for (let i = from, at = 0; i < this.n; i++, at += TIME_INDEX_ENTRY_BYTES) {
      out.writeBigInt64BE(BigInt(this.ts[i]!), at);
      out.writeInt32BE(this.rel[i]!, at + 8);
    }
    return out;
  }

  /** Reads a time index file, or null when it fails the sanity checks (rebuild from the log). */
  static parse(baseOffset: number, buf: Buffer): TimeIndex | null {
    if (buf.length % TIME_INDEX_ENTRY_BYTES !== 0) return null;
    const count = buf.length / TIME_INDEX_ENTRY_BYTES;
    const index = new TimeIndex(baseOffset, Math.max(16, count));
    for (let i = 0; i < count; i++) {
      const big = buf.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES);
      const rel = buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
      if (i > 0 && big === 0n && rel === 0) break;
      if (big < -1n || big > BigInt(Number.MAX_SAFE_INTEGER) || rel < 0) return null;
      const ts = Number(big);
      if (i > 0 && (ts <= index.ts[i - 1]! || rel <= index.rel[i - 1]!)) return null;
      index.ts[i] = ts;
      index.rel[i] = rel;
      index.n++;
    }
    return index;
  }
}
