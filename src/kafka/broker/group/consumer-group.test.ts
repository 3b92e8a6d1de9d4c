import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import {
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  defaultConsumerGroupHeartbeatRequest,
  ErrorCode,
} from '../../protocol/index.ts';
import type { RequestContext } from '../api-handler.ts';
import { createConsumerGroupDescribeHandler } from '../handlers/consumer-group-describe.ts';
import { consumerGroupHeartbeat } from '../handlers/consumer-group-heartbeat.ts';
import {
  ConsumerGroup,
  type ConsumerGroupConfig,
  type ConsumerGroupHost,
  type ConsumerGroupTopic,
} from './consumer-group.ts';
import type { Group } from './group.ts';
import { MemoryGroupStore } from './group-store.ts';

/** A coordinator stand-in: groups by id, a topic table, a hand-driven clock and a memory store. */
class TestHost implements ConsumerGroupHost {
  readonly groups = new Map<string, Group>();
  readonly store = new MemoryGroupStore();
  private readonly byNameMap = new Map<string, ConsumerGroupTopic>();
  private readonly byIdMap = new Map<string, ConsumerGroupTopic>();
  clock = 1_000_000;
  config: ConsumerGroupConfig = {
    sessionTimeoutMs: 45_000,
    heartbeatIntervalMs: 5_000,
    assignors: ['uniform', 'range'],
    maxSize: 1000,
  };
  readonly topics = {
    byName: (name: string) => this.byNameMap.get(name),
    byId: (id: string) => this.byIdMap.get(id),
    list: () => this.byNameMap.values(),
  };

  getGroup(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }
  putGroup(group: ConsumerGroup): void {
    this.groups.get(group.groupId)?.close();
    this.groups.set(group.groupId, group);
  }
  now(): number {
    return this.clock;
  }
  consumerGroupConfig(): ConsumerGroupConfig {
    return this.config;
  }
  /** Creates or resizes a topic; returns its id. */
  topic(name: string, partitionCount: number): string {
    const id = this.byNameMap.get(name)?.id ?? randomUUID();
    const t = { id, name, partitionCount };
    this.byNameMap.set(name, t);
    this.byIdMap.set(id, t);
    return id;
  }
  group(groupId = 'g'): ConsumerGroup {
    const g = this.groups.get(groupId);
    assert.ok(g instanceof ConsumerGroup);
    return g;
  }
  closeAll(): void {
    for (const g of this.groups.values()) g.close();
  }
}

function ctx(apiVersion = 1): RequestContext {
  return {
    header: { requestApiKey: 68, requestApiVersion: apiVersion, correlationId: 1, clientId: 'test-client' },
    connection: {
      id: 1,
      remoteAddress: '127.0.0.1',
      remotePort: 5000,
      localAddress: '127.0.0.1',
      localPort: 9092,
      listenerName: 'PLAINTEXT',
    },
  };
}

interface SimOptions {
  groupId?: string;
  instanceId?: string;
  serverAssignor?: string;
  memberId?: string;
}

/**
 * A consumer as the KIP-848 client behaves: full heartbeats reporting what it owns. It takes new
 * partitions at once; revoked ones are given up at once too unless `slow`, in which case it keeps
 * owning them until `finishRevocation()`.
 */
class SimConsumer {
  readonly memberId: string;
  epoch = 0;
  owned = new Map<string, number[]>();
  /** What the last assignment said the member should have. */
  private pending: Map<string, number[]> | null = null;
  slow = false;
  lastResponse: ConsumerGroupHeartbeatResponse | null = null;

  private readonly host: TestHost;
  readonly topics: string[];
  readonly options: SimOptions;

  constructor(host: TestHost, topics: string[], options: SimOptions = {}) {
    this.host = host;
    this.topics = topics;
    this.options = options;
    this.memberId = options.memberId ?? randomUUID();
  }

  request(overrides: Partial<ConsumerGroupHeartbeatRequest> = {}): ConsumerGroupHeartbeatRequest {
    return {
      ...defaultConsumerGroupHeartbeatRequest(),
      groupId: this.options.groupId ?? 'g',
      memberId: this.memberId,
      memberEpoch: this.epoch,
      instanceId: this.options.instanceId ?? null,
      rebalanceTimeoutMs: 60_000,
      subscribedTopicNames: this.topics,
      serverAssignor: this.options.serverAssignor ?? null,
      topicPartitions: [...this.owned].map(([topicId, partitions]) => ({ topicId, partitions })),
      ...overrides,
    };
  }

  async heartbeat(
    overrides: Partial<ConsumerGroupHeartbeatRequest> = {},
  ): Promise<ConsumerGroupHeartbeatResponse> {
    const response = await consumerGroupHeartbeat(this.host, this.request(overrides), ctx());
    this.lastResponse = response;
    if (response.errorCode !== 0) return response;
    this.epoch = response.memberEpoch;
    if (response.assignment !== null) {
      const next = new Map(response.assignment.topicPartitions.map((tp) => [tp.topicId, [...tp.partitions]]));
      // New partitions are taken at once.
      for (const [t, ps] of next) {
        const mine = new Set(this.owned.get(t) ?? []);
        for (const p of ps) mine.add(p);
        this.owned.set(
          t,
          [...mine].sort((a, b) => a - b),
        );
      }
      this.pending = next;
      if (!this.slow) this.finishRevocation();
    }
    return response;
  }

  /** Gives up what the last assignment no longer lists. */
  finishRevocation(): void {
    if (this.pending === null) return;
    const next = this.pending;
    this.owned = new Map([...this.owned].map(([t, ps]) => [t, ps.filter((p) => next.get(t)?.includes(p))]));
    for (const [t, ps] of [...this.owned]) if (ps.length === 0) this.owned.delete(t);
  }

  count(): number {
    let n = 0;
    for (const ps of this.owned.values()) n += ps.length;
    return n;
  }
}

/** No partition is owned by two consumers, on the client side and in the coordinator's state. */
function assertExclusive(host: TestHost, consumers: readonly SimConsumer[], groupId = 'g'): void {
  const seen = new Map<string, string>();
  for (const c of consumers) {
    for (const [t, ps] of c.owned) {
      for (const p of ps) {
        const key = `${t}/${p}`;
        assert.equal(seen.get(key), undefined, `${key} owned by ${seen.get(key)} and ${c.memberId}`);
        seen.set(key, c.memberId);
      }
    }
  }
  const group = host.group(groupId);
  const serverSeen = new Map<string, string>();
  for (const id of group.memberIds()) {
    const m = group.member(id);
    assert.ok(m !== undefined);
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, ps] of a) {
        for (const p of ps) {
          assert.equal(serverSeen.get(`${t}/${p}`), undefined, `${t}/${p} owned twice in the coordinator`);
          serverSeen.set(`${t}/${p}`, id);
        }
      }
    }
  }
}

/** Heartbeats everyone round-robin until the group is Stable, checking exclusivity each step. */
async function settle(host: TestHost, consumers: readonly SimConsumer[], groupId = 'g'): Promise<void> {
  for (let round = 0; round < 20; round++) {
    for (const c of consumers) {
      const r = await c.heartbeat();
      assert.equal(r.errorCode, 0, `${c.memberId}: ${r.errorMessage}`);
      assertExclusive(host, consumers, groupId);
    }
    if (host.group(groupId).state() === 'Stable') {
      // One more round so every client has seen its final assignment.
      for (const c of consumers) await c.heartbeat();
      return;
    }
  }
  assert.fail(`group did not stabilize: ${host.group(groupId).state()}`);
}

function allPartitions(consumers: readonly SimConsumer[]): string[] {
  return consumers.flatMap((c) => [...c.owned].flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`))).sort();
}

function expected(topics: ReadonlyMap<string, number>): string[] {
  return [...topics].flatMap(([t, n]) => Array.from({ length: n }, (_, p) => `${t}/${p}`)).sort();
}

const hosts: TestHost[] = [];
function newHost(): TestHost {
  const h = new TestHost();
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.closeAll();
});

describe('ConsumerGroup (KIP-848)', () => {
  it('three members join and end with disjoint assignments covering every partition; persisted', async () => {
    const host = newHost();
    const orders = host.topic('orders', 6);
    const payments = host.topic('payments', 3);
    const consumers = [0, 1, 2].map(() => new SimConsumer(host, ['orders', 'payments']));
    const first = await consumers[0]!.heartbeat();
    assert.equal(first.errorCode, 0);
    assert.equal(first.memberId, consumers[0]!.memberId);
    assert.equal(first.heartbeatIntervalMs, 5000);
    assert.equal(first.memberEpoch, 1);
    assert.deepEqual(consumers[0]!.count(), 9, 'a lone member gets everything');
    await settle(host, consumers);
    assert.deepEqual(
      allPartitions(consumers),
      expected(
        new Map([
          [orders, 6],
          [payments, 3],
        ]),
      ),
    );
    assert.deepEqual(
      consumers.map((c) => c.count()),
      [3, 3, 3],
    );
    const group = host.group();
    assert.equal(group.state(), 'Stable');
    const { groupEpoch, assignmentEpoch } = group.epochs();
    assert.equal(groupEpoch, 3);
    assert.equal(assignmentEpoch, 3);
    for (const c of consumers) assert.equal(c.epoch, 3);
    const loaded = await host.store.load();
    assert.deepEqual(loaded.consumerGroups.get('g'), group.toStored());
  });

  it('a fourth member gets partitions only after their owners revoked them', async () => {
    const host = newHost();
    host.topic('orders', 6);
    host.topic('payments', 3);
    const consumers = [0, 1, 2].map(() => new SimConsumer(host, ['orders', 'payments']));
    await settle(host, consumers);
    for (const c of consumers) c.slow = true;
    const d = new SimConsumer(host, ['orders', 'payments']);
    const all = [...consumers, d];

    await d.heartbeat();
    assert.equal(d.epoch, 4, 'the joiner moves to the new epoch');
    assert.equal(d.count(), 0, 'everything it should get is still owned by others');
    assert.equal(host.group().state(), 'Reconciling');
    assertExclusive(host, all);

    // The owners learn what to revoke; they keep their epoch until they acknowledge.
    for (const c of consumers) {
      await c.heartbeat();
      assertExclusive(host, all);
    }
    const revoking = consumers.filter((c) => c.epoch === 3);
    assert.ok(revoking.length > 0, 'someone must give partitions up');
    // Heartbeats that still report the revoked partitions change nothing.
    for (const c of revoking) {
      const r = await c.heartbeat();
      assert.equal(r.memberEpoch, 3);
    }
    await d.heartbeat();
    assert.equal(d.count(), 0, 'nothing moves before the revocation is acknowledged');
    assertExclusive(host, all);

    for (const c of revoking) {
      c.finishRevocation();
      await c.heartbeat();
      assert.equal(c.epoch, 4, 'acknowledging moves the member to the new epoch');
      assertExclusive(host, all);
    }
    for (const c of consumers) c.slow = false;
    await settle(host, all);
    assert.deepEqual(all.map((c) => c.count()).sort(), [2, 2, 2, 3]);
    assert.equal(allPartitions(all).length, 9);
  });

  it('a member that leaves (epoch -1) and one that times out lose their partitions to the survivors', async () => {
    const host = newHost();
    host.topic('orders', 8);
    const consumers = [0, 1, 2, 3].map(() => new SimConsumer(host, ['orders']));
    await settle(host, consumers);
    const [a, b, c, d] = consumers as [SimConsumer, SimConsumer, SimConsumer, SimConsumer];

    const left = await b.heartbeat({ memberEpoch: -1, topicPartitions: [], subscribedTopicNames: [] });
    assert.equal(left.errorCode, 0);
    assert.equal(left.memberEpoch, -1);
    assert.equal(host.group().member(b.memberId), undefined);
    b.owned.clear();
    await settle(host, [a, c, d]);
    assert.equal(allPartitions([a, c, d]).length, 8);

    // d stops heartbeating; the others keep going.
    host.clock += 30_000;
    await a.heartbeat();
    await c.heartbeat();
    host.clock += 20_000;
    assert.equal(await host.group().expireMembers(), true);
    assert.equal(host.group().member(d.memberId), undefined, 'd missed its session timeout');
    assert.notEqual(host.group().member(a.memberId), undefined);
    d.owned.clear();
    await settle(host, [a, c]);
    assert.deepEqual([a.count(), c.count()], [4, 4]);
    assert.equal((await d.heartbeat()).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.deepEqual((await host.store.load()).consumerGroups.get('g'), host.group().toStored());
  });

  it('removes a member that does not revoke within its rebalance timeout', async () => {
    const host = newHost();
    host.topic('orders', 4);
    const a = new SimConsumer(host, ['orders']);
    await settle(host, [a]);
    a.slow = true;
    const b = new SimConsumer(host, ['orders']);
    await b.heartbeat();
    await a.heartbeat({ rebalanceTimeoutMs: 10_000 });
    assert.equal(a.epoch, 1, 'a is revoking at its old epoch');
    host.clock += 10_001;
    await b.heartbeat();
    assert.equal(await host.group().expireMembers(), true);
    assert.equal(host.group().member(a.memberId), undefined);
    await settle(host, [b]);
    assert.equal(b.count(), 4);
  });

  it('fences epochs ahead of the member, and behind it unless previous with owned ⊆ assignment', async () => {
    const host = newHost();
    host.topic('orders', 4);
    const a = new SimConsumer(host, ['orders']);
    await settle(host, [a]);
    const b = new SimConsumer(host, ['orders']);
    await settle(host, [a, b]);
    assert.equal(a.epoch, 2);
    assert.equal((await a.heartbeat({ memberEpoch: 3 })).errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
    // The previous epoch with a subset of the assignment: a lost response, accepted.
    const lost = await a.heartbeat({ memberEpoch: 1 });
    assert.equal(lost.errorCode, 0);
    assert.equal(lost.memberEpoch, 2);
    // The previous epoch claiming partitions it no longer has: fenced.
    const claim = [...b.owned].map(([topicId, partitions]) => ({ topicId, partitions }));
    assert.equal(
      (await a.heartbeat({ memberEpoch: 1, topicPartitions: claim })).errorCode,
      ErrorCode.FENCED_MEMBER_EPOCH,
    );
    assert.equal((await a.heartbeat({ memberEpoch: 2 })).errorCode, 0);
    // Unknown member id at a non-zero epoch.
    assert.equal((await a.heartbeat({ memberId: randomUUID() })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    // A fenced member rejoins with its id at epoch 0 and owns nothing until reconciled.
    a.owned.clear();
    a.epoch = 0;
    await settle(host, [a, b]);
    assert.equal(allPartitions([a, b]).length, 4);
  });

  it('static members: temporary leave keeps the partitions, a new incarnation takes them over', async () => {
    const host = newHost();
    host.topic('orders', 6);
    const s1 = new SimConsumer(host, ['orders'], { instanceId: 'instance-1' });
    const other = new SimConsumer(host, ['orders']);
    await settle(host, [s1, other]);
    const held = allPartitions([s1]);
    assert.equal(held.length, 3);
    const epochBefore = host.group().epochs().groupEpoch;

    // Another process with the same instance id while s1 is active.
    const intruder = new SimConsumer(host, ['orders'], { instanceId: 'instance-1' });
    assert.equal((await intruder.heartbeat()).errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
    // A heartbeat naming the instance with a different member id.
    assert.equal(
      (await intruder.heartbeat({ memberEpoch: s1.epoch })).errorCode,
      ErrorCode.FENCED_INSTANCE_ID,
    );

    const away = await s1.heartbeat({ memberEpoch: -2 });
    assert.equal(away.errorCode, 0);
    assert.equal(away.memberEpoch, -2);
    await other.heartbeat();
    assert.equal(other.count(), 3, 'the partitions of a static member away are not reassigned');
    assert.equal(host.group().epochs().groupEpoch, epochBefore);

    const s2 = new SimConsumer(host, ['orders'], { instanceId: 'instance-1' });
    const back = await s2.heartbeat();
    assert.equal(back.errorCode, 0);
    assert.deepEqual(allPartitions([s2]), held, 'the new incarnation gets the same partitions back');
    assert.equal(host.group().member(s1.memberId), undefined);
    assert.equal(host.group().epochs().groupEpoch, epochBefore, 'no rebalance');
    await settle(host, [s2, other]);

    // Leaving for good (-1) rebalances.
    s2.owned.clear();
    assert.equal((await s2.heartbeat({ memberEpoch: -1 })).errorCode, 0);
    await settle(host, [other]);
    assert.equal(other.count(), 6);
  });

  it('uses the assignor most members ask for: range gives contiguous ranges, uniform is the default', async () => {
    const host = newHost();
    host.topic('a', 4);
    host.topic('b', 4);
    const rangers = ['m1', 'm2'].map(
      (id) => new SimConsumer(host, ['a', 'b'], { serverAssignor: 'range', memberId: id }),
    );
    await settle(host, rangers);
    const described = host.group().describe();
    assert.equal(described.assignorName, 'range');
    const m1 = host.group().member('m1');
    for (const ps of m1?.assigned.values() ?? []) assert.deepEqual(ps, [0, 1]);

    const plain = [0, 1].map(() => new SimConsumer(host, ['a', 'b'], { groupId: 'g2' }));
    await settle(host, plain, 'g2');
    assert.equal(host.group('g2').describe().assignorName, 'uniform');
  });

  it('refuses unknown assignors, bad joins and a full group', async () => {
    const host = newHost();
    host.topic('a', 1);
    const c = new SimConsumer(host, ['a'], { serverAssignor: 'cooperative-sticky' });
    const r = await c.heartbeat();
    assert.equal(r.errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
    assert.match(r.errorMessage ?? '', /uniform, range/);
    const d = new SimConsumer(host, ['a']);
    assert.equal((await d.heartbeat({ rebalanceTimeoutMs: -1 })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await d.heartbeat({ topicPartitions: null })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await d.heartbeat({ subscribedTopicNames: null })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal((await d.heartbeat({ memberId: '' })).errorCode, ErrorCode.INVALID_REQUEST, 'v1: client id');
    assert.equal((await d.heartbeat({ memberEpoch: -3 })).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(
      (await d.heartbeat({ subscribedTopicRegex: '(unclosed' })).errorCode,
      ErrorCode.INVALID_REGULAR_EXPRESSION,
    );
    assert.equal(host.groups.size, 0, 'refused joins create no group');

    // v0: the coordinator generates the member id.
    const v0 = await consumerGroupHeartbeat(host, { ...d.request(), memberId: '', groupId: 'v0' }, ctx(0));
    assert.equal(v0.errorCode, 0);
    assert.match(v0.memberId ?? '', /^[0-9a-f-]{36}$/);

    host.config = { ...host.config, maxSize: 1 };
    const e = new SimConsumer(host, ['a'], { groupId: 'v0' });
    assert.equal((await e.heartbeat()).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  it('bumps the group epoch when a subscribed topic grows or a regex matches a new topic', async () => {
    const host = newHost();
    const orders = host.topic('orders', 2);
    const a = new SimConsumer(host, ['orders']);
    await settle(host, [a]);
    const before = host.group().epochs().groupEpoch;
    host.topic('orders', 4);
    await settle(host, [a]);
    assert.equal(host.group().epochs().groupEpoch, before + 1);
    assert.deepEqual(a.owned.get(orders), [0, 1, 2, 3]);

    const r = new SimConsumer(host, [], { groupId: 'rx' });
    await r.heartbeat({ subscribedTopicNames: null, subscribedTopicRegex: 'ord.*' });
    await settle(host, [r], 'rx');
    assert.deepEqual(r.owned.get(orders), [0, 1, 2, 3]);
    const more = host.topic('orders-eu', 2);
    host.topic('__consumer_offsets', 50);
    await settle(host, [r], 'rx');
    assert.deepEqual(r.owned.get(more), [0, 1]);
    assert.equal(r.owned.size, 2, 'internal topics are never matched');
  });

  it('sends the assignment only on full requests or when it changed', async () => {
    const host = newHost();
    host.topic('a', 2);
    const c = new SimConsumer(host, ['a']);
    await settle(host, [c]);
    const light = await c.heartbeat({
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      topicPartitions: null,
    });
    assert.equal(light.errorCode, 0);
    assert.equal(light.assignment, null);
    const full = await c.heartbeat();
    assert.notEqual(full.assignment, null);
  });

  it('survives a restart: toStored/fromStored round trip, members continue without a rebalance', async () => {
    const host = newHost();
    host.topic('orders', 5);
    const consumers = [0, 1].map(() => new SimConsumer(host, ['orders'], {}));
    await settle(host, consumers);
    const slow = new SimConsumer(host, ['orders']);
    consumers[0]!.slow = true;
    await slow.heartbeat();
    await consumers[0]!.heartbeat();
    const stored = (await host.store.load()).consumerGroups.get('g');
    assert.ok(stored !== undefined);
    assert.deepEqual(stored, host.group().toStored());

    const before = host.group().epochs();
    host.group().close();
    const restored = ConsumerGroup.fromStored(stored, host);
    host.groups.set('g', restored);
    assert.deepEqual(restored.toStored(), stored);
    assert.deepEqual(restored.epochs(), before);
    assert.equal(restored.state(), 'Reconciling');
    for (const c of consumers) c.slow = false;
    await settle(host, [...consumers, slow]);
    assert.equal(restored.epochs().groupEpoch, before.groupEpoch, 'no epoch bump caused by the restart');
    assert.equal(allPartitions([...consumers, slow]).length, 5);
  });

  it('checks offset commits and fetches against member epochs', async () => {
    const host = newHost();
    host.topic('a', 2);
    const c = new SimConsumer(host, ['a']);
    await settle(host, [c]);
    const g = host.group();
    assert.equal(g.validateOffsetCommit(c.memberId, null, c.epoch, 9), 0);
    assert.equal(g.validateOffsetCommit(c.memberId, null, c.epoch - 1, 9), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(g.validateOffsetCommit('nobody', null, 1, 9), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(
      g.validateOffsetCommit('', null, -1, 9),
      ErrorCode.UNKNOWN_MEMBER_ID,
      'the group has members',
    );
    assert.equal(g.validateOffsetFetch(c.memberId, c.epoch), 0);
    assert.equal(g.validateOffsetFetch(c.memberId, c.epoch + 1), ErrorCode.STALE_MEMBER_EPOCH);
    assert.equal(g.validateOffsetFetch(null, -1), 0);
    await c.heartbeat({ memberEpoch: -1 });
    assert.equal(g.state(), 'Empty');
    assert.equal(g.validateOffsetCommit('', null, -1, 9), 0, 'admin commit on an empty group');
    g.close();
    assert.equal(g.state(), 'Dead');
  });

  it('ConsumerGroupDescribe: members with current and target assignments; unknown and classic groups', async () => {
    const host = newHost();
    const orders = host.topic('orders', 4);
    const [a, b] = [0, 1].map(() => new SimConsumer(host, ['orders'])) as [SimConsumer, SimConsumer];
    await settle(host, [a]);
    a.slow = true;
    await b.heartbeat();
    await a.heartbeat();
    const classic: Group = {
      groupId: 'old',
      type: 'classic',
      protocolType: 'consumer',
      state: () => 'Stable',
      isEmpty: () => false,
      validateOffsetCommit: () => 0,
      validateOffsetFetch: () => 0,
      close: () => {},
    };
    host.groups.set('old', classic);
    const handler = createConsumerGroupDescribeHandler(host);
    const res = (await handler.handle(
      { groupIds: ['g', 'nope', 'old', ''], includeAuthorizedOperations: false },
      ctx(0),
    )) as ConsumerGroupDescribeResponse;
    const [g, nope, old, empty] = res.groups;
    assert.equal(g?.errorCode, 0);
    assert.equal(g?.groupState, 'Reconciling');
    assert.equal(g?.assignorName, 'uniform');
    assert.equal(g?.groupEpoch, 2);
    assert.equal(g?.assignmentEpoch, 2);
    const ma = g?.members.find((m) => m.memberId === a.memberId);
    assert.equal(ma?.memberEpoch, 1, 'a is still revoking at epoch 1');
    assert.equal(ma?.clientId, 'test-client');
    assert.equal(ma?.clientHost, '/127.0.0.1');
    assert.deepEqual(ma?.subscribedTopicNames, ['orders']);
    assert.equal(ma?.assignment.topicPartitions[0]?.topicName, 'orders');
    assert.equal(ma?.assignment.topicPartitions[0]?.topicId, orders);
    assert.equal(ma?.assignment.topicPartitions[0]?.partitions.length, 2, 'assignment minus what it revokes');
    assert.equal(ma?.targetAssignment.topicPartitions[0]?.partitions.length, 2);
    assert.equal(nope?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.equal(old?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    assert.match(old?.errorMessage ?? '', /not a consumer group/);
    assert.equal(empty?.errorCode, ErrorCode.INVALID_GROUP_ID);

    // A heartbeat cannot take over a classic group with members; an empty one is replaced.
    const joiner = new SimConsumer(host, ['orders'], { groupId: 'old' });
    assert.equal((await joiner.heartbeat()).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    let closed = false;
    host.groups.set('old', { ...classic, isEmpty: () => true, close: () => (closed = true) });
    assert.equal((await joiner.heartbeat()).errorCode, 0);
    assert.ok(host.group('old') instanceof ConsumerGroup);
    assert.ok(closed, 'the coordinator closed the classic group it replaced');
  });
});
