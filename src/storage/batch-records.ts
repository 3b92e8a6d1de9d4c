import { ByteReader, DecodeError } from '../base/index.ts';
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  batchAttributes,
  batchBaseOffset,
  batchBaseTimestamp,
  batchLastOffsetDelta,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchRecordsCount,
  COMPRESSION_CODEC_MASK,
  LOG_OVERHEAD,
  RECORDS_COUNT_AT,
  restampCrc,
  TIMESTAMP_TYPE_BIT,
} from './batch-framing.ts';
import { compressRecords, decompressRecords, usesXerialFraming } from './compression.ts';
import type { TimestampOffset } from './log.ts';
import { CorruptRecordError } from './log-errors.ts';

/*
 * Record-level view of a v2 batch, for compaction and timestamp lookups:
 *   Record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *           keyLength varint | key | valueLength varint | value | headersCount varint | headers
 * (signed zig-zag varints; -1 length = null). Records are located, not copied: each view keeps the
 * byte range of the whole record inside the (decompressed) records section, so a rewritten batch
 * reuses the record bytes as they were.
 */

export interface RecordView {
  offset: number;
  timestamp: number;
  /** null key. */
  key: Buffer | null;
  /** null value = tombstone. */
  valueIsNull: boolean;
  /** Byte range of the whole record (length prefix included) in the records section. */
  start: number;
  end: number;
}

export interface DecodedBatch {
  records: RecordView[];
  /** The decompressed records section the views point into. */
  section: Buffer;
}

/** Decodes the records of the batch occupying all of `batch`. Raises CorruptRecordError. */
export function decodeBatchRecords(batch: Buffer): DecodedBatch {
  const attributes = batchAttributes(batch, 0);
  const codec = attributes & COMPRESSION_CODEC_MASK;
  const logAppendTime = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const baseOffset = batchBaseOffset(batch, 0);
  const baseTimestamp = batchBaseTimestamp(batch, 0);
  const maxTimestamp = batchMaxTimestamp(batch, 0);
  const count = batchRecordsCount(batch, 0);
  const section = decompressRecords(codec, batch.subarray(BATCH_HEADER_BYTES));
  const r = new ByteReader(section);
  const records: RecordView[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = r.offset;
      const length = r.varint();
      if (length < 0) r.fail(`negative record length ${length}`);
      r.need(length, 'record');
      const end = r.offset + length;
      const body = new ByteReader(section, r.offset, end);
      body.int8();
      const timestampDelta = body.varlongNumber();
      const offsetDelta = body.varint();
      const keyLength = body.varint();
      const key = keyLength < 0 ? null : body.raw(keyLength, 'key');
      const valueLength = body.varint();
      if (valueLength >= 0) body.raw(valueLength, 'value');
      records.push({
        offset: baseOffset + offsetDelta,
        timestamp: logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta,
        key,
        valueIsNull: valueLength < 0,
        start,
        end,
      });
      r.offset = end;
    }
  } catch (err) {
    if (err instanceof DecodeError)
      throw new CorruptRecordError(`malformed record: ${err.message}`, { cause: err });
    throw err;
  }
  return { records, section };
}

/**
 * A new batch with the header of `batch` (same baseOffset, lastOffsetDelta, timestamps, producer
 * fields, codec) holding only `keep` (views into `decoded.section`), recompressed with the same codec
 * and re-checksummed. Offsets and sequences of kept records are unchanged.
 */
export function rewriteBatch(batch: Buffer, decoded: DecodedBatch, keep: readonly RecordView[]): Buffer {
  const codec = batchAttributes(batch, 0) & COMPRESSION_CODEC_MASK;
  let raw = 0;
  for (const rec of keep) raw += rec.end - rec.start;
  const plain = Buffer.allocUnsafe(raw);
  let at = 0;
  for (const rec of keep) at += decoded.section.copy(plain, at, rec.start, rec.end);
  const xerial = usesXerialFraming(codec, batch.subarray(BATCH_HEADER_BYTES));
  const body = keep.length === 0 ? plain : compressRecords(codec, plain, xerial);
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_AT);
  out.writeInt32BE(keep.length, RECORDS_COUNT_AT);
  if (keep.length === 0) {
    // An empty batch carries no records section, compressed or not.
    out.writeInt16BE(batchAttributes(batch, 0) & ~COMPRESSION_CODEC_MASK, ATTRIBUTES_AT);
  }
  restampCrc(out, 0, out.length);
  return out;
}

/** The first record at or after offset `minOffset` whose timestamp is >= `timestamp`. */
export function firstRecordAtOrAfter(
  batch: Buffer,
  timestamp: number,
  minOffset: number,
): TimestampOffset | null {
  const leaderEpoch = batchLeaderEpoch(batch, 0);
  try {
    for (const r of decodeBatchRecords(batch).records) {
      if (r.offset >= minOffset && r.timestamp >= timestamp) {
        return { timestamp: r.timestamp, offset: r.offset, leaderEpoch };
      }
    }
    return null;
  } catch {
    // Undecodable records (unknown codec...): answer at batch level, as the batch header allows.
    const base = batchBaseOffset(batch, 0);
    if (batchRecordsCount(batch, 0) === 0 || base + batchLastOffsetDelta(batch, 0) < minOffset) return null;
    return { timestamp: batchMaxTimestamp(batch, 0), offset: Math.max(base, minOffset), leaderEpoch };
  }
}
