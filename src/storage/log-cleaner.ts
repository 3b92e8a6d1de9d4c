import { open, unlink } from 'node:fs/promises';
import {
  batchAttributes,
  batchLastOffset,
  batchMaxTimestamp,
  batchProducerId,
  CONTROL_BIT,
} from './batch-framing.ts';
import type { CompactionStats, StorageLogger } from './log.ts';
import type { LogConfig } from './log-config.ts';
import { type RecordFormat, recordsOf } from './record-format.ts';
import { CLEANED_SUFFIX, type Segment } from './segment.ts';

/*
 * Log compaction (cleanup.policy=compact), in two passes over the inactive segments (the active
 * segment is never touched). Records are read and rewritten through the injected RecordFormat.
 *
 * 1. Build the map key → offset of its latest record, and note each producer's last batch. The map
 *    is bounded (`dedupeBufferBytes`, Kafka's log.cleaner.dedupe.buffer.size): when the next new
 *    key would not fit, mapping stops there, and only the offsets mapped so far are cleaned; the
 *    records after that point are kept as they are (the next run goes further, as in Kafka).
 * 2. Rewrite each segment starting below the mapped end, keeping per batch the records that are the
 *    latest for their key (keyless records, control batches and unmapped records are kept). A
 *    tombstone (null value) is dropped too once its batch is older than delete.retention.ms (its
 *    maxTimestamp; Kafka counts from when the tombstone was first cleaned). A changed batch keeps
 *    its header (baseOffset, lastOffsetDelta, sequences, codec) so offsets never change; a batch
 *    left empty is dropped unless it is its producer's last one, which keeps the producer's
 *    sequence state.
 *
 * Output goes to `<segment>.log.cleaned`, is fsynced, then replaces the segment via `.log.swap` under
 * the log's mutex (see SegmentLog.open for crash completion). The process yields to the event loop
 * between segments and while reading, so appends and reads go on.
 *
 * Memory: the key map holds at most `dedupeBufferBytes`, counted as key bytes + KEY_ENTRY_BYTES per
 * key; the rewrite streams through 1 MiB buffers.
 */

/** Kafka's log.cleaner.dedupe.buffer.size default: 128 MiB of key map. */
export const DEFAULT_DEDUPE_BUFFER_BYTES = 128 * 1024 * 1024;
/** Estimated cost of one map entry besides its key bytes (Map slot, string header, number). */
export const KEY_ENTRY_BYTES = 64;

/** The key map of one compaction run (pass 1), bounded by a byte budget. */
export class KeyMap {
  readonly latest = new Map<string, number>();
  readonly lastOfProducer = new Map<number, number>();
  readonly budgetBytes: number;
  bytes = 0;
  /** Every record below this offset was mapped; records at or above it are left alone. */
  mappedEnd = 0;
  /** Set once a new key did not fit: nothing more is mapped. */
  full = false;
  private readonly format: RecordFormat;

  constructor(format: RecordFormat, budgetBytes: number = DEFAULT_DEDUPE_BUFFER_BYTES) {
    this.format = format;
    this.budgetBytes = budgetBytes;
  }

  /** Maps one batch; false when the map filled up (inside or before it): stop mapping. */
  add(batch: Buffer, baseOffset: number): boolean {
    if (this.full) return false;
    const pid = batchProducerId(batch, 0);
    if (!isControl(batch)) {
      for (const r of recordsOf(this.format, batch)) {
        if (r.key === null) continue;
        const key = r.key.toString('latin1');
        if (!this.latest.has(key)) {
          const cost = key.length + KEY_ENTRY_BYTES;
          if (this.bytes + cost > this.budgetBytes) {
            this.full = true;
            this.mappedEnd = Math.max(this.mappedEnd, baseOffset + r.offsetDelta);
            if (pid >= 0 && this.mappedEnd > baseOffset) this.lastOfProducer.set(pid, baseOffset);
            return false;
          }
          this.bytes += cost;
        }
        this.latest.set(key, baseOffset + r.offsetDelta);
      }
    }
    if (pid >= 0) this.lastOfProducer.set(pid, baseOffset);
    this.mappedEnd = batchLastOffset(batch, 0) + 1;
    return true;
  }
}

export interface CleanerAccess {
  name: string;
  config: Readonly<LogConfig>;
  logger: StorageLogger;
  format: RecordFormat;
  dedupeBufferBytes: number;
  inactiveSegments(): Array<{ seg: Segment; endOffset: number }>;
  swap(old: Segment, cleanedPath: string, build: (seg: Segment) => Promise<void>): Promise<boolean>;
}

const WRITE_CHUNK_BYTES = 1024 * 1024;

export async function compactSegments(access: CleanerAccess, now: number): Promise<CompactionStats> {
  const stats: CompactionStats = { segmentsCleaned: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
  const targets = access.inactiveSegments();
  if (targets.length === 0) return stats;

  const map = new KeyMap(access.format, access.dedupeBufferBytes);
  for (const { seg } of targets) {
    if (seg.deleted) continue;
    await seg.scan(0, seg.size, !seg.verified, (b) => (map.add(b.bytes, b.baseOffset) ? null : 'full'));
    if (map.full) break;
    await yieldToLoop();
  }
  if (map.full) {
    access.logger('info', 'compaction key map full: cleaning only a prefix of the log', {
      log: access.name,
      dedupeBufferBytes: map.budgetBytes,
      keys: map.latest.size,
      cleanedBelowOffset: map.mappedEnd,
    });
  }

  const horizon = now - access.config.deleteRetentionMs;
  for (const { seg, endOffset } of targets) {
    if (seg.deleted) continue;
    if (seg.baseOffset >= map.mappedEnd) break;
    const result = await cleanSegment(seg, endOffset, map, horizon, access);
    if (result) {
      stats.segmentsCleaned++;
      stats.bytesBefore += result.bytesBefore;
      stats.bytesAfter += result.bytesAfter;
      stats.recordsRemoved += result.recordsRemoved;
    }
    await yieldToLoop();
  }
  return stats;
}

interface IndexedBatch {
  position: number;
  size: number;
  baseOffset: number;
  maxTimestamp: number;
}

async function cleanSegment(
  seg: Segment,
  endOffset: number,
  map: KeyMap,
  horizon: number,
  access: CleanerAccess,
): Promise<{ bytesBefore: number; bytesAfter: number; recordsRemoved: number } | null> {
  // First find out whether anything would go, without writing.
  let removable = 0;
  await seg.scan(0, seg.size, !seg.verified, (b) => {
    if (isControl(b.bytes) || b.baseOffset >= map.mappedEnd) return null;
    for (const r of recordsOf(access.format, b.bytes)) {
      if (!keep(r.key, r.valueIsNull, b.baseOffset + r.offsetDelta, b.maxTimestamp, map, horizon))
        removable++;
    }
    return null;
  });
  if (removable === 0) return null;

  const cleanedPath = seg.path + CLEANED_SUFFIX;
  const fh = await open(cleanedPath, 'w');
  const index: IndexedBatch[] = [];
  let written = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let recordsRemoved = 0;
  const flushPending = async () => {
    if (pendingBytes === 0) return;
    const chunk = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    let done = 0;
    while (done < chunk.length) {
      done += (await fh.write(chunk, done, chunk.length - done, written + done)).bytesWritten;
    }
    written += chunk.length;
    pending = [];
    pendingBytes = 0;
  };
  try {
    let position = 0;
    await seg.scan(0, seg.size, !seg.verified, async (b) => {
      const { out, removed } = compactBatch(b.bytes, b.baseOffset, map, horizon, access.format);
      recordsRemoved += removed;
      if (out) {
        index.push({
          position,
          size: out.length,
          baseOffset: b.baseOffset,
          maxTimestamp: batchMaxTimestamp(out, 0),
        });
        position += out.length;
        pending.push(out);
        pendingBytes += out.length;
        if (pendingBytes >= WRITE_CHUNK_BYTES) await flushPending();
      }
      return null;
    });
    await flushPending();
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(cleanedPath).catch(() => {});
    throw err;
  }
  await fh.close();

  const bytesBefore = seg.size;
  const swapped = await access.swap(seg, cleanedPath, async (fresh) => {
    fresh.resetIndexes();
    for (const b of index) fresh.indexBatch(b.position, b.size, b.baseOffset, b.maxTimestamp);
    fresh.finishTimeIndex(endOffset);
  });
  if (!swapped) return null;
  access.logger('info', 'compacted segment', {
    log: access.name,
    baseOffset: seg.baseOffset,
    bytesBefore,
    bytesAfter: written,
    recordsRemoved,
  });
  return { bytesBefore, bytesAfter: written, recordsRemoved };
}

/**
 * The batch as compaction leaves it (pass 2): itself when nothing goes, a rewritten batch, or null
 * when it ends up empty and is not its producer's last batch.
 */
export function compactBatch(
  batch: Buffer,
  baseOffset: number,
  map: KeyMap,
  horizon: number,
  format: RecordFormat,
): { out: Buffer | null; removed: number } {
  if (isControl(batch) || baseOffset >= map.mappedEnd) return { out: batch, removed: 0 };
  const maxTs = batchMaxTimestamp(batch, 0);
  const records = recordsOf(format, batch);
  const kept = records.map((r) =>
    keep(r.key, r.valueIsNull, baseOffset + r.offsetDelta, maxTs, map, horizon),
  );
  const keptCount = kept.filter(Boolean).length;
  const removed = records.length - keptCount;
  if (removed === 0) return { out: batch, removed };
  const pid = batchProducerId(batch, 0);
  const keepEmpty = pid >= 0 && map.lastOfProducer.get(pid) === baseOffset;
  if (keptCount === 0 && !keepEmpty) return { out: null, removed };
  return { out: format.rewriteBatch(batch, (i) => kept[i] === true), removed };
}

function keep(
  key: Buffer | null,
  valueIsNull: boolean,
  offset: number,
  batchMaxTimestamp: number,
  map: KeyMap,
  horizon: number,
): boolean {
  if (key === null || offset >= map.mappedEnd) return true;
  if (map.latest.get(key.toString('latin1')) !== offset) return false;
  return !(valueIsNull && batchMaxTimestamp < horizon);
}

function isControl(batch: Buffer): boolean {
  return (batchAttributes(batch, 0) & CONTROL_BIT) !== 0;
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
