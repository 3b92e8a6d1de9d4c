/**
 * Kafka record batches, magic v2: the unit the broker stores and serves byte-for-byte.
 *
 * RecordBatch =>
 *   baseOffset int64            @0   stamped by the broker (not covered by the CRC)
 *   batchLength int32           @8   bytes after this field; a batch is 12 + batchLength bytes
 *   partitionLeaderEpoch int32  @12  stamped by the broker (not covered by the CRC)
 *   magic int8                  @16  = 2
 *   crc uint32                  @17  CRC-32C over attributes .. end of batch
 *   attributes int16            @21  bits 0-2 codec, 3 timestampType (1 = LogAppendTime),
 *                                    4 isTransactional, 5 isControlBatch, 6 hasDeleteHorizonMs
 *   lastOffsetDelta int32       @23
 *   baseTimestamp int64         @27
 *   maxTimestamp int64          @35
 *   producerId int64            @43  -1 when not idempotent
 *   producerEpoch int16         @51  -1 when not idempotent
 *   baseSequence int32          @53  -1 when not idempotent
 *   recordsCount int32          @57
 *   records                     @61  compressed as one blob when the codec is not 0
 *
 * Record =>
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value |
 *   headersCount varint | [headerKeyLength varint | headerKey utf8 | headerValueLength varint | headerValue]
 *   (a length of -1 is null; header keys are never null)
 *
 * Control batch (bit 5): one record, key = { version int16 = 0, type int16 } (0 ABORT, 1 COMMIT, 2..6 KRaft),
 * value for ABORT/COMMIT = { version int16 = 0, coordinatorEpoch int32 }.
 *
 * Two levels of access:
 * - The header view and accessors (`readBatchHeader`, `batchBaseOffset`, `validateBatchCrc`, `setBaseOffset`,
 *   `splitBatches`, ...) read fixed offsets without touching the records: the broker's hot path.
 * - `decodeRecordBatch` / `encodeRecordBatch` handle every record, with (de)compression: tools and tests.
 *
 * Decoding never trusts a length or count: each is checked against the bytes present before anything is
 * allocated, and malformed input raises DecodeError and nothing else.
 */
import {
  ByteReader,
  ByteWriter,
  type CompressionCodec,
  type CompressOptions,
  compress,
  crc32c,
  DecodeError,
  decompress,
  EncodeError,
  isCompressionCodec,
} from '../../base/index.ts';

export const RECORD_BATCH_MAGIC = 2;
/** baseOffset + batchLength: the prefix every entry of a records blob (v0, v1 or v2) starts with. */
export const LOG_OVERHEAD_BYTES = 12;
/** The fixed part of a v2 batch, up to and including recordsCount. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** Smallest valid batchLength: a batch with no records. */
const BATCH_LENGTH_MIN = RECORD_BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;
/** Smallest legacy message after the log overhead: crc, magic, attributes, [timestamp], key and value lengths. */
const LEGACY_MESSAGE_BYTES_MIN = [14, 22] as const;

/** Byte offsets of the header fields from the start of a batch. */
export const RecordBatchLayout = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const;
const L = RecordBatchLayout;

/** Bits of the batch `attributes` field. */
export const BatchAttribute = {
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1n;

export type TimestampType = 'CreateTime' | 'LogAppendTime';

/** Every header field, int64s as bigint (any wire value decodes). For numbers, use the accessors below. */
export interface RecordBatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A decoded record. `key`, `value` and header values are views into the batch (or its decompressed records). */
export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatch extends RecordBatchHeader {
  compression: CompressionCodec;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  records: KafkaRecord[];
}

// ---------------------------------------------------------------------------------------------
// Header view and hot-path accessors (no per-record work, no allocation beyond the result)

function checkHeader(buf: Buffer, at: number): void {
  if (!Number.isInteger(at) || at < 0 || buf.length - at < RECORD_BATCH_HEADER_BYTES) {
    throw new DecodeError(`record batch: need ${RECORD_BATCH_HEADER_BYTES} header bytes at ${at}`, at);
  }
}

/**
 * int64 as a number. Exact within ±(2^53 - 2^32); outside that DecodeError. Offsets, timestamps in ms and
 * producer ids stay far below (2^53 offsets is 285 years at a million records per second).
 */
function int64Number(buf: Buffer, at: number, what: string): number {
  const hi = buf.readInt32BE(at);
  if (hi > 0x1fffff || hi < -0x1fffff) throw new DecodeError(`${what} exceeds 2^53`, at);
  return hi * 4294967296 + buf.readUInt32BE(at + 4);
}

function writeInt64(buf: Buffer, v: bigint | number, at: number, what: string): void {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`${what} is not a safe integer: ${v}`);
    const hi = Math.floor(v / 4294967296);
    buf.writeInt32BE(hi, at);
    buf.writeUInt32BE(v - hi * 4294967296, at + 4);
    return;
  }
  if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn) {
    throw new EncodeError(`${what} out of int64 range: ${v}`);
  }
  buf.writeBigInt64BE(v, at);
}

/**
 * The header of the v2 batch at `offset`. Needs only the 61 header bytes (the records may be absent, e.g.
 * when a segment reader fetched just the header); checks the magic and that batchLength is plausible.
 */
export function readBatchHeader(buf: Buffer, offset = 0): RecordBatchHeader {
  checkHeader(buf, offset);
  const magic = buf.readInt8(offset + L.magic);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new DecodeError(`record batch: magic ${magic}, expected 2`, offset + L.magic);
  }
  const batchLength = buf.readInt32BE(offset + L.batchLength);
  if (batchLength < BATCH_LENGTH_MIN) {
    throw new DecodeError(
      `record batch: batchLength ${batchLength} below ${BATCH_LENGTH_MIN}`,
      offset + L.batchLength,
    );
  }
  return {
    baseOffset: buf.readBigInt64BE(offset),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(offset + L.partitionLeaderEpoch),
    magic,
    crc: buf.readUInt32BE(offset + L.crc),
    attributes: buf.readInt16BE(offset + L.attributes),
    lastOffsetDelta: buf.readInt32BE(offset + L.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(offset + L.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(offset + L.maxTimestamp),
    producerId: buf.readBigInt64BE(offset + L.producerId),
    producerEpoch: buf.readInt16BE(offset + L.producerEpoch),
    baseSequence: buf.readInt32BE(offset + L.baseSequence),
    recordsCount: buf.readInt32BE(offset + L.recordsCount),
  };
}

/** baseOffset as a number (bound: see int64Number). */
export function batchBaseOffset(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return int64Number(buf, at, 'baseOffset');
}

/** baseOffset + lastOffsetDelta: the offset of the batch's last record. */
export function batchLastOffset(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return int64Number(buf, at, 'baseOffset') + buf.readInt32BE(at + L.lastOffsetDelta);
}

export function batchLength(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return buf.readInt32BE(at + L.batchLength);
}

/** Total bytes of the batch: 12 + batchLength. */
export function batchSize(buf: Buffer, at = 0): number {
  return LOG_OVERHEAD_BYTES + batchLength(buf, at);
}

export function batchPartitionLeaderEpoch(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return buf.readInt32BE(at + L.partitionLeaderEpoch);
}

/** The magic byte; valid for v0/v1 entries too (it sits at byte 16 in every format), so it needs only 17 bytes. */
export function batchMagic(buf: Buffer, at = 0): number {
  if (!Number.isInteger(at) || at < 0 || buf.length - at < L.magic + 1) {
    throw new DecodeError('record batch: truncated before magic', at);
  }
  return buf.readInt8(at + L.magic);
}

export function batchAttributes(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return buf.readInt16BE(at + L.attributes);
}

export function batchRecordsCount(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return buf.readInt32BE(at + L.recordsCount);
}

export function batchBaseTimestamp(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return int64Number(buf, at + L.baseTimestamp, 'baseTimestamp');
}

export function batchMaxTimestamp(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return int64Number(buf, at + L.maxTimestamp, 'maxTimestamp');
}

/** producerId as a number (-1 when not idempotent); ids are allocated from 0 upwards, far below 2^53. */
export function batchProducerId(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return int64Number(buf, at + L.producerId, 'producerId');
}

export function batchProducerEpoch(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return buf.readInt16BE(at + L.producerEpoch);
}

export function batchBaseSequence(buf: Buffer, at = 0): number {
  checkHeader(buf, at);
  return buf.readInt32BE(at + L.baseSequence);
}

/** Stamps baseOffset in place. The CRC does not cover it, so the batch stays valid. */
export function setBaseOffset(buf: Buffer, baseOffset: bigint | number, at = 0): void {
  checkHeader(buf, at);
  writeInt64(buf, baseOffset, at + L.baseOffset, 'baseOffset');
}

/** Stamps partitionLeaderEpoch in place. The CRC does not cover it. */
export function setPartitionLeaderEpoch(buf: Buffer, epoch: number, at = 0): void {
  checkHeader(buf, at);
  if (!Number.isInteger(epoch) || epoch < -0x80000000 || epoch > 0x7fffffff) {
    throw new EncodeError(`partitionLeaderEpoch out of int32 range: ${epoch}`);
  }
  buf.writeInt32BE(epoch, at + L.partitionLeaderEpoch);
}

/**
 * Sets the timestamp type bit and maxTimestamp (the broker does this for LogAppendTime topics), then
 * recomputes the CRC, which covers both. The whole batch must be present.
 */
export function setMaxTimestamp(
  buf: Buffer,
  timestampType: TimestampType,
  maxTimestamp: bigint | number,
  at = 0,
): void {
  const end = batchEnd(buf, at);
  const attributes = buf.readInt16BE(at + L.attributes);
  const bit = timestampType === 'LogAppendTime' ? BatchAttribute.logAppendTime : 0;
  buf.writeInt16BE((attributes & ~BatchAttribute.logAppendTime) | bit, at + L.attributes);
  writeInt64(buf, maxTimestamp, at + L.maxTimestamp, 'maxTimestamp');
  buf.writeUInt32BE(crc32c(buf.subarray(at + L.attributes, end)), at + L.crc);
}

/** End offset of the whole batch at `at`, after checking the header and that every byte is present. */
function batchEnd(buf: Buffer, at: number): number {
  checkHeader(buf, at);
  const magic = buf.readInt8(at + L.magic);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new DecodeError(`record batch: magic ${magic}, expected 2`, at + L.magic);
  }
  const length = buf.readInt32BE(at + L.batchLength);
  if (length < BATCH_LENGTH_MIN) {
    throw new DecodeError(
      `record batch: batchLength ${length} below ${BATCH_LENGTH_MIN}`,
      at + L.batchLength,
    );
  }
  if (length > buf.length - at - LOG_OVERHEAD_BYTES) {
    throw new DecodeError(
      `record batch: batchLength ${length} but ${buf.length - at - LOG_OVERHEAD_BYTES} bytes present`,
      at + L.batchLength,
    );
  }
  return at + LOG_OVERHEAD_BYTES + length;
}

/** CRC-32C of the batch at `at` as it should be stored in its crc field (attributes .. end). */
export function computeBatchCrc(buf: Buffer, at = 0): number {
  return crc32c(buf.subarray(at + L.attributes, batchEnd(buf, at)));
}

/**
 * Checks magic, batchLength against the bytes present and the CRC-32C of the batch at `at`;
 * DecodeError when any is wrong. Does not look at the records.
 */
export function validateBatchCrc(buf: Buffer, at = 0): void {
  const end = batchEnd(buf, at);
  const stored = buf.readUInt32BE(at + L.crc);
  const actual = crc32c(buf.subarray(at + L.attributes, end));
  if (stored !== actual) {
    throw new DecodeError(
      `record batch: CRC mismatch, stored 0x${stored.toString(16)} computed 0x${actual.toString(16)}`,
      at + L.crc,
    );
  }
}

export interface SplitBatchesOptions {
  /**
   * Stop quietly at an incomplete final entry instead of raising DecodeError. Fetch responses may end with
   * a partial batch (the broker cuts at max bytes), so clients set this; the broker validating a produce
   * request does not.
   */
  allowPartialTrailing?: boolean;
}

/**
 * Size of the entry (v2 batch or v0/v1 message) starting at `at` in a records blob, or 0 when the blob ends
 * with an incomplete entry and `allowPartialTrailing` is set. Checks the magic and the minimum size for it;
 * raises DecodeError otherwise. An allocation-free building block for `splitBatches`.
 */
export function nextBatchSize(records: Buffer, at: number, allowPartialTrailing = false): number {
  const remaining = records.length - at;
  const partial = (what: string): number => {
    if (allowPartialTrailing) return 0;
    throw new DecodeError(`records: truncated ${what} (${remaining} bytes left)`, at);
  };
  if (remaining < LOG_OVERHEAD_BYTES) return partial('entry header');
  const length = records.readInt32BE(at + L.batchLength);
  if (length < LEGACY_MESSAGE_BYTES_MIN[0]) {
    throw new DecodeError(`records: entry length ${length} below the minimum`, at + L.batchLength);
  }
  if (remaining < L.magic + 1) return partial('entry header');
  const magic = records.readInt8(at + L.magic);
  if (magic < 0 || magic > RECORD_BATCH_MAGIC) {
    throw new DecodeError(`records: unknown magic ${magic}`, at + L.magic);
  }
  const min = magic === RECORD_BATCH_MAGIC ? BATCH_LENGTH_MIN : LEGACY_MESSAGE_BYTES_MIN[magic as 0 | 1];
  if (length < min) {
    throw new DecodeError(`records: magic ${magic} entry length ${length} below ${min}`, at + 8);
  }
  if (length > remaining - LOG_OVERHEAD_BYTES) return partial(`entry of ${length} bytes`);
  return LOG_OVERHEAD_BYTES + length;
}

/**
 * Yields each entry of a records blob as a zero-copy view: v2 batches, or v0/v1 messages in an old-format
 * blob (check `batchMagic`). Validates framing only (not CRCs).
 */
export function* splitBatches(
  records: Buffer,
  options: SplitBatchesOptions = {},
): Generator<Buffer, void, undefined> {
  const allowPartial = options.allowPartialTrailing === true;
  let at = 0;
  while (at < records.length) {
    const size = nextBatchSize(records, at, allowPartial);
    if (size === 0) return;
    yield records.subarray(at, at + size);
    at += size;
  }
}

// ---------------------------------------------------------------------------------------------
// Full decode

export interface DecodeRecordBatchOptions {
  /** Cap on the decompressed records section (default: compression's DECOMPRESSED_BYTES_MAX_DEFAULT). */
  maxBytes?: number;
  /** Check the CRC-32C (default true). */
  verifyCrc?: boolean;
}

/** Smallest encoded record: length, attributes, timestampDelta, offsetDelta, key/value lengths, headersCount. */
const RECORD_BYTES_MIN = 7;

/**
 * Decodes one whole v2 batch (exactly the bytes of `buf`), decompressing its records. Keys, values and
 * header values are views into `buf` or into the decompressed buffer. A DecodeError's offset is into
 * `buf`, except for errors inside compressed records, where it is into the decompressed bytes.
 */
export function decodeRecordBatch(buf: Buffer, options: DecodeRecordBatchOptions = {}): RecordBatch {
  const header = readBatchHeader(buf, 0);
  const end = LOG_OVERHEAD_BYTES + header.batchLength;
  if (end !== buf.length) {
    throw new DecodeError(
      `record batch: batchLength ${header.batchLength} but ${buf.length - 12} bytes given`,
      8,
    );
  }
  if (options.verifyCrc !== false) validateBatchCrc(buf, 0);
  const codec = header.attributes & BatchAttribute.compressionMask;
  if (!isCompressionCodec(codec)) {
    throw new DecodeError(`record batch: unknown compression codec ${codec}`, L.attributes);
  }
  const count = header.recordsCount;
  if (count < 0) throw new DecodeError(`record batch: negative recordsCount ${count}`, L.recordsCount);
  let records: KafkaRecord[];
  if (codec === 0) {
    records = decodeRecords(buf, L.records, end, count);
  } else {
    const maxBytes = options.maxBytes;
    const plain = decompress(codec, buf.subarray(L.records, end), maxBytes === undefined ? {} : { maxBytes });
    records = decodeRecords(plain, 0, plain.length, count);
  }
  const a = header.attributes;
  return {
    ...header,
    compression: codec,
    timestampType: a & BatchAttribute.logAppendTime ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (a & BatchAttribute.transactional) !== 0,
    isControl: (a & BatchAttribute.control) !== 0,
    hasDeleteHorizon: (a & BatchAttribute.deleteHorizon) !== 0,
    records,
  };
}

function decodeRecords(data: Buffer, start: number, end: number, count: number): KafkaRecord[] {
  if (count * RECORD_BYTES_MIN > end - start) {
    throw new DecodeError(`record batch: ${count} records cannot fit in ${end - start} bytes`, start);
  }
  const r = new ByteReader(data, start, end);
  const records: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < RECORD_BYTES_MIN - 1 || length > r.remaining) {
      r.fail(`record ${i}: length ${length} invalid, ${r.remaining} bytes left`);
    }
    const recordEnd = r.offset + length;
    const attributes = r.int8();
    const timestampDelta = r.varlongNumber();
    const offsetDelta = r.varint();
    const key = nullableVarBytes(r, recordEnd, 'key');
    const value = nullableVarBytes(r, recordEnd, 'value');
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount * 2 > recordEnd - r.offset) {
      r.fail(`record ${i}: header count ${headerCount} invalid, ${recordEnd - r.offset} bytes left`);
    }
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyLength = r.varint();
      if (keyLength < 0 || keyLength > recordEnd - r.offset) {
        r.fail(`record ${i}: header key length ${keyLength}`);
      }
      const headerKey = data.toString('utf8', r.offset, r.offset + keyLength);
      r.offset += keyLength;
      headers.push({ key: headerKey, value: nullableVarBytes(r, recordEnd, 'header value') });
    }
    if (r.offset !== recordEnd) r.fail(`record ${i}: length ${length} does not match its fields`);
    records.push({ attributes, timestampDelta, offsetDelta, key, value, headers });
  }
  if (r.offset !== end) r.fail(`record batch: ${end - r.offset} bytes after ${count} records`);
  return records;
}

function nullableVarBytes(r: ByteReader, limit: number, what: string): Buffer | null {
  const n = r.varint();
  if (n === -1) return null;
  if (n < -1 || n > limit - r.offset) {
    r.fail(`${what} length ${n} invalid, ${limit - r.offset} bytes left in record`);
  }
  return r.raw(n, what);
}

// ---------------------------------------------------------------------------------------------
// Control records

const CONTROL_TYPES = [
  'ABORT',
  'COMMIT',
  'LEADER_CHANGE',
  'SNAPSHOT_HEADER',
  'SNAPSHOT_FOOTER',
  'KRAFT_VERSION',
  'KRAFT_VOTERS',
] as const;
export type ControlRecordType = (typeof CONTROL_TYPES)[number];

export interface ControlRecord {
  /** 'UNKNOWN' for a type id newer than this code. */
  type: ControlRecordType | 'UNKNOWN';
  typeId: number;
  /** Version of the control record key. */
  version: number;
  /** The transaction coordinator's epoch, for ABORT and COMMIT markers; null for other types. */
  coordinatorEpoch: number | null;
}

/** Interprets a record of a control batch. Raises DecodeError when the key or marker value is malformed. */
export function decodeControlRecord(record: { key: Buffer | null; value: Buffer | null }): ControlRecord {
  const key = record.key;
  if (key === null || key.length < 4) throw new DecodeError('control record: key shorter than 4 bytes', 0);
  const version = key.readInt16BE(0);
  if (version < 0) throw new DecodeError(`control record: negative key version ${version}`, 0);
  const typeId = key.readInt16BE(2);
  const type = CONTROL_TYPES[typeId] ?? 'UNKNOWN';
  if (type !== 'ABORT' && type !== 'COMMIT') return { type, typeId, version, coordinatorEpoch: null };
  const value = record.value;
  // Newer marker versions may append fields; version 0 fields come first, so read those.
  if (value === null || value.length < 6) {
    throw new DecodeError('control record: marker value shorter than 6 bytes', 0);
  }
  const valueVersion = value.readInt16BE(0);
  if (valueVersion < 0) throw new DecodeError(`control record: negative marker version ${valueVersion}`, 0);
  return { type, typeId, version, coordinatorEpoch: value.readInt32BE(2) };
}

// ---------------------------------------------------------------------------------------------
// Encode

export interface RecordHeaderInput {
  key: string;
  value: Uint8Array | null;
}

export interface RecordInput {
  /** Unused by Kafka; default 0. */
  attributes?: number;
  /** Default 0. */
  timestampDelta?: number;
  /** Default: the record's index in the batch. */
  offsetDelta?: number;
  key?: Uint8Array | null;
  value?: Uint8Array | null;
  headers?: readonly RecordHeaderInput[];
}

export interface EncodeRecordBatchInput {
  /** Default 0 (the broker assigns the real one). */
  baseOffset?: bigint | number;
  /** Default -1. */
  partitionLeaderEpoch?: number;
  /** Raw attributes; give either this or the flags below. */
  attributes?: number;
  compression?: CompressionCodec;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  hasDeleteHorizon?: boolean;
  /** Default -1 (not idempotent). */
  producerId?: bigint | number;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  baseTimestamp: bigint | number;
  /** Default: baseTimestamp + the largest timestampDelta (baseTimestamp for an empty batch). */
  maxTimestamp?: bigint | number;
  /** Default: the last record's offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  records: readonly RecordInput[];
  /** Codec options (level, snappy framing). */
  compressOptions?: CompressOptions;
}

function toInt64(v: bigint | number, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`${what} is not a safe integer: ${v}`);
    return BigInt(v);
  }
  if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn) {
    throw new EncodeError(`${what} out of int64 range: ${v}`);
  }
  return v;
}

function checkInt(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new EncodeError(`${what} out of range [${min}, ${max}]: ${v}`);
  }
  return v;
}

function batchAttributesOf(input: EncodeRecordBatchInput): number {
  const flagsGiven =
    input.compression !== undefined ||
    input.timestampType !== undefined ||
    input.isTransactional !== undefined ||
    input.isControl !== undefined ||
    input.hasDeleteHorizon !== undefined;
  if (input.attributes !== undefined) {
    if (flagsGiven) {
      throw new EncodeError('record batch: give either attributes or the attribute flags, not both');
    }
    const a = checkInt(input.attributes, -0x8000, 0x7fff, 'attributes');
    if (!isCompressionCodec(a & BatchAttribute.compressionMask)) {
      throw new EncodeError(`record batch: unknown compression codec ${a & BatchAttribute.compressionMask}`);
    }
    return a;
  }
  const codec = input.compression ?? 0;
  if (!isCompressionCodec(codec)) throw new EncodeError(`record batch: unknown compression codec ${codec}`);
  return (
    codec |
    (input.timestampType === 'LogAppendTime' ? BatchAttribute.logAppendTime : 0) |
    (input.isTransactional ? BatchAttribute.transactional : 0) |
    (input.isControl ? BatchAttribute.control : 0) |
    (input.hasDeleteHorizon ? BatchAttribute.deleteHorizon : 0)
  );
}

/** Bytes of an unsigned varint. */
function uvarintBytes(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** Bytes of a zig-zag varint/varlong for a safe integer. */
function varintBytes(v: number): number {
  return uvarintBytes(v >= 0 ? v * 2 : -v * 2 - 1);
}

const EMPTY_HEADERS: readonly RecordHeaderInput[] = [];

/**
 * Encodes a v2 batch with a correct CRC-32C. Records are written in the given order with their
 * offsetDelta/timestampDelta (defaults: index, 0); the records section is compressed when a codec is set.
 */
export function encodeRecordBatch(input: EncodeRecordBatchInput): Buffer {
  const attributes = batchAttributesOf(input);
  const codec = attributes & BatchAttribute.compressionMask;
  const records = input.records;
  const count = records.length;
  if (count > 0x7fffffff) throw new EncodeError(`record batch: ${count} records`);

  // Pass 1: record sizes (the length prefix comes first) and UTF-8 header keys.
  const bodySizes = new Array<number>(count);
  const headerKeys: Buffer[][] = new Array(count);
  let recordsBytes = 0;
  let maxTimestampDelta = 0;
  for (let i = 0; i < count; i++) {
    const rec = records[i]!;
    const timestampDelta = rec.timestampDelta ?? 0;
    if (!Number.isSafeInteger(timestampDelta)) {
      throw new EncodeError(`record ${i}: timestampDelta ${timestampDelta} is not a safe integer`);
    }
    if (i === 0 || timestampDelta > maxTimestampDelta) maxTimestampDelta = timestampDelta;
    const offsetDelta = checkInt(rec.offsetDelta ?? i, -0x80000000, 0x7fffffff, `record ${i} offsetDelta`);
    const key = rec.key ?? null;
    const value = rec.value ?? null;
    let size =
      1 +
      varintBytes(timestampDelta) +
      varintBytes(offsetDelta) +
      (key === null ? 1 : varintBytes(key.length) + key.length) +
      (value === null ? 1 : varintBytes(value.length) + value.length);
    const headers = rec.headers ?? EMPTY_HEADERS;
    size += varintBytes(headers.length);
    const keys: Buffer[] = [];
    for (const h of headers) {
      const k = Buffer.from(h.key, 'utf8');
      keys.push(k);
      size +=
        varintBytes(k.length) +
        k.length +
        (h.value === null ? 1 : varintBytes(h.value.length) + h.value.length);
    }
    headerKeys[i] = keys;
    bodySizes[i] = size;
    recordsBytes += varintBytes(size) + size;
  }

  // Pass 2: write. Uncompressed records go straight after a header placeholder, so the batch is built
  // in one buffer; compressed ones are written alone, compressed, then framed.
  const inline = codec === 0;
  const w = new ByteWriter((inline ? RECORD_BATCH_HEADER_BYTES : 0) + recordsBytes + 16);
  if (inline) w.raw(Buffer.alloc(RECORD_BATCH_HEADER_BYTES));
  for (let i = 0; i < count; i++) {
    const rec = records[i]!;
    const key = rec.key ?? null;
    const value = rec.value ?? null;
    const headers = rec.headers ?? EMPTY_HEADERS;
    w.varint(bodySizes[i]!);
    w.int8(checkInt(rec.attributes ?? 0, -0x80, 0x7f, `record ${i} attributes`));
    w.varlongNumber(rec.timestampDelta ?? 0);
    w.varint(rec.offsetDelta ?? i);
    if (key === null) w.varint(-1);
    else w.varint(key.length).raw(key);
    if (value === null) w.varint(-1);
    else w.varint(value.length).raw(value);
    w.varint(headers.length);
    const keys = headerKeys[i]!;
    for (let h = 0; h < headers.length; h++) {
      const k = keys[h]!;
      w.varint(k.length).raw(k);
      const hv = headers[h]!.value;
      if (hv === null) w.varint(-1);
      else w.varint(hv.length).raw(hv);
    }
  }

  let out: Buffer;
  if (inline) {
    out = w.toBuffer();
  } else {
    const payload = compress(codec, w.toBuffer(), input.compressOptions ?? {});
    out = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + payload.length);
    payload.copy(out, RECORD_BATCH_HEADER_BYTES);
  }
  const batchLengthValue = out.length - LOG_OVERHEAD_BYTES;
  if (batchLengthValue > 0x7fffffff) throw new EncodeError(`record batch: ${out.length} bytes is too large`);

  const baseTimestamp = toInt64(input.baseTimestamp, 'baseTimestamp');
  const maxTimestamp =
    input.maxTimestamp !== undefined
      ? toInt64(input.maxTimestamp, 'maxTimestamp')
      : toInt64(baseTimestamp + BigInt(count > 0 ? maxTimestampDelta : 0), 'maxTimestamp');
  const lastOffsetDelta =
    input.lastOffsetDelta ?? (count > 0 ? (records[count - 1]!.offsetDelta ?? count - 1) : 0);

  out.writeBigInt64BE(toInt64(input.baseOffset ?? 0, 'baseOffset'), L.baseOffset);
  out.writeInt32BE(batchLengthValue, L.batchLength);
  out.writeInt32BE(
    checkInt(
      input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH,
      -0x80000000,
      0x7fffffff,
      'partitionLeaderEpoch',
    ),
    L.partitionLeaderEpoch,
  );
  out.writeInt8(RECORD_BATCH_MAGIC, L.magic);
  out.writeInt16BE(attributes, L.attributes);
  out.writeInt32BE(checkInt(lastOffsetDelta, -0x80000000, 0x7fffffff, 'lastOffsetDelta'), L.lastOffsetDelta);
  out.writeBigInt64BE(baseTimestamp, L.baseTimestamp);
  out.writeBigInt64BE(maxTimestamp, L.maxTimestamp);
  out.writeBigInt64BE(toInt64(input.producerId ?? NO_PRODUCER_ID, 'producerId'), L.producerId);
  out.writeInt16BE(
    checkInt(input.producerEpoch ?? NO_PRODUCER_EPOCH, -0x8000, 0x7fff, 'producerEpoch'),
    L.producerEpoch,
  );
  out.writeInt32BE(
    checkInt(input.baseSequence ?? NO_SEQUENCE, -0x80000000, 0x7fffffff, 'baseSequence'),
    L.baseSequence,
  );
  out.writeInt32BE(count, L.recordsCount);
  out.writeUInt32BE(crc32c(out.subarray(L.attributes)), L.crc);
  return out;
}

export interface EncodeControlBatchInput {
  baseOffset?: bigint | number;
  partitionLeaderEpoch?: number;
  producerId: bigint | number;
  producerEpoch: number;
  /** Written as baseTimestamp and maxTimestamp. */
  timestamp: bigint | number;
  type: 'ABORT' | 'COMMIT';
  coordinatorEpoch: number;
}

/** The key and value of a transaction marker record. */
export function encodeControlRecord(
  type: 'ABORT' | 'COMMIT',
  coordinatorEpoch: number,
): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(CONTROL_TYPES.indexOf(type), 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(checkInt(coordinatorEpoch, -0x80000000, 0x7fffffff, 'coordinatorEpoch'), 2);
  return { key, value };
}

/** A transactional control batch holding one COMMIT or ABORT marker, as the coordinator writes it. */
export function encodeControlBatch(input: EncodeControlBatchInput): Buffer {
  const { key, value } = encodeControlRecord(input.type, input.coordinatorEpoch);
  return encodeRecordBatch({
    ...(input.baseOffset === undefined ? {} : { baseOffset: input.baseOffset }),
    ...(input.partitionLeaderEpoch === undefined ? {} : { partitionLeaderEpoch: input.partitionLeaderEpoch }),
    isTransactional: true,
    isControl: true,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: NO_SEQUENCE,
    baseTimestamp: input.timestamp,
    maxTimestamp: input.timestamp,
    records: [{ key, value }],
  });
}
