/**
 * The records of `__consumer_offsets`, byte for byte Kafka's (the group coordinator's message specs
 * in Kafka 4.0: group-coordinator/src/main/resources/common/message/*.json, and its record serde).
 *
 * Every record is keyed. A key is `int16 keyVersion` + the key struct; the key version names the
 * record type. A value is `int16 valueVersion` + the value struct of that version; a tombstone is a
 * null value (the record is deleted at the next compaction, after `delete.retention.ms`).
 *
 * | key version | key | value (versions read / written) |
 * |---|---|---|
 * | 0, 1 | OffsetCommitKey: group, topic, partition | OffsetCommitValue 0-4 / 3, or 1 when an expire timestamp is set |
 * | 2 | GroupMetadataKey: group | GroupMetadataValue 0-4 / 3 (classic group after a rebalance) |
 * | 3 | ConsumerGroupMetadataKey: group | ConsumerGroupMetadataValue 0: group epoch |
 * | 4 | ConsumerGroupPartitionMetadataKey: group | not written; the value is not decoded |
 * | 5 | ConsumerGroupMemberMetadataKey: group, member | ConsumerGroupMemberMetadataValue 0 |
 * | 6 | ConsumerGroupTargetAssignmentMetadataKey: group | ConsumerGroupTargetAssignmentMetadataValue 0 |
 * | 7 | ConsumerGroupTargetAssignmentMemberKey: group, member | ConsumerGroupTargetAssignmentMemberValue 0 |
 * | 8 | ConsumerGroupCurrentMemberAssignmentKey: group, member | ConsumerGroupCurrentMemberAssignmentValue 0 |
 *
 * Keys are never flexible. OffsetCommitValue and GroupMetadataValue are flexible from v4, the
 * consumer-group values always (compact strings/arrays, tagged fields, unknown tags skipped).
 * Other key versions (share groups 9-15, future types) decode as `unknown`, which the loader skips
 * as Kafka does. Malformed bytes raise DecodeError and nothing else; no count or length is trusted
 * before it is checked against the bytes present.
 */
import { ByteReader, ByteWriter, DecodeError } from '../../../base/index.ts';
import type { StoredClassicGroup, StoredClassicMember } from './group-store.ts';

export const OffsetsKeyVersion = {
  OFFSET_COMMIT_V0: 0,
  OFFSET_COMMIT: 1,
  GROUP_METADATA: 2,
  CONSUMER_GROUP_METADATA: 3,
  CONSUMER_GROUP_PARTITION_METADATA: 4,
  CONSUMER_GROUP_MEMBER_METADATA: 5,
  CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA: 6,
  CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER: 7,
  CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT: 8,
} as const;

export type OffsetsTopicKey =
  | {
      readonly type: 'offsetCommit';
      readonly group: string;
      readonly topic: string;
      readonly partition: number;
    }
  | { readonly type: 'groupMetadata'; readonly group: string }
  | { readonly type: 'consumerGroupMetadata'; readonly group: string }
  | { readonly type: 'consumerGroupPartitionMetadata'; readonly group: string }
  | { readonly type: 'consumerGroupMemberMetadata'; readonly group: string; readonly memberId: string }
  | { readonly type: 'consumerGroupTargetAssignmentMetadata'; readonly group: string }
  | {
      readonly type: 'consumerGroupTargetAssignmentMember';
      readonly group: string;
      readonly memberId: string;
    }
  | {
      readonly type: 'consumerGroupCurrentMemberAssignment';
      readonly group: string;
      readonly memberId: string;
    }
  /** A record type this version does not know (share groups, newer Kafka); skipped on load. */
  | { readonly type: 'unknown'; readonly version: number };

/** OffsetCommitValue. `metadata` is a non-null string in every version (Kafka stores null as ""). */
export interface OffsetCommitValue {
  readonly offset: number;
  /** v3+; -1 when absent. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** v1 only; null when absent (-1 on the wire). */
  readonly expireTimestamp: number | null;
}

/** GroupMetadataValue: a classic group without its id (the id is the key). */
export type GroupMetadataValue = Omit<StoredClassicGroup, 'groupId'>;

export interface ConsumerGroupMetadataValue {
  readonly epoch: number;
}

export interface ConsumerGroupMemberMetadataValue {
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly subscribedTopicNames: readonly string[];
  readonly subscribedTopicRegex: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly serverAssignor: string | null;
}

export interface ConsumerGroupTargetAssignmentMetadataValue {
  readonly assignmentEpoch: number;
}

/** Topic id (UUID string) → partitions. */
export type TopicIdPartitions = ReadonlyMap<string, readonly number[]>;

export interface ConsumerGroupTargetAssignmentMemberValue {
  readonly topicPartitions: TopicIdPartitions;
}

/** Kafka's MemberState byte. */
export const MemberState = {
  STABLE: 0,
  UNREVOKED_PARTITIONS: 1,
  UNRELEASED_PARTITIONS: 2,
  UNKNOWN: 127,
} as const;

export interface ConsumerGroupCurrentMemberAssignmentValue {
  readonly memberEpoch: number;
  readonly previousMemberEpoch: number;
  /** MemberState. */
  readonly state: number;
  readonly assignedPartitions: TopicIdPartitions;
  readonly partitionsPendingRevocation: TopicIdPartitions;
}

/** A decoded key with its decoded value (null = tombstone). */
export type OffsetsTopicRecord =
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'offsetCommit' }>;
      readonly value: OffsetCommitValue | null;
    }
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'groupMetadata' }>;
      readonly value: GroupMetadataValue | null;
    }
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'consumerGroupMetadata' }>;
      readonly value: ConsumerGroupMetadataValue | null;
    }
  | {
      /** The value (subscription metadata) is not decoded: Sluice does not use it. */
      readonly key: Extract<OffsetsTopicKey, { type: 'consumerGroupPartitionMetadata' }>;
      readonly value: Buffer | null;
    }
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'consumerGroupMemberMetadata' }>;
      readonly value: ConsumerGroupMemberMetadataValue | null;
    }
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'consumerGroupTargetAssignmentMetadata' }>;
      readonly value: ConsumerGroupTargetAssignmentMetadataValue | null;
    }
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'consumerGroupTargetAssignmentMember' }>;
      readonly value: ConsumerGroupTargetAssignmentMemberValue | null;
    }
  | {
      readonly key: Extract<OffsetsTopicKey, { type: 'consumerGroupCurrentMemberAssignment' }>;
      readonly value: ConsumerGroupCurrentMemberAssignmentValue | null;
    }
  | { readonly key: Extract<OffsetsTopicKey, { type: 'unknown' }>; readonly value: Buffer | null };

// ---------------------------------------------------------------------------------------------
// Keys

/** Encodes a key; OffsetCommitKey is written with key version 1 as Kafka does (0 on request). */
export function encodeOffsetsTopicKey(key: OffsetsTopicKey, offsetCommitKeyVersion: 0 | 1 = 1): Buffer {
  const w = new ByteWriter(64);
  switch (key.type) {
    case 'offsetCommit':
      w.int16(offsetCommitKeyVersion).string(key.group).string(key.topic).int32(key.partition);
      break;
    case 'groupMetadata':
      w.int16(OffsetsKeyVersion.GROUP_METADATA).string(key.group);
      break;
    case 'consumerGroupMetadata':
      w.int16(OffsetsKeyVersion.CONSUMER_GROUP_METADATA).string(key.group);
      break;
    case 'consumerGroupPartitionMetadata':
      w.int16(OffsetsKeyVersion.CONSUMER_GROUP_PARTITION_METADATA).string(key.group);
      break;
    case 'consumerGroupMemberMetadata':
      w.int16(OffsetsKeyVersion.CONSUMER_GROUP_MEMBER_METADATA).string(key.group).string(key.memberId);
      break;
    case 'consumerGroupTargetAssignmentMetadata':
      w.int16(OffsetsKeyVersion.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA).string(key.group);
      break;
    case 'consumerGroupTargetAssignmentMember':
      w.int16(OffsetsKeyVersion.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER)
        .string(key.group)
        .string(key.memberId);
      break;
    case 'consumerGroupCurrentMemberAssignment':
      w.int16(OffsetsKeyVersion.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT)
        .string(key.group)
        .string(key.memberId);
      break;
    case 'unknown':
      throw new Error('cannot encode a key of an unknown record type');
  }
  return w.toBuffer();
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey {
  const r = new ByteReader(buf);
  const version = r.int16();
  let key: OffsetsTopicKey;
  switch (version) {
    case OffsetsKeyVersion.OFFSET_COMMIT_V0:
    case OffsetsKeyVersion.OFFSET_COMMIT:
      key = { type: 'offsetCommit', group: r.string(), topic: r.string(), partition: r.int32() };
      break;
    case OffsetsKeyVersion.GROUP_METADATA:
      key = { type: 'groupMetadata', group: r.string() };
      break;
    case OffsetsKeyVersion.CONSUMER_GROUP_METADATA:
      key = { type: 'consumerGroupMetadata', group: r.string() };
      break;
    case OffsetsKeyVersion.CONSUMER_GROUP_PARTITION_METADATA:
      key = { type: 'consumerGroupPartitionMetadata', group: r.string() };
      break;
    case OffsetsKeyVersion.CONSUMER_GROUP_MEMBER_METADATA:
      key = { type: 'consumerGroupMemberMetadata', group: r.string(), memberId: r.string() };
      break;
    case OffsetsKeyVersion.CONSUMER_GROUP_TARGET_ASSIGNMENT_METADATA:
      key = { type: 'consumerGroupTargetAssignmentMetadata', group: r.string() };
      break;
    case OffsetsKeyVersion.CONSUMER_GROUP_TARGET_ASSIGNMENT_MEMBER:
      key = { type: 'consumerGroupTargetAssignmentMember', group: r.string(), memberId: r.string() };
      break;
    case OffsetsKeyVersion.CONSUMER_GROUP_CURRENT_MEMBER_ASSIGNMENT:
      key = { type: 'consumerGroupCurrentMemberAssignment', group: r.string(), memberId: r.string() };
      break;
    default:
      if (version < 0) r.fail(`__consumer_offsets key: invalid version ${version}`);
      return { type: 'unknown', version };
  }
  r.expectEnd('__consumer_offsets key');
  return key;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Reads an int64 that must be an exact JavaScript number (offsets, timestamps). */
function safeInt64(r: ByteReader, what: string): number {
  const at = r.offset;
  const v = r.int64();
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DecodeError(`${what}: ${v} is beyond 2^53`, at);
  }
  return Number(v);
}

function readVersion(r: ByteReader, what: string, max: number): number {
  const version = r.int16();
  if (version < 0 || version > max) r.fail(`${what}: unsupported version ${version}`);
  return version;
}

/**
 * OffsetCommitValue in `version` (default: 1 when an expire timestamp is set, else 3, as Kafka
 * writes them). Fields a version lacks are dropped.
 */
export function encodeOffsetCommitValue(v: OffsetCommitValue, version?: number): Buffer {
  const ver = version ?? (v.expireTimestamp !== null ? 1 : 3);
  if (!Number.isInteger(ver) || ver < 0 || ver > 4) throw new Error(`OffsetCommitValue version ${ver}`);
  const w = new ByteWriter(64);
  w.int16(ver).int64(BigInt(v.offset));
  if (ver >= 3) w.int32(v.leaderEpoch);
  if (ver >= 4) w.compactString(v.metadata);
  else w.string(v.metadata);
  w.int64(BigInt(v.commitTimestamp));
  if (ver === 1) w.int64(BigInt(v.expireTimestamp ?? -1));
  if (ver >= 4) w.uvarint(0);
  return w.toBuffer();
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue & { readonly version: number } {
  const r = new ByteReader(buf);
  const version = readVersion(r, 'OffsetCommitValue', 4);
  const offset = safeInt64(r, 'OffsetCommitValue offset');
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = version >= 4 ? r.compactString() : r.string();
  const commitTimestamp = safeInt64(r, 'OffsetCommitValue commitTimestamp');
  let expireTimestamp: number | null = null;
  if (version === 1) {
    const e = safeInt64(r, 'OffsetCommitValue expireTimestamp');
    expireTimestamp = e === -1 ? null : e;
  }
  if (version >= 4) r.taggedFields();
  r.expectEnd('OffsetCommitValue');
  return { version, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

/** Smallest GroupMetadataValue member of any version (v4: 7 one-byte lengths/tags + two int32s). */
const GROUP_MEMBER_BYTES_MIN = 15;

/** GroupMetadataValue in `version` (default 3, as Kafka 4 writes it); fields a version lacks are dropped. */
export function encodeGroupMetadataValue(g: GroupMetadataValue, version = 3): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > 4) {
    throw new Error(`GroupMetadataValue version ${version}`);
  }
  const flexible = version >= 4;
  const w = new ByteWriter(256);
  const str = (s: string) => (flexible ? w.compactString(s) : w.string(s));
  const nstr = (s: string | null) => (flexible ? w.compactNullableString(s) : w.nullableString(s));
  const bytes = (b: Uint8Array) => (flexible ? w.compactBytes(b) : w.bytes(b));
  w.int16(version);
  str(g.protocolType);
  w.int32(g.generationId);
  nstr(g.protocolName);
  nstr(g.leader);
  if (version >= 2) w.int64(BigInt(g.currentStateTimestamp));
  if (flexible) w.compactArrayLength(g.members.length);
  else w.arrayLength(g.members.length);
  for (const m of g.members) {
    str(m.memberId);
    if (version >= 3) nstr(m.groupInstanceId);
    str(m.clientId);
    str(m.clientHost);
    if (version >= 1) w.int32(m.rebalanceTimeoutMs);
    w.int32(m.sessionTimeoutMs);
    bytes(m.subscription);
    bytes(m.assignment);
    if (flexible) w.uvarint(0);
  }
  if (flexible) w.uvarint(0);
  return w.toBuffer();
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue & { readonly version: number } {
  const r = new ByteReader(buf);
  const version = readVersion(r, 'GroupMetadataValue', 4);
  const flexible = version >= 4;
  const str = () => (flexible ? r.compactString() : r.string());
  const nstr = () => (flexible ? r.compactNullableString() : r.nullableString());
  // Copies: the result outlives the batch buffer it was read from.
  const bytes = () => Buffer.from(flexible ? r.compactBytes() : r.bytes());
  const protocolType = str();
  const generationId = r.int32();
  const protocolName = nstr();
  const leader = nstr();
  const currentStateTimestamp = version >= 2 ? safeInt64(r, 'GroupMetadataValue currentStateTimestamp') : -1;
  const count = flexible
    ? r.compactArrayLength(GROUP_MEMBER_BYTES_MIN)
    : r.arrayLength(GROUP_MEMBER_BYTES_MIN);
  if (count < 0) r.fail('GroupMetadataValue: null members');
  const members: StoredClassicMember[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const rebalance = version >= 1 ? r.int32() : null;
    const sessionTimeoutMs = r.int32();
    const subscription = bytes();
    const assignment = bytes();
    if (flexible) r.taggedFields();
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      // v0 had no rebalance timeout: the session timeout played that role.
      rebalanceTimeoutMs: rebalance ?? sessionTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  if (flexible) r.taggedFields();
  r.expectEnd('GroupMetadataValue');
  return { version, protocolType, generationId, protocolName, leader, currentStateTimestamp, members };
}

// The consumer-group (KIP-848) values: version 0, flexible.

function valueWriter(): ByteWriter {
  return new ByteWriter(128).int16(0);
}

function valueReader(buf: Buffer, what: string): ByteReader {
  const r = new ByteReader(buf);
  readVersion(r, what, 0);
  return r;
}

function finish(r: ByteReader, what: string): void {
  r.taggedFields();
  r.expectEnd(what);
}

export function encodeConsumerGroupMetadataValue(v: ConsumerGroupMetadataValue): Buffer {
  return valueWriter().int32(v.epoch).uvarint(0).toBuffer();
}

export function decodeConsumerGroupMetadataValue(buf: Buffer): ConsumerGroupMetadataValue {
  const r = valueReader(buf, 'ConsumerGroupMetadataValue');
  const epoch = r.int32();
  finish(r, 'ConsumerGroupMetadataValue');
  return { epoch };
}

export function encodeConsumerGroupMemberMetadataValue(v: ConsumerGroupMemberMetadataValue): Buffer {
  const w = valueWriter()
    .compactNullableString(v.instanceId)
    .compactNullableString(v.rackId)
    .compactString(v.clientId)
    .compactString(v.clientHost)
    .compactArrayLength(v.subscribedTopicNames.length);
  for (const t of v.subscribedTopicNames) w.compactString(t);
  w.compactNullableString(v.subscribedTopicRegex)
    .int32(v.rebalanceTimeoutMs)
    .compactNullableString(v.serverAssignor)
    .uvarint(0);
  return w.toBuffer();
}

export function decodeConsumerGroupMemberMetadataValue(buf: Buffer): ConsumerGroupMemberMetadataValue {
  const what = 'ConsumerGroupMemberMetadataValue';
  const r = valueReader(buf, what);
  const instanceId = r.compactNullableString();
  const rackId = r.compactNullableString();
  const clientId = r.compactString();
  const clientHost = r.compactString();
  const n = r.compactArrayLength(1);
  if (n < 0) r.fail(`${what}: null SubscribedTopicNames`);
  const subscribedTopicNames: string[] = [];
  for (let i = 0; i < n; i++) subscribedTopicNames.push(r.compactString());
  const subscribedTopicRegex = r.compactNullableString();
  const rebalanceTimeoutMs = r.int32();
  const serverAssignor = r.compactNullableString();
  // Tag 0 (ClassicMemberMetadata, a member that joined with the classic protocol) is skipped.
  finish(r, what);
  return {
    instanceId,
    rackId,
    clientId,
    clientHost,
    subscribedTopicNames,
    subscribedTopicRegex,
    rebalanceTimeoutMs,
    serverAssignor,
  };
}

export function encodeConsumerGroupTargetAssignmentMetadataValue(
  v: ConsumerGroupTargetAssignmentMetadataValue,
): Buffer {
  return valueWriter().int32(v.assignmentEpoch).uvarint(0).toBuffer();
}

export function decodeConsumerGroupTargetAssignmentMetadataValue(
  buf: Buffer,
): ConsumerGroupTargetAssignmentMetadataValue {
  const what = 'ConsumerGroupTargetAssignmentMetadataValue';
  const r = valueReader(buf, what);
  const assignmentEpoch = r.int32();
  finish(r, what);
  return { assignmentEpoch };
}

/** `[]TopicPartition{TopicId uuid, Partitions []int32}`, flexible. */
function writeTopicPartitions(w: ByteWriter, tps: TopicIdPartitions): void {
  w.compactArrayLength(tps.size);
  for (const [topicId, partitions] of tps) {
    w.uuid(topicId).compactArrayLength(partitions.length);
    for (const p of partitions) w.int32(p);
    w.uvarint(0);
  }
}

function readTopicPartitions(r: ByteReader, what: string): Map<string, number[]> {
  // uuid + empty array + no tags.
  const n = r.compactArrayLength(16 + 1 + 1);
  if (n < 0) r.fail(`${what}: null topic partitions`);
  const out = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const topicId = r.uuid();
    const count = r.compactArrayLength(4);
    if (count < 0) r.fail(`${what}: null partitions`);
    let partitions = out.get(topicId);
    if (partitions === undefined) {
      partitions = [];
      out.set(topicId, partitions);
    }
    for (let j = 0; j < count; j++) partitions.push(r.int32());
    r.taggedFields();
  }
  return out;
}

export function encodeConsumerGroupTargetAssignmentMemberValue(
  v: ConsumerGroupTargetAssignmentMemberValue,
): Buffer {
  const w = valueWriter();
  writeTopicPartitions(w, v.topicPartitions);
  return w.uvarint(0).toBuffer();
}

export function decodeConsumerGroupTargetAssignmentMemberValue(
  buf: Buffer,
): ConsumerGroupTargetAssignmentMemberValue {
  const what = 'ConsumerGroupTargetAssignmentMemberValue';
  const r = valueReader(buf, what);
  const topicPartitions = readTopicPartitions(r, what);
  finish(r, what);
  return { topicPartitions };
}

export function encodeConsumerGroupCurrentMemberAssignmentValue(
  v: ConsumerGroupCurrentMemberAssignmentValue,
): Buffer {
  const w = valueWriter().int32(v.memberEpoch).int32(v.previousMemberEpoch).int8(v.state);
  writeTopicPartitions(w, v.assignedPartitions);
  writeTopicPartitions(w, v.partitionsPendingRevocation);
  return w.uvarint(0).toBuffer();
}

export function decodeConsumerGroupCurrentMemberAssignmentValue(
  buf: Buffer,
): ConsumerGroupCurrentMemberAssignmentValue {
  const what = 'ConsumerGroupCurrentMemberAssignmentValue';
  const r = valueReader(buf, what);
  const memberEpoch = r.int32();
  const previousMemberEpoch = r.int32();
  const state = r.int8();
  const assignedPartitions = readTopicPartitions(r, what);
  const partitionsPendingRevocation = readTopicPartitions(r, what);
  finish(r, what);
  return { memberEpoch, previousMemberEpoch, state, assignedPartitions, partitionsPendingRevocation };
}

// ---------------------------------------------------------------------------------------------
// Whole records

/** Decodes one record of the topic (key required; null value = tombstone). */
export function decodeOffsetsTopicRecord(key: Buffer, value: Buffer | null): OffsetsTopicRecord {
  const k = decodeOffsetsTopicKey(key);
  switch (k.type) {
    case 'offsetCommit':
      return { key: k, value: value === null ? null : decodeOffsetCommitValue(value) };
    case 'groupMetadata':
      return { key: k, value: value === null ? null : decodeGroupMetadataValue(value) };
    case 'consumerGroupMetadata':
      return { key: k, value: value === null ? null : decodeConsumerGroupMetadataValue(value) };
    case 'consumerGroupPartitionMetadata':
      return { key: k, value };
    case 'consumerGroupMemberMetadata':
      return { key: k, value: value === null ? null : decodeConsumerGroupMemberMetadataValue(value) };
    case 'consumerGroupTargetAssignmentMetadata':
      return {
        key: k,
        value: value === null ? null : decodeConsumerGroupTargetAssignmentMetadataValue(value),
      };
    case 'consumerGroupTargetAssignmentMember':
      return {
        key: k,
        value: value === null ? null : decodeConsumerGroupTargetAssignmentMemberValue(value),
      };
    case 'consumerGroupCurrentMemberAssignment':
      return {
        key: k,
        value: value === null ? null : decodeConsumerGroupCurrentMemberAssignmentValue(value),
      };
    case 'unknown':
      return { key: k, value };
  }
}

/**
 * The identity of a key for "last value wins": the record type and its fields, not the bytes
 * (OffsetCommitKey versions 0 and 1 name the same offset).
 */
export function offsetsKeyIdentity(key: OffsetsTopicKey): string {
  switch (key.type) {
    case 'offsetCommit':
      return `o\0${key.group}\0${key.topic}\0${key.partition}`;
    case 'consumerGroupMemberMetadata':
    case 'consumerGroupTargetAssignmentMember':
    case 'consumerGroupCurrentMemberAssignment':
      return `${key.type}\0${key.group}\0${key.memberId}`;
    case 'unknown':
      return `?\0${key.version}`;
    default:
      return `${key.type}\0${key.group}`;
  }
}
