import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchBaseOffset, batchCompressionCodec, batchLastOffset, crcMatches } from './batch-framing.ts';
import { decodeBatchRecords, rewriteBatch } from './batch-records.ts';
import { CorruptRecordError } from './log-errors.ts';
import { buildRecordBatch } from './record-batch-builder.ts';

const codecs: Array<[string, number, boolean]> = [
  ['none', 0, false],
  ['gzip', 1, false],
  ['snappy raw', 2, false],
  ['snappy xerial', 2, true],
  ['lz4', 3, false],
  ['zstd', 4, false],
];

describe('batch records', () => {
  for (const [name, codec, xerial] of codecs) {
    it(`decodes and rewrites ${name} batches keeping offsets, codec and a valid CRC`, () => {
      const value = Buffer.alloc(40_000, 7); // > 32 KiB: several xerial blocks
      const batch = buildRecordBatch(
        [
          { key: 'a', value: 'first', timestamp: 10, headers: [['h', 'v']] },
          { key: null, value, timestamp: 12 },
          { key: 'b', value: null, timestamp: 11 },
        ],
        { codec, xerial, baseOffset: 100, producerId: 7, baseSequence: 3 },
      );
      const decoded = decodeBatchRecords(batch);
      assert.deepEqual(
        decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.valueIsNull]),
        [
          [100, 10, 'a', false],
          [101, 12, null, false],
          [102, 11, 'b', true],
        ],
      );
      const kept = rewriteBatch(batch, decoded, [decoded.records[1]!]);
      assert.ok(crcMatches(kept, 0, kept.length));
      assert.equal(batchBaseOffset(kept, 0), 100);
      assert.equal(batchLastOffset(kept, 0), 102);
      assert.equal(batchCompressionCodec(kept, 0), codec);
      const again = decodeBatchRecords(kept).records;
      assert.equal(again.length, 1);
      assert.equal(again[0]!.offset, 101);
    });
  }

  it('raises CorruptRecordError on damaged records or compressed data', () => {
    const plain = buildRecordBatch([{ key: 'k', value: 'v' }]);
    plain.writeInt8(0x7f, 61); // record length beyond the batch
    assert.throws(() => decodeBatchRecords(plain), CorruptRecordError);
    const gz = buildRecordBatch([{ key: 'k', value: 'v' }], { codec: 1 });
    gz.fill(0x55, 70);
    assert.throws(() => decodeBatchRecords(gz), CorruptRecordError);
  });
});
