import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CompressionCodec, DecodeError, snappyFramingOf } from '../../base/index.ts';
import type { RecordFormat } from '../../storage/index.ts';
import {
  decodeRecordBatch,
  encodeRecordBatch,
  RECORD_BATCH_HEADER_BYTES,
  validateBatchCrc,
} from './index.ts';
import { kafkaRecordFormat } from './record-format.ts';

// The protocol implements storage's port structurally; this line fails to compile if they drift.
const port: RecordFormat = kafkaRecordFormat;

const codecs: Array<[string, CompressionCodec, 'raw' | 'xerial']> = [
  ['none', 0, 'raw'],
  ['gzip', 1, 'raw'],
  ['snappy raw', 2, 'raw'],
  ['snappy xerial', 2, 'xerial'],
  ['lz4', 3, 'raw'],
  ['zstd', 4, 'raw'],
];

function sample(compression: CompressionCodec, snappyFraming: 'raw' | 'xerial'): Buffer {
  return encodeRecordBatch({
    baseOffset: 100n,
    partitionLeaderEpoch: 7,
    compression,
    isTransactional: true,
    producerId: 42n,
    producerEpoch: 3,
    baseSequence: 9,
    baseTimestamp: 1_000,
    compressOptions: { snappyFraming },
    records: [
      {
        offsetDelta: 0,
        timestampDelta: 10,
        key: Buffer.from('a'),
        value: Buffer.from('first'),
        headers: [{ key: 'h', value: Buffer.from('v') }],
      },
      { offsetDelta: 1, timestampDelta: 12, key: null, value: Buffer.alloc(40_000, 7) }, // > 32 KiB: several xerial blocks
      { offsetDelta: 3, timestampDelta: 11, key: Buffer.from('b'), value: null },
    ],
  });
}

describe('kafkaRecordFormat (storage RecordFormat over record-batch.ts)', () => {
  for (const [name, codec, framing] of codecs) {
    it(`scans and rewrites ${name} batches keeping the header, codec and framing`, () => {
      const batch = sample(codec, framing);
      assert.deepEqual(
        [...port.scanRecords(batch)].map((r) => [
          r.offsetDelta,
          r.timestamp,
          r.key?.toString() ?? null,
          r.valueIsNull,
        ]),
        [
          [0, 1_010, 'a', false],
          [1, 1_012, null, false],
          [3, 1_011, 'b', true],
        ],
      );
      const kept = port.rewriteBatch(batch, (i) => i !== 1);
      validateBatchCrc(kept);
      const before = decodeRecordBatch(batch);
      const after = decodeRecordBatch(kept);
      for (const field of [
        'baseOffset',
        'partitionLeaderEpoch',
        'attributes',
        'lastOffsetDelta',
        'baseTimestamp',
        'maxTimestamp',
        'producerId',
        'producerEpoch',
        'baseSequence',
      ] as const) {
        assert.equal(after[field], before[field], field);
      }
      assert.equal(after.recordsCount, 2);
      assert.deepEqual(
        after.records.map((r) => [
          r.offsetDelta,
          r.timestampDelta,
          r.key?.toString(),
          r.value?.toString() ?? null,
        ]),
        [
          [0, 10, 'a', 'first'],
          [3, 11, 'b', null],
        ],
      );
      assert.deepEqual(after.records[0]!.headers, before.records[0]!.headers);
      if (codec === 2) assert.equal(snappyFramingOf(kept.subarray(RECORD_BATCH_HEADER_BYTES)), framing);
    });
  }

  it('writes an emptied batch without a records section or codec, header otherwise kept', () => {
    const empty = port.rewriteBatch(sample(1, 'raw'), () => false);
    assert.equal(empty.length, RECORD_BATCH_HEADER_BYTES);
    const d = decodeRecordBatch(empty);
    assert.equal(d.compression, 0);
    assert.equal(d.isTransactional, true);
    assert.equal(d.lastOffsetDelta, 3);
    assert.equal(d.producerId, 42n);
    assert.equal(d.baseSequence, 9);
  });

  it('reports LogAppendTime batches at their maxTimestamp', () => {
    const batch = encodeRecordBatch({
      baseTimestamp: 5,
      maxTimestamp: 9_999,
      timestampType: 'LogAppendTime',
      records: [{ timestampDelta: 1, key: Buffer.from('k'), value: Buffer.from('v') }],
    });
    assert.deepEqual(
      [...port.scanRecords(batch)].map((r) => r.timestamp),
      [9_999],
    );
  });

  it('raises DecodeError on damaged records', () => {
    const gz = sample(1, 'raw');
    gz.fill(0x55, RECORD_BATCH_HEADER_BYTES + 8);
    assert.throws(() => [...port.scanRecords(gz)], DecodeError);
    assert.throws(() => port.rewriteBatch(gz, () => true), DecodeError);
  });
});
