import {
  ATTRIBUTES_AT,
  batchAttributes,
  batchBaseOffset,
  batchLastOffset,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchSize,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  restampCrc,
  TIMESTAMP_TYPE_BIT,
  validateBatches,
  writeInt64,
} from './batch-framing.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import type {
  AppendOptions,
  AppendResult,
  CompactionStats,
  EpochEndOffset,
  Log,
  ReadOptions,
  ReadResult,
  TimestampOffset,
} from './log.ts';
import { compactBatch, DEFAULT_DEDUPE_BUFFER_BYTES, KeyMap } from './log-cleaner.ts';
import { compacts, deletes, type LogConfig, resolveLogConfig } from './log-config.ts';
import { InvalidRecordError, LogStorageError, OffsetOutOfRangeError } from './log-errors.ts';
import { firstRecordAtOrAfter, type RecordFormat } from './record-format.ts';

interface MemoryBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
  maxTimestamp: number;
}

interface MemorySegment {
  baseOffset: number;
  batches: MemoryBatch[];
  size: number;
  createdMs: number;
}

export interface MemoryLogOptions {
  config?: Partial<LogConfig>;
  now?: () => number;
  name?: string;
  /** Record-level access, as for SegmentLog (without it: batch-level timestamps, no compaction). */
  recordFormat?: RecordFormat;
  /** Bound on the compaction key map; default 128 MiB. */
  dedupeBufferBytes?: number;
}

/**
 * The Log contract in memory (tests, ephemeral topics). Mirrors SegmentLog's behaviour, including
 * segments (rolled by segment.bytes and segment.ms) so retention and compaction act on the same
 * units; batches are copied on append and reads concatenate them. Nothing is durable: flushedOffset
 * follows the log end.
 */
export class MemoryLog implements Log {
  readonly name: string;
  readonly config: Readonly<LogConfig>;
  private readonly now: () => number;
  private readonly recordFormat: RecordFormat | undefined;
  private readonly dedupeBufferBytes: number;
  private segments: MemorySegment[];
  private readonly epochs = new LeaderEpochCache();
  private startOffset = 0;
  private endOffset = 0;
  private hw = 0;
  private closed = false;

  constructor(options: MemoryLogOptions = {}) {
    this.config = resolveLogConfig(options.config);
    this.now = options.now ?? Date.now;
    this.name = options.name ?? 'memory';
    this.recordFormat = options.recordFormat;
    this.dedupeBufferBytes = options.dedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES;
    this.segments = [this.newSegment(0)];
  }

  private newSegment(baseOffset: number): MemorySegment {
    return { baseOffset, batches: [], size: 0, createdMs: this.now() };
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get flushedOffset(): number {
    return this.endOffset;
  }

  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogStorageError(`log ${this.name} is closed`);
  }

  private get active(): MemorySegment {
    return this.segments.at(-1)!;
  }

  async append(input: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    this.ensureOpen();
    const summary = validateBatches(input, options.crcValidated !== true);
    const now = this.now();
    const assign = options.assignOffsets ?? true;
    const appendTime = this.config.messageTimestampType === 'LogAppendTime' ? now : -1;
    const firstOffset = assign ? this.endOffset : batchBaseOffset(input, 0);
    let next = firstOffset;
    for (let at = 0; at < input.length; ) {
      const size = batchSize(input, at);
      if (assign) writeInt64(input, at, next);
      else if (batchBaseOffset(input, at) < Math.max(next, this.endOffset)) {
        throw new InvalidRecordError(`replica append at ${batchBaseOffset(input, at)} is below the log end`);
      }
      next = batchLastOffset(input, at) + 1;
      if (options.leaderEpoch !== undefined)
        input.writeInt32BE(options.leaderEpoch, at + PARTITION_LEADER_EPOCH_AT);
      if (appendTime >= 0) {
        input.writeInt16BE(batchAttributes(input, at) | TIMESTAMP_TYPE_BIT, at + ATTRIBUTES_AT);
        writeInt64(input, at + MAX_TIMESTAMP_AT, appendTime);
        restampCrc(input, at, size);
      }
      at += size;
    }
    let seg = this.active;
    const c = this.config;
    if (seg.size > 0 && (seg.size + input.length > c.segmentBytes || now - seg.createdMs > c.segmentMs)) {
      seg = this.newSegment(firstOffset);
      this.segments.push(seg);
    } else if (seg.size === 0 && firstOffset > seg.baseOffset) {
      seg.baseOffset = firstOffset;
      if (this.segments.length === 1) this.startOffset = Math.max(this.startOffset, firstOffset);
    }
    const copy = Buffer.from(input);
    for (let at = 0; at < copy.length; ) {
      const size = batchSize(copy, at);
      const bytes = copy.subarray(at, at + size);
      const baseOffset = batchBaseOffset(bytes, 0);
      seg.batches.push({
        baseOffset,
        lastOffset: batchLastOffset(bytes, 0),
        bytes,
        maxTimestamp: batchMaxTimestamp(bytes, 0),
      });
      this.epochs.assign(batchLeaderEpoch(bytes, 0), baseOffset);
      at += size;
    }
    seg.size += copy.length;
    this.endOffset = next;
    return {
      baseOffset: firstOffset,
      lastOffset: next - 1,
      logAppendTime: appendTime,
      logStartOffset: this.startOffset,
      batchCount: summary.batchCount,
      recordCount: summary.recordCount,
      maxTimestamp: appendTime >= 0 ? appendTime : summary.maxTimestamp,
      sizeBytes: copy.length,
    };
  }

  /** Starts a new segment at the log end (no-op when the active one is empty). */
  async roll(): Promise<void> {
    this.ensureOpen();
    if (this.active.size > 0) this.segments.push(this.newSegment(this.endOffset));
  }

  async read(offset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    this.ensureOpen();
    const lso = this.startOffset;
    const leo = this.endOffset;
    if (offset < lso || offset > leo) throw new OffsetOutOfRangeError(offset, lso, leo);
    const maxOffset = Math.min(options.maxOffset ?? leo, leo);
    const result: ReadResult = {
      records: Buffer.alloc(0),
      firstOffset: -1,
      nextOffset: offset,
      highWatermark: this.hw,
      logStartOffset: lso,
      logEndOffset: leo,
    };
    if (offset >= maxOffset) return result;
    let i = 0;
    while (i + 1 < this.segments.length && this.segments[i + 1]!.baseOffset <= offset) i++;
    for (; i < this.segments.length; i++) {
      const batches = this.segments[i]!.batches;
      const first = batches.findIndex((b) => b.lastOffset >= offset);
      if (first < 0) continue;
      const out: Buffer[] = [];
      let bytes = 0;
      for (let j = first; j < batches.length; j++) {
        const b = batches[j]!;
        if (b.lastOffset >= maxOffset) break;
        if (out.length > 0 && bytes + b.bytes.length > maxBytes) break;
        out.push(b.bytes);
        bytes += b.bytes.length;
      }
      if (out.length === 0) return result;
      result.records = Buffer.concat(out, bytes);
      result.firstOffset = batchBaseOffset(out[0]!, 0);
      result.nextOffset = batchLastOffset(out.at(-1)!, 0) + 1;
      return result;
    }
    return result;
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    this.ensureOpen();
    for (const seg of this.segments) {
      for (const b of seg.batches) {
        if (b.lastOffset < this.startOffset || b.maxTimestamp < timestamp) continue;
        const found = firstRecordAtOrAfter(b.bytes, timestamp, this.startOffset, this.recordFormat);
        if (found) return found;
      }
    }
    return null;
  }

  async maxTimestamp(): Promise<TimestampOffset | null> {
    this.ensureOpen();
    let max = -1;
    for (const seg of this.segments)
      for (const b of seg.batches) if (b.maxTimestamp > max) max = b.maxTimestamp;
    return max < 0 ? null : this.offsetForTimestamp(max);
  }

  setHighWatermark(offset: number): void {
    this.ensureOpen();
    this.hw = Math.max(this.startOffset, Math.min(offset, this.endOffset));
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    this.ensureOpen();
    if (offset > this.hw || offset < 0) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw, 'DeleteRecords offset');
    }
    if (offset <= this.startOffset) return this.startOffset;
    this.startOffset = offset;
    this.deleteSegmentsBelowStart();
    this.epochs.truncateFromStart(offset);
    return this.startOffset;
  }

  private deleteSegmentsBelowStart(): number {
    let bytes = 0;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.startOffset) {
      bytes += this.segments.shift()!.size;
    }
    return bytes;
  }

  async truncateTo(offset: number): Promise<void> {
    this.ensureOpen();
    if (offset >= this.endOffset) return;
    if (offset < this.startOffset || offset <= this.segments[0]!.baseOffset) {
      await this.truncateFullyAndStartAt(Math.max(offset, 0));
      return;
    }
    while (this.active.baseOffset > offset) this.segments.pop();
    const seg = this.active;
    const cut = seg.batches.findIndex((b) => b.lastOffset >= offset);
    let newEnd = offset;
    if (cut >= 0) {
      newEnd = Math.min(offset, seg.batches[cut]!.baseOffset);
      for (const b of seg.batches.splice(cut)) seg.size -= b.bytes.length;
    }
    this.endOffset = newEnd;
    this.hw = Math.min(this.hw, newEnd);
    this.epochs.truncateFromEnd(newEnd);
  }

  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.ensureOpen();
    this.segments = [this.newSegment(offset)];
    this.startOffset = offset;
    this.endOffset = offset;
    this.hw = offset;
    this.epochs.clear();
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.endOffset);
  }

  async applyRetention(nowMs?: number): Promise<number> {
    this.ensureOpen();
    const now = nowMs ?? this.now();
    let deleted = 0;
    const c = this.config;
    if (deletes(c)) {
      if (c.retentionMs >= 0) {
        deleted += this.deletePrefix((seg) => now - segmentMaxTimestamp(seg) > c.retentionMs);
      }
      if (c.retentionBytes >= 0) {
        let excess = this.sizeBytes - c.retentionBytes;
        deleted += this.deletePrefix((seg) => {
          if (excess - seg.size < 0) return false;
          excess -= seg.size;
          return true;
        });
      }
    }
    deleted += this.deleteSegmentsBelowStart();
    if (deleted > 0) {
      this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
      this.epochs.truncateFromStart(this.startOffset);
    }
    return deleted;
  }

  private deletePrefix(deletable: (seg: MemorySegment) => boolean): number {
    let count = 0;
    while (count < this.segments.length) {
      const seg = this.segments[count]!;
      const upper = count + 1 < this.segments.length ? this.segments[count + 1]!.baseOffset : this.endOffset;
      if (count === this.segments.length - 1 && seg.size === 0) break;
      if (upper > this.hw || !deletable(seg)) break;
      count++;
    }
    if (count === 0) return 0;
    if (count === this.segments.length) this.segments.push(this.newSegment(this.endOffset));
    let bytes = 0;
    for (const seg of this.segments.splice(0, count)) bytes += seg.size;
    this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
    return bytes;
  }

  async compact(nowMs?: number): Promise<CompactionStats> {
    this.ensureOpen();
    const stats: CompactionStats = { segmentsCleaned: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
    if (!compacts(this.config)) return stats;
    const format = this.recordFormat;
    if (format === undefined) {
      throw new LogStorageError(
        `log ${this.name}: compaction needs record-level access; create the log with a recordFormat`,
      );
    }
    const inactive = this.segments.slice(0, -1);
    const map = new KeyMap(format, this.dedupeBufferBytes);
    mapping: for (const seg of inactive) {
      for (const b of seg.batches) if (!map.add(b.bytes, b.baseOffset)) break mapping;
    }
    const horizon = (nowMs ?? this.now()) - this.config.deleteRetentionMs;
    for (const seg of inactive) {
      if (seg.baseOffset >= map.mappedEnd) break;
      let removedHere = 0;
      const kept: MemoryBatch[] = [];
      for (const b of seg.batches) {
        const { out, removed } = compactBatch(b.bytes, b.baseOffset, map, horizon, format);
        removedHere += removed;
        if (out)
          kept.push(out === b.bytes ? b : { ...b, bytes: out, maxTimestamp: batchMaxTimestamp(out, 0) });
      }
      if (removedHere === 0) continue;
      const before = seg.size;
      seg.batches = kept;
      seg.size = kept.reduce((n, b) => n + b.bytes.length, 0);
      stats.segmentsCleaned++;
      stats.bytesBefore += before;
      stats.bytesAfter += seg.size;
      stats.recordsRemoved += removedHere;
    }
    return stats;
  }

  async flush(): Promise<void> {
    this.ensureOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function segmentMaxTimestamp(seg: MemorySegment): number {
  let max = -1;
  for (const b of seg.batches) if (b.maxTimestamp > max) max = b.maxTimestamp;
  return max < 0 ? seg.createdMs : max;
}
