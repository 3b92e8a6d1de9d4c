import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Consumer as PlatformaticConsumer, Producer as PlatformaticProducer } from '@platformatic/kafka';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { buildRecordBatch } from '../../../../test/support/record-batches.ts';
import { overridesLayer } from '../../../config/index.ts';
import { MemoryLogger } from '../../../telemetry/index.ts';
import {
  type DeleteGroupsResponse,
  type DeleteRecordsResponse,
  type DescribeGroupsResponse,
  defaultDeleteGroupsRequest,
  defaultDeleteRecordsRequest,
  defaultDescribeGroupsRequest,
  defaultFindCoordinatorRequest,
  defaultHeartbeatRequest,
  defaultJoinGroupRequest,
  defaultLeaveGroupRequest,
  defaultListGroupsRequest,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
  defaultOffsetDeleteRequest,
  defaultOffsetFetchRequest,
  defaultProduceRequest,
  defaultSyncGroupRequest,
  ErrorCode,
  type FindCoordinatorResponse,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type LeaveGroupResponse,
  type ListGroupsResponse,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type OffsetFetchResponse,
  type ProduceResponse,
  type SyncGroupResponse,
} from '../../protocol/index.ts';
import { Broker } from '../broker.ts';
import { resolveBrokerConfig } from '../broker-config.ts';
import { RawClient } from '../raw-client.ts';

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('group coordinator over the wire (in-process broker)', () => {
  const logger = new MemoryLogger('warn');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-groups-test-'));
  let broker: Broker;
  let port: number;
  let kafka: Kafka;

  before(async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        'node.id=3',
        `log.dirs=${dataDir}`,
        'group.initial.rebalance.delay.ms=0',
      ]),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    port = broker.address().port;
    kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'groups-test',
      logLevel: logLevel.NOTHING,
    });
  });

  after(async () => {
    await broker.stop(100);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('kafkajs: two consumers share 4 partitions disjointly, commit, and a third joining rebalances', async () => {
    const topic = 'kj';
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 4 })),
      });
      const consumed = new Map<string, Set<string>>();
      const assignment = new Map<string, number[]>();
      const consumers: Consumer[] = [];
      const start = async (name: string) => {
        const c = kafka.consumer({
          groupId: 'kj-group',
          heartbeatInterval: 300,
          sessionTimeout: 10_000,
          // Heartbeats go between fetches: short long-polls keep rebalances and disconnects quick.
          maxWaitTimeInMs: 100,
        });
        consumers.push(c);
        consumed.set(name, new Set());
        c.on(c.events.GROUP_JOIN, (e) => {
          assignment.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort());
        });
        await c.connect();
        await c.subscribe({ topic, fromBeginning: true });
        await c.run({
          eachMessage: async ({ partition, message }) => {
            consumed.get(name)!.add(`${partition}:${message.offset}`);
          },
        });
      };
      const disjointCover = (names: string[]) => {
        const all = names.flatMap((n) => assignment.get(n) ?? []);
        return (
          names.every((n) => (assignment.get(n)?.length ?? 0) > 0) &&
          all.length === 4 &&
          new Set(all).size === 4
        );
      };
      try {
        await start('a');
        await start('b');
        await waitFor('a and b to share the partitions', () => disjointCover(['a', 'b']));
        const total = () => new Set([...consumed.values()].flatMap((s) => [...s])).size;
        await waitFor('all 40 records', () => total() === 40);
        // kafkajs commits after each batch: every partition ends at offset 10.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const r = await admin.fetchOffsets({ groupId: 'kj-group', topics: [topic] });
          const committed = r[0]!.partitions.map((p) => `${p.partition}:${p.offset}`).sort();
          if (committed.join(',') === '0:10,1:10,2:10,3:10') break;
          assert.ok(Date.now() < deadline, `committed offsets: ${committed.join(',')}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }

        assignment.clear();
        await start('c');
        await waitFor(
          'a, b and c to share the partitions after the rebalance',
          () =>
            disjointCover(['a', 'b', 'c'].filter((n) => (assignment.get(n)?.length ?? 0) > 0)) &&
            assignment.size === 3,
        );
        const described = await admin.describeGroups(['kj-group']);
        const g = described.groups[0]!;
        assert.equal(g.state, 'Stable');
        assert.equal(g.protocolType, 'consumer');
        assert.equal(g.members.length, 3);
        // No record was consumed twice: the new owners start from the committed offsets.
        assert.equal(
          [...consumed.values()].reduce((n, s) => n + s.size, 0),
          40,
        );
      } finally {
        for (const c of consumers) await c.disconnect();
      }
      const listed = await admin.listGroups();
      assert.deepEqual(
        listed.groups.filter((x) => x.groupId === 'kj-group'),
        [{ groupId: 'kj-group', protocolType: 'consumer' }],
      );
      // Everyone left: the group is Empty and can be deleted with its offsets.
      await admin.deleteGroups(['kj-group']);
      const after = await admin.fetchOffsets({ groupId: 'kj-group', topics: [topic] });
      assert.deepEqual(
        after[0]!.partitions.map((p) => p.offset),
        ['-1', '-1', '-1', '-1'],
      );
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('@platformatic/kafka: a consumer commits, and a new one in the group resumes from the commit', async () => {
    const topic = 'plat';
    const bootstrapBrokers = [`127.0.0.1:${port}`];
    await broker.partitions.createTopic(topic, 2, {});
    const producer = new PlatformaticProducer({ clientId: 'plat-producer', bootstrapBrokers });
    const produce = (from: number, n: number) =>
      producer.send({
        messages: Array.from({ length: n }, (_, i) => ({
          topic,
          partition: (from + i) % 2,
          value: Buffer.from(`p${from + i}`),
        })),
      });
    const consumeSome = async (n: number): Promise<string[]> => {
      const consumer = new PlatformaticConsumer({
        clientId: 'plat-consumer',
        groupId: 'plat-group',
        bootstrapBrokers,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      });
      const values: string[] = [];
      try {
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'committed',
          fallbackMode: 'earliest',
          autocommit: false,
          maxWaitTime: 100,
        });
        for await (const m of stream) {
          values.push(String(m.value));
          await m.commit();
          if (values.length === n) break;
        }
        await stream.close();
      } finally {
        await consumer.close(true);
      }
      return values;
    };
    try {
      await produce(0, 10);
      const first = await consumeSome(10);
      assert.deepEqual([...first].sort(), Array.from({ length: 10 }, (_, i) => `p${i}`).sort());
      await produce(10, 4);
      const second = await consumeSome(4);
      assert.deepEqual(
        [...second].sort(),
        ['p10', 'p11', 'p12', 'p13'],
        'only what was produced after the commit',
      );
    } finally {
      await producer.close();
    }
  });

  it('speaks each version of the classic APIs (raw client)', async () => {
    await broker.partitions.createTopic('raw', 2, {});
    const c = await RawClient.open(port);
    try {
      const join = (v: number, id: number, memberId: string) =>
        c.call<JoinGroupResponse>(11, v, id, {
          ...defaultJoinGroupRequest(),
          groupId: 'raw-g',
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId,
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0]) }],
        });
      const first = await join(9, 1, '');
      assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.match(first.memberId, /^unit-test-/);
      const joined = await join(9, 2, first.memberId);
      assert.deepEqual(
        [joined.errorCode, joined.generationId, joined.protocolType, joined.protocolName, joined.leader],
        [0, 1, 'consumer', 'range', first.memberId],
      );
      assert.equal(joined.members.length, 1);
      const memberId = first.memberId;
      const badSync = await c.call<SyncGroupResponse>(14, 5, 3, {
        ...defaultSyncGroupRequest(),
        groupId: 'raw-g',
        generationId: 1,
        memberId,
        protocolType: 'consumer',
        protocolName: 'roundrobin',
      });
      assert.equal(badSync.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      const sync = await c.call<SyncGroupResponse>(14, 0, 4, {
        ...defaultSyncGroupRequest(),
        groupId: 'raw-g',
        generationId: 1,
        memberId,
        assignments: [{ memberId, assignment: Buffer.from('mine') }],
      });
      assert.deepEqual([sync.errorCode, sync.assignment.toString()], [0, 'mine']);
      const hb = await c.call<HeartbeatResponse>(12, 4, 5, {
        ...defaultHeartbeatRequest(),
        groupId: 'raw-g',
        generationId: 1,
        memberId,
      });
      assert.equal(hb.errorCode, 0);
      const stale = await c.call<HeartbeatResponse>(12, 0, 6, {
        ...defaultHeartbeatRequest(),
        groupId: 'raw-g',
        generationId: 0,
        memberId,
      });
      assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION);

      const partition = (partitionIndex: number, offset: bigint, metadata: string | null) => ({
        partitionIndex,
        committedOffset: offset,
        committedLeaderEpoch: 7,
        commitTimestamp: -1n,
        committedMetadata: metadata,
      });
      const commit = await c.call<OffsetCommitResponse>(8, 9, 7, {
        ...defaultOffsetCommitRequest(),
        groupId: 'raw-g',
        generationIdOrMemberEpoch: 1,
        memberId,
        topics: [
          { name: 'raw', partitions: [partition(0, 11n, 'meta'), partition(1, 12n, 'm'.repeat(5000))] },
        ],
      });
      assert.deepEqual(
        commit.topics[0]?.partitions.map((p) => p.errorCode),
        [0, ErrorCode.OFFSET_METADATA_TOO_LARGE],
      );
      // v0 has no generation: refused while the group has a member.
      const v0 = await c.call<OffsetCommitResponse>(8, 0, 8, {
        ...defaultOffsetCommitRequest(),
        groupId: 'raw-g',
        topics: [{ name: 'raw', partitions: [partition(1, 1n, null)] }],
      });
      assert.equal(v0.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

      const f1 = await c.call<OffsetFetchResponse>(9, 1, 9, {
        ...defaultOffsetFetchRequest(),
        groupId: 'raw-g',
        topics: [{ name: 'raw', partitionIndexes: [0, 1] }],
      });
      assert.deepEqual(
        f1.topics[0]?.partitions.map((p) => [p.committedOffset, p.metadata]),
        [
          [11n, 'meta'],
          [-1n, ''],
        ],
      );
      const f8 = await c.call<OffsetFetchResponse>(9, 8, 10, {
        ...defaultOffsetFetchRequest(),
        groups: [
          { groupId: 'raw-g', memberId: null, memberEpoch: -1, topics: null },
          { groupId: 'raw-none', memberId: null, memberEpoch: -1, topics: null },
        ],
      });
      assert.deepEqual(
        f8.groups.map((g) => [
          g.groupId,
          g.errorCode,
          g.topics.map((t) => [
            t.name,
            t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch]),
          ]),
        ]),
        [
          ['raw-g', 0, [['raw', [[0, 11n, 7]]]]],
          ['raw-none', 0, []],
        ],
      );

      const leave = await c.call<LeaveGroupResponse>(13, 5, 11, {
        ...defaultLeaveGroupRequest(),
        groupId: 'raw-g',
        members: [
          { memberId, groupInstanceId: null, reason: 'test' },
          { memberId: 'ghost', groupInstanceId: null, reason: null },
        ],
      });
      assert.deepEqual(
        [leave.errorCode, ...leave.members.map((m) => m.errorCode)],
        [0, 0, ErrorCode.UNKNOWN_MEMBER_ID],
      );
      const leaveV0 = await c.call<LeaveGroupResponse>(13, 0, 12, {
        ...defaultLeaveGroupRequest(),
        groupId: 'raw-g',
        memberId,
      });
      assert.equal(leaveV0.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal(broker.groups.getGroup('raw-g')?.state(), 'Empty');
    } finally {
      c.socket.destroy();
    }
  });

  it('answers FindCoordinator, DescribeGroups, ListGroups, OffsetDelete and DeleteGroups as Kafka does', async () => {
    const c = await RawClient.open(port);
    try {
      const v0 = await c.call<FindCoordinatorResponse>(10, 0, 1, {
        ...defaultFindCoordinatorRequest(),
        key: 'any',
      });
      assert.deepEqual([v0.errorCode, v0.nodeId, v0.host, v0.port], [0, 3, '127.0.0.1', port]);
      const v4 = await c.call<FindCoordinatorResponse>(10, 4, 2, {
        ...defaultFindCoordinatorRequest(),
        keyType: 0,
        coordinatorKeys: ['a', 'b'],
      });
      assert.deepEqual(
        v4.coordinators.map((x) => [x.key, x.nodeId, x.port, x.errorCode]),
        [
          ['a', 3, port, 0],
          ['b', 3, port, 0],
        ],
      );
      const share = await c.call<FindCoordinatorResponse>(10, 6, 3, {
        ...defaultFindCoordinatorRequest(),
        keyType: 2,
        coordinatorKeys: ['s'],
      });
      assert.equal(share.coordinators[0]?.errorCode, ErrorCode.INVALID_REQUEST);

      const unknown = await c.call<DescribeGroupsResponse>(15, 5, 4, {
        ...defaultDescribeGroupsRequest(),
        groups: ['nope'],
        includeAuthorizedOperations: false,
      });
      assert.deepEqual(
        unknown.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.members.length]),
        [['nope', 0, 'Dead', 0]],
      );

      // A standalone commit makes a simple group (protocol type "").
      await broker.partitions.createTopic('od', 1, {});
      const committed = await broker.groups.commitOffsets({
        groupId: 'simple',
        memberId: '',
        groupInstanceId: null,
        generation: -1,
        apiVersion: 8,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 'od',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 1n,
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: '',
              },
            ],
          },
        ],
      });
      assert.equal(committed[0]?.partitions[0]?.errorCode, 0);
      const listed = await c.call<ListGroupsResponse>(16, 5, 5, {
        ...defaultListGroupsRequest(),
        statesFilter: ['Empty'],
        typesFilter: ['classic'],
      });
      assert.ok(
        listed.groups.some(
          (g) =>
            g.groupId === 'simple' &&
            g.groupState === 'Empty' &&
            g.protocolType === '' &&
            g.groupType === 'classic',
        ),
      );
      const stableOnly = await c.call<ListGroupsResponse>(16, 4, 6, {
        ...defaultListGroupsRequest(),
        statesFilter: ['Stable'],
      });
      assert.ok(!stableOnly.groups.some((g) => g.groupId === 'simple'));

      const od = await c.call<OffsetDeleteResponse>(47, 0, 7, {
        ...defaultOffsetDeleteRequest(),
        groupId: 'simple',
        topics: [{ name: 'od', partitions: [{ partitionIndex: 0 }, { partitionIndex: 5 }] }],
      });
      assert.equal(od.errorCode, 0);
      assert.deepEqual(
        od.topics[0]?.partitions.map((p) => p.errorCode),
        [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      );
      assert.equal(broker.groups.committedOffsets('simple').length, 0);

      await broker.groups.commitOffsets({
        groupId: 'simple',
        memberId: '',
        groupInstanceId: null,
        generation: -1,
        apiVersion: 8,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 'od',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 1n,
                committedLeaderEpoch: -1,
                commitTimestamp: -1n,
                committedMetadata: '',
              },
            ],
          },
        ],
      });
      const deleted = await c.call<DeleteGroupsResponse>(42, 2, 8, {
        ...defaultDeleteGroupsRequest(),
        groupsNames: ['simple', 'ghost'],
      });
      assert.deepEqual(
        deleted.results.map((r) => [r.groupId, r.errorCode]),
        [
          ['simple', 0],
          ['ghost', ErrorCode.GROUP_ID_NOT_FOUND],
        ],
      );
    } finally {
      c.socket.destroy();
    }
  });

  it('refuses client writes to __consumer_offsets (Produce, DeleteRecords) with INVALID_TOPIC_EXCEPTION', async () => {
    await broker.partitions.createTopic('internal-writes', 1, {});
    const c = await RawClient.open(port);
    try {
      // A standalone commit creates the internal topic.
      const commit = await c.call<OffsetCommitResponse>(8, 2, 1, {
        ...defaultOffsetCommitRequest(),
        groupId: 'internal-writes',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        topics: [
          {
            name: 'internal-writes',
            partitions: [{ ...defaultOffsetCommitRequestPartition(), committedOffset: 1n }],
          },
        ],
      });
      assert.equal(commit.topics[0]?.partitions[0]?.errorCode, 0);
      const produced = await c.call<ProduceResponse>(0, 9, 2, {
        ...defaultProduceRequest(),
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          {
            name: '__consumer_offsets',
            partitionData: [
              { index: 0, records: buildRecordBatch([{ key: Buffer.from('k'), value: null }]) },
            ],
          },
        ],
      });
      const p = produced.responses[0]?.partitionResponses[0];
      assert.equal(p?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
      assert.equal(p?.errorMessage, 'Cannot append to internal topic __consumer_offsets');
      const deleted = await c.call<DeleteRecordsResponse>(21, 2, 3, {
        ...defaultDeleteRecordsRequest(),
        topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: -1n }] }],
      });
      assert.equal(deleted.topics[0]?.partitions[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    } finally {
      c.socket.destroy();
    }
  });
});

describe('group coordinator across a restart (durable store)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-groups-restart-'));
  const start = async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        `log.dirs=${dataDir}`,
        'group.initial.rebalance.delay.ms=0',
        'offsets.topic.num.partitions=3',
      ]),
    ]);
    const broker = new Broker({ config, logger: new MemoryLogger('warn') });
    await broker.start();
    return broker;
  };

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('brings back committed offsets and a Stable group whose static member rejoins without a rebalance', async () => {
    let broker = await start();
    let memberId: string;
    try {
      await broker.partitions.createTopic('r', 1, {});
      const join = await broker.groups.joinGroup('rg', {
        memberId: '',
        groupInstanceId: 'static-1',
        clientId: 'c',
        clientHost: '/127.0.0.1',
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
        apiVersion: 5,
      });
      memberId = join.memberId;
      const sync = await broker.groups.syncGroup('rg', {
        memberId,
        groupInstanceId: 'static-1',
        generationId: join.generationId,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId, assignment: Buffer.from('assigned') }],
      });
      assert.equal(sync.errorCode, 0);
      const commit = await broker.groups.commitOffsets({
        groupId: 'rg',
        memberId,
        groupInstanceId: 'static-1',
        generation: join.generationId,
        apiVersion: 8,
        retentionTimeMs: -1n,
        topics: [
          {
            name: 'r',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 42n,
                committedLeaderEpoch: 0,
                commitTimestamp: -1n,
                committedMetadata: 'meta',
              },
            ],
          },
        ],
      });
      assert.equal(commit[0]?.partitions[0]?.errorCode, 0);
    } finally {
      await broker.stop(100);
    }

    broker = await start();
    try {
      assert.deepEqual(broker.groups.fetchOffsets('rg', null), [
        {
          name: 'r',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 42n,
              committedLeaderEpoch: 0,
              metadata: 'meta',
              errorCode: 0,
            },
          ],
        },
      ]);
      const g = broker.groups.getGroup('rg');
      assert.equal(g?.state(), 'Stable');
      const rejoin = await broker.groups.joinGroup('rg', {
        memberId: '',
        groupInstanceId: 'static-1',
        clientId: 'c',
        clientHost: '/127.0.0.1',
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
        apiVersion: 5,
      });
      assert.equal(rejoin.errorCode, 0);
      assert.equal(rejoin.generationId, 1);
      const sync = await broker.groups.syncGroup('rg', {
        memberId: rejoin.memberId,
        groupInstanceId: 'static-1',
        generationId: 1,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [],
      });
      assert.equal(sync.assignment.toString(), 'assigned');
      assert.equal(g?.state(), 'Stable');
    } finally {
      await broker.stop(100);
    }
  });
});
