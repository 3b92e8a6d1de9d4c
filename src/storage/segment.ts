import { existsSync, readFileSync, writeSync, writevSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../base/index.ts';
import {
  BATCH_HEADER_BYTES,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMaxTimestamp,
  checkBatch,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD,
  readInt64,
} from './batch-framing.ts';
import type { FileHandleCache, FileLease } from './file-handle-cache.ts';
import { OffsetIndex } from './offset-index.ts';
import { TimeIndex } from './time-index.ts';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Compaction output being written; deleted on open. */
export const CLEANED_SUFFIX = '.cleaned';
/** Complete compaction output waiting to replace its segment; finished on open. */
export const SWAP_SUFFIX = '.swap';

/** Kafka's segment file name: the base offset as 20 zero-padded digits. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** Base offset from a segment file name, or null for other files. */
export function parseSegmentFileName(name: string, suffix = LOG_SUFFIX): number | null {
  if (!name.endsWith(suffix)) return null;
  const digits = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

let nextSegmentId = 1;

/** One batch located in a segment file. */
export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/** One batch read during a scan: `bytes` is a view valid for as long as the caller holds it. */
export interface ScannedBatch extends BatchLocation {
  bytes: Buffer;
}

/** Why a scan stopped before the end: the first bad byte position and the reason. */
export interface ScanStop {
  position: number;
  reason: string;
}

const SCAN_CHUNK_BYTES = 1024 * 1024;
const LOCATE_CHUNK_BYTES = 8192;

/**
 * One segment: `<base>.log` with its `.index` and `.timeindex`. The log file is written only by the
 * owning SegmentLog under its mutex; `size` counts committed bytes (a write is committed once it
 * completed), and readers never look past it.
 *
 * Indexes live in memory once loaded (lazily for old segments: read from their files, rebuilt from
 * the log when missing or failing the sanity checks) and are written whole to their files on roll,
 * flush and close.
 */
export class Segment {
  /** Unique per process: the handle-cache key (a swapped-in file under the same name gets a new one). */
  readonly id = nextSegmentId++;
  readonly dir: string;
  readonly baseOffset: number;
  readonly handles: FileHandleCache;
  readonly indexIntervalBytes: number;
  size: number;
  /** Offset after the last batch, when known (-1: use the next segment's base offset). */
  nextOffset: number;
  /** false: not checked since an unclean shutdown, so reads check each batch's CRC-32C. */
  verified: boolean;
  /** When the segment was created (ms), the base of `segment.ms`. */
  createdMs: number;
  /** Largest batch maxTimestamp, -1 when empty or not known yet (see loadIndexes). */
  maxTimestamp = -1;
  bytesSinceIndexEntry = 0;
  /** Indexes changed since written to their files. */
  indexesDirty = false;
  deleted = false;
  /** The active segment keeps its indexes in memory; others drop them when their file handle is evicted. */
  isActive = false;
  private logPath: string | undefined;
  private offsetIndex: OffsetIndex | null = null;
  private timeIndex: TimeIndex | null = null;

  constructor(options: {
    dir: string;
    baseOffset: number;
    handles: FileHandleCache;
    indexIntervalBytes: number;
    size: number;
    nextOffset: number;
    verified: boolean;
    createdMs: number;
  }) {
    this.dir = options.dir;
    this.indexIntervalBytes = options.indexIntervalBytes;
    this.baseOffset = options.baseOffset;
    this.handles = options.handles;
    this.size = options.size;
    this.nextOffset = options.nextOffset;
    this.verified = options.verified;
    this.createdMs = options.createdMs;
  }

  get path(): string {
    this.logPath ??= join(this.dir, segmentFileName(this.baseOffset, LOG_SUFFIX));
    return this.logPath;
  }

  get indexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, INDEX_SUFFIX));
  }

  get timeIndexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX));
  }

  get indexesLoaded(): boolean {
    return this.offsetIndex !== null;
  }

  acquire(): Promise<FileLease> | FileLease {
    return (
      this.handles.tryAcquire(this.id) ?? this.handles.acquire(this.id, this.path, () => this.dropIndexes())
    );
  }

  /**
   * Forgets the in-memory indexes of an inactive segment whose files are up to date (they are
   * reloaded on demand): this is what bounds index memory to the segments with open files.
   */
  dropIndexes(): void {
    if (this.isActive || this.indexesDirty) return;
    this.offsetIndex = null;
    this.timeIndex = null;
  }

  /** Creates an empty segment file (replacing a stale one at the same offset). */
  static async create(options: {
    dir: string;
    baseOffset: number;
    handles: FileHandleCache;
    indexIntervalBytes: number;
    createdMs: number;
  }): Promise<Segment> {
    const seg = new Segment({ ...options, size: 0, nextOffset: options.baseOffset, verified: true });
    const fh = await open(seg.path, 'w');
    await fh.close();
    seg.offsetIndex = new OffsetIndex(seg.baseOffset);
    seg.timeIndex = new TimeIndex(seg.baseOffset);
    seg.indexesDirty = true;
    return seg;
  }

  /** Largest timestamp in the segment, loading (and then dropping) the indexes if needed. */
  async largestTimestamp(): Promise<number> {
    if (this.indexesLoaded) return this.maxTimestamp;
    await this.loadIndexes();
    const ts = this.maxTimestamp;
    this.dropIndexes();
    return ts;
  }

  /** Resets the in-memory indexes to empty (before a rebuild by scanning). */
  resetIndexes(): void {
    this.offsetIndex = new OffsetIndex(this.baseOffset);
    this.timeIndex = new TimeIndex(this.baseOffset);
    this.bytesSinceIndexEntry = 0;
    this.maxTimestamp = -1;
    this.indexesDirty = true;
  }

  /**
   * Loads the index files, or rebuilds the indexes from the log when they are missing or fail the
   * sanity checks (the rebuild checks framing and stops at the first bad batch).
   */
  async loadIndexes(): Promise<void> {
    if (this.offsetIndex) return;
    const offsetIndex = existsSync(this.indexPath)
      ? OffsetIndex.parse(this.baseOffset, readFileSync(this.indexPath), this.size)
      : null;
    const timeIndex = existsSync(this.timeIndexPath)
      ? TimeIndex.parse(this.baseOffset, readFileSync(this.timeIndexPath))
      : null;
    const nextOffsetOk = this.nextOffset < 0 || !timeIndex || timeIndex.lastOffset < this.nextOffset;
    if (offsetIndex && timeIndex && nextOffsetOk && (this.size === 0 || timeIndex.entries > 0)) {
      this.offsetIndex = offsetIndex;
      this.timeIndex = timeIndex;
      this.maxTimestamp = timeIndex.lastTimestamp;
      this.bytesSinceIndexEntry = this.size - offsetIndex.lastPosition;
      return;
    }
    await this.rebuildIndexes(false);
    await this.writeIndexes();
  }

  /**
   * Rebuilds both indexes by scanning the log file. Returns where and why the scan stopped early, or
   * null when every batch was whole (with `checkCrc`, valid too). Does not truncate anything.
   */
  async rebuildIndexes(
    checkCrc: boolean,
    onBatch?: (batch: ScannedBatch) => void,
  ): Promise<{ stop: ScanStop | null; nextOffset: number; validBytes: number }> {
    this.resetIndexes();
    let next = this.baseOffset;
    let validBytes = 0;
    const stop = await this.scan(0, this.size, checkCrc, (b) => {
      if (b.baseOffset < next || b.lastOffset - this.baseOffset > 0x7fffffff) {
        return `batch at ${b.position} has offsets [${b.baseOffset}, ${b.lastOffset}] out of sequence`;
      }
      this.indexBatch(b.position, b.size, b.baseOffset, b.maxTimestamp);
      next = b.lastOffset + 1;
      validBytes = b.position + b.size;
      onBatch?.(b);
      return null;
    });
    this.finishTimeIndex(next);
    return { stop, nextOffset: next, validBytes };
  }

  /** Records a batch written at `position` in the in-memory indexes. */
  indexBatch(position: number, size: number, baseOffset: number, maxTimestamp: number): void {
    const indexIntervalBytes = this.indexIntervalBytes;
    const offsetIndex = this.offsetIndex;
    assert(offsetIndex !== null, 'indexes are loaded before batches are indexed');
    if (this.bytesSinceIndexEntry >= indexIntervalBytes && position > 0) {
      offsetIndex.append(baseOffset, position);
      // Every record before this batch has a timestamp <= the max so far.
      if (this.maxTimestamp >= 0 && baseOffset > this.baseOffset) {
        this.timeIndex!.maybeAppend(this.maxTimestamp, baseOffset - 1);
      }
      this.bytesSinceIndexEntry = 0;
      this.indexesDirty = true;
    }
    this.bytesSinceIndexEntry += size;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
  }

  /** Adds the final time-index entry (the segment's max timestamp) before the segment goes inactive. */
  finishTimeIndex(nextOffset: number): void {
    if (this.timeIndex && this.maxTimestamp >= 0 && nextOffset > this.baseOffset) {
      const before = this.timeIndex!.entries;
      const lastTs = this.timeIndex!.lastTimestamp;
      this.timeIndex!.maybeAppend(this.maxTimestamp, nextOffset - 1);
      if (this.timeIndex!.entries !== before || this.timeIndex!.lastTimestamp !== lastTs)
        this.indexesDirty = true;
    }
  }

  offsetIndexEntries(): number {
    return this.offsetIndex?.entries ?? 0;
  }

  timeIndexEntries(): number {
    return this.timeIndex?.entries ?? 0;
  }

  /** Position to start scanning for `offset` (indexes must be loaded). */
  lookupPosition(offset: number): number {
    return this.offsetIndex ? this.offsetIndex.lookup(offset) : 0;
  }

  /** Offset to start scanning for the first record with timestamp >= `timestamp`. */
  lookupTimestamp(timestamp: number): number {
    return this.timeIndex ? this.timeIndex.lookupBefore(timestamp) : this.baseOffset;
  }

  /** Drops index entries at or past `position` / `offset` (after a truncation). */
  truncateIndexes(position: number, offset: number): void {
    this.offsetIndex?.truncateToPosition(position);
    this.timeIndex?.truncateToOffset(offset);
    this.indexesDirty = true;
  }

  /** Writes both index files whole if they changed (no fsync). */
  async writeIndexes(): Promise<void> {
    if (!this.indexesDirty || !this.offsetIndex || this.deleted) return;
    this.indexesDirty = false;
    await writeFile(this.indexPath, this.offsetIndex.toBuffer());
    await writeFile(this.timeIndexPath, this.timeIndex!.toBuffer());
  }

  /**
   * Visits the batches in [from, to) in order, reading 1 MiB chunks. `visit` returns null to go on or a
   * reason to stop. Returns where and why the scan stopped early (bad framing, CRC with `checkCrc`, or
   * the visitor), or null when it reached `to`.
   */
  async scan(
    from: number,
    to: number,
    checkCrc: boolean,
    visit: (batch: ScannedBatch) => string | null | Promise<string | null>,
  ): Promise<ScanStop | null> {
    const lease = await this.acquire();
    try {
      let buf: Buffer = Buffer.alloc(0);
      let bufStart = from;
      let pos = from;
      while (pos < to) {
        if (pos + LOG_OVERHEAD > bufStart + buf.length) {
          buf = await readAt(lease, pos, Math.min(SCAN_CHUNK_BYTES, to - pos));
          bufStart = pos;
        }
        if (pos + LOG_OVERHEAD > bufStart + buf.length) {
          return { position: pos, reason: `truncated batch: ${to - pos} bytes left` };
        }
        const length = buf.readInt32BE(pos - bufStart + 8);
        const size = LOG_OVERHEAD + length;
        if (length < BATCH_HEADER_BYTES - LOG_OVERHEAD || size > to - pos) {
          return { position: pos, reason: `batch length ${length} out of bounds` };
        }
        if (pos + size > bufStart + buf.length) {
          buf = await readAt(lease, pos, Math.max(size, Math.min(SCAN_CHUNK_BYTES, to - pos)));
          bufStart = pos;
          if (buf.length < size) return { position: pos, reason: 'truncated batch' };
        }
        const at = pos - bufStart;
        const checked = checkBatch(buf, at, buf.length, checkCrc);
        if (typeof checked === 'string') return { position: pos, reason: checked };
        const baseOffset = batchBaseOffset(buf, at);
        const visited = visit({
          position: pos,
          size,
          baseOffset,
          lastOffset: baseOffset + batchLastOffsetDelta(buf, at),
          maxTimestamp: batchMaxTimestamp(buf, at),
          bytes: buf.subarray(at, at + size),
        });
        const reason = typeof visited === 'object' && visited !== null ? await visited : visited;
        if (reason !== null) return { position: pos, reason };
        pos += size;
      }
      return null;
    } finally {
      lease.release();
    }
  }

  /**
   * Finds the first batch at or after `from` whose last offset is >= `offset`, reading only batch
   * headers; null when the segment (up to `end`) has none.
   */
  async locate(lease: FileLease, offset: number, from: number, end: number): Promise<BatchLocation | null> {
    let buf: Buffer = Buffer.alloc(0);
    let bufStart = from;
    let pos = from;
    while (pos + BATCH_HEADER_BYTES <= end) {
      if (pos + BATCH_HEADER_BYTES > bufStart + buf.length) {
        buf = await readAt(lease, pos, Math.min(LOCATE_CHUNK_BYTES, end - pos));
        bufStart = pos;
        if (buf.length < BATCH_HEADER_BYTES) return null;
      }
      const at = pos - bufStart;
      const size = LOG_OVERHEAD + buf.readInt32BE(at + 8);
      if (size < BATCH_HEADER_BYTES || pos + size > end) return null;
      const baseOffset = readInt64(buf, at);
      const lastOffset = baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA_AT);
      if (lastOffset >= offset) {
        return { position: pos, size, baseOffset, lastOffset, maxTimestamp: batchMaxTimestamp(buf, at) };
      }
      pos += size;
    }
    return null;
  }
}

/** Positional read of up to `length` bytes (fewer at end of file). */
export async function readAt(lease: FileLease, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await lease.fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Writes `parts` back to back at `position` with one synchronous positional write (completing a
 * short write). Synchronous on purpose: an append to the page cache takes microseconds, while
 * handing it to libuv's thread pool costs a thread wake-up each way and, when the broker shares its
 * CPUs, a scheduling delay of milliseconds (see bench/README.md, "Latency"). Kafka's request
 * handler threads also write synchronously. fsyncs stay asynchronous.
 */
export function writevAtSync(lease: FileLease, parts: readonly Buffer[], position: number): void {
  const fd = lease.fh.fd;
  let total = 0;
  for (const p of parts) total += p.length;
  const written =
    parts.length === 1 ? writeSync(fd, parts[0]!, 0, total, position) : writevSync(fd, parts, position);
  if (written === total) return;
  const rest = Buffer.concat(parts).subarray(written);
  for (let done = 0; done < rest.length; ) {
    done += writeSync(fd, rest, done, rest.length - done, position + written + done);
  }
}
