import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawClient } from '../../../src/kafka/broker/raw-client.ts';
import {
  type DescribeGroupsResponse,
  decodeResponse,
  ErrorCode,
  encodeRequestFrame,
  type JoinGroupResponse,
  type OffsetCommitResponse,
} from '../../../src/kafka/protocol/index.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';
import { createTopic, kafkaClient } from './clients/group-harness.ts';
import {
  API,
  brokerVersions,
  encodeSubscription,
  fetchedOffsets,
  MEMBER_ID_REQUIRED,
  RawGroupMember,
} from './clients/raw-group-member.ts';

const TOPIC = 'groups-bad-input';

/** [topic, partition, errorCode] of every partition in an OffsetCommit answer. */
function codes(res: OffsetCommitResponse): [string, number, number][] {
  return res.topics.flatMap((t) =>
    t.partitions.map((p) => [t.name, p.partitionIndex, p.errorCode] as [string, number, number]),
  );
}

/** Writes every request first, then reads the answers in order (one connection, pipelined). */
async function pipelined<T>(
  client: RawClient,
  apiKey: number,
  version: number,
  bodies: readonly unknown[],
): Promise<T[]> {
  for (const [i, body] of bodies.entries()) {
    for (const chunk of encodeRequestFrame(apiKey, version, 1000 + i, 'groups-flood', body))
      client.socket.write(chunk);
  }
  const out: T[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const res = decodeResponse(await client.next(), apiKey, version);
    assert.equal(res.correlationId, 1000 + i, 'answers come in request order');
    out.push(res.body as T);
  }
  return out;
}

function joinBody(groupId: string, memberId = '', overrides: Record<string, unknown> = {}): unknown {
  return {
    groupId,
    // The shortest session the broker allows: the flood's pending members (MEMBER_ID_REQUIRED,
    // never rejoined) hold a later join of their group until they expire, as in Kafka.
    sessionTimeoutMs: 6000,
    rebalanceTimeoutMs: 6000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription([TOPIC]) }],
    reason: null,
    ...overrides,
  };
}

describe('consumer groups: bad input and floods (raw protocol)', () => {
  let proc: SluiceProcess;
  let port: number;
  const open: RawGroupMember[] = [];
  const member = async (group: string) => {
    const m = await RawGroupMember.open(port, group, TOPIC);
    open.push(m);
    return m;
  };

  before(async () => {
    ({ proc, port } = await startBroker(['--override', 'group.initial.rebalance.delay.ms=0']));
    await createTopic(kafkaClient(port), TOPIC, 2);
  });

  after(async () => {
    for (const m of open) m.close();
    const code = await proc.stop();
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr().slice(-4000)}`);
  });

  it('OffsetCommit to unknown topics or partitions: UNKNOWN_TOPIC_OR_PARTITION for those partitions only', async () => {
    const m = await member('bad-commit-unknown');
    const res = await m.commit(
      [
        [TOPIC, 0, 5, 'kept'],
        [TOPIC, 7, 5, null],
        ['no-such-topic', 0, 1, null],
      ],
      -1,
      '',
    );
    assert.deepEqual(
      codes(res).sort(),
      [
        [TOPIC, 0, 0],
        [TOPIC, 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['no-such-topic', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ].sort(),
    );
    const fetched = fetchedOffsets(await m.fetchOffsets(TOPIC, [0, 1]));
    assert.deepEqual(fetched.get(0), [5, 'kept', 0], 'the valid partition was committed with its metadata');
    assert.equal(fetched.get(1)?.[0], -1, 'nothing committed: -1');
  });

  it('stale generation: ILLEGAL_GENERATION; unknown member: UNKNOWN_MEMBER_ID; the member still commits', async () => {
    const m1 = await member('bad-commit-generation');
    await m1.joinAndSync(2);
    const g1 = m1.generation;
    assert.deepEqual(m1.assignment, [0, 1]);
    assert.deepEqual(codes(await m1.commit([[TOPIC, 0, 1, null]], g1 + 1)), [
      [TOPIC, 0, ErrorCode.ILLEGAL_GENERATION],
    ]);
    assert.deepEqual(codes(await m1.commit([[TOPIC, 0, 1, null]], g1, 'nobody')), [
      [TOPIC, 0, ErrorCode.UNKNOWN_MEMBER_ID],
    ]);
    assert.deepEqual(codes(await m1.commit([[TOPIC, 0, 2, null]])), [[TOPIC, 0, 0]]);

    // A second member makes generation g1 + 1; m1 learns it through its heartbeat and rejoins.
    const m2 = await member('bad-commit-generation');
    const joining = m2.joinAndSync(2);
    let hb = 0;
    for (let i = 0; i < 200 && hb !== ErrorCode.REBALANCE_IN_PROGRESS; i++) {
      hb = await m1.heartbeat();
      if (hb === 0) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(hb, ErrorCode.REBALANCE_IN_PROGRESS, 'm1 is told to rejoin');
    await Promise.all([joining, m1.joinAndSync(2)]);
    assert.equal(m1.generation, m2.generation);
    assert.ok(m1.generation > g1);
    assert.deepEqual([...m1.assignment, ...m2.assignment].sort(), [0, 1]);
    assert.deepEqual(codes(await m1.commit([[TOPIC, 0, 3, null]], g1)), [
      [TOPIC, 0, ErrorCode.ILLEGAL_GENERATION],
    ]);
    assert.equal(await m1.heartbeat(), 0);
    const stale = m1.generation;
    m1.generation = g1;
    assert.equal(await m1.heartbeat(), ErrorCode.ILLEGAL_GENERATION, 'Heartbeat with the old generation');
    m1.generation = stale;
    assert.deepEqual(codes(await m1.commit([[TOPIC, 0, 4, null]])), [[TOPIC, 0, 0]]);
    assert.deepEqual(fetchedOffsets(await m1.fetchOffsets(TOPIC, [0])).get(0)?.[0], 4);
  });

  it('commit while the group completes a rebalance, unknown leavers, a replaced static member: Kafka codes', async () => {
    const a = await member('bad-rebalancing');
    const b = await member('bad-rebalancing');
    await a.joinAndSync(2);
    const joining = b.join();
    let hb = 0;
    for (let i = 0; i < 200 && hb === 0; i++) hb = await a.heartbeat();
    assert.equal(hb, ErrorCode.REBALANCE_IN_PROGRESS);
    const [aj, bj] = [await a.join(), await joining];
    assert.equal(aj.errorCode, 0);
    assert.equal(bj.errorCode, 0);
    // Joined but not synced: the group waits for the leader's assignment (CompletingRebalance).
    const follower = aj.leader === a.memberId ? b : a;
    const leader = follower === a ? b : a;
    assert.deepEqual(codes(await follower.commit([[TOPIC, 0, 1, null]])), [
      [TOPIC, 0, ErrorCode.REBALANCE_IN_PROGRESS],
    ]);
    assert.equal(await follower.heartbeat(), 0, 'Heartbeat is fine while the assignment is awaited');
    const synced = follower.sync(follower === a ? aj : bj, 2);
    assert.equal((await leader.sync(leader === a ? aj : bj, 2)).errorCode, 0);
    assert.equal((await synced).errorCode, 0);
    assert.deepEqual([...a.assignment, ...b.assignment].sort(), [0, 1]);

    const stranger = await member('bad-rebalancing');
    stranger.memberId = 'nobody';
    const left = await stranger.leave();
    assert.deepEqual(
      left.members.map((m) => [m.memberId, m.errorCode]),
      [['nobody', ErrorCode.UNKNOWN_MEMBER_ID]],
    );
    assert.equal(await a.heartbeat(), 0, 'an unknown leaver does not disturb the group');

    const first = await RawGroupMember.open(port, 'bad-static', TOPIC, { instanceId: 'instance-1' });
    open.push(first);
    await first.joinAndSync(2);
    const second = await RawGroupMember.open(port, 'bad-static', TOPIC, { instanceId: 'instance-1' });
    open.push(second);
    await second.joinAndSync(2);
    assert.notEqual(second.memberId, first.memberId);
    assert.equal(second.generation, first.generation, 'the replacement rejoins in the same generation');
    assert.deepEqual(second.assignment, [0, 1]);
    assert.equal(await first.heartbeat(), ErrorCode.FENCED_INSTANCE_ID, 'the replaced instance is fenced');
    assert.equal(await second.heartbeat(), 0);
  });

  it('metadata over offset.metadata.max.bytes (4096): OFFSET_METADATA_TOO_LARGE; 4096 bytes round-trip', async () => {
    const m = await member('bad-commit-metadata');
    const res = await m.commit(
      [
        [TOPIC, 0, 9, 'x'.repeat(4097)],
        [TOPIC, 1, 9, 'y'.repeat(4096)],
      ],
      -1,
      '',
    );
    assert.deepEqual(codes(res).sort(), [
      [TOPIC, 0, ErrorCode.OFFSET_METADATA_TOO_LARGE],
      [TOPIC, 1, 0],
    ]);
    const fetched = fetchedOffsets(await m.fetchOffsets(TOPIC, [0, 1]));
    assert.equal(fetched.get(0)?.[0], -1, 'the oversized commit was not stored');
    assert.deepEqual(fetched.get(1), [9, 'y'.repeat(4096), 0]);
  });

  it('1000 JoinGroups for new groups and for one group: right codes, broker still serving, other groups unaffected', async (t) => {
    const control = await member('flood-control');
    await control.joinAndSync(2);
    const controlGeneration = control.generation;

    const flood = await RawClient.open(port);
    try {
      const versions = await brokerVersions(flood);
      const v = versions.get(API.JoinGroup)!;
      const expected = v >= 4 ? MEMBER_ID_REQUIRED : 0;
      const news = await pipelined<JoinGroupResponse>(
        flood,
        API.JoinGroup,
        v,
        Array.from({ length: 1000 }, (_, i) => joinBody(`flood-new-${i}`)),
      );
      assert.deepEqual(
        [...new Set(news.map((r) => r.errorCode))],
        [expected],
        'each new group: MEMBER_ID_REQUIRED',
      );
      assert.equal(new Set(news.map((r) => r.memberId)).size, 1000, 'a distinct member id each');
      const same = await pipelined<JoinGroupResponse>(
        flood,
        API.JoinGroup,
        v,
        Array.from({ length: 1000 }, () => joinBody('flood-same')),
      );
      assert.deepEqual([...new Set(same.map((r) => r.errorCode))], [expected]);
      assert.equal(new Set(same.map((r) => r.memberId)).size, 1000);
      const invalid = await pipelined<JoinGroupResponse>(flood, API.JoinGroup, v, [
        joinBody(''),
        joinBody('flood-invalid', '', { sessionTimeoutMs: 100 }),
        joinBody('flood-invalid', '', { sessionTimeoutMs: 1_800_001 }),
        joinBody('flood-invalid', '', { protocolType: '' }),
        joinBody('flood-invalid', '', { protocols: [] }),
        joinBody('flood-control', '', { protocolType: 'connect' }),
      ]);
      assert.deepEqual(
        invalid.map((r) => r.errorCode),
        [
          ErrorCode.INVALID_GROUP_ID,
          ErrorCode.INVALID_SESSION_TIMEOUT,
          ErrorCode.INVALID_SESSION_TIMEOUT,
          ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        ],
      );
    } finally {
      flood.socket.destroy();
    }

    // The control group did not notice: no rebalance, commits and DescribeGroups work.
    assert.equal(await control.heartbeat(), 0, 'the control group is still stable');
    assert.equal(control.generation, controlGeneration);
    assert.deepEqual(codes(await control.commit([[TOPIC, 1, 11, null]])), [[TOPIC, 1, 0]]);
    const described = await control.call<DescribeGroupsResponse>(API.DescribeGroups, {
      groups: ['flood-control'],
      includeAuthorizedOperations: false,
    });
    assert.equal(described.groups[0]!.groupState, 'Stable');
    assert.equal(described.groups[0]!.members.length, 1);
    // The flooded group still forms a group with a member that completes the join.
    const late = await member('flood-same');
    const started = performance.now();
    await late.joinAndSync(2);
    t.diagnostic(`a member joined the flooded group after ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(late.assignment, [0, 1], 'the pending member ids from the flood are not members');
  });
});
