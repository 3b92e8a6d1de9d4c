import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../../telemetry/index.ts';
import { ErrorCode } from '../../protocol/index.ts';
import type { JoinRequest } from './classic-group.ts';
import type { Group } from './group.ts';
import {
  type CommitRequest,
  GROUP_COORDINATOR_DEFAULTS,
  GroupCoordinator,
  type GroupTopic,
  GroupTypeConflictError,
} from './group-coordinator.ts';
import { MemoryGroupStore } from './group-store.ts';
import { ManualTimers } from './manual-timers.ts';

const RETENTION = 60_000;

function setup(store = new MemoryGroupStore(), timers = new ManualTimers()) {
  const topics = new Map<string, GroupTopic>([
    ['t', { id: 'id-t', name: 't', partitionCount: 2 }],
    ['u', { id: 'id-u', name: 'u', partitionCount: 1 }],
  ]);
  const coordinator = new GroupCoordinator({
    store,
    config: { ...GROUP_COORDINATOR_DEFAULTS, offsetsRetentionMs: RETENTION, initialRebalanceDelayMs: 0 },
    now: timers.now,
    logger: new MemoryLogger('warn'),
    topics: {
      byName: (n) => topics.get(n),
      byId: (id) => [...topics.values()].find((t) => t.id === id),
      list: () => topics.values(),
    },
    timers,
  });
  return { coordinator, store, timers, topics };
}

function commit(
  groupId: string,
  over: Partial<CommitRequest> = {},
  offset = 5n,
  metadata: string | null = 'm',
) {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    generation: -1,
    apiVersion: 8,
    retentionTimeMs: -1n,
    topics: [
      {
        name: 't',
        partitions: [0, 1].map((p) => ({
          partitionIndex: p,
          committedOffset: offset + BigInt(p),
          committedLeaderEpoch: 3,
          commitTimestamp: -1n,
          committedMetadata: metadata,
        })),
      },
    ],
    ...over,
  };
}

function subscription(...topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(t.length);
    parts.push(len, Buffer.from(t));
  }
  return Buffer.concat([...parts, Buffer.from([0xff, 0xff, 0xff, 0xff])]);
}

const joinReq = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  memberId: '',
  groupInstanceId: null,
  clientId: 'c',
  clientHost: '/127.0.0.1',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: subscription('t') }],
  apiVersion: 3,
  ...over,
});

/** One member in group `id`, Stable in generation 1. */
async function stableMember(coordinator: GroupCoordinator, id: string) {
  const joined = await coordinator.joinGroup(id, joinReq({ sessionTimeoutMs: 120_000 }));
  assert.equal(joined.errorCode, 0);
  const synced = await coordinator.syncGroup(id, {
    memberId: joined.memberId,
    groupInstanceId: null,
    generationId: joined.generationId,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('x') }],
  });
  assert.equal(synced.errorCode, 0);
  return joined.memberId;
}

describe('GroupCoordinator', () => {
  it('commits and fetches offsets with leader epoch and metadata; standalone commits make a simple group', async () => {
    const { coordinator, store } = setup();
    const r = await coordinator.commitOffsets(commit('solo'));
    assert.deepEqual(r, [
      {
        name: 't',
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 0 },
        ],
      },
    ]);
    assert.deepEqual(
      coordinator.fetchOffsets('solo', [
        { name: 't', partitionIndexes: [1, 0] },
        { name: 'u', partitionIndexes: [0] },
      ]),
      [
        {
          name: 't',
          partitions: [
            { partitionIndex: 1, committedOffset: 6n, committedLeaderEpoch: 3, metadata: 'm', errorCode: 0 },
            { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 3, metadata: 'm', errorCode: 0 },
          ],
        },
        {
          name: 'u',
          partitions: [
            { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          ],
        },
      ],
    );
    assert.deepEqual(
      coordinator.fetchOffsets('solo', null).map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]),
      [['t', [5n, 6n]]],
    );
    assert.deepEqual(coordinator.fetchOffsets('nobody', null), []);
    assert.equal(coordinator.getGroup('solo')?.state(), 'Empty');
    assert.equal(coordinator.getGroup('solo')?.protocolType, '');
    // Written through the store before acknowledging: a new coordinator over it sees them.
    const { coordinator: again } = setup(store);
    await again.load();
    assert.equal(again.fetchOffsets('solo', null)[0]?.partitions.length, 2);
    assert.deepEqual(
      again.listGroups([], []).map((g) => [g.groupId, g.groupState, g.groupType]),
      [['solo', 'Empty', 'classic']],
    );
  });

  it('refuses bad partitions, large metadata and stale members per partition', async () => {
    const { coordinator } = setup();
    const r = await coordinator.commitOffsets({
      ...commit('g'),
      topics: [
        {
          name: 't',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: 'x'.repeat(4097),
            },
            {
              partitionIndex: 1,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: 'x'.repeat(4096),
            },
            {
              partitionIndex: 2,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
        {
          name: 'missing',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    assert.deepEqual(
      r.map((t) => t.partitions.map((p) => p.errorCode)),
      [
        [ErrorCode.OFFSET_METADATA_TOO_LARGE, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    // A generation for a group that does not exist.
    const stale = await coordinator.commitOffsets(commit('none', { generation: 3, memberId: 'm' }));
    assert.deepEqual(
      stale[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.ILLEGAL_GENERATION, ErrorCode.ILLEGAL_GENERATION],
    );
    const v9 = await coordinator.commitOffsets(
      commit('none', { generation: 3, memberId: 'm', apiVersion: 9 }),
    );
    assert.deepEqual(
      v9[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.GROUP_ID_NOT_FOUND],
    );

    // A group with a member: its generation and id are checked; a standalone commit is refused.
    const member = await stableMember(coordinator, 'live');
    const ok = await coordinator.commitOffsets(commit('live', { generation: 1, memberId: member }));
    assert.deepEqual(
      ok[0]?.partitions.map((p) => p.errorCode),
      [0, 0],
    );
    const old = await coordinator.commitOffsets(commit('live', { generation: 0, memberId: member }));
    assert.deepEqual(
      old[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.ILLEGAL_GENERATION, ErrorCode.ILLEGAL_GENERATION],
    );
    const standalone = await coordinator.commitOffsets(commit('live'));
    assert.deepEqual(
      standalone[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID],
    );
  });

  it('deletes offsets of topics the group does not consume', async () => {
    const { coordinator } = setup();
    const member = await stableMember(coordinator, 'g');
    await coordinator.commitOffsets(commit('g', { generation: 1, memberId: member }));
    await coordinator.commitOffsets({
      ...commit('g', { generation: 1, memberId: member }),
      topics: [
        {
          name: 'u',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 9n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: '',
            },
          ],
        },
      ],
    });
    const r = await coordinator.deleteOffsets('g', [
      { name: 't', partitions: [0] },
      { name: 'u', partitions: [0] },
      { name: 'nope', partitions: [0] },
    ]);
    assert.equal(r.errorCode, 0);
    assert.deepEqual(
      r.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
      [
        ['t', [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]],
        ['u', [0]],
        ['nope', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      ],
    );
    assert.deepEqual(
      coordinator.committedOffsets('g').map((o) => o.topic),
      ['t', 't'],
    );
    assert.equal((await coordinator.deleteOffsets('unknown', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('expires offsets: an empty group after the retention from when it emptied, standalone ones from the commit', async () => {
    const { coordinator, timers, topics } = setup();
    await coordinator.commitOffsets(commit('solo'));
    const member = await stableMember(coordinator, 'g');
    await coordinator.commitOffsets(commit('g', { generation: 1, memberId: member }));
    timers.advance(RETENTION);
    await coordinator.maintain();
    assert.equal(
      coordinator.committedOffsets('solo').length,
      0,
      'standalone commits expire after the retention',
    );
    assert.equal(coordinator.getGroup('solo'), undefined, 'an empty group without offsets is removed');
    // g is alive (the member heartbeats and it subscribes to t): its offsets stay.
    assert.equal(coordinator.committedOffsets('g').length, 2);
    // g empties: retention counts from then.
    assert.deepEqual(coordinator.leaveGroup('g', [{ memberId: member, groupInstanceId: null }]).members, [0]);
    assert.equal(coordinator.getGroup('g')?.state(), 'Empty');
    timers.advance(RETENTION - 1);
    await coordinator.maintain();
    assert.equal(coordinator.committedOffsets('g').length, 2);
    timers.advance(1);
    await coordinator.maintain();
    assert.equal(coordinator.committedOffsets('g').length, 0);

    // Offsets of a deleted topic go at the next pass.
    await coordinator.commitOffsets(commit('solo2'));
    topics.delete('t');
    await coordinator.maintain();
    assert.equal(coordinator.committedOffsets('solo2').length, 0);
  });

  it('lists groups with a state filter, describes and deletes them', async () => {
    const { coordinator, store } = setup();
    await stableMember(coordinator, 'busy');
    await coordinator.commitOffsets(commit('idle'));
    assert.deepEqual(
      coordinator.listGroups([], []).map((g) => [g.groupId, g.groupState, g.protocolType, g.groupType]),
      [
        ['busy', 'Stable', 'consumer', 'classic'],
        ['idle', 'Empty', '', 'classic'],
      ],
    );
    assert.deepEqual(
      coordinator.listGroups(['empty'], []).map((g) => g.groupId),
      ['idle'],
    );
    assert.deepEqual(coordinator.listGroups([], ['consumer']), []);
    assert.deepEqual(await coordinator.deleteGroups(['busy', 'idle', 'ghost']), [
      ErrorCode.NON_EMPTY_GROUP,
      0,
      ErrorCode.GROUP_ID_NOT_FOUND,
    ]);
    assert.equal(coordinator.getGroup('idle'), undefined);
    assert.deepEqual(coordinator.fetchOffsets('idle', null), []);
    assert.equal((await store.load()).offsets.has('idle'), false);
  });

  it('hosts KIP-848 groups: put, conflict with a live classic group, delete', async () => {
    const { coordinator } = setup();
    const fake = (groupId: string, empty: boolean): Group => ({
      groupId,
      type: 'consumer',
      protocolType: 'consumer',
      state: () => (empty ? 'Empty' : 'Stable'),
      isEmpty: () => empty,
      validateOffsetCommit: (_m, _i, epoch) => (epoch === 7 ? 0 : ErrorCode.STALE_MEMBER_EPOCH),
      validateOffsetFetch: () => 0,
      close: () => {},
    });
    await coordinator.commitOffsets(commit('k'));
    coordinator.putGroup(fake('k', false)); // replaces the empty (simple) classic group
    assert.equal(coordinator.getGroup('k')?.type, 'consumer');
    const r = await coordinator.commitOffsets(commit('k', { generation: 6, memberId: 'm' }));
    assert.deepEqual(
      r[0]?.partitions.map((p) => p.errorCode),
      [ErrorCode.STALE_MEMBER_EPOCH, ErrorCode.STALE_MEMBER_EPOCH],
    );
    const joined = await coordinator.joinGroup('k', joinReq());
    assert.equal(joined.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await stableMember(coordinator, 'c');
    assert.throws(() => coordinator.putGroup(fake('c', true)), GroupTypeConflictError);
    await coordinator.deleteGroupState('k');
    assert.equal(coordinator.getGroup('k'), undefined);
    assert.equal(coordinator.committedOffsets('k').length, 2, 'offsets stay');
  });

  it('checks session timeout bounds and group ids', async () => {
    const { coordinator } = setup();
    assert.equal(
      (await coordinator.joinGroup('g', joinReq({ sessionTimeoutMs: 5999 }))).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    assert.equal(
      (await coordinator.joinGroup('g', joinReq({ sessionTimeoutMs: 1_800_001 }))).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    assert.equal((await coordinator.joinGroup('', joinReq())).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal(
      (await coordinator.joinGroup('g', joinReq({ memberId: 'x' }))).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    assert.equal(coordinator.heartbeat('g', 'x', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  });
});
