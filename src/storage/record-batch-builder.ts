import { ByteWriter } from '../base/index.ts';
import {
  ATTRIBUTES_AT,
  BASE_SEQUENCE_AT,
  BASE_TIMESTAMP_AT,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_AT,
  CONTROL_BIT,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_AT,
  LOG_OVERHEAD,
  MAGIC_AT,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  PRODUCER_EPOCH_AT,
  PRODUCER_ID_AT,
  RECORDS_COUNT_AT,
  restampCrc,
  TRANSACTIONAL_BIT,
  writeInt64,
} from './batch-framing.ts';
import { compressRecords } from './compression.ts';

/*
 * Builds record batches v2 the way producers do. Used by the storage tests and benchmarks (the
 * broker's own codecs live in kafka/protocol, which storage must not import).
 */

export interface BuilderRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestamp?: number;
  headers?: Array<[string, Buffer | string | null]>;
}

export interface BuilderOptions {
  baseOffset?: number;
  baseTimestamp?: number;
  codec?: number;
  /** Snappy only: write the Java client's xerial framing. */
  xerial?: boolean;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  partitionLeaderEpoch?: number;
}

function bytesOf(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

export function buildRecordBatch(records: readonly BuilderRecord[], options: BuilderOptions = {}): Buffer {
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? 0;
  let maxTimestamp = -1;
  const w = new ByteWriter(256);
  records.forEach((r, i) => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const body = new ByteWriter(64);
    body.int8(0);
    body.varlongNumber(ts - baseTimestamp);
    body.varint(i);
    const key = r.key === undefined || r.key === null ? null : bytesOf(r.key);
    const value = r.value === undefined || r.value === null ? null : bytesOf(r.value);
    if (key === null) body.varint(-1);
    else body.varint(key.length).raw(key);
    if (value === null) body.varint(-1);
    else body.varint(value.length).raw(value);
    const headers = r.headers ?? [];
    body.varint(headers.length);
    for (const [hk, hv] of headers) {
      const k = Buffer.from(hk);
      body.varint(k.length).raw(k);
      if (hv === null) body.varint(-1);
      else {
        const v = bytesOf(hv);
        body.varint(v.length).raw(v);
      }
    }
    const rec = body.toBuffer();
    w.varint(rec.length).raw(rec);
  });
  const codec = options.codec ?? 0;
  const plain = w.toBuffer();
  const section = codec === 0 ? plain : compressRecords(codec, plain, options.xerial ?? false);
  const out = Buffer.alloc(BATCH_HEADER_BYTES + section.length);
  writeInt64(out, 0, options.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_AT);
  out.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_AT);
  out.writeInt8(CURRENT_MAGIC, MAGIC_AT);
  let attributes = codec;
  if (options.transactional) attributes |= TRANSACTIONAL_BIT;
  if (options.control) attributes |= CONTROL_BIT;
  out.writeInt16BE(attributes, ATTRIBUTES_AT);
  out.writeInt32BE(Math.max(records.length - 1, 0), LAST_OFFSET_DELTA_AT);
  writeInt64(out, BASE_TIMESTAMP_AT, baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP_AT, maxTimestamp < 0 ? baseTimestamp : maxTimestamp);
  writeInt64(out, PRODUCER_ID_AT, options.producerId ?? -1);
  out.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_AT);
  out.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE_AT);
  out.writeInt32BE(records.length, RECORDS_COUNT_AT);
  section.copy(out, BATCH_HEADER_BYTES);
  restampCrc(out, 0, out.length);
  return out;
}

/** `count` records of `valueBytes` each (keys `k<i>`), as one uncompressed batch. */
export function buildFillerBatch(count: number, valueBytes: number, timestamp = 0, seed = 0): Buffer {
  const records: BuilderRecord[] = [];
  for (let i = 0; i < count; i++) {
    const value = Buffer.alloc(valueBytes, (seed + i) & 0xff);
    records.push({ key: `k${seed}-${i}`, value, timestamp });
  }
  return buildRecordBatch(records, { baseTimestamp: timestamp });
}
