import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../../telemetry/index.ts';
import { ErrorCode } from '../../protocol/index.ts';
import { ClassicGroup, type JoinProtocol, type JoinRequest, type JoinResult } from './classic-group.ts';
import { MemoryGroupStore } from './group-store.ts';
import { ManualTimers } from './manual-timers.ts';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A ConsumerProtocolSubscription v0: version, topics, null user data. */
function subscription(...topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

function setup(options: { initialDelay?: number; maxSize?: number } = {}) {
  const timers = new ManualTimers();
  const store = new MemoryGroupStore();
  const logger = new MemoryLogger('info');
  const ctx = {
    timers,
    now: timers.now,
    logger,
    initialRebalanceDelayMs: options.initialDelay ?? 0,
    maxSize: options.maxSize ?? 2147483647,
    persist: (g: Parameters<MemoryGroupStore['storeClassicGroup']>[0]) => store.storeClassicGroup(g),
  };
  const group = new ClassicGroup('g', ctx);
  return { timers, store, logger, group, ctx };
}

function joinReq(over: Partial<JoinRequest> = {}): JoinRequest {
  return {
    memberId: '',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription('t') }],
    apiVersion: 9,
    ...over,
  };
}

/** A dynamic v4+ member: MEMBER_ID_REQUIRED first, then the join (pending until the rebalance completes). */
async function joinNew(
  group: ClassicGroup,
  over: Partial<JoinRequest> = {},
): Promise<{
  memberId: string;
  result: Promise<JoinResult>;
}> {
  const first = await group.join(joinReq(over));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.match(first.memberId, /^c-[0-9a-f-]{36}$/);
  return { memberId: first.memberId, result: group.join(joinReq({ ...over, memberId: first.memberId })) };
}

async function syncAll(
  group: ClassicGroup,
  results: JoinResult[],
  assignment = (id: string) => Buffer.from(id),
) {
  const leader = results.find((r) => r.memberId === r.leader)!;
  const syncs = results.map((r) =>
    group.sync({
      memberId: r.memberId,
      groupInstanceId: null,
      generationId: r.generationId,
      protocolType: 'consumer',
      protocolName: r.protocolName,
      assignments:
        r === leader
          ? leader.members.map((m) => ({ memberId: m.memberId, assignment: assignment(m.memberId) }))
          : [],
    }),
  );
  return Promise.all(syncs);
}

describe('ClassicGroup', () => {
  it('hands out a member id first (v4+), lets v3 members in directly', async () => {
    const { group } = setup();
    const { memberId, result } = await joinNew(group);
    const joined = await result;
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.memberId, memberId);
    assert.equal(joined.generationId, 1);
    assert.equal(joined.leader, memberId);
    assert.equal(group.state(), 'CompletingRebalance');

    const { group: g3 } = setup();
    const direct = await g3.join(joinReq({ apiVersion: 3 }));
    assert.equal(direct.errorCode, 0);
    assert.equal(direct.generationId, 1);
  });

  it('joins and syncs three members: leader, protocol vote, per-member assignments, persisted', async () => {
    const { group, timers, store } = setup({ initialDelay: 3000 });
    const rr = (m: string): JoinProtocol => ({ name: 'roundrobin', metadata: Buffer.from(`rr-${m}`) });
    const range = (m: string): JoinProtocol => ({ name: 'range', metadata: Buffer.from(`range-${m}`) });
    const a = await joinNew(group, { protocols: [range('a'), rr('a')] });
    assert.equal(group.state(), 'PreparingRebalance');
    timers.advance(2000);
    const b = await joinNew(group, { protocols: [rr('b'), range('b')] });
    const c = await joinNew(group, { protocols: [range('c'), rr('c')] });
    // The initial delay is extended because members kept joining.
    timers.advance(1000);
    assert.equal(group.state(), 'PreparingRebalance');
    timers.advance(3000);
    const results = await Promise.all([a.result, b.result, c.result]);
    assert.deepEqual(
      results.map((r) => [r.errorCode, r.generationId, r.protocolName, r.leader]),
      results.map(() => [0, 1, 'range', a.memberId]),
    );
    const leader = results[0]!;
    assert.deepEqual(
      leader.members.map((m) => [m.memberId, m.metadata.toString()]),
      [
        [a.memberId, 'range-a'],
        [b.memberId, 'range-b'],
        [c.memberId, 'range-c'],
      ],
    );
    assert.deepEqual(results[1]!.members, []);
    assert.deepEqual(results[2]!.members, []);

    // Followers wait for the leader's assignment; a member the leader left out gets empty bytes.
    const followerSync = group.sync({
      memberId: b.memberId,
      groupInstanceId: null,
      generationId: 1,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    let settled = false;
    followerSync.then(() => {
      settled = true;
    });
    await flush();
    assert.equal(settled, false);
    const leaderSync = group.sync({
      memberId: a.memberId,
      groupInstanceId: null,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('A') },
        { memberId: b.memberId, assignment: Buffer.from('B') },
      ],
    });
    const [fs, ls] = await Promise.all([followerSync, leaderSync]);
    assert.equal(fs.errorCode, 0);
    assert.equal(fs.assignment.toString(), 'B');
    assert.equal(ls.assignment.toString(), 'A');
    assert.equal(ls.protocolName, 'range');
    const cs = await group.sync({
      memberId: c.memberId,
      groupInstanceId: null,
      generationId: 1,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    assert.equal(cs.errorCode, 0);
    assert.equal(cs.assignment.length, 0);
    assert.equal(group.state(), 'Stable');

    const stored = (await store.load()).classicGroups.get('g');
    assert.ok(stored);
    assert.equal(stored.generationId, 1);
    assert.equal(stored.leader, a.memberId);
    assert.deepEqual(
      stored.members.map((m) => m.assignment.toString()),
      ['A', 'B', ''],
    );
  });

  it('refuses mismatched protocols and a full group', async () => {
    const { group } = setup({ maxSize: 1 });
    const a = await joinNew(group);
    await a.result;
    const other = await group.join(
      joinReq({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }),
    );
    assert.equal(other.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await group.join(joinReq({ protocolType: 'connect' }));
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const full = await group.join(joinReq());
    assert.equal(full.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
    const sync = await group.sync({
      memberId: a.memberId,
      groupInstanceId: null,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'roundrobin',
      assignments: [],
    });
    assert.equal(sync.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('rebalances when a member joins or leaves; heartbeats report it and fence stale members', async () => {
    const { group } = setup();
    const a = await joinNew(group);
    const first = [await a.result];
    await syncAll(group, first);
    assert.equal(group.heartbeat(a.memberId, null, 1), 0);
    assert.equal(group.heartbeat(a.memberId, null, 0), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(group.heartbeat('nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);

    const b = await joinNew(group);
    assert.equal(group.state(), 'PreparingRebalance');
    assert.equal(group.heartbeat(a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
    // a rejoins with its member id and keeps it.
    const aAgain = group.join(joinReq({ memberId: a.memberId }));
    const second = await Promise.all([aAgain, b.result]);
    assert.deepEqual(
      second.map((r) => [r.memberId, r.generationId, r.leader]),
      [
        [a.memberId, 2, a.memberId],
        [b.memberId, 2, a.memberId],
      ],
    );
    const syncs = await syncAll(group, second);
    assert.deepEqual(
      syncs.map((s) => s.assignment.toString()),
      [a.memberId, b.memberId],
    );
    // A commit with the old generation is refused, the current one accepted.
    assert.equal(group.validateOffsetCommit(a.memberId, null, 1, 8), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(group.validateOffsetCommit('nobody', null, 2, 8), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(group.validateOffsetCommit('', null, -1, 8), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(group.validateOffsetCommit(a.memberId, null, 2, 8), 0);

    // The leader leaves: the rebalance starts at once and b becomes the leader.
    assert.deepEqual(group.leave([{ memberId: a.memberId, groupInstanceId: null }]), [0]);
    assert.equal(group.state(), 'PreparingRebalance');
    const third = await group.join(joinReq({ memberId: b.memberId }));
    assert.equal(third.generationId, 3);
    assert.equal(third.leader, b.memberId);
    assert.deepEqual(group.leave([{ memberId: a.memberId, groupInstanceId: null }]), [
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    // A commit during CompletingRebalance is told to wait.
    assert.equal(group.validateOffsetCommit(b.memberId, null, 3, 8), ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('expires members whose session lapses, and members that do not rejoin in time', async () => {
    const { group, timers } = setup({ initialDelay: 3000 });
    const a = await joinNew(group);
    const b = await joinNew(group);
    timers.advance(6000);
    await syncAll(group, await Promise.all([a.result, b.result]));
    assert.equal(group.state(), 'Stable');
    // a heartbeats, b does not.
    timers.advance(6000);
    assert.equal(group.heartbeat(a.memberId, null, 1), 0);
    timers.advance(6000);
    assert.equal(group.state(), 'PreparingRebalance');
    assert.deepEqual(group.memberIds(), [a.memberId]);
    const again = await group.join(joinReq({ memberId: a.memberId }));
    assert.equal(again.generationId, 2);
    assert.deepEqual(
      again.members.map((m) => m.memberId),
      [a.memberId],
    );

    // c joins; a never rejoins: after the rebalance timeout a is dropped.
    await syncAll(group, [again]);
    const c = await joinNew(group);
    for (let i = 0; i < 3; i++) {
      timers.advance(9000);
      assert.equal(group.heartbeat(a.memberId, null, 2), ErrorCode.REBALANCE_IN_PROGRESS);
    }
    timers.advance(4000);
    const cJoined = await c.result;
    assert.equal(cJoined.generationId, 3);
    assert.deepEqual(group.memberIds(), [c.memberId]);
    assert.equal(cJoined.leader, c.memberId);

    // The last member's session lapses: the group becomes Empty with a new generation.
    timers.advance(11_000);
    assert.equal(group.state(), 'Empty');
    assert.equal(group.generationId, 4);
    assert.equal(group.validateOffsetCommit('', null, -1, 8), 0);
    assert.equal(group.heartbeat(c.memberId, null, 3), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes members that do not sync within the rebalance timeout', async () => {
    const { group, timers } = setup({ initialDelay: 3000 });
    const a = await joinNew(group);
    const b = await joinNew(group);
    timers.advance(6000);
    const [ra] = await Promise.all([a.result, b.result]);
    const leaderSync = await group.sync({
      memberId: a.memberId,
      groupInstanceId: null,
      generationId: ra!.generationId,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    assert.equal(leaderSync.errorCode, 0);
    // b heartbeats (so its session lives) but never syncs.
    for (let i = 0; i < 4; i++) {
      timers.advance(7000);
      assert.equal(group.heartbeat(b.memberId, null, 1), 0);
      assert.equal(group.heartbeat(a.memberId, null, 1), 0);
    }
    timers.advance(3000);
    assert.deepEqual(group.memberIds(), [a.memberId]);
    assert.equal(group.state(), 'PreparingRebalance');
  });

  it('gives a rejoining static member its assignment back without a rebalance and fences the old id', async () => {
    const { group, timers } = setup({ initialDelay: 3000 });
    const s = group.join(joinReq({ groupInstanceId: 'i-1' }));
    const d = await joinNew(group);
    timers.advance(6000);
    const results = await Promise.all([s, d.result]);
    const staticId = results[0]!.memberId;
    assert.equal(results[0]!.errorCode, 0, 'static members get no MEMBER_ID_REQUIRED');
    await syncAll(group, results);
    assert.equal(group.state(), 'Stable');

    // The static member restarts: a new member id, same instance, same protocols.
    const rejoin = await group.join(joinReq({ groupInstanceId: 'i-1', apiVersion: 5 }));
    assert.equal(rejoin.errorCode, 0);
    assert.notEqual(rejoin.memberId, staticId);
    assert.equal(rejoin.generationId, 1);
    assert.equal(rejoin.leader, staticId, 'before v9 the old leader id is returned so nobody reassigns');
    assert.deepEqual(rejoin.members, []);
    assert.equal(group.state(), 'Stable');
    const sync = await group.sync({
      memberId: rejoin.memberId,
      groupInstanceId: 'i-1',
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [],
    });
    assert.equal(sync.errorCode, 0);
    assert.equal(sync.assignment.toString(), staticId, 'its old assignment');
    assert.equal(group.heartbeat(staticId, 'i-1', 1), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(group.validateOffsetCommit(staticId, 'i-1', 1, 8), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(group.heartbeat(rejoin.memberId, 'i-1', 1), 0);
    assert.equal(group.heartbeat(d.memberId, null, 1), 0, 'no rebalance for the others');

    // v9: the rejoining leader is told to skip the assignment.
    const v9 = await group.join(joinReq({ groupInstanceId: 'i-1' }));
    assert.equal(v9.leader, v9.memberId);
    assert.equal(v9.skipAssignment, true);
    assert.equal(v9.members.length, 2);
    assert.equal(group.state(), 'Stable');

    // Removal by instance id (LeaveGroup v3+ from an admin tool).
    assert.deepEqual(group.leave([{ memberId: '', groupInstanceId: 'i-1' }]), [0]);
    assert.equal(group.state(), 'PreparingRebalance');
  });

  it('comes back Stable from the store; members that do not return expire', async () => {
    const { group, store, ctx, timers } = setup();
    const a = await joinNew(group);
    await syncAll(group, [await a.result]);
    const stored = (await store.load()).classicGroups.get('g')!;
    group.close();
    const restored = ClassicGroup.fromStored(stored, ctx);
    assert.equal(restored.state(), 'Stable');
    assert.equal(restored.generationId, 1);
    assert.equal(restored.heartbeat(a.memberId, null, 1), 0);
    timers.advance(10_001);
    assert.equal(restored.state(), 'Empty');
    await flush();
    assert.equal((await store.load()).classicGroups.get('g')?.members.length, 0);
  });
});
