import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecodeError } from '../../../base/index.ts';
import type { StoredClassicMember } from './group-store.ts';
import {
  type ConsumerGroupCurrentMemberAssignmentValue,
  type ConsumerGroupMemberMetadataValue,
  decodeConsumerGroupCurrentMemberAssignmentValue,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupMetadataValue,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeConsumerGroupTargetAssignmentMetadataValue,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsTopicKey,
  decodeOffsetsTopicRecord,
  encodeConsumerGroupCurrentMemberAssignmentValue,
  encodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupMetadataValue,
  encodeConsumerGroupTargetAssignmentMemberValue,
  encodeConsumerGroupTargetAssignmentMetadataValue,
  encodeGroupMetadataValue,
  encodeOffsetCommitValue,
  encodeOffsetsTopicKey,
  type GroupMetadataValue,
  type OffsetCommitValue,
  type OffsetsTopicKey,
  offsetsKeyIdentity,
} from './offsets-topic-records.ts';

/** fc.record builds null-prototype objects; decoders return plain ones. */
function plainRecord<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model).map((o) => ({ ...o }) as T);
}

const hex = (s: string) => Buffer.from(s.replaceAll(' ', ''), 'hex');
const str = fc.string({ unit: 'grapheme', maxLength: 12 });
const nstr = fc.option(str, { nil: null });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const i64 = fc.maxSafeInteger();
const bytes = fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
const topicPartitions = fc
  .uniqueArray(fc.tuple(fc.uuid(), fc.array(i32, { maxLength: 5 })), { selector: ([id]) => id, maxLength: 4 })
  .map((entries) => new Map(entries));

const keyArb: fc.Arbitrary<OffsetsTopicKey> = fc.oneof(
  plainRecord({ type: fc.constant('offsetCommit' as const), group: str, topic: str, partition: i32 }),
  plainRecord({ type: fc.constant('groupMetadata' as const), group: str }),
  plainRecord({ type: fc.constant('consumerGroupMetadata' as const), group: str }),
  plainRecord({ type: fc.constant('consumerGroupPartitionMetadata' as const), group: str }),
  plainRecord({ type: fc.constant('consumerGroupMemberMetadata' as const), group: str, memberId: str }),
  plainRecord({ type: fc.constant('consumerGroupTargetAssignmentMetadata' as const), group: str }),
  plainRecord({
    type: fc.constant('consumerGroupTargetAssignmentMember' as const),
    group: str,
    memberId: str,
  }),
  plainRecord({
    type: fc.constant('consumerGroupCurrentMemberAssignment' as const),
    group: str,
    memberId: str,
  }),
);

const offsetValue = (version: number): fc.Arbitrary<OffsetCommitValue> =>
  plainRecord({
    offset: i64,
    leaderEpoch: version >= 3 ? i32 : fc.constant(-1),
    metadata: str,
    commitTimestamp: i64,
    expireTimestamp:
      version === 1
        ? fc.option(
            i64.filter((n) => n !== -1),
            { nil: null },
          )
        : fc.constant(null),
  });

const memberArb = (version: number): fc.Arbitrary<StoredClassicMember> =>
  plainRecord<StoredClassicMember>({
    memberId: str,
    groupInstanceId: version >= 3 ? nstr : fc.constant(null),
    clientId: str,
    clientHost: str,
    rebalanceTimeoutMs: i32,
    sessionTimeoutMs: i32,
    subscription: bytes,
    assignment: bytes,
  })
    // v0 has no rebalance timeout; it reads back as the session timeout.
    .map((m) => (version === 0 ? { ...m, rebalanceTimeoutMs: m.sessionTimeoutMs } : m));

const groupValue = (version: number): fc.Arbitrary<GroupMetadataValue> =>
  plainRecord({
    protocolType: str,
    generationId: i32,
    protocolName: nstr,
    leader: nstr,
    currentStateTimestamp: version >= 2 ? i64 : fc.constant(-1),
    members: fc.array(memberArb(version), { maxLength: 4 }),
  });

const memberMetadataArb: fc.Arbitrary<ConsumerGroupMemberMetadataValue> = plainRecord({
  instanceId: nstr,
  rackId: nstr,
  clientId: str,
  clientHost: str,
  subscribedTopicNames: fc.array(str, { maxLength: 4 }),
  subscribedTopicRegex: nstr,
  rebalanceTimeoutMs: i32,
  serverAssignor: nstr,
});

const currentAssignmentArb: fc.Arbitrary<ConsumerGroupCurrentMemberAssignmentValue> = plainRecord({
  memberEpoch: i32,
  previousMemberEpoch: i32,
  state: fc.constantFrom(0, 1, 2, 127),
  assignedPartitions: topicPartitions,
  partitionsPendingRevocation: topicPartitions,
});

describe('__consumer_offsets records: Kafka bytes', () => {
  it('OffsetCommitKey v1 and OffsetCommitValue v3 as Kafka writes them', () => {
    const k = encodeOffsetsTopicKey({ type: 'offsetCommit', group: 'g', topic: 't', partition: 5 });
    assert.deepEqual(k, hex('0001 0001 67 0001 74 00000005'));
    const v = encodeOffsetCommitValue({
      offset: 42,
      leaderEpoch: 3,
      metadata: 'm',
      commitTimestamp: 1000,
      expireTimestamp: null,
    });
    assert.deepEqual(v, hex('0003 000000000000002a 00000003 0001 6d 00000000000003e8'));
  });

  it('OffsetCommitValue v1 when an expire timestamp is set', () => {
    const v = encodeOffsetCommitValue({
      offset: 1,
      leaderEpoch: 9,
      metadata: '',
      commitTimestamp: 2,
      expireTimestamp: 3,
    });
    assert.deepEqual(v, hex('0001 0000000000000001 0000 0000000000000002 0000000000000003'));
    assert.equal(decodeOffsetCommitValue(v).leaderEpoch, -1, 'v1 has no leader epoch');
  });

  it('GroupMetadataKey v2 and GroupMetadataValue v3', () => {
    assert.deepEqual(encodeOffsetsTopicKey({ type: 'groupMetadata', group: 'g' }), hex('0002 0001 67'));
    const v = encodeGroupMetadataValue({
      protocolType: 'consumer',
      generationId: 2,
      protocolName: 'range',
      leader: 'm',
      currentStateTimestamp: 7,
      members: [
        {
          memberId: 'm',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeoutMs: 300000,
          sessionTimeoutMs: 45000,
          subscription: Buffer.from([1]),
          assignment: Buffer.alloc(0),
        },
      ],
    });
    assert.deepEqual(
      v,
      hex(
        '0003 0008 636f6e73756d6572 00000002 0005 72616e6765 0001 6d 0000000000000007 00000001' +
          ' 0001 6d ffff 0001 63 0002 2f68 000493e0 0000afc8 00000001 01 00000000',
      ),
    );
  });

  it('KIP-848 records: keys 3-8 and flexible version 0 values', () => {
    assert.deepEqual(
      encodeOffsetsTopicKey({ type: 'consumerGroupMetadata', group: 'g' }),
      hex('0003 0001 67'),
    );
    assert.deepEqual(
      encodeOffsetsTopicKey({ type: 'consumerGroupCurrentMemberAssignment', group: 'g', memberId: 'm' }),
      hex('0008 0001 67 0001 6d'),
    );
    assert.deepEqual(encodeConsumerGroupMetadataValue({ epoch: 7 }), hex('0000 00000007 00'));
    const id = '0102030405060708090a0b0c0d0e0f10';
    const tp = new Map([
      [
        `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
        [0, 2],
      ],
    ]);
    assert.deepEqual(
      encodeConsumerGroupTargetAssignmentMemberValue({ topicPartitions: tp }),
      hex(`0000 02 ${id} 03 00000000 00000002 00 00`),
    );
  });

  it('reads OffsetCommitKey v0 as the same key as v1', () => {
    const k0 = decodeOffsetsTopicKey(hex('0000 0001 67 0001 74 00000005'));
    const k1 = decodeOffsetsTopicKey(hex('0001 0001 67 0001 74 00000005'));
    assert.deepEqual(k0, k1);
    assert.equal(offsetsKeyIdentity(k0), offsetsKeyIdentity(k1));
  });

  it('skips unknown tagged fields and reports other record types as unknown', () => {
    // ConsumerGroupMetadataValue with an unknown tag 5 of 2 bytes.
    assert.deepEqual(decodeConsumerGroupMetadataValue(hex('0000 00000007 01 05 02 abcd')), { epoch: 7 });
    assert.deepEqual(decodeOffsetsTopicKey(hex('000b 0001 67')), { type: 'unknown', version: 11 });
    const rec = decodeOffsetsTopicRecord(hex('000b 0001 67'), null);
    assert.equal(rec.key.type, 'unknown');
  });

  it('rejects what a version cannot hold: unknown value versions, trailing bytes, > 2^53', () => {
    assert.throws(() => decodeOffsetCommitValue(hex('0005 0000000000000001')), DecodeError);
    assert.throws(() => decodeConsumerGroupMetadataValue(hex('0001 00000007 00')), DecodeError);
    assert.throws(() => decodeOffsetsTopicKey(hex('0002 0001 67 00')), DecodeError);
    assert.throws(
      () => decodeOffsetCommitValue(hex('0003 7fffffffffffffff 00000000 0000 0000000000000000')),
      /beyond 2\^53/,
    );
    // A member count far beyond the bytes present fails before allocating.
    assert.throws(
      () => decodeGroupMetadataValue(hex('0003 0000 00000000 ffff ffff 0000000000000000 7fffffff')),
      /cannot fit/,
    );
  });
});

describe('__consumer_offsets records: round trips', () => {
  it('every key type', () => {
    fc.assert(
      fc.property(keyArb, fc.constantFrom<0 | 1>(0, 1), (k, v) => {
        assert.deepEqual(decodeOffsetsTopicKey(encodeOffsetsTopicKey(k, v)), k);
      }),
    );
  });

  for (const version of [0, 1, 2, 3, 4]) {
    it(`OffsetCommitValue v${version}`, () => {
      fc.assert(
        fc.property(offsetValue(version), (v) => {
          assert.deepEqual(decodeOffsetCommitValue(encodeOffsetCommitValue(v, version)), { version, ...v });
        }),
      );
    });
    it(`GroupMetadataValue v${version}`, () => {
      fc.assert(
        fc.property(groupValue(version), (v) => {
          assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(v, version)), { version, ...v });
        }),
      );
    });
  }

  it('OffsetCommitValue default version: 3, or 1 with an expire timestamp', () => {
    fc.assert(
      fc.property(offsetValue(1), (v) => {
        const d = decodeOffsetCommitValue(encodeOffsetCommitValue({ ...v, leaderEpoch: 4 }));
        assert.equal(d.version, v.expireTimestamp === null ? 3 : 1);
        assert.equal(d.expireTimestamp, v.expireTimestamp);
      }),
    );
  });

  it('KIP-848 values', () => {
    fc.assert(
      fc.property(i32, i32, memberMetadataArb, topicPartitions, currentAssignmentArb, (e, a, m, tp, ca) => {
        assert.deepEqual(decodeConsumerGroupMetadataValue(encodeConsumerGroupMetadataValue({ epoch: e })), {
          epoch: e,
        });
        assert.deepEqual(
          decodeConsumerGroupTargetAssignmentMetadataValue(
            encodeConsumerGroupTargetAssignmentMetadataValue({ assignmentEpoch: a }),
          ),
          { assignmentEpoch: a },
        );
        assert.deepEqual(
          decodeConsumerGroupMemberMetadataValue(encodeConsumerGroupMemberMetadataValue(m)),
          m,
        );
        assert.deepEqual(
          decodeConsumerGroupTargetAssignmentMemberValue(
            encodeConsumerGroupTargetAssignmentMemberValue({ topicPartitions: tp }),
          ),
          { topicPartitions: tp },
        );
        assert.deepEqual(
          decodeConsumerGroupCurrentMemberAssignmentValue(
            encodeConsumerGroupCurrentMemberAssignmentValue(ca),
          ),
          ca,
        );
      }),
    );
  });
});

/** Runs `fn`; anything thrown other than DecodeError fails the test. */
function onlyDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      assert.fail(`expected only DecodeError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
  }
}

const VALUE_DECODERS = [
  decodeOffsetCommitValue,
  decodeGroupMetadataValue,
  decodeConsumerGroupMetadataValue,
  decodeConsumerGroupMemberMetadataValue,
  decodeConsumerGroupTargetAssignmentMetadataValue,
  decodeConsumerGroupTargetAssignmentMemberValue,
  decodeConsumerGroupCurrentMemberAssignmentValue,
];

function feedAll(key: Buffer, value: Buffer): void {
  onlyDecodeError(() => decodeOffsetsTopicKey(key));
  onlyDecodeError(() => decodeOffsetsTopicRecord(key, value));
  for (const d of VALUE_DECODERS) onlyDecodeError(() => d(value));
}

describe('__consumer_offsets records: fuzz', () => {
  it('arbitrary bytes raise DecodeError or decode, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (k, v) => {
        feedAll(Buffer.from(k), Buffer.from(v));
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated valid records (flips, truncations, version swaps) raise DecodeError or decode', () => {
    const valid = fc.oneof(
      groupValue(3).map((g) => ({
        key: encodeOffsetsTopicKey({ type: 'groupMetadata', group: 'g' }),
        value: encodeGroupMetadataValue(g, 4),
      })),
      groupValue(3).map((g) => ({
        key: encodeOffsetsTopicKey({ type: 'groupMetadata', group: 'g' }),
        value: encodeGroupMetadataValue(g),
      })),
      offsetValue(3).map((o) => ({
        key: encodeOffsetsTopicKey({ type: 'offsetCommit', group: 'g', topic: 't', partition: 0 }),
        value: encodeOffsetCommitValue(o, 4),
      })),
      currentAssignmentArb.map((ca) => ({
        key: encodeOffsetsTopicKey({
          type: 'consumerGroupCurrentMemberAssignment',
          group: 'g',
          memberId: 'm',
        }),
        value: encodeConsumerGroupCurrentMemberAssignmentValue(ca),
      })),
      memberMetadataArb.map((m) => ({
        key: encodeOffsetsTopicKey({ type: 'consumerGroupMemberMetadata', group: 'g', memberId: 'm' }),
        value: encodeConsumerGroupMemberMetadataValue(m),
      })),
    );
    fc.assert(
      fc.property(valid, fc.nat(), fc.nat(255), fc.nat(), (rec, at, byte, cut) => {
        const value = Buffer.from(rec.value);
        if (value.length > 0) value[at % value.length] = byte;
        feedAll(rec.key, value);
        feedAll(
          rec.key.subarray(0, cut % (rec.key.length + 1)),
          rec.value.subarray(0, cut % (rec.value.length + 1)),
        );
        // Same bytes read as every other version.
        for (let ver = 0; ver <= 5; ver++) {
          const swapped = Buffer.from(rec.value);
          swapped.writeInt16BE(ver, 0);
          feedAll(rec.key, swapped);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
