import type { Logger } from '../../../telemetry/index.ts';
import { ErrorCode } from '../../protocol/index.ts';
import {
  ClassicGroup,
  type ClassicGroupContext,
  type GroupTimers,
  type JoinRequest,
  type JoinResult,
  type LeavingMember,
  realTimers,
  type SyncRequest,
  type SyncResult,
  storeErrorCode,
} from './classic-group.ts';
import type { Group } from './group.ts';
import type { CommittedOffset, GroupStore, StoredConsumerGroup, TopicPartitionRef } from './group-store.ts';

/**
 * The group coordinator of this single node: every group (classic and KIP-848) by id and the
 * offsets committed for them, in memory, loaded from a `GroupStore` at start and written through
 * it before anything is acknowledged.
 *
 * For KIP-848 groups (helper code in `consumer-group*.ts`) it is the host: `getGroup(id)` finds a
 * group of either type, `putGroup(group)` registers a `consumer` group (replacing an empty classic
 * group of that id — Kafka converts those — and throwing `GroupTypeConflictError` when the id holds
 * a non-empty group of the other type), `deleteGroupState(id)` drops a group and tombstones its
 * metadata (offsets stay), `store` writes their state, `topics`, `now()` and
 * `consumerGroupConfig()` give them what they read. Stored KIP-848 groups are rebuilt at `load()`
 * with the `restoreConsumerGroup` option (without it they are kept aside: `storedConsumerGroup`).
 *
 * Offsets expire as in Kafka 2.1+ (KIP-211), checked by `maintain(now)`: an Empty group's offsets
 * `offsets.retention.minutes` after the group became Empty; a group that only commits (no
 * protocol type) and explicit old-client retention by their commit time; a Stable `consumer`
 * group's offsets of topics no member subscribes to by their commit time. Offsets of deleted
 * topics go at the next `maintain`; an Empty group without offsets is then deleted.
 */

export interface GroupTopic {
  readonly id: string;
  readonly name: string;
  readonly partitionCount: number;
}

/** The topics as the coordinator sees them (the broker's topic registry). */
export interface GroupTopics {
  byName(name: string): GroupTopic | undefined;
  byId(id: string): GroupTopic | undefined;
  list(): Iterable<GroupTopic>;
}

/** KIP-848 settings, handed to consumer groups (`group.consumer.*`). */
export interface ConsumerGroupSettings {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly assignors: readonly string[];
  readonly maxSize: number;
}

export interface GroupCoordinatorConfig {
  /** `offsets.retention.minutes` in ms. */
  readonly offsetsRetentionMs: number;
  /** `offset.metadata.max.bytes`. */
  readonly offsetMetadataMaxBytes: number;
  /** `group.initial.rebalance.delay.ms`. */
  readonly initialRebalanceDelayMs: number;
  /** `group.min.session.timeout.ms` / `group.max.session.timeout.ms`. */
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** `group.max.size`. */
  readonly maxSize: number;
  readonly consumerGroup: ConsumerGroupSettings;
}

export const GROUP_COORDINATOR_DEFAULTS: GroupCoordinatorConfig = {
  offsetsRetentionMs: 10080 * 60_000,
  offsetMetadataMaxBytes: 4096,
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxSize: 2147483647,
  consumerGroup: {
    sessionTimeoutMs: 45_000,
    heartbeatIntervalMs: 5000,
    assignors: ['uniform', 'range'],
    maxSize: 2147483647,
  },
};

export interface GroupCoordinatorOptions {
  readonly store: GroupStore;
  readonly config: GroupCoordinatorConfig;
  readonly now: () => number;
  readonly logger: Logger;
  readonly topics: GroupTopics;
  readonly timers?: GroupTimers;
  /** Rebuilds a stored KIP-848 group (e.g. `ConsumerGroup.fromStored`). */
  readonly restoreConsumerGroup?: (stored: StoredConsumerGroup, coordinator: GroupCoordinator) => Group;
}

/** Thrown by `putGroup` when the id holds a non-empty group of the other type. */
export class GroupTypeConflictError extends Error {
  readonly groupId: string;
  constructor(groupId: string, existing: string) {
    super(`group ${groupId} is a ${existing} group`);
    this.name = 'GroupTypeConflictError';
    this.groupId = groupId;
  }
}

export interface CommitPartition {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  /** OffsetCommit v1 per-partition timestamp; -1 when absent. */
  readonly commitTimestamp: bigint;
  readonly committedMetadata: string | null;
}

export interface CommitRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** Generation (classic) or member epoch (KIP-848); -1 for standalone commits and v0. */
  readonly generation: number;
  readonly apiVersion: number;
  /** v2-4 retention; -1 = the broker's. */
  readonly retentionTimeMs: bigint;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly CommitPartition[] }[];
}

export interface PartitionResult {
  readonly partitionIndex: number;
  readonly errorCode: number;
}

export interface TopicResults {
  readonly name: string;
  readonly partitions: PartitionResult[];
}

export interface FetchedOffset {
  readonly partitionIndex: number;
  readonly committedOffset: bigint;
  readonly committedLeaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface ListedGroup {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: string;
  readonly groupType: string;
}

const offsetKey = (topic: string, partition: number) => `${topic}\0${partition}`;

export class GroupCoordinator {
  readonly store: GroupStore;
  readonly topics: GroupTopics;
  private readonly config: GroupCoordinatorConfig;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly timers: GroupTimers;
  private readonly restoreConsumer:
    | ((stored: StoredConsumerGroup, coordinator: GroupCoordinator) => Group)
    | undefined;
  private readonly groups = new Map<string, Group>();
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly storedConsumer = new Map<string, StoredConsumerGroup>();
  private readonly classicContext: ClassicGroupContext;
  private closed = false;

  constructor(options: GroupCoordinatorOptions) {
    this.store = options.store;
    this.topics = options.topics;
    this.config = options.config;
    this.clock = options.now;
    this.logger = options.logger;
    this.timers = options.timers ?? realTimers;
    this.restoreConsumer = options.restoreConsumerGroup;
    const store = this.store;
    this.classicContext = {
      timers: this.timers,
      now: () => this.clock(),
      logger: this.logger,
      initialRebalanceDelayMs: this.config.initialRebalanceDelayMs,
      maxSize: this.config.maxSize,
      persist: (g) => store.storeClassicGroup(g),
    };
  }

  now(): number {
    return this.clock();
  }

  consumerGroupConfig(): ConsumerGroupSettings {
    return this.config.consumerGroup;
  }

  onBackgroundError(error: unknown): void {
    this.logger.warn('group state could not be persisted', { err: String(error) });
  }

  /** Replays the store; call once before serving. */
  async load(): Promise<void> {
    const loaded = await this.store.load();
    for (const [groupId, list] of loaded.offsets) {
      const m = new Map<string, CommittedOffset>();
      for (const o of list) m.set(offsetKey(o.topic, o.partition), o);
      if (m.size > 0) this.offsets.set(groupId, m);
    }
    for (const stored of loaded.classicGroups.values()) {
      this.groups.set(stored.groupId, ClassicGroup.fromStored(stored, this.classicContext));
    }
    for (const stored of loaded.consumerGroups.values()) {
      if (this.restoreConsumer) this.groups.set(stored.groupId, this.restoreConsumer(stored, this));
      else this.storedConsumer.set(stored.groupId, stored);
    }
    // Groups that only commit offsets have no metadata record: they come back as simple groups.
    for (const groupId of this.offsets.keys()) {
      if (!this.groups.has(groupId) && !this.storedConsumer.has(groupId)) {
        this.groups.set(groupId, this.newClassicGroup(groupId));
      }
    }
    this.logger.info('group coordinator loaded', {
      groups: this.groups.size,
      groupsWithOffsets: this.offsets.size,
    });
  }

  // ---------------------------------------------------------------- host of KIP-848 groups

  getGroup(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  /** A stored KIP-848 group not rebuilt at load (no `restoreConsumerGroup` given). */
  storedConsumerGroup(groupId: string): StoredConsumerGroup | undefined {
    return this.storedConsumer.get(groupId);
  }

  putGroup(group: Group): void {
    const existing = this.groups.get(group.groupId);
    if (existing !== undefined && existing !== group) {
      if (existing.type !== group.type && !existing.isEmpty()) {
        throw new GroupTypeConflictError(group.groupId, existing.type);
      }
      existing.close();
    }
    this.storedConsumer.delete(group.groupId);
    this.groups.set(group.groupId, group);
  }

  /** Forgets a group and tombstones its metadata; its committed offsets stay. */
  async deleteGroupState(groupId: string): Promise<void> {
    const g = this.groups.get(groupId);
    this.groups.delete(groupId);
    this.storedConsumer.delete(groupId);
    g?.close();
    await this.store.deleteGroup(groupId, []);
  }

  /** Every group (ListGroups). */
  allGroups(): Group[] {
    return [...this.groups.values()];
  }

  // ---------------------------------------------------------------- classic protocol

  async joinGroup(groupId: string, req: JoinRequest): Promise<JoinResult> {
    const fail = (errorCode: number): JoinResult => ({
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      skipAssignment: false,
      memberId: req.memberId,
      members: [],
    });
    if (this.closed) return fail(ErrorCode.NOT_COORDINATOR);
    if (groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (
      req.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    ) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    let group = this.groups.get(groupId);
    if (group !== undefined && !(group instanceof ClassicGroup)) {
      if (!group.isEmpty()) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      // An empty KIP-848 group gives way to a classic one (its offsets stay).
      group.close();
      group = undefined;
    }
    if (group === undefined) {
      if (req.memberId !== '') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      group = this.newClassicGroup(groupId);
      this.groups.set(groupId, group);
    }
    return (group as ClassicGroup).join(req);
  }

  async syncGroup(groupId: string, req: SyncRequest): Promise<SyncResult> {
    const group = this.groups.get(groupId);
    if (this.closed || !(group instanceof ClassicGroup)) {
      return {
        errorCode: this.closed
          ? ErrorCode.NOT_COORDINATOR
          : groupId === ''
            ? ErrorCode.INVALID_GROUP_ID
            : ErrorCode.UNKNOWN_MEMBER_ID,
        protocolType: null,
        protocolName: null,
        assignment: Buffer.alloc(0),
      };
    }
    return group.sync(req);
  }

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (!(group instanceof ClassicGroup)) return ErrorCode.UNKNOWN_MEMBER_ID;
    return group.heartbeat(memberId, groupInstanceId, generationId);
  }

  /** Per-member error codes; a group-level error code when the group is not a classic group. */
  leaveGroup(groupId: string, members: readonly LeavingMember[]): { errorCode: number; members: number[] } {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(groupId);
    if (!(group instanceof ClassicGroup)) {
      return { errorCode: 0, members: members.map(() => ErrorCode.UNKNOWN_MEMBER_ID) };
    }
    return { errorCode: 0, members: group.leave(members) };
  }

  // ---------------------------------------------------------------- offsets

  async commitOffsets(req: CommitRequest): Promise<TopicResults[]> {
    const groupError = this.commitGroupError(req);
    const now = this.clock();
    const accepted: CommittedOffset[] = [];
    const results: TopicResults[] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): PartitionResult => {
        const topic = this.topics.byName(t.name);
        if (topic === undefined || p.partitionIndex < 0 || p.partitionIndex >= topic.partitionCount) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        }
        if (groupError !== 0) return { partitionIndex: p.partitionIndex, errorCode: groupError };
        if (p.committedMetadata !== null && p.committedMetadata.length > this.config.offsetMetadataMaxBytes) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        let expireTimestamp: number | null = null;
        if (req.apiVersion === 1 && p.commitTimestamp >= 0n) {
          expireTimestamp = Number(p.commitTimestamp) + this.config.offsetsRetentionMs;
        } else if (req.apiVersion >= 2 && req.apiVersion <= 4 && req.retentionTimeMs >= 0n) {
          expireTimestamp = now + Number(req.retentionTimeMs);
        }
        accepted.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
          commitTimestamp: now,
          expireTimestamp,
        });
        return { partitionIndex: p.partitionIndex, errorCode: 0 };
      }),
    }));
    if (accepted.length === 0) return results;
    try {
      await this.store.commitOffsets(req.groupId, accepted);
    } catch (err) {
      this.logger.warn('offset commit could not be stored', { group: req.groupId, err: String(err) });
      const stored = new Set(accepted.map((o) => offsetKey(o.topic, o.partition)));
      const errorCode = storeErrorCode(err);
      return results.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) =>
          stored.has(offsetKey(t.name, p.partitionIndex))
            ? { partitionIndex: p.partitionIndex, errorCode }
            : p,
        ),
      }));
    }
    let m = this.offsets.get(req.groupId);
    if (m === undefined) {
      m = new Map();
      this.offsets.set(req.groupId, m);
    }
    for (const o of accepted) m.set(offsetKey(o.topic, o.partition), o);
    if (!this.groups.has(req.groupId)) this.groups.set(req.groupId, this.newClassicGroup(req.groupId));
    return results;
  }

  private commitGroupError(req: CommitRequest): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(req.groupId);
    if (group === undefined) {
      // A consumer not using group management (or an admin tool): a simple group is created.
      if (req.generation < 0) return 0;
      return req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
    }
    return group.validateOffsetCommit(req.memberId, req.groupInstanceId, req.generation, req.apiVersion);
  }

  /**
   * Committed offsets: of the partitions asked for (-1 with empty metadata when none), or every
   * committed one when `topics` is null.
   */
  fetchOffsets(
    groupId: string,
    topics: readonly { readonly name: string; readonly partitionIndexes: readonly number[] }[] | null,
  ): { name: string; partitions: FetchedOffset[] }[] {
    const m = this.offsets.get(groupId);
    const fetched = (o: CommittedOffset): FetchedOffset => ({
      partitionIndex: o.partition,
      committedOffset: BigInt(o.offset),
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata ?? '',
      errorCode: 0,
    });
    if (topics === null) {
      const byTopic = new Map<string, FetchedOffset[]>();
      for (const o of m?.values() ?? []) {
        let list = byTopic.get(o.topic);
        if (list === undefined) {
          list = [];
          byTopic.set(o.topic, list);
        }
        list.push(fetched(o));
      }
      return [...byTopic].map(([name, partitions]) => ({
        name,
        partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex),
      }));
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => {
        const o = m?.get(offsetKey(t.name, p));
        return o
          ? fetched(o)
          : { partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 };
      }),
    }));
  }

  /** The group's committed offsets (for tools and tests). */
  committedOffsets(groupId: string): CommittedOffset[] {
    return [...(this.offsets.get(groupId)?.values() ?? [])];
  }

  /**
   * OffsetDelete: a group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for a non-empty group
   * whose subscriptions are unknown) or per-partition ones (UNKNOWN_TOPIC_OR_PARTITION,
   * GROUP_SUBSCRIBED_TO_TOPIC when a member subscribes to the topic).
   */
  async deleteOffsets(
    groupId: string,
    topics: readonly { readonly name: string; readonly partitions: readonly number[] }[],
  ): Promise<{ errorCode: number; topics: TopicResults[] }> {
    const group = this.groups.get(groupId);
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    if (group === undefined || group.state() === 'Dead') {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    }
    const subscribed = this.subscriptionCheck(group);
    if (subscribed === null) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const toDelete: TopicPartitionRef[] = [];
    const results = topics.map((t) => {
      const topic = this.topics.byName(t.name);
      const isSubscribed = subscribed(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p): PartitionResult => {
          if (topic === undefined || p < 0 || p >= topic.partitionCount) {
            return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          }
          if (isSubscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          toDelete.push({ topic: t.name, partition: p });
          return { partitionIndex: p, errorCode: 0 };
        }),
      };
    });
    await this.removeOffsets(groupId, toDelete);
    return { errorCode: 0, topics: results };
  }

  /** Whether a topic is in use by the group's members; null when that cannot be told (refuse). */
  private subscriptionCheck(group: Group): ((topic: string) => boolean) | null {
    if (group.isEmpty()) return () => false;
    if (group instanceof ClassicGroup) {
      if (group.protocolType !== 'consumer') return null;
      const topics = group.subscribedTopics();
      return topics === null ? null : (t) => topics.has(t);
    }
    const g = group as Group & { isSubscribedToTopic?: (topic: string) => boolean };
    return g.isSubscribedToTopic ? (t) => g.isSubscribedToTopic!(t) : null;
  }

  private async removeOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<void> {
    const m = this.offsets.get(groupId);
    const present = partitions.filter((p) => m?.has(offsetKey(p.topic, p.partition)));
    if (present.length === 0 || m === undefined) return;
    await this.store.deleteOffsets(groupId, present);
    for (const p of present) m.delete(offsetKey(p.topic, p.partition));
    if (m.size === 0) this.offsets.delete(groupId);
  }

  // ---------------------------------------------------------------- listing, deletion

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const out: ListedGroup[] = [];
    for (const g of this.groups.values()) {
      const state = g.state();
      if (state === 'Dead') continue;
      if (states.size > 0 && !states.has(state.toLowerCase())) continue;
      if (types.size > 0 && !types.has(g.type)) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType, groupState: state, groupType: g.type });
    }
    return out;
  }

  /** DeleteGroups: 0, GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP per group; offsets go with the group. */
  async deleteGroups(groupIds: readonly string[]): Promise<number[]> {
    const out: number[] = [];
    for (const groupId of groupIds) {
      if (groupId === '') {
        out.push(ErrorCode.INVALID_GROUP_ID);
        continue;
      }
      const group = this.groups.get(groupId);
      if (group === undefined && !this.storedConsumer.has(groupId)) {
        out.push(ErrorCode.GROUP_ID_NOT_FOUND);
        continue;
      }
      if (group !== undefined && !group.isEmpty()) {
        out.push(ErrorCode.NON_EMPTY_GROUP);
        continue;
      }
      const offsets = this.committedOffsets(groupId).map((o) => ({ topic: o.topic, partition: o.partition }));
      try {
        await this.store.deleteGroup(groupId, offsets);
      } catch (err) {
        this.logger.warn('group deletion could not be stored', { group: groupId, err: String(err) });
        out.push(storeErrorCode(err));
        continue;
      }
      if (group instanceof ClassicGroup) group.markDead();
      else group?.close();
      this.groups.delete(groupId);
      this.storedConsumer.delete(groupId);
      this.offsets.delete(groupId);
      this.logger.info('group deleted', { group: groupId });
      out.push(0);
    }
    return out;
  }

  // ---------------------------------------------------------------- maintenance

  /** Expires offsets, drops offsets of deleted topics and deletes Empty groups left without offsets. */
  async maintain(now = this.clock()): Promise<void> {
    for (const [groupId, m] of [...this.offsets]) {
      const group = this.groups.get(groupId);
      const expired: TopicPartitionRef[] = [];
      for (const o of m.values()) {
        const topic = this.topics.byName(o.topic);
        if (topic === undefined || o.partition >= topic.partitionCount || this.isExpired(group, o, now)) {
          expired.push({ topic: o.topic, partition: o.partition });
        }
      }
      if (expired.length === 0) continue;
      try {
        await this.removeOffsets(groupId, expired);
        this.logger.info('removed expired offsets', { group: groupId, partitions: expired.length });
      } catch (err) {
        this.logger.warn('offset expiry could not be stored', { group: groupId, err: String(err) });
      }
    }
    for (const [groupId, g] of [...this.groups]) {
      if (!(g instanceof ClassicGroup) || g.state() !== 'Empty' || !g.isEmpty()) continue;
      if (this.offsets.has(groupId)) continue;
      try {
        await this.store.deleteGroup(groupId, []);
        if (this.groups.get(groupId) === g && g.state() === 'Empty' && g.isEmpty()) {
          g.markDead();
          this.groups.delete(groupId);
          this.logger.info('removed empty group without offsets', { group: groupId });
        }
      } catch (err) {
        this.logger.warn('group removal could not be stored', { group: groupId, err: String(err) });
      }
    }
  }

  private isExpired(group: Group | undefined, o: CommittedOffset, now: number): boolean {
    if (o.expireTimestamp !== null) return now >= o.expireTimestamp;
    const retention = this.config.offsetsRetentionMs;
    if (group === undefined || group.protocolType === '') return now - o.commitTimestamp >= retention;
    if (group.isEmpty()) {
      const since =
        group instanceof ClassicGroup
          ? (group.currentStateTimestamp ?? o.commitTimestamp)
          : o.commitTimestamp;
      return now - since >= retention;
    }
    if (group.state() !== 'Stable') return false;
    const check = this.subscriptionCheck(group);
    if (check === null || check(o.topic)) return false;
    return now - o.commitTimestamp >= retention;
  }

  /**
   * Stops every group's timers; pending joins and syncs, and any later group request, are answered
   * NOT_COORDINATOR (clients look for the coordinator again).
   */
  close(): void {
    this.closed = true;
    for (const g of this.groups.values()) g.close();
  }

  private newClassicGroup(groupId: string): ClassicGroup {
    return new ClassicGroup(groupId, this.classicContext);
  }
}
