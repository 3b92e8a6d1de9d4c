import {
  type CompressionCodec,
  decodeRecordBatch,
  encodeRecordBatch,
  type RecordInput,
} from '../../src/kafka/protocol/index.ts';

/*
 * Record batches for storage tests, benchmarks and crash children, built with kafka/protocol's codec
 * (storage itself never decodes records; see its RecordFormat port).
 */

export interface TestRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestamp?: number;
  headers?: Array<[string, Buffer | string | null]>;
}

export interface TestBatchOptions {
  baseOffset?: number;
  baseTimestamp?: number;
  codec?: number;
  /** Snappy only: the Java client's xerial framing. */
  xerial?: boolean;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  partitionLeaderEpoch?: number;
}

const bytesOf = (v: Buffer | string | null | undefined): Buffer | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? Buffer.from(v) : v;

/** One v2 batch as a producer sends it (offset deltas 0..n-1). */
export function buildRecordBatch(records: readonly TestRecord[], options: TestBatchOptions = {}): Buffer {
  const baseTimestamp = options.baseTimestamp ?? records[0]?.timestamp ?? 0;
  const inputs: RecordInput[] = records.map((r, i) => ({
    offsetDelta: i,
    timestampDelta: (r.timestamp ?? baseTimestamp) - baseTimestamp,
    key: bytesOf(r.key),
    value: bytesOf(r.value),
    headers: (r.headers ?? []).map(([key, value]) => ({ key, value: bytesOf(value) })),
  }));
  return encodeRecordBatch({
    baseOffset: options.baseOffset ?? 0,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
    compression: (options.codec ?? 0) as CompressionCodec,
    isTransactional: options.transactional ?? false,
    isControl: options.control ?? false,
    producerId: options.producerId ?? -1,
    producerEpoch: options.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? -1,
    baseTimestamp,
    records: inputs,
    compressOptions: { snappyFraming: options.xerial ? 'xerial' : 'raw' },
  });
}

/** `count` records of `valueBytes` each (keys `k<seed>-<i>`), as one uncompressed batch. */
export function buildFillerBatch(count: number, valueBytes: number, timestamp = 0, seed = 0): Buffer {
  const records: TestRecord[] = [];
  for (let i = 0; i < count; i++) {
    records.push({ key: `k${seed}-${i}`, value: Buffer.alloc(valueBytes, (seed + i) & 0xff), timestamp });
  }
  return buildRecordBatch(records, { baseTimestamp: timestamp });
}

export interface DecodedTestRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  valueIsNull: boolean;
}

/** The records of one whole batch with absolute offsets and timestamps. */
export function batchRecords(batch: Buffer): DecodedTestRecord[] {
  const d = decodeRecordBatch(batch);
  const base = Number(d.baseOffset);
  return d.records.map((r) => ({
    offset: base + r.offsetDelta,
    timestamp:
      d.timestampType === 'LogAppendTime'
        ? Number(d.maxTimestamp)
        : Number(d.baseTimestamp) + r.timestampDelta,
    key: r.key,
    value: r.value,
    valueIsNull: r.value === null,
  }));
}
