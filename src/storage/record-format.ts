import {
  batchBaseOffset,
  batchLastOffsetDelta,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchRecordsCount,
} from './batch-framing.ts';
import type { TimestampOffset } from './log.ts';
import { CorruptRecordError } from './log-errors.ts';

/**
 * The port through which storage looks inside a record batch. Storage keeps batches byte for byte
 * and knows only their fixed-offset header (batch-framing.ts); the record format (varint records,
 * compression) belongs to kafka/protocol, which ranks above storage. The owner injects an
 * implementation (`kafkaRecordFormat` from kafka/protocol) as the `recordFormat` option of
 * SegmentLog, MemoryLog and LogManager.
 *
 * Only two features need it: compaction (keys, tombstones, rewriting a batch without some records)
 * and ListOffsets by timestamp inside a batch. Without a format, `offsetForTimestamp` answers at
 * batch level (the first batch whose maxTimestamp >= ts, at its base offset) and `compact()` raises
 * LogStorageError.
 */
export interface RecordFormat {
  /**
   * The records of the whole batch `batch` (exactly one v2 batch, header included), in order.
   * Raises on malformed records (any error; storage reports it as CorruptRecordError). The CRC has
   * already been checked by storage where it needs to be.
   */
  scanRecords(batch: Buffer): Iterable<RecordEntry>;
  /**
   * A new batch holding only the records whose index (0-based, in scan order) `keep` accepts, with
   * the header of `batch` preserved: baseOffset, lastOffsetDelta, partitionLeaderEpoch, producer
   * id/epoch/base sequence, timestamps and attributes (the same codec, recompressed; an empty
   * batch carries no records section, so its codec bits are cleared). Kept records keep their
   * offset and timestamp deltas. The CRC is recomputed.
   */
  rewriteBatch(batch: Buffer, keep: (recordIndex: number) => boolean): Buffer;
}

/** What storage needs of one record. */
export interface RecordEntry {
  /** Offset relative to the batch's baseOffset. */
  offsetDelta: number;
  /** Absolute timestamp in ms (the batch's maxTimestamp for LogAppendTime batches). */
  timestamp: number;
  /** null when the record has no key. Views into the batch are fine (read before the next call). */
  key: Buffer | null;
  /** A tombstone: the value is null. */
  valueIsNull: boolean;
}

/** Every record of `batch`, any decoding failure raised as CorruptRecordError. */
export function recordsOf(format: RecordFormat, batch: Buffer): RecordEntry[] {
  try {
    return [...format.scanRecords(batch)];
  } catch (err) {
    if (err instanceof CorruptRecordError) throw err;
    throw new CorruptRecordError(`malformed records in the batch at offset ${batchBaseOffset(batch, 0)}`, {
      cause: err,
    });
  }
}

/**
 * The first record at or after offset `minOffset` whose timestamp is >= `timestamp`, in `batch`
 * (whose maxTimestamp the caller has checked). Without a format, or when the records cannot be
 * decoded, the answer is at batch level: the batch's maxTimestamp at max(baseOffset, minOffset).
 */
export function firstRecordAtOrAfter(
  batch: Buffer,
  timestamp: number,
  minOffset: number,
  format: RecordFormat | undefined,
): TimestampOffset | null {
  const leaderEpoch = batchLeaderEpoch(batch, 0);
  const base = batchBaseOffset(batch, 0);
  if (format !== undefined) {
    let records: RecordEntry[] | null = null;
    try {
      records = [...format.scanRecords(batch)];
    } catch {
      // Undecodable records: fall back to the batch header below.
    }
    if (records !== null) {
      for (const r of records) {
        const offset = base + r.offsetDelta;
        if (offset >= minOffset && r.timestamp >= timestamp)
          return { timestamp: r.timestamp, offset, leaderEpoch };
      }
      return null;
    }
  }
  if (batchRecordsCount(batch, 0) === 0 || base + batchLastOffsetDelta(batch, 0) < minOffset) return null;
  if (batchMaxTimestamp(batch, 0) < timestamp) return null;
  return { timestamp: batchMaxTimestamp(batch, 0), offset: Math.max(base, minOffset), leaderEpoch };
}
