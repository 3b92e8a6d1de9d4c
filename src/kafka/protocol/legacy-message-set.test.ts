import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { crc32, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { DecodeError, EncodeError, xxh32 } from '../../base/index.ts';
import {
  convertLegacyToBatch,
  decodeLegacyMessageSet,
  type EncodeLegacyMessageSetInput,
  encodeLegacyMessageSet,
} from './legacy-message-set.ts';
import { decodeRecordBatch, encodeRecordBatch, splitBatches } from './record-batch.ts';

const require = createRequire(import.meta.url);

function assertDecodeError(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecodeError, `expected DecodeError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** A single message written field by field, independent of the encoder under test. */
function handMessage(
  offset: bigint,
  magic: 0 | 1,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const body: Buffer[] = [Buffer.from([magic, attributes])];
  if (magic === 1) {
    const ts = Buffer.alloc(8);
    ts.writeBigInt64BE(timestamp);
    body.push(ts);
  }
  for (const f of [key, value]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(f === null ? -1 : f.length);
    body.push(len);
    if (f !== null) body.push(f);
  }
  const content = Buffer.concat(body);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(content.length + 4, 8);
  head.writeUInt32BE(crc32(content), 12);
  return Buffer.concat([head, content]);
}

describe('legacy message sets (magic v0/v1)', () => {
  it('decodes a hand-built v1 gzip wrapper with relative inner offsets', () => {
    const inner = Buffer.concat([
      handMessage(0n, 1, 0, 1000n, Buffer.from('a'), Buffer.from('one')),
      handMessage(1n, 1, 0, 1005n, null, Buffer.from('two')),
      handMessage(2n, 1, 0, 1003n, Buffer.from('c'), null),
    ]);
    const wrapper = handMessage(502n, 1, 1, 1005n, null, gzipSync(inner));
    const records = decodeLegacyMessageSet(wrapper);
    assert.deepEqual(
      records.map((r) => [
        r.offset,
        r.timestamp,
        r.key?.toString() ?? null,
        r.value?.toString() ?? null,
        r.compression,
      ]),
      [
        [500n, 1000n, 'a', 'one', 1],
        [501n, 1005n, null, 'two', 1],
        [502n, 1003n, 'c', null, 1],
      ],
    );
    assert.ok(records.every((r) => r.magic === 1 && r.timestampType === 'CreateTime'));
  });

  it('v0 wrappers keep absolute inner offsets; v0 has no timestamps', () => {
    const inner = Buffer.concat([
      handMessage(40n, 0, 0, 0n, null, Buffer.from('x')),
      handMessage(41n, 0, 0, 0n, null, Buffer.from('y')),
    ]);
    const records = decodeLegacyMessageSet(handMessage(41n, 0, 1, 0n, null, gzipSync(inner)));
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.timestampType, r.value?.toString()]),
      [
        [40n, -1n, null, 'x'],
        [41n, -1n, null, 'y'],
      ],
    );
  });

  it('v1 LogAppendTime wrapper: inner messages take the wrapper timestamp', () => {
    const set = encodeLegacyMessageSet({
      magic: 1,
      compression: 2,
      timestampType: 'LogAppendTime',
      baseOffset: 10,
      records: [
        { timestamp: 5, value: Buffer.from('a') },
        { timestamp: 9, value: Buffer.from('b') },
      ],
    });
    const records = decodeLegacyMessageSet(set);
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.timestampType]),
      [
        [10n, 9n, 'LogAppendTime'],
        [11n, 9n, 'LogAppendTime'],
      ],
    );
  });

  it('round-trips random records for each magic and codec', () => {
    const arb = fc.record({
      magic: fc.constantFrom<0 | 1>(0, 1),
      compression: fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3),
      baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
      records: fc.array(
        fc.record({
          timestamp: fc.bigInt({ min: -1n, max: 2n ** 45n }),
          key: fc.option(
            fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
            { nil: null },
          ),
          value: fc.option(
            fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
            { nil: null },
          ),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    });
    fc.assert(
      fc.property(arb, (input: EncodeLegacyMessageSetInput & { baseOffset: bigint }) => {
        const set = encodeLegacyMessageSet(input);
        const records = decodeLegacyMessageSet(set);
        assert.equal(records.length, input.records.length);
        records.forEach((r, i) => {
          const src = input.records[i]!;
          assert.equal(r.offset, input.baseOffset + BigInt(i));
          assert.equal(r.magic, input.magic);
          assert.equal(r.compression, input.compression);
          assert.equal(r.timestamp, input.magic === 1 ? src.timestamp : -1n);
          assert.deepEqual(r.key, src.key);
          assert.deepEqual(r.value, src.value);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('KAFKA-3160: v0 lz4 wrappers carry the legacy frame checksum, which is accepted', () => {
    const set = encodeLegacyMessageSet({
      magic: 0,
      compression: 3,
      records: [{ value: Buffer.from('old lz4') }],
    });
    const frame = set.subarray(12 + 4 + 2 + 4 + 4); // entry header, crc, magic+attrs, null key, value length
    assert.equal(frame.readUInt32LE(0), 0x184d2204);
    assert.equal(frame[6], (xxh32(frame.subarray(0, 6)) >>> 8) & 0xff, 'checksum over magic + descriptor');
    assert.notEqual(frame[6], (xxh32(frame.subarray(4, 6)) >>> 8) & 0xff);
    assert.equal(decodeLegacyMessageSet(set)[0]!.value!.toString(), 'old lz4');
  });

  it('CRC-32 mismatches are detected unless verification is off', () => {
    const set = encodeLegacyMessageSet({
      magic: 1,
      records: [{ timestamp: 1, key: Buffer.from('k'), value: Buffer.from('v') }],
    });
    for (let at = 16; at < set.length; at++) {
      const bad = Buffer.from(set);
      bad[at]! ^= 0x10;
      assertDecodeError(() => decodeLegacyMessageSet(bad));
    }
    const bad = Buffer.from(set);
    bad[bad.length - 1]! ^= 0x10;
    assertDecodeError(() => decodeLegacyMessageSet(bad), /CRC mismatch/);
    assert.equal(decodeLegacyMessageSet(bad, { verifyCrc: false })[0]!.value!.toString(), 'f'); // 'v' ^ 0x10
  });

  it('partial trailing messages: error by default, dropped when allowed (old Fetch responses)', () => {
    const set = encodeLegacyMessageSet({
      magic: 0,
      records: [{ value: Buffer.from('a') }, { value: Buffer.from('bb') }],
    });
    for (let cut = 1; cut < 26; cut++) {
      const truncated = set.subarray(0, set.length - cut);
      assertDecodeError(() => decodeLegacyMessageSet(truncated));
      assert.equal(decodeLegacyMessageSet(truncated, { allowPartialTrailing: true }).length, 1);
    }
  });

  it('rejects nested compression, zstd, v2 entries, empty wrappers and impossible sizes', () => {
    const innerWrapper = handMessage(
      0n,
      1,
      1,
      0n,
      null,
      gzipSync(handMessage(0n, 1, 0, 0n, null, Buffer.from('x'))),
    );
    assertDecodeError(
      () => decodeLegacyMessageSet(handMessage(0n, 1, 1, 0n, null, gzipSync(innerWrapper))),
      /nested/,
    );
    assertDecodeError(
      () => decodeLegacyMessageSet(handMessage(0n, 1, 4, 0n, null, Buffer.from('zz'))),
      /codec 4/,
    );
    assertDecodeError(() => decodeLegacyMessageSet(handMessage(0n, 1, 1, 0n, null, null)), /without a value/);
    assertDecodeError(
      () => decodeLegacyMessageSet(handMessage(0n, 1, 1, 0n, null, gzipSync(Buffer.alloc(0)))),
      /no messages/,
    );
    const v2 = encodeRecordBatch({ baseTimestamp: 0, records: [{ value: Buffer.from('x') }] });
    assertDecodeError(() => decodeLegacyMessageSet(v2), /magic 2/);
    const huge = handMessage(0n, 0, 0, 0n, null, Buffer.from('x'));
    huge.writeInt32BE(0x7fffffff, 8);
    assertDecodeError(() => decodeLegacyMessageSet(huge), /message size/);
    const negativeKey = handMessage(0n, 0, 0, 0n, null, Buffer.from('x'));
    negativeKey.writeInt32BE(-7, 18);
    assertDecodeError(() => decodeLegacyMessageSet(negativeKey, { verifyCrc: false }), /invalid length -7/);
  });

  it('caps all decompressed bytes of a set at maxBytes', () => {
    const big = { value: Buffer.alloc(30_000) };
    const one = encodeLegacyMessageSet({ magic: 1, compression: 1, records: [big] });
    const two = Buffer.concat([
      one,
      encodeLegacyMessageSet({ magic: 1, compression: 1, baseOffset: 1, records: [big] }),
    ]);
    assert.equal(decodeLegacyMessageSet(two, { maxBytes: 70_000 }).length, 2);
    assertDecodeError(() => decodeLegacyMessageSet(two, { maxBytes: 50_000 }), /limit/);
  });

  it('splitBatches walks a legacy message set entry by entry', () => {
    const set = encodeLegacyMessageSet({
      magic: 1,
      records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }],
    });
    const parts = [...splitBatches(set)];
    assert.equal(parts.length, 2);
    assert.equal(decodeLegacyMessageSet(parts[1]!)[0]!.offset, 1n);
  });

  it('encoder refuses what v0/v1 cannot carry', () => {
    assert.throws(
      () => encodeLegacyMessageSet({ magic: 1, compression: 4 as 3, records: [{}] }),
      EncodeError,
    );
    assert.throws(() => encodeLegacyMessageSet({ magic: 2 as 1, records: [{}] }), EncodeError);
  });

  it('converts legacy records to a v2 batch', () => {
    const set = encodeLegacyMessageSet({
      magic: 1,
      compression: 1,
      baseOffset: 300,
      records: [
        { timestamp: 2000, key: Buffer.from('k'), value: Buffer.from('a') },
        { timestamp: 1990, value: Buffer.from('b') },
        { timestamp: 2050, value: null },
      ],
    });
    const batch = decodeRecordBatch(convertLegacyToBatch(decodeLegacyMessageSet(set), { compression: 3 }));
    assert.equal(batch.baseOffset, 300n);
    assert.equal(batch.baseTimestamp, 2000n);
    assert.equal(batch.maxTimestamp, 2050n);
    assert.equal(batch.lastOffsetDelta, 2);
    assert.equal(batch.compression, 3);
    assert.equal(batch.producerId, -1n);
    assert.deepEqual(
      batch.records.map((r) => [
        r.offsetDelta,
        r.timestampDelta,
        r.key?.toString() ?? null,
        r.value?.toString() ?? null,
      ]),
      [
        [0, 0, 'k', 'a'],
        [1, -10, null, 'b'],
        [2, 50, null, null],
      ],
    );
    assert.throws(() => convertLegacyToBatch([]), EncodeError);
  });

  it('converts for a produce: sequential offsets whatever the producer wrote, a chosen timestamp type', () => {
    // magic 0 with made-up, non-consecutive offsets, as an old producer may send.
    const set = encodeLegacyMessageSet({
      magic: 0,
      records: [
        { offset: 900, value: Buffer.from('a') },
        { offset: 5, value: Buffer.from('b') },
        { offset: 7, value: Buffer.from('c') },
      ],
    });
    const legacy = decodeLegacyMessageSet(set);
    assert.throws(() => convertLegacyToBatch(legacy), EncodeError, 'offsets going backwards');
    const batch = decodeRecordBatch(
      convertLegacyToBatch(legacy, { sequentialOffsets: true, timestampType: 'CreateTime' }),
    );
    assert.equal(batch.baseOffset, 0n);
    assert.equal(batch.lastOffsetDelta, 2);
    assert.deepEqual(
      [batch.baseTimestamp, batch.maxTimestamp, batch.timestampType],
      [-1n, -1n, 'CreateTime'],
    );
    assert.deepEqual(
      batch.records.map((r) => [r.offsetDelta, r.timestampDelta, r.value?.toString()]),
      [
        [0, 0, 'a'],
        [1, 0, 'b'],
        [2, 0, 'c'],
      ],
    );
    const appended = encodeLegacyMessageSet({
      magic: 1,
      timestampType: 'LogAppendTime',
      records: [{ timestamp: 10, value: Buffer.from('x') }],
    });
    const asIs = decodeRecordBatch(convertLegacyToBatch(decodeLegacyMessageSet(appended)));
    assert.equal(asIs.timestampType, 'LogAppendTime');
    const chosen = decodeRecordBatch(
      convertLegacyToBatch(decodeLegacyMessageSet(appended), { timestampType: 'CreateTime' }),
    );
    assert.equal(chosen.timestampType, 'CreateTime');
  });
});

describe('legacy message sets: interop with kafkajs', () => {
  const MessageSet = require('kafkajs/src/protocol/messageSet/index.js');

  for (const messageVersion of [0, 1] as const) {
    it(`kafkajs message set v${messageVersion}: decoded, and our encoder writes the same bytes`, () => {
      const entries = [
        { key: Buffer.from('key-a'), value: Buffer.from('value-a'), timestamp: 1_500_000_000_000 },
        { key: null, value: Buffer.from('value-b'), timestamp: 1_500_000_000_100 },
      ];
      // Without a compression argument kafkajs numbers the entries 0, 1, ... (its inner-set numbering).
      const theirs: Buffer = MessageSet({ messageVersion, entries }).buffer;
      const records = decodeLegacyMessageSet(theirs);
      assert.deepEqual(
        records.map((r) => [r.offset, r.magic, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]),
        [
          [0n, messageVersion, messageVersion === 1 ? 1_500_000_000_000n : -1n, 'key-a', 'value-a'],
          [1n, messageVersion, messageVersion === 1 ? 1_500_000_000_100n : -1n, null, 'value-b'],
        ],
      );
      const ours = encodeLegacyMessageSet({
        magic: messageVersion,
        records: entries.map((e) => ({ timestamp: e.timestamp, key: e.key, value: e.value })),
      });
      assert.ok(ours.equals(theirs));
    });
  }

  it('kafkajs Produce v2 gzip payload (v1 wrapper) is decoded', async () => {
    const request = require('kafkajs/src/protocol/requests/produce/v2/request.js');
    const Decoder = require('kafkajs/src/protocol/decoder.js');
    const messages = [
      { key: Buffer.from('k1'), value: Buffer.from('compressed one'), timestamp: 1_600_000_000_000 },
      { key: Buffer.from('k2'), value: Buffer.from('compressed two'), timestamp: 1_600_000_000_007 },
    ];
    const req = request({
      acks: 1,
      timeout: 1000,
      compression: 1,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
    });
    const body: Buffer = (await req.encode()).buffer;
    // Produce v2 body: acks int16, timeout int32, [topic string, [partition int32, messageSetSize int32, messageSet]]
    const d = new Decoder(body);
    d.readInt16();
    d.readInt32();
    d.readInt32();
    d.readString();
    d.readInt32();
    d.readInt32();
    const set: Buffer = d.readBytes();
    const records = decodeLegacyMessageSet(set);
    assert.deepEqual(
      records.map((r) => [r.key?.toString(), r.value?.toString(), r.timestamp, r.compression, r.magic]),
      [
        ['k1', 'compressed one', 1_600_000_000_000n, 1, 1],
        ['k2', 'compressed two', 1_600_000_000_007n, 1, 1],
      ],
    );
    // kafkajs gives its wrapper offset 0 and relative inner offsets, so the records resolve to -1 and 0.
    assert.deepEqual(
      records.map((r) => r.offset),
      [-1n, 0n],
    );
  });
});
