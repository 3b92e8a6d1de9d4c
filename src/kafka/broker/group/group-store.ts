/**
 * The port between the group coordinator (in-memory group state machines) and where group
 * metadata and committed offsets are kept. The durable implementation writes Kafka's record
 * formats to the compacted internal topic `__consumer_offsets` and replays it at startup; tests of
 * the state machines may use `MemoryGroupStore`.
 *
 * Every method that writes resolves only once the write is durable (fsynced): the coordinator
 * acknowledges a commit to the client after that, so an acknowledged commit survives kill -9.
 */

/** One committed offset of a group (Kafka's OffsetCommitKey + OffsetCommitValue). */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** -1 when the client sent none. */
  readonly leaderEpoch: number;
  /** The client's metadata string, kept verbatim (null stays null). */
  readonly metadata: string | null;
  /** Wall-clock ms when the coordinator accepted the commit. */
  readonly commitTimestamp: number;
  /** Old clients' explicit retention (OffsetCommit v1 `commit_timestamp` / v2-4 `retention_time_ms`); null = broker default. */
  readonly expireTimestamp: number | null;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A classic-protocol member as Kafka persists it (GroupMetadataValue member). */
export interface StoredClassicMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** The member's metadata for the chosen protocol (opaque). */
  readonly subscription: Buffer;
  /** What the leader assigned to this member (opaque). */
  readonly assignment: Buffer;
}

/** A classic-protocol group as Kafka persists it after each completed rebalance (GroupMetadataValue). */
export interface StoredClassicGroup {
  readonly groupId: string;
  /** "consumer", "connect", ... ; "" for a group that only commits offsets. */
  readonly protocolType: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leader: string | null;
  readonly currentStateTimestamp: number;
  readonly members: readonly StoredClassicMember[];
}

/** A KIP-848 member's persistent state. */
export interface StoredConsumerGroupMember {
  readonly memberId: string;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  /** Partitions the member owns now, by topic id (UUID string). */
  readonly assignedPartitions: ReadonlyMap<string, readonly number[]>;
  /** Partitions it still has to give up, by topic id. */
  readonly partitionsPendingRevocation: ReadonlyMap<string, readonly number[]>;
}

/** A KIP-848 (`group.protocol=consumer`) group's persistent state. */
export interface StoredConsumerGroup {
  readonly groupId: string;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly members: readonly StoredConsumerGroupMember[];
  /** The target assignment per member id: topic id → partitions. */
  readonly targetAssignment: ReadonlyMap<string, ReadonlyMap<string, readonly number[]>>;
}

/** Everything the store holds, as replayed at startup. */
export interface LoadedGroupState {
  /** Committed offsets per group id. */
  readonly offsets: ReadonlyMap<string, readonly CommittedOffset[]>;
  readonly classicGroups: ReadonlyMap<string, StoredClassicGroup>;
  readonly consumerGroups: ReadonlyMap<string, StoredConsumerGroup>;
}

export interface GroupStore {
  /** Replays the stored state (call once, before serving). */
  load(): Promise<LoadedGroupState>;
  /** Writes the commits of one group atomically (one batch); durable when resolved. */
  commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void>;
  /** Tombstones these offsets of a group (OffsetDelete, expiry, topic deletion). */
  deleteOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<void>;
  /** Replaces a classic group's metadata. */
  storeClassicGroup(group: StoredClassicGroup): Promise<void>;
  /** Replaces a KIP-848 group's state. */
  storeConsumerGroup(group: StoredConsumerGroup): Promise<void>;
  /** Tombstones the group's metadata (classic or KIP-848) and the offsets listed. */
  deleteGroup(groupId: string, offsets: readonly TopicPartitionRef[]): Promise<void>;
  /** The `__consumer_offsets` partition that holds this group (Kafka's rule). */
  partitionFor(groupId: string): number;
}

/** A GroupStore in memory: for state-machine tests; loses everything with the process. */
export class MemoryGroupStore implements GroupStore {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  private readonly classic = new Map<string, StoredClassicGroup>();
  private readonly consumer = new Map<string, StoredConsumerGroup>();

  private readonly partitionCount: number;

  constructor(partitionCount = 50) {
    this.partitionCount = partitionCount;
  }

  async load(): Promise<LoadedGroupState> {
    return {
      offsets: new Map([...this.offsets].map(([g, m]) => [g, [...m.values()]])),
      classicGroups: new Map(this.classic),
      consumerGroups: new Map(this.consumer),
    };
  }

  async commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    let m = this.offsets.get(groupId);
    if (m === undefined) {
      m = new Map();
      this.offsets.set(groupId, m);
    }
    for (const o of offsets) m.set(`${o.topic}\0${o.partition}`, o);
  }

  async deleteOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<void> {
    const m = this.offsets.get(groupId);
    if (m === undefined) return;
    for (const p of partitions) m.delete(`${p.topic}\0${p.partition}`);
    if (m.size === 0) this.offsets.delete(groupId);
  }

  async storeClassicGroup(group: StoredClassicGroup): Promise<void> {
    this.consumer.delete(group.groupId);
    this.classic.set(group.groupId, group);
  }

  async storeConsumerGroup(group: StoredConsumerGroup): Promise<void> {
    this.classic.delete(group.groupId);
    this.consumer.set(group.groupId, group);
  }

  async deleteGroup(groupId: string, offsets: readonly TopicPartitionRef[]): Promise<void> {
    this.classic.delete(groupId);
    this.consumer.delete(groupId);
    await this.deleteOffsets(groupId, offsets);
  }

  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.partitionCount);
  }
}

/**
 * Kafka's group → `__consumer_offsets` partition: `Utils.abs(groupId.hashCode()) % partitionCount`
 * with Java's String.hashCode over UTF-16 code units (and Kafka's abs: MIN_VALUE → 0).
 */
export function groupPartition(groupId: string, partitionCount: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % partitionCount;
}
