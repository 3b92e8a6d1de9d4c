// A lean classic-protocol group member over the repository's raw client: JoinGroup (with the
// MEMBER_ID_REQUIRED round trip), SyncGroup with a range assignment computed by the leader,
// Heartbeat, LeaveGroup, OffsetCommit/OffsetFetch. No timers of its own: the caller decides when
// to heartbeat and rejoin, so what it measures is the broker (groups-bad-input.test.ts and
// bench/kafka/groups.bench.ts).
import { RawClient } from '../../../../src/kafka/broker/raw-client.ts';
import {
  type ApiVersionsResponse,
  defaultOffsetFetchRequest,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type LeaveGroupResponse,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type SyncGroupResponse,
} from '../../../../src/kafka/protocol/index.ts';

export const API = {
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
} as const;

export const MEMBER_ID_REQUIRED = 79;

/** ConsumerProtocolSubscription v0: the topics a member wants. */
export function encodeSubscription(topics: readonly string[]): Buffer {
  const parts = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) parts.push(str(t));
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

/** ConsumerProtocolAssignment v0: one topic's partitions. */
export function encodeAssignment(topic: string, partitions: readonly number[]): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0]),
    int32(1),
    str(topic),
    int32(partitions.length),
    ...partitions.map(int32),
    int32(-1),
  ]);
}

/** The partitions of `topic` in a ConsumerProtocolAssignment (any version: known prefix). */
export function decodeAssignment(bytes: Buffer, topic: string): number[] {
  if (bytes.length < 6) return [];
  let at = 2;
  const topics = bytes.readInt32BE(at);
  at += 4;
  const out: number[] = [];
  for (let i = 0; i < topics; i++) {
    const len = bytes.readInt16BE(at);
    const name = bytes.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    const n = bytes.readInt32BE(at);
    at += 4;
    for (let j = 0; j < n; j++, at += 4) if (name === topic) out.push(bytes.readInt32BE(at));
  }
  return out;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function str(s: string): Buffer {
  const body = Buffer.from(s);
  const b = Buffer.alloc(2);
  b.writeInt16BE(body.length);
  return Buffer.concat([b, body]);
}

/** Range assignment of `partitions` over `members` (sorted), as Kafka's RangeAssignor does per topic. */
export function rangeAssign(members: readonly string[], partitions: number): Map<string, number[]> {
  const sorted = [...members].sort();
  const per = Math.floor(partitions / sorted.length);
  const extra = partitions % sorted.length;
  const out = new Map<string, number[]>();
  let next = 0;
  for (const [i, m] of sorted.entries()) {
    const n = per + (i < extra ? 1 : 0);
    out.set(
      m,
      Array.from({ length: n }, (_, k) => next + k),
    );
    next += n;
  }
  return out;
}

/** The highest version of each API the broker announces (ApiVersions v3). */
export async function brokerVersions(client: RawClient): Promise<Map<number, number>> {
  const res = await client.call<ApiVersionsResponse>(API.ApiVersions, 3, 0, {
    clientSoftwareName: 'sluice-groups-it',
    clientSoftwareVersion: '1',
  });
  return new Map(res.apiKeys.map((k) => [k.apiKey, k.maxVersion]));
}

export interface MemberOptions {
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly instanceId?: string;
}

export class RawGroupMember {
  readonly client: RawClient;
  readonly groupId: string;
  readonly topic: string;
  readonly versions: Map<number, number>;
  readonly options: MemberOptions;
  memberId = '';
  generation = -1;
  leader = '';
  assignment: number[] = [];
  private correlation = 1;

  private constructor(
    client: RawClient,
    versions: Map<number, number>,
    groupId: string,
    topic: string,
    options: MemberOptions,
  ) {
    this.client = client;
    this.versions = versions;
    this.groupId = groupId;
    this.topic = topic;
    this.options = options;
  }

  static async open(
    port: number,
    groupId: string,
    topic: string,
    options: MemberOptions = {},
  ): Promise<RawGroupMember> {
    const client = await RawClient.open(port);
    client.socket.setNoDelay(true);
    return new RawGroupMember(client, await brokerVersions(client), groupId, topic, options);
  }

  version(apiKey: number): number {
    const v = this.versions.get(apiKey);
    if (v === undefined) throw new Error(`the broker does not announce API ${apiKey}`);
    return v;
  }

  call<T>(apiKey: number, body: unknown, version = this.version(apiKey)): Promise<T> {
    return this.client.call<T>(apiKey, version, this.correlation++, body);
  }

  /** JoinGroup, repeating it once with the member id the broker requires (v4+). */
  async join(): Promise<JoinGroupResponse> {
    for (;;) {
      const res = await this.call<JoinGroupResponse>(API.JoinGroup, {
        groupId: this.groupId,
        sessionTimeoutMs: this.options.sessionTimeoutMs ?? 10_000,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? 30_000,
        memberId: this.memberId,
        groupInstanceId: this.options.instanceId ?? null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription([this.topic]) }],
        reason: null,
      });
      if (res.errorCode === MEMBER_ID_REQUIRED && this.memberId === '') {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode === 0) {
        this.memberId = res.memberId;
        this.generation = res.generationId;
        this.leader = res.leader;
      }
      return res;
    }
  }

  /** SyncGroup; the leader assigns `partitions` by range over the members JoinGroup named. */
  async sync(join: JoinGroupResponse, partitions: number): Promise<SyncGroupResponse> {
    const assignments =
      join.leader === this.memberId
        ? [
            ...rangeAssign(
              join.members.map((m) => m.memberId),
              partitions,
            ),
          ].map(([memberId, ps]) => ({
            memberId,
            assignment: encodeAssignment(this.topic, ps),
          }))
        : [];
    const res = await this.call<SyncGroupResponse>(API.SyncGroup, {
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: this.options.instanceId ?? null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments,
    });
    if (res.errorCode === 0) this.assignment = decodeAssignment(res.assignment, this.topic);
    return res;
  }

  /** Join then sync, rejoining while the broker answers REBALANCE_IN_PROGRESS (27). */
  async joinAndSync(partitions: number): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const join = await this.join();
      if (join.errorCode === 27) continue;
      if (join.errorCode !== 0) throw new Error(`JoinGroup ${this.groupId}: error ${join.errorCode}`);
      const sync = await this.sync(join, partitions);
      if (sync.errorCode === 27) continue;
      if (sync.errorCode !== 0) throw new Error(`SyncGroup ${this.groupId}: error ${sync.errorCode}`);
      return;
    }
    throw new Error(`${this.groupId}: still rebalancing after 20 rounds`);
  }

  async heartbeat(): Promise<number> {
    const res = await this.call<HeartbeatResponse>(API.Heartbeat, {
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: this.options.instanceId ?? null,
    });
    return res.errorCode;
  }

  async leave(): Promise<LeaveGroupResponse> {
    // v0-2 name the member at the top level; v3+ in a batch of members.
    return this.call<LeaveGroupResponse>(
      API.LeaveGroup,
      this.version(API.LeaveGroup) >= 3
        ? {
            groupId: this.groupId,
            memberId: '',
            members: [
              { memberId: this.memberId, groupInstanceId: this.options.instanceId ?? null, reason: null },
            ],
          }
        : { groupId: this.groupId, memberId: this.memberId, members: [] },
    );
  }

  /** OffsetCommit of `offsets` ([topic, partition, offset, metadata]) as this member's generation. */
  async commit(
    offsets: readonly (readonly [string, number, number, string | null])[],
    generation = this.generation,
    memberId = this.memberId,
  ): Promise<OffsetCommitResponse> {
    return this.call<OffsetCommitResponse>(
      API.OffsetCommit,
      commitRequest(this.groupId, generation, memberId, offsets),
    );
  }

  async fetchOffsets(topic: string, partitions: readonly number[]): Promise<OffsetFetchResponse> {
    const v = this.version(API.OffsetFetch);
    return this.call<OffsetFetchResponse>(
      API.OffsetFetch,
      offsetFetchRequest(v, this.groupId, topic, partitions),
      v,
    );
  }

  close(): void {
    this.client.socket.destroy();
  }
}

export function commitRequest(
  groupId: string,
  generation: number,
  memberId: string,
  offsets: readonly (readonly [string, number, number, string | null])[],
): unknown {
  const topics = new Map<
    string,
    {
      partitionIndex: number;
      committedOffset: bigint;
      committedLeaderEpoch: number;
      commitTimestamp: bigint;
      committedMetadata: string | null;
    }[]
  >();
  for (const [topic, partition, offset, metadata] of offsets) {
    const list = topics.get(topic) ?? [];
    list.push({
      partitionIndex: partition,
      committedOffset: BigInt(offset),
      committedLeaderEpoch: -1,
      commitTimestamp: -1n,
      committedMetadata: metadata,
    });
    topics.set(topic, list);
  }
  return {
    groupId,
    generationIdOrMemberEpoch: generation,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
  };
}

/** OffsetFetch for one group, in the v0-7 (top-level) or v8+ (groups array) shape. */
export function offsetFetchRequest(
  version: number,
  groupId: string,
  topic: string,
  partitions: readonly number[],
): OffsetFetchRequest {
  const topics = [{ name: topic, partitionIndexes: [...partitions] }];
  return version >= 8
    ? { ...defaultOffsetFetchRequest(), groups: [{ groupId, memberId: null, memberEpoch: -1, topics }] }
    : { ...defaultOffsetFetchRequest(), groupId, topics };
}

/** Per-partition [offset, metadata, errorCode] of an OffsetFetch answer, whichever shape it has. */
export function fetchedOffsets(res: OffsetFetchResponse): Map<number, [number, string | null, number]> {
  const topics = res.groups.length > 0 ? res.groups[0]!.topics : res.topics;
  const out = new Map<number, [number, string | null, number]>();
  for (const t of topics) {
    for (const p of t.partitions)
      out.set(p.partitionIndex, [Number(p.committedOffset), p.metadata, p.errorCode]);
  }
  return out;
}
