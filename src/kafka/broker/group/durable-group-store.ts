import { OffsetOutOfRangeError, type ReadResult } from '../../../storage/index.ts';
import type { Logger } from '../../../telemetry/index.ts';
import {
  BatchAttribute,
  batchAttributes,
  batchRecordsCount,
  batchSize,
  decodeRecordBatch,
  ErrorCode,
  encodeRecordBatch,
  RECORD_BATCH_HEADER_BYTES,
} from '../../protocol/index.ts';
import { CONSUMER_OFFSETS_TOPIC } from '../internal-topics.ts';
import type { Partition } from '../partition.ts';
import type { PartitionManager } from '../partition-manager.ts';
import {
  type CommittedOffset,
  type GroupStore,
  groupPartition,
  type LoadedGroupState,
  type StoredClassicGroup,
  type StoredConsumerGroup,
  type StoredConsumerGroupMember,
  type TopicPartitionRef,
} from './group-store.ts';
import {
  type ConsumerGroupCurrentMemberAssignmentValue,
  type ConsumerGroupMemberMetadataValue,
  decodeOffsetsTopicRecord,
  encodeConsumerGroupCurrentMemberAssignmentValue,
  encodeConsumerGroupMemberMetadataValue,
  encodeConsumerGroupMetadataValue,
  encodeConsumerGroupTargetAssignmentMemberValue,
  encodeConsumerGroupTargetAssignmentMetadataValue,
  encodeGroupMetadataValue,
  encodeOffsetCommitValue,
  encodeOffsetsTopicKey,
  MemberState,
  type OffsetsTopicKey,
  type OffsetsTopicRecord,
  offsetsKeyIdentity,
} from './offsets-topic-records.ts';

/**
 * The topic's configs when this store creates it: Kafka's (compacted, 100 MiB segments, batches
 * kept as written) plus `flush.messages=1`, so every write is fsynced before it resolves. Kafka
 * relies on replication for that; a single node has only its disk.
 */
export const OFFSETS_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.bytes': '104857600',
  'compression.type': 'producer',
  'flush.messages': '1',
};

/** Kafka's `message.max.bytes` default, for a topic without its own `max.message.bytes`. */
const MAX_MESSAGE_BYTES_DEFAULT = 1048588;
const LOAD_READ_BYTES = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * A write to `__consumer_offsets` failed. `errorCode` is what the coordinator should answer, mapped
 * from the append's error as Kafka's coordinator maps it (CoordinatorOperationExceptionHelper):
 * - COORDINATOR_NOT_AVAILABLE (15): the topic or partition is missing (deleted by a client; it is
 *   recreated by the next write);
 * - NOT_COORDINATOR (16): KAFKA_STORAGE_ERROR, a disk failure or a log closed under the write;
 * - UNKNOWN_SERVER_ERROR (-1): MESSAGE_TOO_LARGE (a group too big for one batch) and anything else.
 * `appendErrorCode` keeps the storage-level code (0 when the failure was not an append error).
 */
export class GroupStoreError extends Error {
  readonly errorCode: number;
  readonly appendErrorCode: number;

  constructor(errorCode: number, appendErrorCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GroupStoreError';
    this.errorCode = errorCode;
    this.appendErrorCode = appendErrorCode;
  }
}

function coordinatorErrorFor(appendErrorCode: number): number {
  switch (appendErrorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

export interface DurableGroupStoreOptions {
  readonly partitions: PartitionManager;
  /** `offsets.topic.num.partitions`: used when the topic is created; an existing topic keeps its count. */
  readonly partitionCount: number;
  readonly logger: Logger;
  readonly now: () => number;
}

/** Which keys of a group may be in the log: what a replacement or a deletion has to tombstone. */
interface GroupKeys {
  classic: boolean;
  consumer: boolean;
  partitionMetadata: boolean;
  /** Member ids with ConsumerGroupMemberMetadata / CurrentMemberAssignment records. */
  members: Set<string>;
  /** Member ids with ConsumerGroupTargetAssignmentMember records. */
  targets: Set<string>;
}

interface KeyedRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

const key = (k: OffsetsTopicKey): Buffer => encodeOffsetsTopicKey(k);

/**
 * GroupStore on the compacted internal topic `__consumer_offsets`, in Kafka's record formats
 * (offsets-topic-records.ts), one partition per group as Kafka hashes it. Each write is one
 * non-transactional v2 batch appended through `Partition.append` (which serializes a partition's
 * appends, so batches land in call order) and is fsynced before the promise resolves. `load()`
 * replays every partition, keeping the last value of each key (a tombstone removes it).
 */
export class DurableGroupStore implements GroupStore {
  private readonly partitions: PartitionManager;
  private readonly logger: Logger;
  private readonly now: () => number;
  private count: number;
  private readonly keys = new Map<string, GroupKeys>();
  private creating: Promise<void> | null = null;
  /** The topic existed at some point: its absence now means a client deleted it. */
  private seenTopic = false;

  constructor(options: DurableGroupStoreOptions) {
    this.partitions = options.partitions;
    this.count = options.partitionCount;
    this.logger = options.logger;
    this.now = options.now;
  }

  /** The partition count in use (the existing topic's when it was already there). */
  get partitionCount(): number {
    return this.count;
  }

  /**
   * Adopts an existing `__consumer_offsets` (keeping its partition count, as Kafka does, with a
   * warning when the configured count differs). An absent topic is created by the first write, as
   * Kafka creates it on first use, so a broker without groups lists no internal topic.
   */
  async open(): Promise<void> {
    const existing = this.partitions.topic(CONSUMER_OFFSETS_TOPIC);
    if (existing === undefined) return;
    this.seenTopic = true;
    if (existing.partitionCount !== this.count) {
      this.logger.warn('__consumer_offsets exists with another partition count; keeping it', {
        topic: CONSUMER_OFFSETS_TOPIC,
        partitions: existing.partitionCount,
        configured: this.count,
      });
      this.count = existing.partitionCount;
    }
  }

  /** Creates the topic now if it does not exist (writes do it on demand). */
  ensureTopic(): Promise<void> {
    if (this.partitions.topic(CONSUMER_OFFSETS_TOPIC) !== undefined) return Promise.resolve();
    if (this.creating === null) {
      if (this.seenTopic) {
        this.logger.warn('__consumer_offsets was deleted; creating it again', { partitions: this.count });
      } else {
        this.logger.info('creating __consumer_offsets', { partitions: this.count });
      }
      this.creating = this.createTopic().finally(() => {
        this.creating = null;
      });
    }
    return this.creating;
  }

  private async createTopic(): Promise<void> {
    try {
      await this.partitions.createTopic(CONSUMER_OFFSETS_TOPIC, this.count, { ...OFFSETS_TOPIC_CONFIGS });
    } catch (err) {
      // Created concurrently (a client's CreateTopics): use it.
      const t = this.partitions.topic(CONSUMER_OFFSETS_TOPIC);
      if (t === undefined) throw err;
      this.count = t.partitionCount;
    }
    this.seenTopic = true;
  }

  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.count);
  }

  async load(): Promise<LoadedGroupState> {
    const latest = new Map<string, OffsetsTopicRecord>();
    let records = 0;
    let skipped = 0;
    for (const p of this.partitions.partitionsOf(CONSUMER_OFFSETS_TOPIC)) {
      for await (const batch of this.batchesOf(p)) {
        if ((batchAttributes(batch, 0) & BatchAttribute.control) !== 0) continue;
        let decoded: ReturnType<typeof decodeRecordBatch>;
        try {
          decoded = decodeRecordBatch(batch);
        } catch (err) {
          skipped++;
          this.logger.error('skipping an unreadable batch of __consumer_offsets', {
            partition: p.index,
            err: String(err),
          });
          continue;
        }
        for (const r of decoded.records) {
          if (r.key === null) continue;
          let rec: OffsetsTopicRecord;
          try {
            rec = decodeOffsetsTopicRecord(r.key, r.value);
          } catch (err) {
            skipped++;
            this.logger.error('skipping an unreadable record of __consumer_offsets', {
              partition: p.index,
              offset: Number(decoded.baseOffset) + r.offsetDelta,
              err: String(err),
            });
            continue;
          }
          if (rec.key.type === 'unknown') {
            skipped++;
            continue;
          }
          records++;
          const id = offsetsKeyIdentity(rec.key);
          // Delete first so the map's order is the order of the last writes.
          latest.delete(id);
          if (rec.value === null) continue;
          // Undecoded values are views of the read buffer: keep no reference to it.
          latest.set(
            id,
            rec.key.type === 'consumerGroupPartitionMetadata' ? { key: rec.key, value: EMPTY } : rec,
          );
        }
      }
    }
    const state = this.buildState(latest);
    this.logger.info('loaded __consumer_offsets', {
      partitions: this.count,
      records,
      skipped,
      groupsWithOffsets: state.offsets.size,
      classicGroups: state.classicGroups.size,
      consumerGroups: state.consumerGroups.size,
    });
    return state;
  }

  /** Every batch of a partition from its log start to its end, whole. */
  private async *batchesOf(p: Partition): AsyncGenerator<Buffer> {
    let from = p.logStartOffset;
    const end = p.logEndOffset;
    while (from < end) {
      let read: ReadResult;
      try {
        read = await p.log.read(from, LOAD_READ_BYTES, { maxOffset: end });
      } catch (err) {
        if (err instanceof OffsetOutOfRangeError) return;
        throw err;
      }
      if (read.records.length === 0 || read.nextOffset <= from) return;
      const buf = read.records;
      for (let at = 0; at + RECORD_BATCH_HEADER_BYTES <= buf.length; ) {
        const size = batchSize(buf, at);
        if (size < RECORD_BATCH_HEADER_BYTES || at + size > buf.length) break;
        yield buf.subarray(at, at + size);
        at += size;
      }
      from = read.nextOffset;
    }
  }

  private buildState(latest: Map<string, OffsetsTopicRecord>): LoadedGroupState {
    const offsets = new Map<string, CommittedOffset[]>();
    const classicGroups = new Map<string, StoredClassicGroup>();
    const consumerMeta = new Map<string, { epoch: number; order: number }>();
    const classicOrder = new Map<string, number>();
    const memberMeta = new Map<string, Map<string, ConsumerGroupMemberMetadataValue>>();
    const memberAssignment = new Map<string, Map<string, ConsumerGroupCurrentMemberAssignmentValue>>();
    const targets = new Map<string, Map<string, ReadonlyMap<string, readonly number[]>>>();
    const assignmentEpochs = new Map<string, number>();
    const perGroup = <V>(m: Map<string, Map<string, V>>, g: string): Map<string, V> => {
      let inner = m.get(g);
      if (inner === undefined) {
        inner = new Map();
        m.set(g, inner);
      }
      return inner;
    };
    this.keys.clear();
    let order = 0;
    for (const rec of latest.values()) {
      order++;
      if (rec.key.type === 'unknown') continue;
      const group = rec.key.group;
      const k = this.keysOf(group);
      switch (rec.key.type) {
        case 'offsetCommit': {
          const v = rec.value as Extract<OffsetsTopicRecord, { key: { type: 'offsetCommit' } }>['value'];
          if (v === null) break;
          let list = offsets.get(group);
          if (list === undefined) {
            list = [];
            offsets.set(group, list);
          }
          list.push({
            topic: rec.key.topic,
            partition: rec.key.partition,
            offset: v.offset,
            leaderEpoch: v.leaderEpoch,
            metadata: v.metadata,
            commitTimestamp: v.commitTimestamp,
            expireTimestamp: v.expireTimestamp,
          });
          break;
        }
        case 'groupMetadata': {
          const v = rec.value as Extract<OffsetsTopicRecord, { key: { type: 'groupMetadata' } }>['value'];
          if (v === null) break;
          k.classic = true;
          classicGroups.set(group, {
            groupId: group,
            protocolType: v.protocolType,
            generationId: v.generationId,
            protocolName: v.protocolName,
            leader: v.leader,
            currentStateTimestamp: v.currentStateTimestamp,
            members: v.members,
          });
          classicOrder.set(group, order);
          break;
        }
        case 'consumerGroupMetadata': {
          const v = rec.value as Extract<
            OffsetsTopicRecord,
            { key: { type: 'consumerGroupMetadata' } }
          >['value'];
          if (v === null) break;
          k.consumer = true;
          consumerMeta.set(group, { epoch: v.epoch, order });
          break;
        }
        case 'consumerGroupPartitionMetadata':
          k.partitionMetadata = true;
          break;
        case 'consumerGroupMemberMetadata': {
          const v = rec.value as ConsumerGroupMemberMetadataValue | null;
          if (v === null) break;
          k.members.add(rec.key.memberId);
          perGroup(memberMeta, group).set(rec.key.memberId, v);
          break;
        }
        case 'consumerGroupCurrentMemberAssignment': {
          const v = rec.value as ConsumerGroupCurrentMemberAssignmentValue | null;
          if (v === null) break;
          k.members.add(rec.key.memberId);
          perGroup(memberAssignment, group).set(rec.key.memberId, v);
          break;
        }
        case 'consumerGroupTargetAssignmentMember': {
          const v = rec.value as Extract<
            OffsetsTopicRecord,
            { key: { type: 'consumerGroupTargetAssignmentMember' } }
          >['value'];
          if (v === null) break;
          k.targets.add(rec.key.memberId);
          perGroup(targets, group).set(rec.key.memberId, v.topicPartitions);
          break;
        }
        case 'consumerGroupTargetAssignmentMetadata': {
          const v = rec.value as Extract<
            OffsetsTopicRecord,
            { key: { type: 'consumerGroupTargetAssignmentMetadata' } }
          >['value'];
          if (v === null) break;
          k.consumer = true;
          assignmentEpochs.set(group, v.assignmentEpoch);
          break;
        }
      }
    }
    const consumerGroups = new Map<string, StoredConsumerGroup>();
    for (const [group, meta] of consumerMeta) {
      // Both kinds present cannot come from this store (it tombstones one when writing the other);
      // the later write wins.
      if ((classicOrder.get(group) ?? -1) > meta.order) continue;
      classicGroups.delete(group);
      const assignments = memberAssignment.get(group);
      const members: StoredConsumerGroupMember[] = [];
      for (const [memberId, m] of memberMeta.get(group) ?? []) {
        const a = assignments?.get(memberId);
        members.push({
          memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          serverAssignor: m.serverAssignor,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          memberEpoch: a?.memberEpoch ?? 0,
          previousMemberEpoch: a?.previousMemberEpoch ?? -1,
          assignedPartitions: a?.assignedPartitions ?? new Map(),
          partitionsPendingRevocation: a?.partitionsPendingRevocation ?? new Map(),
        });
      }
      consumerGroups.set(group, {
        groupId: group,
        groupEpoch: meta.epoch,
        assignmentEpoch: assignmentEpochs.get(group) ?? 0,
        members,
        targetAssignment: targets.get(group) ?? new Map(),
      });
    }
    return { offsets, classicGroups, consumerGroups };
  }

  private keysOf(groupId: string): GroupKeys {
    let k = this.keys.get(groupId);
    if (k === undefined) {
      k = {
        classic: false,
        consumer: false,
        partitionMetadata: false,
        members: new Set(),
        targets: new Set(),
      };
      this.keys.set(groupId, k);
    }
    return k;
  }

  async commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const records = offsets.map((o) => ({
      key: key({ type: 'offsetCommit', group: groupId, topic: o.topic, partition: o.partition }),
      // Kafka's OffsetCommitValue has no null metadata: it stores "" (OffsetAndMetadata.NO_METADATA).
      value: encodeOffsetCommitValue({
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata ?? '',
        commitTimestamp: o.commitTimestamp,
        expireTimestamp: o.expireTimestamp,
      }),
    }));
    await this.write(groupId, records);
  }

  async deleteOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.write(groupId, this.offsetTombstones(groupId, partitions));
  }

  private offsetTombstones(groupId: string, partitions: readonly TopicPartitionRef[]): KeyedRecord[] {
    return partitions.map((p) => ({
      key: key({ type: 'offsetCommit', group: groupId, topic: p.topic, partition: p.partition }),
      value: null,
    }));
  }

  async storeClassicGroup(group: StoredClassicGroup): Promise<void> {
    const old = this.keysOf(group.groupId);
    const records: KeyedRecord[] = [];
    if (old.consumer || old.members.size > 0 || old.targets.size > 0 || old.partitionMetadata) {
      records.push(...this.allConsumerTombstones(group.groupId, old));
    }
    records.push({
      key: key({ type: 'groupMetadata', group: group.groupId }),
      value: encodeGroupMetadataValue(group),
    });
    const next: GroupKeys = {
      classic: true,
      consumer: false,
      partitionMetadata: false,
      members: new Set(),
      targets: new Set(),
    };
    await this.writeTracked(group.groupId, records, old, next);
  }

  async storeConsumerGroup(group: StoredConsumerGroup): Promise<void> {
    const g = group.groupId;
    const old = this.keysOf(g);
    const members = new Set(group.members.map((m) => m.memberId));
    const targets = new Set(group.targetAssignment.keys());
    const records: KeyedRecord[] = [];
    if (old.classic) records.push({ key: key({ type: 'groupMetadata', group: g }), value: null });
    for (const m of old.members) {
      if (members.has(m)) continue;
      records.push(
        { key: key({ type: 'consumerGroupCurrentMemberAssignment', group: g, memberId: m }), value: null },
        { key: key({ type: 'consumerGroupMemberMetadata', group: g, memberId: m }), value: null },
      );
    }
    for (const m of old.targets) {
      if (targets.has(m)) continue;
      records.push({
        key: key({ type: 'consumerGroupTargetAssignmentMember', group: g, memberId: m }),
        value: null,
      });
    }
    // Kafka's order: subscriptions, group epoch, target assignment, its epoch, current assignments.
    for (const m of group.members) {
      records.push({
        key: key({ type: 'consumerGroupMemberMetadata', group: g, memberId: m.memberId }),
        value: encodeConsumerGroupMemberMetadataValue({
          instanceId: m.instanceId,
          rackId: m.rackId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          rebalanceTimeoutMs: m.rebalanceTimeoutMs,
          serverAssignor: m.serverAssignor,
        }),
      });
    }
    records.push({
      key: key({ type: 'consumerGroupMetadata', group: g }),
      value: encodeConsumerGroupMetadataValue({ epoch: group.groupEpoch }),
    });
    for (const [memberId, topicPartitions] of group.targetAssignment) {
      records.push({
        key: key({ type: 'consumerGroupTargetAssignmentMember', group: g, memberId }),
        value: encodeConsumerGroupTargetAssignmentMemberValue({ topicPartitions }),
      });
    }
    records.push({
      key: key({ type: 'consumerGroupTargetAssignmentMetadata', group: g }),
      value: encodeConsumerGroupTargetAssignmentMetadataValue({ assignmentEpoch: group.assignmentEpoch }),
    });
    for (const m of group.members) {
      records.push({
        key: key({ type: 'consumerGroupCurrentMemberAssignment', group: g, memberId: m.memberId }),
        value: encodeConsumerGroupCurrentMemberAssignmentValue({
          memberEpoch: m.memberEpoch,
          previousMemberEpoch: m.previousMemberEpoch,
          // Not kept by the coordinator's port; derived (UNRELEASED_PARTITIONS is not distinguished).
          state: hasPartitions(m.partitionsPendingRevocation)
            ? MemberState.UNREVOKED_PARTITIONS
            : MemberState.STABLE,
          assignedPartitions: m.assignedPartitions,
          partitionsPendingRevocation: m.partitionsPendingRevocation,
        }),
      });
    }
    const next: GroupKeys = {
      classic: false,
      consumer: true,
      partitionMetadata: old.partitionMetadata,
      members,
      targets,
    };
    await this.writeTracked(g, records, old, next);
  }

  async deleteGroup(groupId: string, offsets: readonly TopicPartitionRef[]): Promise<void> {
    const old = this.keysOf(groupId);
    const records = this.offsetTombstones(groupId, offsets);
    const consumer = old.consumer || old.members.size > 0 || old.targets.size > 0 || old.partitionMetadata;
    if (consumer) records.push(...this.allConsumerTombstones(groupId, old));
    // Kafka writes the classic group's tombstone even for a group that only had offsets.
    if (old.classic || !consumer)
      records.push({ key: key({ type: 'groupMetadata', group: groupId }), value: null });
    const next: GroupKeys = {
      classic: false,
      consumer: false,
      partitionMetadata: false,
      members: new Set(),
      targets: new Set(),
    };
    await this.writeTracked(groupId, records, old, next);
    if (this.keys.get(groupId) === next) this.keys.delete(groupId);
  }

  private allConsumerTombstones(g: string, k: GroupKeys): KeyedRecord[] {
    const out: KeyedRecord[] = [];
    for (const m of k.members) {
      out.push(
        { key: key({ type: 'consumerGroupCurrentMemberAssignment', group: g, memberId: m }), value: null },
        { key: key({ type: 'consumerGroupMemberMetadata', group: g, memberId: m }), value: null },
      );
    }
    for (const m of k.targets) {
      out.push({
        key: key({ type: 'consumerGroupTargetAssignmentMember', group: g, memberId: m }),
        value: null,
      });
    }
    out.push({ key: key({ type: 'consumerGroupTargetAssignmentMetadata', group: g }), value: null });
    if (k.partitionMetadata)
      out.push({ key: key({ type: 'consumerGroupPartitionMetadata', group: g }), value: null });
    out.push({ key: key({ type: 'consumerGroupMetadata', group: g }), value: null });
    return out;
  }

  /**
   * Writes and records which keys of the group now exist. The tracking changes before the append
   * starts, so a later call computes its tombstones against it (appends land in call order); when
   * the write fails, whatever either state had is assumed present, so later tombstones cover it.
   */
  private async writeTracked(groupId: string, records: KeyedRecord[], old: GroupKeys, next: GroupKeys) {
    this.keys.set(groupId, next);
    try {
      await this.write(groupId, records);
    } catch (err) {
      if (this.keys.get(groupId) === next) {
        this.keys.set(groupId, {
          classic: old.classic || next.classic,
          consumer: old.consumer || next.consumer,
          partitionMetadata: old.partitionMetadata || next.partitionMetadata,
          members: new Set([...old.members, ...next.members]),
          targets: new Set([...old.targets, ...next.targets]),
        });
      }
      throw err;
    }
  }

  /** Appends the records as one batch to the group's partition; resolves once fsynced. */
  private write(groupId: string, records: readonly KeyedRecord[]): Promise<void> {
    const index = this.partitionFor(groupId);
    const now = this.now();
    let batch: Buffer;
    try {
      batch = encodeRecordBatch({
        baseTimestamp: now,
        records: records.map((r, i) => ({ offsetDelta: i, timestampDelta: 0, key: r.key, value: r.value })),
      });
    } catch (err) {
      return Promise.reject(
        new GroupStoreError(ErrorCode.UNKNOWN_SERVER_ERROR, 0, `cannot encode group ${groupId}: ${err}`, {
          cause: err,
        }),
      );
    }
    const p = this.partitions.partition(CONSUMER_OFFSETS_TOPIC, index);
    // Appending in the caller's turn keeps the log order equal to the call order.
    if (p !== undefined) return this.appendTo(p, batch);
    return this.ensureTopic().then(
      () => {
        const again = this.partitions.partition(CONSUMER_OFFSETS_TOPIC, index);
        if (again === undefined) {
          throw new GroupStoreError(
            ErrorCode.COORDINATOR_NOT_AVAILABLE,
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            `${CONSUMER_OFFSETS_TOPIC}-${index} does not exist`,
          );
        }
        return this.appendTo(again, batch);
      },
      (err: unknown) => {
        throw new GroupStoreError(
          ErrorCode.COORDINATOR_NOT_AVAILABLE,
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `cannot create ${CONSUMER_OFFSETS_TOPIC}: ${err}`,
          { cause: err },
        );
      },
    );
  }

  private async appendTo(p: Partition, batch: Buffer): Promise<void> {
    const topic = this.partitions.topic(CONSUMER_OFFSETS_TOPIC);
    const configured = Number(topic?.configs['max.message.bytes']);
    const maxMessageBytes =
      Number.isFinite(configured) && configured > 0 ? configured : MAX_MESSAGE_BYTES_DEFAULT;
    let outcome: Awaited<ReturnType<Partition['append']>>;
    try {
      outcome = await p.append(batch, { maxMessageBytes });
    } catch (err) {
      throw new GroupStoreError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        0,
        `append to ${p.topic}-${p.index} failed: ${err}`,
        {
          cause: err,
        },
      );
    }
    if (!('baseOffset' in outcome)) {
      throw new GroupStoreError(
        coordinatorErrorFor(outcome.errorCode),
        outcome.errorCode,
        `append to ${p.topic}-${p.index} failed (error ${outcome.errorCode}): ${outcome.message}`,
      );
    }
    // flush.messages=1 already fsynced it; this covers a topic whose configs were changed since.
    const end = outcome.baseOffset + batchRecordsCount(batch, 0);
    if (p.log.flushedOffset < end) {
      try {
        await p.log.flush();
      } catch (err) {
        throw new GroupStoreError(
          ErrorCode.NOT_COORDINATOR,
          ErrorCode.KAFKA_STORAGE_ERROR,
          `fsync of ${p.topic}-${p.index} failed: ${err}`,
          {
            cause: err,
          },
        );
      }
    }
  }
}

function hasPartitions(m: ReadonlyMap<string, readonly number[]>): boolean {
  for (const ps of m.values()) if (ps.length > 0) return true;
  return false;
}
