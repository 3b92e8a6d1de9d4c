import { randomUUID } from 'node:crypto';
import {
  type ConsumerGroupDescribeResponseDescribedGroup,
  type ConsumerGroupDescribeResponseTopicPartitions,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatRequestTopicPartitions,
  type ConsumerGroupHeartbeatResponse,
  defaultConsumerGroupHeartbeatResponse,
  ErrorCode,
} from '../../protocol/index.ts';
import type { Group } from './group.ts';
import type { GroupStore, StoredConsumerGroup, StoredConsumerGroupMember } from './group-store.ts';
import { rangeAssignor } from './range-assignor.ts';
import { compareStrings, type ServerAssignor, type TopicAssignment } from './server-assignor.ts';
import { uniformAssignor } from './uniform-assignor.ts';

/**
 * KIP-848 consumer groups (`group.protocol=consumer`): membership by ConsumerGroupHeartbeat and
 * assignment computed here by a server-side assignor.
 *
 * The group epoch is bumped when a member joins or leaves, changes its subscription, or the
 * subscribed topics change (partition count, creation/deletion, regex matches). A new target
 * assignment is computed at the new epoch. Each member then reconciles towards its target: it
 * first gives up the partitions it must revoke (it keeps its epoch and is sent its assignment
 * minus those partitions until it reports, in `TopicPartitions`, that it no longer owns them), then
 * moves to the target epoch and receives the partitions of its target that no other member still
 * owns (the rest follow on later heartbeats, once released). So no partition is owned by two
 * members at any time.
 */

/** A topic as the group sees it (the coordinator reads the topic registry). */
export interface ConsumerGroupTopic {
  readonly id: string;
  readonly name: string;
  readonly partitionCount: number;
}

export interface ConsumerGroupTopics {
  byName(name: string): ConsumerGroupTopic | undefined;
  byId(id: string): ConsumerGroupTopic | undefined;
  /** Every topic (regex subscriptions are resolved against it). */
  list(): Iterable<ConsumerGroupTopic>;
}

/** The broker configs of KIP-848 groups (read at each heartbeat, so dynamic values apply). */
export interface ConsumerGroupConfig {
  /** `group.consumer.session.timeout.ms` (Kafka: 45000). */
  readonly sessionTimeoutMs: number;
  /** `group.consumer.heartbeat.interval.ms` (Kafka: 5000). */
  readonly heartbeatIntervalMs: number;
  /** `group.consumer.assignors`: the names in order; the first is the default. */
  readonly assignors: readonly string[];
  /** `group.consumer.max.size` (Kafka: Integer.MAX_VALUE). */
  readonly maxSize: number;
}

/**
 * What KIP-848 groups and their two handlers need from the group coordinator. The coordinator
 * holds every group (classic and consumer) by id and their committed offsets.
 */
export interface ConsumerGroupHost {
  /** The group of either type with this id, if any. */
  getGroup(groupId: string): Group | undefined;
  /** Registers a new consumer group, replacing (and closing) an empty classic group of that id. */
  putGroup(group: ConsumerGroup): void;
  readonly topics: ConsumerGroupTopics;
  readonly store: GroupStore;
  /** Wall-clock ms (injected in tests). */
  now(): number;
  consumerGroupConfig(): ConsumerGroupConfig;
  /** Called when a timer-driven change (member expiry) could not be persisted; for logging. */
  onBackgroundError?(error: unknown): void;
}

/** Assignors by name: `group.consumer.assignors` may name these. */
export const SERVER_ASSIGNORS: ReadonlyMap<string, ServerAssignor> = new Map([
  [uniformAssignor.name, uniformAssignor],
  [rangeAssignor.name, rangeAssignor],
]);

export const JOIN_GROUP_MEMBER_EPOCH = 0;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
/** From this ConsumerGroupHeartbeat version the client generates its member id (KIP-1082). */
export const CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION = 1;

/** Kafka's internal topics, never matched by a subscription regex. */
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

type MemberState = 'stable' | 'unrevoked' | 'unreleased';

interface Member {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  rebalanceTimeoutMs: number;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: TopicAssignment;
  pendingRevocation: TopicAssignment;
  sessionDeadline: number;
  /** Set while the member must revoke partitions: past it, the member is removed. */
  rebalanceDeadline: number | null;
}

/** The request fields a heartbeat carries besides the body. */
export interface HeartbeatContext {
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface HeartbeatResult {
  readonly response: ConsumerGroupHeartbeatResponse;
  /** The group's stored state changed: persist `toStored()` before answering. */
  readonly changed: boolean;
}

function errorResponse(errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResponse {
  return { ...defaultConsumerGroupHeartbeatResponse(), errorCode, errorMessage };
}

function emptyString(s: string | null): boolean {
  return s !== null && s.trim().length === 0;
}

/**
 * Kafka's request checks before any group is looked at: INVALID_REQUEST for missing or empty
 * fields, INVALID_REGULAR_EXPRESSION for a regex that does not compile, UNSUPPORTED_ASSIGNOR for
 * an assignor not in `group.consumer.assignors`. Null when valid.
 */
export function validateHeartbeatRequest(
  request: ConsumerGroupHeartbeatRequest,
  apiVersion: number,
  assignors: readonly string[],
): ConsumerGroupHeartbeatResponse | null {
  const invalid = (message: string) => errorResponse(ErrorCode.INVALID_REQUEST, message);
  if (
    (apiVersion >= CONSUMER_GENERATED_MEMBER_ID_REQUIRED_VERSION ||
      request.memberEpoch > 0 ||
      request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) &&
    emptyString(request.memberId)
  ) {
    return invalid("MemberId can't be empty.");
  }
  if (emptyString(request.groupId)) return invalid("GroupId can't be empty.");
  if (emptyString(request.instanceId)) return invalid("InstanceId can't be empty.");
  if (emptyString(request.rackId)) return invalid("RackId can't be empty.");
  if (request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
    if (request.rebalanceTimeoutMs === -1)
      return invalid('RebalanceTimeoutMs must be provided in first request.');
    if (request.topicPartitions === null || request.topicPartitions.length > 0) {
      return invalid('TopicPartitions must be empty when (re-)joining.');
    }
    if (request.subscribedTopicNames === null && request.subscribedTopicRegex === null) {
      return invalid(
        'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.',
      );
    }
  } else if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (request.instanceId === null) return invalid("InstanceId can't be null.");
  } else if (request.memberEpoch < LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    return invalid('MemberEpoch is invalid.');
  }
  const regex = request.subscribedTopicRegex;
  if (regex !== null && regex !== '' && compileRegex(regex) === null) {
    return errorResponse(
      ErrorCode.INVALID_REGULAR_EXPRESSION,
      `SubscribedTopicRegex \`${regex}\` is not a valid regular expression.`,
    );
  }
  if (request.serverAssignor !== null && !assignors.includes(request.serverAssignor)) {
    return errorResponse(
      ErrorCode.UNSUPPORTED_ASSIGNOR,
      `ServerAssignor ${request.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`,
    );
  }
  return null;
}

/** A subscription regex as Kafka matches it: the whole topic name (Java `Matcher.matches`). */
function compileRegex(regex: string): RegExp | null {
  try {
    return new RegExp(`^(?:${regex})$`, 'u');
  } catch {
    return null;
  }
}

function copyAssignment(a: ReadonlyMap<string, readonly number[]>): TopicAssignment {
  const out: TopicAssignment = new Map();
  for (const [t, ps] of a)
    if (ps.length > 0)
      out.set(
        t,
        [...ps].sort((x, y) => x - y),
      );
  return out;
}

function sameAssignment(
  a: ReadonlyMap<string, readonly number[]>,
  b: ReadonlyMap<string, readonly number[]>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [t, ps] of a) {
    const qs = b.get(t);
    if (qs === undefined || qs.length !== ps.length) return false;
    for (let i = 0; i < ps.length; i++) if (ps[i] !== qs[i]) return false;
  }
  return true;
}

function sameMap(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameStringSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.size !== sb.size) return false;
  for (const x of sa) if (!sb.has(x)) return false;
  return true;
}

function toResponsePartitions(a: TopicAssignment): { topicId: string; partitions: number[] }[] {
  return [...a].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions] }));
}

/** True when the reported partitions are all in `assignment` (Kafka's check of a lost response). */
function isSubset(
  owned: readonly ConsumerGroupHeartbeatRequestTopicPartitions[] | null,
  assignment: TopicAssignment,
): boolean {
  if (owned === null) return false;
  for (const tp of owned) {
    const mine = assignment.get(tp.topicId);
    if (mine === undefined) {
      if (tp.partitions.length > 0) return false;
      continue;
    }
    for (const p of tp.partitions) if (!mine.includes(p)) return false;
  }
  return true;
}

/** Whether the member still reports any of `pending` (null = it did not say: assume it does). */
function ownsAny(
  owned: readonly ConsumerGroupHeartbeatRequestTopicPartitions[] | null,
  pending: TopicAssignment,
): boolean {
  if (owned === null) return true;
  for (const tp of owned) {
    const revoke = pending.get(tp.topicId);
    if (revoke === undefined) continue;
    for (const p of tp.partitions) if (revoke.includes(p)) return true;
  }
  return false;
}

export class ConsumerGroup implements Group {
  readonly groupId: string;
  readonly type = 'consumer' as const;
  readonly protocolType = 'consumer';

  private readonly host: ConsumerGroupHost;
  private groupEpoch = 0;
  private assignmentEpoch = 0;
  private readonly members = new Map<string, Member>();
  /** instance id → member id of static members. */
  private readonly staticMembers = new Map<string, string>();
  /** member id → its target assignment at `assignmentEpoch`. */
  private target = new Map<string, TopicAssignment>();
  /** topic id → partition → the member that owns it (assigned or still pending revocation). */
  private readonly owners = new Map<string, Map<number, string>>();
  /**
   * What the subscriptions resolve to: `t:<topic id>` → partition count, `r:<regex>` → matched
   * topic ids. A difference from the current topics bumps the group epoch.
   */
  private subscriptionMetadata = new Map<string, string | number>();
  private assignorName: string;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(groupId: string, host: ConsumerGroupHost) {
    this.groupId = groupId;
    this.host = host;
    this.assignorName = host.consumerGroupConfig().assignors[0] ?? uniformAssignor.name;
  }

  /** Rebuilds a group persisted with `toStored()`; members get a fresh session timeout. */
  static fromStored(stored: StoredConsumerGroup, host: ConsumerGroupHost): ConsumerGroup {
    const g = new ConsumerGroup(stored.groupId, host);
    g.groupEpoch = stored.groupEpoch;
    g.assignmentEpoch = stored.assignmentEpoch;
    g.target = new Map([...stored.targetAssignment].map(([id, a]) => [id, copyAssignment(a)]));
    const now = host.now();
    const cfg = host.consumerGroupConfig();
    for (const s of stored.members) {
      const m: Member = {
        memberId: s.memberId,
        instanceId: s.instanceId,
        rackId: s.rackId,
        clientId: s.clientId,
        clientHost: s.clientHost,
        subscribedTopicNames: [...s.subscribedTopicNames],
        subscribedTopicRegex: s.subscribedTopicRegex,
        serverAssignor: s.serverAssignor,
        rebalanceTimeoutMs: s.rebalanceTimeoutMs,
        memberEpoch: s.memberEpoch,
        previousMemberEpoch: s.previousMemberEpoch,
        state: 'stable',
        assigned: copyAssignment(s.assignedPartitions),
        pendingRevocation: copyAssignment(s.partitionsPendingRevocation),
        sessionDeadline: now + cfg.sessionTimeoutMs,
        rebalanceDeadline: null,
      };
      if (m.pendingRevocation.size > 0) {
        m.state = 'unrevoked';
        m.rebalanceDeadline = now + m.rebalanceTimeoutMs;
      } else if (m.memberEpoch === g.assignmentEpoch && !sameAssignment(m.assigned, g.targetOf(m.memberId))) {
        m.state = 'unreleased';
      }
      g.members.set(m.memberId, m);
      if (m.instanceId !== null) g.staticMembers.set(m.instanceId, m.memberId);
      g.setOwnership(m, m.assigned, m.pendingRevocation);
    }
    // What the stored target covers stands for the metadata it was computed from, so a restart
    // alone does not bump the epoch; topics that changed while stopped do, at the next heartbeat.
    const counts = new Map<string, number>();
    for (const a of g.target.values()) {
      for (const [t, ps] of a) counts.set(t, Math.max(counts.get(t) ?? 0, ...ps.map((p) => p + 1)));
    }
    const resolved = g.resolveSubscriptions();
    for (const [key, value] of resolved.metadata) {
      if (key.startsWith('r:')) g.subscriptionMetadata.set(key, value);
    }
    for (const [t, n] of counts) g.subscriptionMetadata.set(`t:${t}`, n);
    g.assignorName = g.preferredAssignor();
    g.armTimer();
    return g;
  }

  toStored(): StoredConsumerGroup {
    const members: StoredConsumerGroupMember[] = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: [...m.subscribedTopicNames],
      subscribedTopicRegex: m.subscribedTopicRegex,
      serverAssignor: m.serverAssignor,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      assignedPartitions: copyAssignment(m.assigned),
      partitionsPendingRevocation: copyAssignment(m.pendingRevocation),
    }));
    return {
      groupId: this.groupId,
      groupEpoch: this.groupEpoch,
      assignmentEpoch: this.assignmentEpoch,
      members,
      targetAssignment: new Map([...this.target].map(([id, a]) => [id, copyAssignment(a)])),
    };
  }

  state(): string {
    if (this.closed) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) {
      if (m.state !== 'stable' || m.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    }
    return 'Stable';
  }

  isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** The epochs, for tests and tools. */
  epochs(): { groupEpoch: number; assignmentEpoch: number } {
    return { groupEpoch: this.groupEpoch, assignmentEpoch: this.assignmentEpoch };
  }

  /** A member's epoch and what it owns now (assigned + pending revocation), or undefined. */
  member(memberId: string):
    | {
        memberEpoch: number;
        assigned: ReadonlyMap<string, readonly number[]>;
        pendingRevocation: ReadonlyMap<string, readonly number[]>;
        target: ReadonlyMap<string, readonly number[]>;
      }
    | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    return {
      memberEpoch: m.memberEpoch,
      assigned: copyAssignment(m.assigned),
      pendingRevocation: copyAssignment(m.pendingRevocation),
      target: copyAssignment(this.targetOf(memberId)),
    };
  }

  memberIds(): string[] {
    return [...this.members.keys()];
  }

  validateOffsetCommit(
    memberId: string,
    _groupInstanceId: string | null,
    generation: number,
    _apiVersion: number,
  ): number {
    // Standalone commits (admin tools, manual assignment) are allowed while nobody is a member.
    if (generation < 0 && this.members.size === 0) return 0;
    const m = this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return 0;
  }

  validateOffsetFetch(memberId: string | null, memberEpoch: number): number {
    if (memberEpoch < 0 && (memberId === null || memberId === '')) return 0;
    const m = memberId === null ? undefined : this.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return 0;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * One ConsumerGroupHeartbeat (already checked by `validateHeartbeatRequest`). Synchronous: the
   * state changes and the response are computed together; the caller persists before answering.
   */
  heartbeat(request: ConsumerGroupHeartbeatRequest, ctx: HeartbeatContext): HeartbeatResult {
    const now = this.host.now();
    const cfg = this.host.consumerGroupConfig();
    if (
      request.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH ||
      request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH
    ) {
      return this.leave(request);
    }

    const memberId = request.memberId === '' ? randomUUID() : request.memberId;
    let member: Member;
    let dirty = false;
    if (request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
      const joined = this.join(memberId, request.instanceId, now, cfg);
      if ('response' in joined) return joined;
      member = joined.member;
      dirty = true;
    } else {
      const found = this.findMember(memberId, request.instanceId);
      if ('response' in found) return found;
      member = found.member;
      const epochError = this.checkEpoch(member, request.memberEpoch, request.topicPartitions);
      if (epochError !== null) return { response: epochError, changed: false };
    }
    const before = {
      epoch: member.memberEpoch,
      assigned: member.assigned,
      pending: member.pendingRevocation,
    };

    // 1. Member metadata; a changed subscription bumps the group epoch.
    let bump = this.groupEpoch === 0;
    if (request.rackId !== null && request.rackId !== member.rackId) {
      member.rackId = request.rackId;
      dirty = true;
    }
    if (request.rebalanceTimeoutMs !== -1 && request.rebalanceTimeoutMs !== member.rebalanceTimeoutMs) {
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
      dirty = true;
    }
    if (request.serverAssignor !== null && request.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = request.serverAssignor;
      dirty = true;
    }
    if (
      request.subscribedTopicNames !== null &&
      !sameStringSet(request.subscribedTopicNames, member.subscribedTopicNames)
    ) {
      member.subscribedTopicNames = [...new Set(request.subscribedTopicNames)];
      bump = true;
      dirty = true;
    }
    if (request.subscribedTopicRegex !== null) {
      const regex = request.subscribedTopicRegex === '' ? null : request.subscribedTopicRegex;
      if (regex !== member.subscribedTopicRegex) {
        member.subscribedTopicRegex = regex;
        bump = true;
        dirty = true;
      }
    }
    if (ctx.clientId !== member.clientId || ctx.clientHost !== member.clientHost) {
      member.clientId = ctx.clientId;
      member.clientHost = ctx.clientHost;
      dirty = true;
    }

    // The subscribed topics as they are now: created, deleted or grown topics bump the epoch.
    const resolved = this.resolveSubscriptions();
    if (!sameMap(resolved.metadata, this.subscriptionMetadata)) bump = true;
    if (bump) {
      this.groupEpoch++;
      this.subscriptionMetadata = resolved.metadata;
      dirty = true;
    }

    // 2. A new target assignment at the new group epoch.
    if (this.groupEpoch > this.assignmentEpoch) {
      this.computeTargetAssignment(resolved.subscribedIds, resolved.counts);
      dirty = true;
    }

    // 3. Reconciliation of this member towards its target.
    this.reconcile(member, request.topicPartitions, now);
    member.sessionDeadline = now + cfg.sessionTimeoutMs;
    this.armTimer();

    const assignmentChanged = !sameAssignment(before.assigned, member.assigned);
    if (
      assignmentChanged ||
      before.epoch !== member.memberEpoch ||
      !sameAssignment(before.pending, member.pendingRevocation)
    ) {
      dirty = true;
    }
    const fullRequest =
      request.memberEpoch === JOIN_GROUP_MEMBER_EPOCH ||
      (request.rebalanceTimeoutMs !== -1 &&
        request.subscribedTopicNames !== null &&
        request.topicPartitions !== null);
    return {
      response: {
        ...defaultConsumerGroupHeartbeatResponse(),
        memberId: member.memberId,
        memberEpoch: member.memberEpoch,
        heartbeatIntervalMs: cfg.heartbeatIntervalMs,
        assignment:
          fullRequest || assignmentChanged
            ? { topicPartitions: toResponsePartitions(member.assigned) }
            : null,
      },
      changed: dirty,
    };
  }

  /** Removes members whose session or revocation deadline has passed; persists when any was. */
  async expireMembers(): Promise<boolean> {
    if (this.closed) return false;
    const now = this.host.now();
    let removed = false;
    for (const m of [...this.members.values()]) {
      const revocationLate =
        m.state === 'unrevoked' && m.rebalanceDeadline !== null && m.rebalanceDeadline <= now;
      if (m.sessionDeadline <= now || revocationLate) {
        this.removeMember(m);
        removed = true;
      }
    }
    this.armTimer();
    if (removed) await this.host.store.storeConsumerGroup(this.toStored());
    return removed;
  }

  /** ConsumerGroupDescribe's view of this group. */
  describe(): ConsumerGroupDescribeResponseDescribedGroup {
    const named = (a: TopicAssignment): ConsumerGroupDescribeResponseTopicPartitions[] => {
      const out: ConsumerGroupDescribeResponseTopicPartitions[] = [];
      for (const [topicId, partitions] of a) {
        const topic = this.host.topics.byId(topicId);
        if (topic === undefined) continue;
        out.push({ topicId, topicName: topic.name, partitions: [...partitions] });
      }
      return out;
    };
    return {
      errorCode: 0,
      errorMessage: null,
      groupId: this.groupId,
      groupState: this.state(),
      groupEpoch: this.groupEpoch,
      assignmentEpoch: this.assignmentEpoch,
      assignorName: this.assignorName,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: { topicPartitions: named(m.assigned) },
        targetAssignment: { topicPartitions: named(this.targetOf(m.memberId)) },
      })),
      authorizedOperations: -2147483648,
    };
  }

  // --- membership ---

  private join(
    memberId: string,
    instanceId: string | null,
    now: number,
    cfg: ConsumerGroupConfig,
  ): { member: Member } | HeartbeatResult {
    const fresh = (): Member => ({
      memberId,
      instanceId,
      rackId: null,
      clientId: '',
      clientHost: '',
      subscribedTopicNames: [],
      subscribedTopicRegex: null,
      serverAssignor: null,
      rebalanceTimeoutMs: -1,
      memberEpoch: 0,
      previousMemberEpoch: 0,
      state: 'stable',
      assigned: new Map(),
      pendingRevocation: new Map(),
      sessionDeadline: now + cfg.sessionTimeoutMs,
      rebalanceDeadline: null,
    });
    const full = (): HeartbeatResult => ({
      response: errorResponse(
        ErrorCode.GROUP_MAX_SIZE_REACHED,
        `The consumer group has reached its maximum capacity of ${cfg.maxSize} members.`,
      ),
      changed: false,
    });

    const existing = this.members.get(memberId);
    const staticOwnerId = instanceId === null ? undefined : this.staticMembers.get(instanceId);
    if (instanceId !== null && staticOwnerId !== undefined && staticOwnerId !== memberId) {
      const previous = this.members.get(staticOwnerId) as Member;
      if (previous.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        return {
          response: errorResponse(
            ErrorCode.UNRELEASED_INSTANCE_ID,
            `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${staticOwnerId} member.`,
          ),
          changed: false,
        };
      }
      if (existing !== undefined) this.removeMember(existing);
      // The new incarnation takes the place of the one that left temporarily: its subscription,
      // assignment and target, at epoch 0, so reconciling gives it the same partitions back.
      const member: Member = {
        ...previous,
        memberId,
        memberEpoch: 0,
        previousMemberEpoch: 0,
        state: 'stable',
        assigned: copyAssignment(previous.assigned),
        pendingRevocation: copyAssignment(previous.pendingRevocation),
        sessionDeadline: now + cfg.sessionTimeoutMs,
        rebalanceDeadline: null,
      };
      const target = this.target.get(staticOwnerId);
      this.dropMember(previous);
      this.members.set(memberId, member);
      this.staticMembers.set(instanceId, memberId);
      if (target !== undefined) this.target.set(memberId, target);
      this.setOwnership(member, member.assigned, member.pendingRevocation);
      return { member };
    }
    if (existing !== undefined) {
      // A member that rejoins with its id (after being fenced, say) has given up its partitions
      // (a join carries no owned partitions): it starts again from nothing towards its target.
      // Kafka fences such a request until the old incarnation's session expires; accepting it
      // gets the client back at once and never lets a partition have two owners.
      if (existing.instanceId !== instanceId) {
        if (existing.instanceId !== null) this.staticMembers.delete(existing.instanceId);
        existing.instanceId = instanceId;
        if (instanceId !== null) this.staticMembers.set(instanceId, memberId);
      }
      existing.memberEpoch = 0;
      existing.previousMemberEpoch = 0;
      existing.state = 'stable';
      existing.rebalanceDeadline = null;
      this.setOwnership(existing, new Map(), new Map());
      return { member: existing };
    }
    if (this.members.size >= cfg.maxSize) return full();
    const member = fresh();
    this.members.set(memberId, member);
    if (instanceId !== null) this.staticMembers.set(instanceId, memberId);
    return { member };
  }

  private findMember(memberId: string, instanceId: string | null): { member: Member } | HeartbeatResult {
    if (instanceId === null) {
      const m = this.members.get(memberId);
      if (m === undefined) {
        return {
          response: errorResponse(
            ErrorCode.UNKNOWN_MEMBER_ID,
            `Member ${memberId} is not a member of group ${this.groupId}.`,
          ),
          changed: false,
        };
      }
      return { member: m };
    }
    const ownerId = this.staticMembers.get(instanceId);
    if (ownerId === undefined) {
      return {
        response: errorResponse(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`),
        changed: false,
      };
    }
    if (ownerId !== memberId) {
      return {
        response: errorResponse(
          ErrorCode.FENCED_INSTANCE_ID,
          `Static member ${memberId} with instance id ${instanceId} was fenced by member ${ownerId}.`,
        ),
        changed: false,
      };
    }
    return { member: this.members.get(ownerId) as Member };
  }

  /**
   * FENCED_MEMBER_EPOCH for an epoch ahead of the member's, or behind it unless it is the previous
   * epoch and the member owns no more than its assignment (the response that moved it on was lost).
   */
  private checkEpoch(
    member: Member,
    epoch: number,
    owned: readonly ConsumerGroupHeartbeatRequestTopicPartitions[] | null,
  ): ConsumerGroupHeartbeatResponse | null {
    if (epoch > member.memberEpoch) {
      return errorResponse(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a greater member epoch (${epoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    if (
      epoch < member.memberEpoch &&
      (epoch !== member.previousMemberEpoch || !isSubset(owned, member.assigned))
    ) {
      return errorResponse(
        ErrorCode.FENCED_MEMBER_EPOCH,
        `The consumer group member has a smaller member epoch (${epoch}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`,
      );
    }
    return null;
  }

  private leave(request: ConsumerGroupHeartbeatRequest): HeartbeatResult {
    const found = this.findMember(request.memberId, request.instanceId);
    if ('response' in found) return found;
    const m = found.member;
    if (request.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      // A static member going away for a while (a restart) keeps its partitions, unconsumed, until
      // it comes back or its session expires; what it was revoking is released now.
      m.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
      m.rebalanceDeadline = null;
      m.state = 'stable';
      this.setOwnership(m, m.assigned, new Map());
    } else {
      this.removeMember(m);
    }
    this.armTimer();
    return {
      response: {
        ...defaultConsumerGroupHeartbeatResponse(),
        memberId: m.memberId,
        memberEpoch: request.memberEpoch,
        heartbeatIntervalMs: 0,
      },
      changed: true,
    };
  }

  /** Removes a member and bumps the group epoch (its partitions go to the others at once). */
  private removeMember(m: Member): void {
    this.dropMember(m);
    this.groupEpoch++;
    this.subscriptionMetadata = this.resolveSubscriptions().metadata;
  }

  private dropMember(m: Member): void {
    this.setOwnership(m, new Map(), new Map());
    this.members.delete(m.memberId);
    this.target.delete(m.memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === m.memberId) {
      this.staticMembers.delete(m.instanceId);
    }
  }

  // --- assignment ---

  private targetOf(memberId: string): TopicAssignment {
    return this.target.get(memberId) ?? new Map();
  }

  /** The subscribed topics as they are now, per member and as epoch-bumping metadata. */
  private resolveSubscriptions(): {
    metadata: Map<string, string | number>;
    subscribedIds: Map<string, Set<string>>;
    counts: Map<string, number>;
  } {
    const metadata = new Map<string, string | number>();
    const subscribedIds = new Map<string, Set<string>>();
    const counts = new Map<string, number>();
    const regexMatches = new Map<string, string[]>();
    for (const m of this.members.values()) {
      if (m.subscribedTopicRegex !== null && !regexMatches.has(m.subscribedTopicRegex)) {
        const re = compileRegex(m.subscribedTopicRegex);
        const ids: string[] = [];
        if (re !== null) {
          for (const t of this.host.topics.list())
            if (!INTERNAL_TOPICS.has(t.name) && re.test(t.name)) ids.push(t.id);
        }
        ids.sort();
        regexMatches.set(m.subscribedTopicRegex, ids);
        metadata.set(`r:${m.subscribedTopicRegex}`, ids.join(','));
      }
    }
    for (const m of this.members.values()) {
      const ids = new Set<string>();
      for (const name of m.subscribedTopicNames) {
        const t = this.host.topics.byName(name);
        if (t === undefined) continue;
        ids.add(t.id);
        counts.set(t.id, t.partitionCount);
      }
      if (m.subscribedTopicRegex !== null) {
        for (const id of regexMatches.get(m.subscribedTopicRegex) ?? []) {
          const t = this.host.topics.byId(id);
          if (t === undefined) continue;
          ids.add(id);
          counts.set(id, t.partitionCount);
        }
      }
      subscribedIds.set(m.memberId, ids);
    }
    for (const [id, n] of counts) metadata.set(`t:${id}`, n);
    return { metadata, subscribedIds, counts };
  }

  /** The assignor most members asked for, else the default (Kafka's rule). */
  private preferredAssignor(): string {
    const cfg = this.host.consumerGroupConfig();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    }
    let best: string | undefined;
    let bestVotes = 0;
    for (const [name, n] of [...votes].sort((a, b) => compareStrings(a[0], b[0]))) {
      if (n > bestVotes && SERVER_ASSIGNORS.has(name)) {
        best = name;
        bestVotes = n;
      }
    }
    return best ?? cfg.assignors.find((a) => SERVER_ASSIGNORS.has(a)) ?? uniformAssignor.name;
  }

  private computeTargetAssignment(
    subscribedIds: Map<string, Set<string>>,
    counts: Map<string, number>,
  ): void {
    this.assignorName = this.preferredAssignor();
    const assignor = SERVER_ASSIGNORS.get(this.assignorName) ?? uniformAssignor;
    const members = [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      subscribedTopicIds: subscribedIds.get(m.memberId) ?? new Set<string>(),
      currentAssignment: this.targetOf(m.memberId),
    }));
    this.target = assignor.assign(members, counts);
    this.assignmentEpoch = this.groupEpoch;
  }

  /** Kafka's reconciliation step (CurrentAssignmentBuilder) for one member. */
  private reconcile(
    m: Member,
    owned: readonly ConsumerGroupHeartbeatRequestTopicPartitions[] | null,
    now: number,
  ): void {
    if (m.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) return;
    if (m.state === 'stable' && m.memberEpoch === this.assignmentEpoch) return;
    // Still revoking: nothing moves until the member reports it gave those partitions up.
    if (m.state === 'unrevoked' && ownsAny(owned, m.pendingRevocation)) return;

    const target = this.targetOf(m.memberId);
    const keep: TopicAssignment = new Map();
    const revoke: TopicAssignment = new Map();
    const add: TopicAssignment = new Map();
    let unreleased = false;
    const push = (a: TopicAssignment, t: string, p: number) => {
      const list = a.get(t);
      if (list === undefined) a.set(t, [p]);
      else list.push(p);
    };
    for (const t of new Set([...m.assigned.keys(), ...target.keys()])) {
      const current = new Set(m.assigned.get(t) ?? []);
      const wanted = new Set(target.get(t) ?? []);
      for (const p of current) push(wanted.has(p) ? keep : revoke, t, p);
      for (const p of wanted) {
        if (current.has(p)) continue;
        const owner = this.owners.get(t)?.get(p);
        if (owner === undefined || owner === m.memberId) push(add, t, p);
        else unreleased = true;
      }
    }

    if (revoke.size > 0 && ownsAny(owned, revoke)) {
      // Revoke first, at the current epoch; the member keeps the rest meanwhile.
      m.state = 'unrevoked';
      if (m.rebalanceDeadline === null || m.pendingRevocation.size === 0) {
        m.rebalanceDeadline = now + Math.max(0, m.rebalanceTimeoutMs);
      }
      this.setOwnership(m, copyAssignment(keep), copyAssignment(revoke));
      return;
    }
    for (const [t, ps] of add) for (const p of ps) push(keep, t, p);
    m.state = unreleased ? 'unreleased' : 'stable';
    m.rebalanceDeadline = null;
    if (m.memberEpoch !== this.assignmentEpoch) {
      m.previousMemberEpoch = m.memberEpoch;
      m.memberEpoch = this.assignmentEpoch;
    }
    this.setOwnership(m, copyAssignment(keep), new Map());
  }

  /** Replaces what a member owns, keeping the partition → owner index in step. */
  private setOwnership(m: Member, assigned: TopicAssignment, pending: TopicAssignment): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, ps] of a) {
        const byPartition = this.owners.get(t);
        if (byPartition === undefined) continue;
        for (const p of ps) if (byPartition.get(p) === m.memberId) byPartition.delete(p);
        if (byPartition.size === 0) this.owners.delete(t);
      }
    }
    m.assigned = assigned;
    m.pendingRevocation = pending;
    for (const a of [assigned, pending]) {
      for (const [t, ps] of a) {
        let byPartition = this.owners.get(t);
        if (byPartition === undefined) {
          byPartition = new Map();
          this.owners.set(t, byPartition);
        }
        for (const p of ps) byPartition.set(p, m.memberId);
      }
    }
  }

  // --- timers ---

  private armTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.closed || this.members.size === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.members.values()) {
      next = Math.min(next, m.sessionDeadline);
      if (m.state === 'unrevoked' && m.rebalanceDeadline !== null) next = Math.min(next, m.rebalanceDeadline);
    }
    const delay = Math.max(0, Math.min(next - this.host.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.expireMembers().catch((error: unknown) => this.host.onBackgroundError?.(error));
    }, delay);
    this.timer.unref();
  }
}
