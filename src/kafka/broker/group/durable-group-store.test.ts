import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryLogger } from '../../../telemetry/index.ts';
import { decodeRecordBatch, ErrorCode, encodeRecordBatch } from '../../protocol/index.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../internal-topics.ts';
import { PartitionManager } from '../partition-manager.ts';
import { DurableGroupStore, GroupStoreError } from './durable-group-store.ts';
import {
  type CommittedOffset,
  groupPartition,
  type LoadedGroupState,
  type StoredClassicGroup,
  type StoredConsumerGroup,
} from './group-store.ts';
import {
  decodeOffsetsTopicKey,
  encodeOffsetCommitValue,
  encodeOffsetsTopicKey,
} from './offsets-topic-records.ts';

const T1 = '11111111-2222-4333-8444-555555555555';
const T2 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

function offset(topic: string, partition: number, value: number, extra: Partial<CommittedOffset> = {}) {
  return {
    topic,
    partition,
    offset: value,
    leaderEpoch: 0,
    metadata: `m${value}`,
    commitTimestamp: 1000 + value,
    expireTimestamp: null,
    ...extra,
  } satisfies CommittedOffset;
}

function classic(groupId: string, generationId: number, members = ['a', 'b']): StoredClassicGroup {
  return {
    groupId,
    protocolType: 'consumer',
    generationId,
    protocolName: 'range',
    leader: members[0] ?? null,
    currentStateTimestamp: 5000 + generationId,
    members: members.map((m, i) => ({
      memberId: m,
      groupInstanceId: i === 0 ? `static-${m}` : null,
      clientId: `client-${m}`,
      clientHost: `/127.0.0.${i + 1}`,
      rebalanceTimeoutMs: 300000,
      sessionTimeoutMs: 45000,
      subscription: Buffer.from(`sub-${m}`),
      assignment: Buffer.from(`asg-${m}-${generationId}`),
    })),
  };
}

function consumer(groupId: string, epoch: number, members = ['x', 'y']): StoredConsumerGroup {
  return {
    groupId,
    groupEpoch: epoch,
    assignmentEpoch: epoch - 1,
    members: members.map((m, i) => ({
      memberId: m,
      instanceId: i === 0 ? 'inst' : null,
      rackId: i === 0 ? 'rack-a' : null,
      clientId: `c-${m}`,
      clientHost: '/10.0.0.1',
      subscribedTopicNames: ['t1', 't2'],
      subscribedTopicRegex: i === 1 ? 'orders-.*' : null,
      serverAssignor: 'uniform',
      rebalanceTimeoutMs: 60000,
      memberEpoch: epoch,
      previousMemberEpoch: epoch - 1,
      assignedPartitions: new Map([[T1, [i, i + 2]]]),
      partitionsPendingRevocation: i === 0 ? new Map([[T2, [0]]]) : new Map(),
    })),
    targetAssignment: new Map(members.map((m, i) => [m, new Map([[T1, [i]]])])),
  };
}

/** The state with offsets sorted, for comparisons independent of log order. */
function normalized(s: LoadedGroupState) {
  const offsets = new Map(
    [...s.offsets].map(([g, list]) => [
      g,
      [...list].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    ]),
  );
  return { offsets, classicGroups: s.classicGroups, consumerGroups: s.consumerGroups };
}

describe('DurableGroupStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-groups-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const logger = new MemoryLogger('warn');

  async function openStore(dir: string, partitionCount = 5, log = logger) {
    const pm = await PartitionManager.open({ nodeId: 1, logDirs: [dir], logger: log });
    const store = new DurableGroupStore({
      partitions: pm,
      partitionCount,
      logger: log,
      now: () => 1_700_000_000_000,
    });
    await store.open();
    return { pm, store };
  }
  const freshDir = () => join(root, `d${n++}`);

  it('creates __consumer_offsets on first use: compacted, fsyncing every append, configured partitions', async () => {
    const dir = freshDir();
    const { pm, store } = await openStore(dir, 7);
    assert.equal(pm.topic(CONSUMER_OFFSETS_TOPIC), undefined, 'not before a group needs it, as in Kafka');
    assert.deepEqual(normalized(await store.load()), {
      offsets: new Map(),
      classicGroups: new Map(),
      consumerGroups: new Map(),
    });
    await store.commitOffsets('g', [offset('t', 0, 1)]);
    const t = pm.topic(CONSUMER_OFFSETS_TOPIC);
    assert.ok(t);
    assert.equal(t.partitionCount, 7);
    assert.equal(store.partitionCount, 7);
    assert.deepEqual(t.configs, {
      'cleanup.policy': 'compact',
      'segment.bytes': '104857600',
      'compression.type': 'producer',
      'flush.messages': '1',
    });
    const log = pm.partition(CONSUMER_OFFSETS_TOPIC, 0)!.log;
    assert.equal(log.config.cleanupPolicy, 'compact');
    assert.equal(log.config.flushBeforeAck, true);
    assert.equal(log.config.segmentBytes, 104857600);
    assert.equal((await store.load()).offsets.get('g')?.[0]?.offset, 1);
    await pm.close();
  });

  it('fsyncs each write even when the topic configs no longer ask for it', async () => {
    const dir = freshDir();
    const { pm, store } = await openStore(dir, 1);
    await store.ensureTopic();
    await pm.setTopicConfigs(CONSUMER_OFFSETS_TOPIC, { 'cleanup.policy': 'compact' });
    const log = pm.partition(CONSUMER_OFFSETS_TOPIC, 0)!.log;
    assert.equal(log.config.flushBeforeAck, false);
    for (let i = 0; i < 3; i++) {
      await store.commitOffsets('g', [offset('t', 0, i)]);
      assert.equal(log.flushedOffset, log.logEndOffset, `write ${i} is fsynced when it resolves`);
    }
    await pm.close();
  });

  it('keeps an existing topic partition count and logs the difference', async () => {
    const dir = freshDir();
    const first = await openStore(dir, 3);
    await first.store.commitOffsets('g', [offset('t', 0, 1)]);
    await first.pm.close();
    const records = new MemoryLogger('warn');
    const { pm, store } = await openStore(dir, 50, records);
    assert.equal(store.partitionCount, 3);
    assert.equal(store.partitionFor('g'), groupPartition('g', 3));
    assert.ok(records.records.some((r) => r.level === 'warn' && r.message.includes('partition count')));
    assert.equal((await store.load()).offsets.get('g')?.[0]?.offset, 1);
    await pm.close();
  });

  it('replays commits, classic and KIP-848 groups after a reopen, last value per key', async () => {
    const dir = freshDir();
    const a = await openStore(dir);
    await a.store.commitOffsets('g1', [offset('t', 0, 10), offset('t', 1, 11)]);
    await a.store.commitOffsets('g1', [offset('t', 0, 20, { metadata: null, leaderEpoch: -1 })]);
    await a.store.commitOffsets('g2', [offset('u', 3, 7, { expireTimestamp: 99_000 })]);
    await a.store.storeClassicGroup(classic('g1', 1));
    await a.store.storeClassicGroup(classic('g1', 2, ['a']));
    await a.store.storeConsumerGroup(consumer('c1', 4));
    await a.store.storeConsumerGroup(consumer('c1', 5, ['x', 'z']));
    const before = normalized(await a.store.load());
    await a.pm.close();

    const b = await openStore(dir);
    const s = normalized(await b.store.load());
    assert.deepEqual(s, before);
    assert.deepEqual(s.offsets.get('g1'), [
      // Kafka has no null metadata on disk: it stores "" (and returns "" for a null commit).
      offset('t', 0, 20, { metadata: '', leaderEpoch: -1 }),
      offset('t', 1, 11),
    ]);
    assert.deepEqual(s.offsets.get('g2'), [offset('u', 3, 7, { expireTimestamp: 99_000, leaderEpoch: -1 })]);
    assert.deepEqual(s.classicGroups.get('g1'), classic('g1', 2, ['a']));
    const c1 = s.consumerGroups.get('c1');
    assert.deepEqual(c1, consumer('c1', 5, ['x', 'z']), 'member y and its target assignment are gone');
    assert.equal(s.classicGroups.has('c1'), false);
    await b.pm.close();
  });

  it('tombstones: deleted offsets and groups stay deleted after a reopen', async () => {
    const dir = freshDir();
    const a = await openStore(dir);
    await a.store.commitOffsets('g', [offset('t', 0, 1), offset('t', 1, 2), offset('t', 2, 3)]);
    await a.store.storeClassicGroup(classic('g', 1));
    await a.store.commitOffsets('h', [offset('t', 0, 5)]);
    await a.store.storeConsumerGroup(consumer('h', 3));
    await a.store.commitOffsets('k', [offset('t', 0, 9)]);
    await a.store.deleteOffsets('g', [{ topic: 't', partition: 1 }]);
    await a.store.deleteGroup('h', [{ topic: 't', partition: 0 }]);
    await a.pm.close();

    const b = await openStore(dir);
    const s = await b.store.load();
    assert.deepEqual(
      s.offsets.get('g')?.map((o) => o.partition),
      [0, 2],
    );
    assert.ok(s.classicGroups.has('g'));
    assert.equal(s.offsets.has('h'), false);
    assert.equal(s.consumerGroups.has('h'), false);
    assert.equal(s.offsets.get('k')?.[0]?.offset, 9);
    // The deletion of a KIP-848 group tombstoned each of its records.
    const p = b.pm.partition(CONSUMER_OFFSETS_TOPIC, b.store.partitionFor('h'))!;
    const r = await p.log.read(p.logStartOffset, 1 << 20, { maxOffset: p.logEndOffset });
    const live = new Map<string, boolean>();
    for (let at = 0; at < r.records.length; ) {
      const size = 12 + r.records.readInt32BE(at + 8);
      for (const rec of decodeRecordBatch(r.records.subarray(at, at + size)).records) {
        const k = decodeOffsetsTopicKey(rec.key!);
        if (k.type !== 'unknown' && k.group === 'h') live.set(rec.key!.toString('hex'), rec.value !== null);
      }
      at += size;
    }
    assert.ok(live.size >= 7, `${live.size} keys of group h`);
    assert.deepEqual([...live.values()].filter(Boolean), [], 'every key of h ends with a tombstone');
    await b.pm.close();
  });

  it('switching a group between protocols leaves only the newer kind', async () => {
    const dir = freshDir();
    const a = await openStore(dir);
    await a.store.storeClassicGroup(classic('sw', 1));
    await a.store.storeConsumerGroup(consumer('sw', 2));
    await a.store.storeClassicGroup(classic('sw', 3));
    await a.pm.close();
    const b = await openStore(dir);
    const s = await b.store.load();
    assert.deepEqual(s.classicGroups.get('sw'), classic('sw', 3));
    assert.equal(s.consumerGroups.has('sw'), false);
    // And back, after the reload (tracking rebuilt from the log).
    await b.store.storeConsumerGroup(consumer('sw', 4, ['only']));
    await b.pm.close();
    const c = await openStore(dir);
    const s2 = await c.store.load();
    assert.equal(s2.classicGroups.has('sw'), false);
    assert.deepEqual(s2.consumerGroups.get('sw'), consumer('sw', 4, ['only']));
    await c.pm.close();
  });

  it('spreads many groups over the partitions by Kafka hash and reloads them all', async () => {
    const dir = freshDir();
    const a = await openStore(dir, 10);
    const groups = Array.from({ length: 120 }, (_, i) => `group-${i}`);
    await Promise.all(groups.map((g, i) => a.store.commitOffsets(g, [offset('t', i % 3, i)])));
    const used = new Set(groups.map((g) => a.store.partitionFor(g)));
    assert.ok(used.size >= 8, `${used.size} partitions used`);
    for (const g of groups.slice(0, 10)) {
      const p = a.pm.partition(CONSUMER_OFFSETS_TOPIC, groupPartition(g, 10))!;
      const r = await p.log.read(p.logStartOffset, 1 << 20, { maxOffset: p.logEndOffset });
      assert.ok(r.records.includes(Buffer.from(g)), `${g} is in partition ${p.index}`);
    }
    await a.pm.close();
    const b = await openStore(dir, 10);
    const s = await b.store.load();
    assert.equal(s.offsets.size, groups.length);
    for (const [i, g] of groups.entries()) assert.equal(s.offsets.get(g)?.[0]?.offset, i);
    await b.pm.close();
  });

  it('compaction keeps the latest value of every key', async () => {
    const dir = freshDir();
    const a = await openStore(dir, 2);
    for (let round = 0; round < 30; round++) {
      for (const g of ['ca', 'cb', 'cc']) {
        await a.store.commitOffsets(g, [offset('t', 0, round), offset('t', 1, round * 2)]);
      }
      await a.store.storeClassicGroup(classic('ca', round));
    }
    await a.store.deleteOffsets('cc', [{ topic: 't', partition: 1 }]);
    let removed = 0;
    for (const p of a.pm.partitionsOf(CONSUMER_OFFSETS_TOPIC)) {
      await p.log.roll();
      removed += (await p.log.compact(1_700_000_000_000)).recordsRemoved;
    }
    assert.ok(removed > 100, `${removed} records removed by compaction`);
    await a.pm.close();
    const b = await openStore(dir, 2);
    const s = normalized(await b.store.load());
    assert.deepEqual(s.offsets.get('ca'), [offset('t', 0, 29), offset('t', 1, 58)]);
    assert.deepEqual(s.offsets.get('cc'), [offset('t', 0, 29)]);
    assert.deepEqual(s.classicGroups.get('ca'), classic('ca', 29));
    await b.pm.close();
  });

  it('writes Kafka key versions: OffsetCommitKey 1, GroupMetadataKey 2, consumer group keys 3-8', async () => {
    const dir = freshDir();
    const a = await openStore(dir, 1);
    await a.store.commitOffsets('g', [offset('t', 0, 1)]);
    await a.store.storeClassicGroup(classic('g', 1));
    await a.store.storeConsumerGroup(consumer('k', 1));
    const p = a.pm.partition(CONSUMER_OFFSETS_TOPIC, 0)!;
    const r = await p.log.read(0, 1 << 20, { maxOffset: p.logEndOffset });
    const versions = new Set<number>();
    let batches = 0;
    for (let at = 0; at < r.records.length; batches++) {
      const size = 12 + r.records.readInt32BE(at + 8);
      const batch = decodeRecordBatch(r.records.subarray(at, at + size));
      assert.equal(batch.producerId, -1n);
      assert.equal(batch.isTransactional, false);
      for (const rec of batch.records) versions.add(rec.key!.readInt16BE(0));
      at += size;
    }
    assert.equal(batches, 3, 'one batch per write');
    assert.deepEqual([...versions].sort(), [1, 2, 3, 5, 6, 7, 8]);
    await a.pm.close();
  });

  it('a write too large for one batch fails with UNKNOWN_SERVER_ERROR and changes nothing', async () => {
    const dir = freshDir();
    const a = await openStore(dir, 1);
    await a.store.storeClassicGroup(classic('big', 1));
    const huge = classic('big', 2);
    const members = Array.from({ length: 40 }, (_, i) => ({
      ...huge.members[0]!,
      memberId: `m${i}`,
      assignment: Buffer.alloc(32 * 1024, i),
    }));
    await assert.rejects(
      a.store.storeClassicGroup({ ...huge, members }),
      (err: unknown) =>
        err instanceof GroupStoreError &&
        err.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR &&
        err.appendErrorCode === ErrorCode.MESSAGE_TOO_LARGE,
    );
    assert.deepEqual((await a.store.load()).classicGroups.get('big'), classic('big', 1));
    await a.pm.close();
  });

  it('load skips undecodable records and unknown record types, logging them', async () => {
    const dir = freshDir();
    const log = new MemoryLogger('warn');
    const a = await openStore(dir, 1, log);
    await a.store.commitOffsets('g', [offset('t', 0, 1)]);
    const p = a.pm.partition(CONSUMER_OFFSETS_TOPIC, 0)!;
    const junk = encodeRecordBatch({
      baseTimestamp: 1,
      records: [
        // An OffsetCommitKey with a truncated value, a share-group key (type 10), then a good commit.
        {
          key: Buffer.from('0001000167000174 00000000'.replaceAll(' ', ''), 'hex'),
          value: Buffer.from([0, 3, 1]),
        },
        { key: Buffer.from('000a000167', 'hex'), value: Buffer.from([0, 0]) },
        {
          key: encodeOffsetsTopicKey({ type: 'offsetCommit', group: 'g', topic: 't', partition: 1 }),
          value: encodeOffsetCommitValue({
            offset: 5,
            leaderEpoch: 0,
            metadata: '',
            commitTimestamp: 1,
            expireTimestamp: null,
          }),
        },
      ],
    });
    assert.equal((await p.append(junk, { maxMessageBytes: 1 << 20 })).errorCode, 0);
    const s = normalized(await a.store.load());
    assert.deepEqual(
      s.offsets.get('g')?.map((o) => [o.partition, o.offset]),
      [
        [0, 1],
        [1, 5],
      ],
    );
    assert.ok(log.records.some((r) => r.level === 'error' && r.message.includes('unreadable record')));
    await a.pm.close();
  });

  it('creates the topic again when a client deleted it', async () => {
    const dir = freshDir();
    const log = new MemoryLogger('warn');
    const a = await openStore(dir, 4, log);
    await a.store.commitOffsets('g', [offset('t', 0, 1)]);
    await a.pm.deleteTopic(CONSUMER_OFFSETS_TOPIC);
    await Promise.all([
      a.store.commitOffsets('g', [offset('t', 0, 2)]),
      a.store.commitOffsets('h', [offset('t', 0, 3)]),
    ]);
    assert.equal(log.records.filter((r) => r.message.includes('was deleted')).length, 1);
    assert.equal(a.pm.topic(CONSUMER_OFFSETS_TOPIC)?.partitionCount, 4);
    assert.deepEqual(
      (await a.store.load()).offsets.get('g')?.map((o) => o.offset),
      [2],
    );
    await a.pm.close();
  });
});
