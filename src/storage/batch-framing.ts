import { crc32c } from '../base/index.ts';
import { CorruptRecordError } from './log-errors.ts';

/*
 * Kafka record batch v2 framing, as much as the log needs: the 61-byte header at fixed offsets.
 *
 *   @0  baseOffset int64        @8  batchLength int32 (bytes after this field)
 *   @12 partitionLeaderEpoch    @16 magic int8 (= 2)        @17 crc uint32 (CRC-32C of @21..end)
 *   @21 attributes int16        @23 lastOffsetDelta int32   @27 baseTimestamp int64
 *   @35 maxTimestamp int64      @43 producerId int64        @51 producerEpoch int16
 *   @53 baseSequence int32      @57 recordsCount int32      @61 records...
 *
 * The CRC does not cover baseOffset, batchLength, partitionLeaderEpoch or magic, so the log can stamp
 * the offset and leader epoch in place without recomputing it.
 *
 * Offsets and timestamps are handled as JavaScript numbers: exact below 2^53, a bound the log asserts
 * on every offset it assigns (9e15 offsets is ~285 years at a million records per second).
 */

export const BASE_OFFSET_AT = 0;
export const BATCH_LENGTH_AT = 8;
export const PARTITION_LEADER_EPOCH_AT = 12;
export const MAGIC_AT = 16;
export const CRC_AT = 17;
export const ATTRIBUTES_AT = 21;
export const LAST_OFFSET_DELTA_AT = 23;
export const BASE_TIMESTAMP_AT = 27;
export const MAX_TIMESTAMP_AT = 35;
export const PRODUCER_ID_AT = 43;
export const PRODUCER_EPOCH_AT = 51;
export const BASE_SEQUENCE_AT = 53;
export const RECORDS_COUNT_AT = 57;
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes before the part `batchLength` counts. */
export const LOG_OVERHEAD = 12;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

/** Kafka's NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

/** Reads a big-endian int64 as a number (exact below 2^53; every offset and timestamp here is). */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

/** Writes a safe integer as a big-endian int64. */
export function writeInt64(buf: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / 0x1_0000_0000);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(value - hi * 0x1_0000_0000, at + 4);
}

export function batchBaseOffset(buf: Buffer, at: number): number {
  return readInt64(buf, at + BASE_OFFSET_AT);
}

/** Whole batch size in bytes (12 + batchLength). */
export function batchSize(buf: Buffer, at: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_AT);
}

export function batchLastOffset(buf: Buffer, at: number): number {
  return batchBaseOffset(buf, at) + buf.readInt32BE(at + LAST_OFFSET_DELTA_AT);
}

export function batchLastOffsetDelta(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + LAST_OFFSET_DELTA_AT);
}

export function batchLeaderEpoch(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + PARTITION_LEADER_EPOCH_AT);
}

export function batchAttributes(buf: Buffer, at: number): number {
  return buf.readInt16BE(at + ATTRIBUTES_AT);
}

export function batchBaseTimestamp(buf: Buffer, at: number): number {
  return readInt64(buf, at + BASE_TIMESTAMP_AT);
}

export function batchMaxTimestamp(buf: Buffer, at: number): number {
  return readInt64(buf, at + MAX_TIMESTAMP_AT);
}

export function batchProducerId(buf: Buffer, at: number): number {
  return readInt64(buf, at + PRODUCER_ID_AT);
}

export function batchRecordsCount(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + RECORDS_COUNT_AT);
}

export function batchCompressionCodec(buf: Buffer, at: number): number {
  return batchAttributes(buf, at) & COMPRESSION_CODEC_MASK;
}

/** CRC-32C the batch should carry, computed over attributes..end. */
export function computeBatchCrc(buf: Buffer, at: number, size: number): number {
  return crc32c(buf.subarray(at + ATTRIBUTES_AT, at + size));
}

export function crcMatches(buf: Buffer, at: number, size: number): boolean {
  return computeBatchCrc(buf, at, size) === buf.readUInt32BE(at + CRC_AT);
}

/** Recomputes and stores the CRC after the covered bytes changed (LogAppendTime, compaction). */
export function restampCrc(buf: Buffer, at: number, size: number): void {
  buf.writeUInt32BE(computeBatchCrc(buf, at, size), at + CRC_AT);
}

/**
 * Outcome of checking the batch at `at` without throwing: its size when the framing is whole, else a
 * reason. `end` bounds the bytes available. Checks sizes, magic, and (when `checkCrc`) the CRC-32C.
 */
export function checkBatch(buf: Buffer, at: number, end: number, checkCrc: boolean): number | string {
  const remaining = end - at;
  if (remaining < LOG_OVERHEAD) return `truncated batch: ${remaining} bytes left, need ${LOG_OVERHEAD}`;
  const length = buf.readInt32BE(at + BATCH_LENGTH_AT);
  if (length < BATCH_HEADER_BYTES - LOG_OVERHEAD) return `batch length ${length} below the v2 header size`;
  if (length > remaining - LOG_OVERHEAD) {
    return `truncated batch: length ${length} exceeds the ${remaining - LOG_OVERHEAD} bytes left`;
  }
  const magic = buf.readInt8(at + MAGIC_AT);
  if (magic !== CURRENT_MAGIC) return `unsupported magic ${magic} (only record batch v2 is accepted)`;
  if (buf.readInt32BE(at + LAST_OFFSET_DELTA_AT) < 0) return 'negative lastOffsetDelta';
  if (buf.readInt32BE(at + RECORDS_COUNT_AT) < 0) return 'negative recordsCount';
  const size = LOG_OVERHEAD + length;
  if (checkCrc && !crcMatches(buf, at, size)) return 'CRC-32C mismatch';
  return size;
}

/**
 * Like checkBatch, but raises CorruptRecordError (Kafka's CORRUPT_MESSAGE) on bad framing. `checkCrc`
 * false skips only the CRC-32C (the caller validated it already); sizes and magic are always checked.
 */
export function validateBatch(buf: Buffer, at: number, end: number, checkCrc = true): number {
  const result = checkBatch(buf, at, end, checkCrc);
  if (typeof result === 'string') throw new CorruptRecordError(`${result} (batch at byte ${at})`);
  return result;
}

/** Summary of a buffer of concatenated batches, as the log needs it on append. */
export interface BatchesSummary {
  batchCount: number;
  recordCount: number;
  /** Sum of (lastOffsetDelta + 1): how many offsets the batches take. */
  offsetCount: number;
  maxTimestamp: number;
}

/** Validates every batch of `buf` (which must hold whole batches only); see validateBatch for `checkCrc`. */
export function validateBatches(buf: Buffer, checkCrc = true): BatchesSummary {
  if (buf.length === 0) throw new CorruptRecordError('empty append: no record batch');
  let at = 0;
  let batchCount = 0;
  let recordCount = 0;
  let offsetCount = 0;
  let maxTimestamp = NO_TIMESTAMP;
  while (at < buf.length) {
    const size = validateBatch(buf, at, buf.length, checkCrc);
    batchCount++;
    recordCount += batchRecordsCount(buf, at);
    offsetCount += batchLastOffsetDelta(buf, at) + 1;
    const ts = batchMaxTimestamp(buf, at);
    if (ts > maxTimestamp) maxTimestamp = ts;
    at += size;
  }
  return { batchCount, recordCount, offsetCount, maxTimestamp };
}
