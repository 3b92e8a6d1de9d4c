import { open, unlink } from 'node:fs/promises';
import { batchAttributes, batchMaxTimestamp, batchProducerId, CONTROL_BIT } from './batch-framing.ts';
import { decodeBatchRecords, type RecordView, rewriteBatch } from './batch-records.ts';
import type { CompactionStats, StorageLogger } from './log.ts';
import type { LogConfig } from './log-config.ts';
import { CLEANED_SUFFIX, type Segment } from './segment.ts';

/*
 * Log compaction (cleanup.policy=compact), in two passes over the inactive segments (the active
 * segment is never touched):
 *
 * 1. Build the map key → offset of its latest record, and note each producer's last batch.
 * 2. Rewrite each segment keeping, per batch, the records that are the latest for their key (keyless
 *    records and control batches are kept). A tombstone (null value) is dropped too once its batch is
 *    older than delete.retention.ms (its maxTimestamp; Kafka counts from when the tombstone was first
 *    cleaned). A changed batch keeps its header (baseOffset, lastOffsetDelta, sequences, codec) so
 *    offsets never change; a batch left empty is dropped unless it is its producer's last one, which
 *    keeps the producer's sequence state.
 *
 * Output goes to `<segment>.log.cleaned`, is fsynced, then replaces the segment via `.log.swap` under
 * the log's mutex (see SegmentLog.open for crash completion). The process yields to the event loop
 * between segments and while reading, so appends and reads go on.
 *
 * Memory: the key map holds every distinct key of the inactive segments (key bytes + ~50 bytes); the
 * rewrite streams through 1 MiB buffers.
 */

export interface CleanerAccess {
  name: string;
  config: Readonly<LogConfig>;
  logger: StorageLogger;
  inactiveSegments(): Array<{ seg: Segment; endOffset: number }>;
  swap(old: Segment, cleanedPath: string, build: (seg: Segment) => Promise<void>): Promise<boolean>;
}

const WRITE_CHUNK_BYTES = 1024 * 1024;

function keyOf(r: RecordView): string | null {
  return r.key === null ? null : r.key.toString('latin1');
}

function isControl(batch: Buffer): boolean {
  return (batchAttributes(batch, 0) & CONTROL_BIT) !== 0;
}

export async function compactSegments(access: CleanerAccess, now: number): Promise<CompactionStats> {
  const stats: CompactionStats = { segmentsCleaned: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
  const targets = access.inactiveSegments();
  if (targets.length === 0) return stats;

  const latest = new Map<string, number>();
  const lastBatchOfProducer = new Map<number, number>();
  for (const { seg } of targets) {
    if (seg.deleted) continue;
    await seg.scan(0, seg.size, !seg.verified, (b) => {
      mapBatch(b.bytes, b.baseOffset, latest, lastBatchOfProducer);
      return null;
    });
    await yieldToLoop();
  }

  const horizon = now - access.config.deleteRetentionMs;
  for (const { seg, endOffset } of targets) {
    if (seg.deleted) continue;
    const result = await cleanSegment(seg, endOffset, latest, lastBatchOfProducer, horizon, access);
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
  latest: Map<string, number>,
  lastBatchOfProducer: Map<number, number>,
  horizon: number,
  access: CleanerAccess,
): Promise<{ bytesBefore: number; bytesAfter: number; recordsRemoved: number } | null> {
  // First find out whether anything would go, without writing.
  let removable = 0;
  await seg.scan(0, seg.size, !seg.verified, (b) => {
    if (isControl(b.bytes)) return null;
    for (const r of decodeBatchRecords(b.bytes).records) {
      if (!keep(r, b.maxTimestamp, latest, horizon)) removable++;
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
      const { out, removed } = compactBatch(b.bytes, b.baseOffset, latest, lastBatchOfProducer, horizon);
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

/** Notes a batch in the key map and the producers' last batches (pass 1). */
export function mapBatch(
  batch: Buffer,
  baseOffset: number,
  latest: Map<string, number>,
  lastOfProducer: Map<number, number>,
): void {
  const pid = batchProducerId(batch, 0);
  if (pid >= 0) lastOfProducer.set(pid, baseOffset);
  if (isControl(batch)) return;
  for (const r of decodeBatchRecords(batch).records) {
    const key = keyOf(r);
    if (key !== null) latest.set(key, r.offset);
  }
}

/**
 * The batch as compaction leaves it (pass 2): itself when nothing goes, a rewritten batch, or null
 * when it ends up empty and is not its producer's last batch.
 */
export function compactBatch(
  batch: Buffer,
  baseOffset: number,
  latest: Map<string, number>,
  lastOfProducer: Map<number, number>,
  horizon: number,
): { out: Buffer | null; removed: number } {
  if (isControl(batch)) return { out: batch, removed: 0 };
  const maxTs = batchMaxTimestamp(batch, 0);
  const decoded = decodeBatchRecords(batch);
  const kept = decoded.records.filter((r) => keep(r, maxTs, latest, horizon));
  const removed = decoded.records.length - kept.length;
  if (removed === 0) return { out: batch, removed };
  const pid = batchProducerId(batch, 0);
  const keepEmpty = pid >= 0 && lastOfProducer.get(pid) === baseOffset;
  return { out: kept.length === 0 && !keepEmpty ? null : rewriteBatch(batch, decoded, kept), removed };
}

function keep(
  r: RecordView,
  batchMaxTimestamp: number,
  latest: Map<string, number>,
  horizon: number,
): boolean {
  const key = keyOf(r);
  if (key === null) return true;
  if (latest.get(key) !== r.offset) return false;
  return !(r.valueIsNull && batchMaxTimestamp < horizon);
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
