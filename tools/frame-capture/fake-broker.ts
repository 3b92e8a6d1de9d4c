import { randomUUID } from 'node:crypto';
import type { ApiCodec } from '../../src/kafka/protocol/api.ts';
import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  defaultApiVersionsResponse,
} from '../../src/kafka/protocol/messages/api-versions.generated.ts';
import { apiCodecs } from '../../src/kafka/protocol/messages/apis.generated.ts';
import {
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicResult,
} from '../../src/kafka/protocol/messages/create-topics.generated.ts';
import {
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResponseDescribeConfigsResourceResult,
  defaultDescribeConfigsResponseDescribeConfigsResult,
} from '../../src/kafka/protocol/messages/describe-configs.generated.ts';
import {
  defaultFetchResponse,
  defaultFetchResponseFetchableTopicResponse,
  defaultFetchResponsePartitionData,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartitionData,
} from '../../src/kafka/protocol/messages/fetch.generated.ts';
import {
  defaultFindCoordinatorResponse,
  defaultFindCoordinatorResponseCoordinator,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../../src/kafka/protocol/messages/find-coordinator.generated.ts';
import {
  defaultHeartbeatResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from '../../src/kafka/protocol/messages/heartbeat.generated.ts';
import {
  defaultInitProducerIdResponse,
  type InitProducerIdRequest,
  type InitProducerIdResponse,
} from '../../src/kafka/protocol/messages/init-producer-id.generated.ts';
import {
  defaultJoinGroupResponse,
  defaultJoinGroupResponseMember,
  type JoinGroupRequest,
  type JoinGroupResponse,
} from '../../src/kafka/protocol/messages/join-group.generated.ts';
import {
  defaultLeaveGroupResponse,
  defaultLeaveGroupResponseMemberResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
} from '../../src/kafka/protocol/messages/leave-group.generated.ts';
import {
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultListOffsetsResponseListOffsetsTopicResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../src/kafka/protocol/messages/list-offsets.generated.ts';
import {
  defaultMetadataResponse,
  defaultMetadataResponseBroker,
  defaultMetadataResponsePartition,
  defaultMetadataResponseTopic,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../../src/kafka/protocol/messages/metadata.generated.ts';
import {
  defaultOffsetCommitResponse,
  defaultOffsetCommitResponsePartition,
  defaultOffsetCommitResponseTopic,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
} from '../../src/kafka/protocol/messages/offset-commit.generated.ts';
import {
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponseGroup,
  defaultOffsetFetchResponsePartition,
  defaultOffsetFetchResponsePartitions,
  defaultOffsetFetchResponseTopic,
  defaultOffsetFetchResponseTopics,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
} from '../../src/kafka/protocol/messages/offset-fetch.generated.ts';
import {
  defaultOffsetForLeaderEpochResponse,
  defaultOffsetForLeaderEpochResponseEpochEndOffset,
  defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../src/kafka/protocol/messages/offset-for-leader-epoch.generated.ts';
import {
  defaultProduceResponse,
  defaultProduceResponsePartitionProduceResponse,
  defaultProduceResponseTopicProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '../../src/kafka/protocol/messages/produce.generated.ts';
import {
  defaultSyncGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from '../../src/kafka/protocol/messages/sync-group.generated.ts';

// Error codes used here (Kafka's numbering).
const NONE = 0;
const OFFSET_OUT_OF_RANGE = 1;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const UNSUPPORTED_VERSION = 35;
const TOPIC_ALREADY_EXISTS = 36;
const MEMBER_ID_REQUIRED = 79;
const UNKNOWN_TOPIC_ID = 100;

const NODE_ID = 1;
const CLUSTER_ID = 'sluice-frame-capture';
const PRODUCER_ID = 1000n;
/** A Fetch with nothing to return waits at most this long (clients ask for 100 ms to several seconds). */
const FETCH_WAIT_MAX_MS = 200;
/** Offsets of the record-batch v2 header fields the fake broker reads or stamps. */
const BATCH_LENGTH_AT = 8;
const BATCH_MAGIC_AT = 16;
const BATCH_LAST_OFFSET_DELTA_AT = 23;
const BATCH_LOG_OVERHEAD = 12;

interface PartitionLog {
  /** Stored batches with their baseOffset stamped. */
  batches: { baseOffset: bigint; nextOffset: bigint; bytes: Buffer }[];
  nextOffset: bigint;
}

interface Topic {
  name: string;
  id: string;
  partitions: PartitionLog[];
}

interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

interface Group {
  generationId: number;
  memberId: string;
  protocolType: string;
  protocolName: string;
  assignment: Buffer;
  offsets: Map<string, CommittedOffset>;
}

export interface FakeBrokerOptions {
  host: string;
  port: number;
  /** Partition count of auto-created topics. */
  partitions: number;
}

/** What the broker answers: a response body for the codec, or nothing (acks=0 Produce). */
export type Reply = { body: unknown } | null;

/**
 * A minimal, in-memory single-node Kafka broker: just enough behaviour for real clients to walk
 * through produce, consume-in-a-group and admin flows so the capture tool sees their requests.
 * It is a development tool, not the broker: no validation, no persistence, one member per group.
 */
export class FakeBroker {
  private readonly opts: FakeBrokerOptions;
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private memberSeq = 0;

  constructor(opts: FakeBrokerOptions) {
    this.opts = opts;
  }

  /** Answers one decoded request; throws for APIs the fake broker does not implement. */
  async handle(codec: ApiCodec, version: number, request: unknown): Promise<Reply> {
    const v = version;
    switch (codec.name) {
      case 'ApiVersions':
        return { body: this.apiVersions(request as ApiVersionsRequest) };
      case 'Metadata':
        return { body: this.metadata(request as MetadataRequest) };
      case 'Produce': {
        const body = this.produce(request as ProduceRequest);
        return (request as ProduceRequest).acks === 0 ? null : { body };
      }
      case 'Fetch':
        return { body: await this.fetch(request as FetchRequest, v) };
      case 'ListOffsets':
        return { body: this.listOffsets(request as ListOffsetsRequest, v) };
      case 'InitProducerId':
        return { body: this.initProducerId(request as InitProducerIdRequest) };
      case 'FindCoordinator':
        return { body: this.findCoordinator(request as FindCoordinatorRequest) };
      case 'JoinGroup':
        return { body: this.joinGroup(request as JoinGroupRequest, v) };
      case 'SyncGroup':
        return { body: this.syncGroup(request as SyncGroupRequest) };
      case 'Heartbeat':
        return { body: this.heartbeat(request as HeartbeatRequest) };
      case 'LeaveGroup':
        return { body: this.leaveGroup(request as LeaveGroupRequest) };
      case 'OffsetCommit':
        return { body: this.offsetCommit(request as OffsetCommitRequest) };
      case 'OffsetFetch':
        return { body: this.offsetFetch(request as OffsetFetchRequest) };
      case 'OffsetForLeaderEpoch':
        return { body: this.offsetForLeaderEpoch(request as OffsetForLeaderEpochRequest) };
      case 'CreateTopics':
        return { body: this.createTopics(request as CreateTopicsRequest) };
      case 'DescribeConfigs':
        return { body: this.describeConfigs(request as DescribeConfigsRequest) };
      default:
        throw new Error(`fake broker: ${codec.name} is not implemented`);
    }
  }

  /** The ApiVersions answer to a version the broker does not support: a v0 body with error 35. */
  unsupportedApiVersions(): ApiVersionsResponse {
    return { ...this.apiVersions(null), errorCode: UNSUPPORTED_VERSION };
  }

  private topic(name: string, partitions = this.opts.partitions): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { name, id: randomUUID(), partitions: [] };
      for (let i = 0; i < Math.max(1, partitions); i++) t.partitions.push({ batches: [], nextOffset: 0n });
      this.topics.set(name, t);
    }
    return t;
  }

  private topicById(id: string): Topic | undefined {
    for (const t of this.topics.values()) if (t.id === id) return t;
    return undefined;
  }

  private apiVersions(_req: ApiVersionsRequest | null): ApiVersionsResponse {
    return {
      ...defaultApiVersionsResponse(),
      // Unstable top versions are not advertised, as a real broker does by default.
      apiKeys: apiCodecs.map((c) => ({
        apiKey: c.apiKey,
        minVersion: c.minVersion,
        maxVersion: c.latestVersionUnstable ? c.maxVersion - 1 : c.maxVersion,
      })),
    };
  }

  private metadata(req: MetadataRequest): MetadataResponse {
    let wanted: Topic[];
    if (req.topics === null) {
      wanted = [...this.topics.values()];
    } else {
      wanted = [];
      for (const t of req.topics) {
        if (t.name !== null) wanted.push(this.topic(t.name));
        else {
          const byId = this.topicById(t.topicId);
          if (byId) wanted.push(byId);
        }
      }
    }
    return {
      ...defaultMetadataResponse(),
      brokers: [
        { ...defaultMetadataResponseBroker(), nodeId: NODE_ID, host: this.opts.host, port: this.opts.port },
      ],
      clusterId: CLUSTER_ID,
      controllerId: NODE_ID,
      topics: wanted.map(
        (t): MetadataResponseTopic => ({
          ...defaultMetadataResponseTopic(),
          name: t.name,
          topicId: t.id,
          partitions: t.partitions.map((_, i) => ({
            ...defaultMetadataResponsePartition(),
            partitionIndex: i,
            leaderId: NODE_ID,
            leaderEpoch: 0,
            replicaNodes: [NODE_ID],
            isrNodes: [NODE_ID],
          })),
        }),
      ),
    };
  }

  private produce(req: ProduceRequest): ProduceResponse {
    return {
      ...defaultProduceResponse(),
      responses: req.topicData.map((td) => {
        const t = this.topic(td.name);
        return {
          ...defaultProduceResponseTopicProduceResponse(),
          name: td.name,
          partitionResponses: td.partitionData.map((pd) => {
            const log = t.partitions[pd.index];
            if (!log) {
              return {
                ...defaultProduceResponsePartitionProduceResponse(),
                index: pd.index,
                errorCode: UNKNOWN_TOPIC_OR_PARTITION,
              };
            }
            const baseOffset = log.nextOffset;
            appendBatches(log, pd.records ?? Buffer.alloc(0));
            return {
              ...defaultProduceResponsePartitionProduceResponse(),
              index: pd.index,
              baseOffset,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
            };
          }),
        };
      }),
    };
  }

  private async fetch(req: FetchRequest, v: number): Promise<FetchResponse> {
    const answer = (): { res: FetchResponse; bytes: number } => {
      let bytes = 0;
      const responses = req.topics.map((ft) => {
        const t = v >= 13 ? this.topicById(ft.topicId) : this.topics.get(ft.topic);
        return {
          ...defaultFetchResponseFetchableTopicResponse(),
          topic: ft.topic,
          topicId: ft.topicId,
          partitions: ft.partitions.map((fp): FetchResponsePartitionData => {
            const base = { ...defaultFetchResponsePartitionData(), partitionIndex: fp.partition };
            const log = t?.partitions[fp.partition];
            if (!log) {
              return { ...base, errorCode: v >= 13 ? UNKNOWN_TOPIC_ID : UNKNOWN_TOPIC_OR_PARTITION };
            }
            const hw = log.nextOffset;
            const common = { ...base, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0n };
            if (fp.fetchOffset > hw || fp.fetchOffset < 0n)
              return { ...common, errorCode: OFFSET_OUT_OF_RANGE };
            // Whole batches from the one holding fetchOffset; the first is always returned.
            const out: Buffer[] = [];
            let size = 0;
            for (const b of log.batches) {
              if (b.nextOffset <= fp.fetchOffset) continue;
              if (out.length > 0 && size + b.bytes.length > fp.partitionMaxBytes) break;
              out.push(b.bytes);
              size += b.bytes.length;
            }
            bytes += size;
            return { ...common, abortedTransactions: null, records: Buffer.concat(out) };
          }),
        };
      });
      return { res: { ...defaultFetchResponse(), responses }, bytes };
    };
    const first = answer();
    if (first.bytes > 0 || req.maxWaitMs <= 0) return first.res;
    await new Promise((resolve) => setTimeout(resolve, Math.min(req.maxWaitMs, FETCH_WAIT_MAX_MS)));
    return answer().res;
  }

  private listOffsets(req: ListOffsetsRequest, v: number): ListOffsetsResponse {
    return {
      ...defaultListOffsetsResponse(),
      topics: req.topics.map((lt) => {
        const t = this.topics.get(lt.name);
        return {
          ...defaultListOffsetsResponseListOffsetsTopicResponse(),
          name: lt.name,
          partitions: lt.partitions.map((lp) => {
            const base = {
              ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
              partitionIndex: lp.partitionIndex,
            };
            const log = t?.partitions[lp.partitionIndex];
            if (!log) return { ...base, errorCode: UNKNOWN_TOPIC_OR_PARTITION };
            // -2 earliest, -1 latest; anything else (a timestamp, -3 max timestamp) → the start.
            const offset = lp.timestamp === -1n ? log.nextOffset : 0n;
            // v0 answers with a list of offsets instead of one.
            return {
              ...base,
              timestamp: -1n,
              offset,
              leaderEpoch: 0,
              oldStyleOffsets: v === 0 ? [offset] : [],
            };
          }),
        };
      }),
    };
  }

  private initProducerId(_req: InitProducerIdRequest): InitProducerIdResponse {
    return { ...defaultInitProducerIdResponse(), producerId: PRODUCER_ID, producerEpoch: 0 };
  }

  private findCoordinator(req: FindCoordinatorRequest): FindCoordinatorResponse {
    const me = { nodeId: NODE_ID, host: this.opts.host, port: this.opts.port };
    return {
      ...defaultFindCoordinatorResponse(),
      ...me,
      // v0-3 read the single-coordinator fields above, v4+ this batched list.
      coordinators: req.coordinatorKeys.map((key) => ({
        ...defaultFindCoordinatorResponseCoordinator(),
        key,
        ...me,
      })),
    };
  }

  private group(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = {
        generationId: 0,
        memberId: '',
        protocolType: 'consumer',
        protocolName: '',
        assignment: Buffer.alloc(0),
        offsets: new Map(),
      };
      this.groups.set(groupId, g);
    }
    return g;
  }

  private joinGroup(req: JoinGroupRequest, v: number): JoinGroupResponse {
    if (req.memberId === '' && v >= 4) {
      // KIP-394: hand out a member id first; the client rejoins with it.
      return {
        ...defaultJoinGroupResponse(),
        errorCode: MEMBER_ID_REQUIRED,
        memberId: this.newMemberId(req),
      };
    }
    const memberId = req.memberId === '' ? this.newMemberId(req) : req.memberId;
    const g = this.group(req.groupId);
    const protocol = req.protocols[0];
    g.generationId++;
    g.memberId = memberId;
    g.protocolType = req.protocolType;
    g.protocolName = protocol?.name ?? '';
    return {
      ...defaultJoinGroupResponse(),
      generationId: g.generationId,
      protocolType: req.protocolType,
      protocolName: g.protocolName,
      leader: memberId,
      memberId,
      members: [
        {
          ...defaultJoinGroupResponseMember(),
          memberId,
          groupInstanceId: req.groupInstanceId,
          metadata: protocol?.metadata ?? Buffer.alloc(0),
        },
      ],
    };
  }

  private newMemberId(req: JoinGroupRequest): string {
    return `${req.groupInstanceId ?? 'member'}-${++this.memberSeq}-${randomUUID()}`;
  }

  private syncGroup(req: SyncGroupRequest): SyncGroupResponse {
    const g = this.group(req.groupId);
    const mine = req.assignments.find((a) => a.memberId === req.memberId);
    if (mine) g.assignment = mine.assignment;
    return {
      ...defaultSyncGroupResponse(),
      protocolType: req.protocolType ?? g.protocolType,
      protocolName: req.protocolName ?? g.protocolName,
      assignment: g.assignment,
    };
  }

  private heartbeat(_req: HeartbeatRequest): HeartbeatResponse {
    return defaultHeartbeatResponse();
  }

  private leaveGroup(req: LeaveGroupRequest): LeaveGroupResponse {
    return {
      ...defaultLeaveGroupResponse(),
      members: req.members.map((m) => ({
        ...defaultLeaveGroupResponseMemberResponse(),
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
      })),
    };
  }

  private offsetCommit(req: OffsetCommitRequest): OffsetCommitResponse {
    const g = this.group(req.groupId);
    return {
      ...defaultOffsetCommitResponse(),
      topics: req.topics.map((t) => ({
        ...defaultOffsetCommitResponseTopic(),
        name: t.name,
        partitions: t.partitions.map((p) => {
          g.offsets.set(`${t.name}\0${p.partitionIndex}`, {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata,
          });
          return {
            ...defaultOffsetCommitResponsePartition(),
            partitionIndex: p.partitionIndex,
            errorCode: NONE,
          };
        }),
      })),
    };
  }

  /** Committed offsets of a group for the requested topics (null: every committed one). */
  private committed(
    groupId: string,
    topics: { name: string; partitionIndexes: number[] }[] | null,
  ): { name: string; partitions: { partitionIndex: number; committed: CommittedOffset | undefined }[] }[] {
    const g = this.group(groupId);
    if (topics === null) {
      const byTopic = new Map<string, { partitionIndex: number; committed: CommittedOffset | undefined }[]>();
      for (const [key, committed] of g.offsets) {
        const [name = '', index = '0'] = key.split('\0');
        const list = byTopic.get(name) ?? [];
        list.push({ partitionIndex: Number(index), committed });
        byTopic.set(name, list);
      }
      return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((i) => ({
        partitionIndex: i,
        committed: g.offsets.get(`${t.name}\0${i}`),
      })),
    }));
  }

  private offsetFetch(req: OffsetFetchRequest): OffsetFetchResponse {
    const partition = (c: CommittedOffset | undefined) => ({
      committedOffset: c?.offset ?? -1n,
      committedLeaderEpoch: c?.leaderEpoch ?? -1,
      metadata: c ? c.metadata : '',
      errorCode: NONE,
    });
    return {
      ...defaultOffsetFetchResponse(),
      // v0-7: one group.
      topics: this.committed(req.groupId, req.topics).map((t) => ({
        ...defaultOffsetFetchResponseTopic(),
        name: t.name,
        partitions: t.partitions.map((p) => ({
          ...defaultOffsetFetchResponsePartition(),
          partitionIndex: p.partitionIndex,
          ...partition(p.committed),
        })),
      })),
      // v8+: batched groups.
      groups: req.groups.map((rg) => ({
        ...defaultOffsetFetchResponseGroup(),
        groupId: rg.groupId,
        topics: this.committed(rg.groupId, rg.topics).map((t) => ({
          ...defaultOffsetFetchResponseTopics(),
          name: t.name,
          partitions: t.partitions.map((p) => ({
            ...defaultOffsetFetchResponsePartitions(),
            partitionIndex: p.partitionIndex,
            ...partition(p.committed),
          })),
        })),
      })),
    };
  }

  private offsetForLeaderEpoch(req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
    return {
      ...defaultOffsetForLeaderEpochResponse(),
      topics: req.topics.map((rt) => {
        const t = this.topics.get(rt.topic);
        return {
          ...defaultOffsetForLeaderEpochResponseOffsetForLeaderTopicResult(),
          topic: rt.topic,
          partitions: rt.partitions.map((rp) => {
            const log = t?.partitions[rp.partition];
            return {
              ...defaultOffsetForLeaderEpochResponseEpochEndOffset(),
              partition: rp.partition,
              errorCode: log ? NONE : UNKNOWN_TOPIC_OR_PARTITION,
              leaderEpoch: log ? 0 : -1,
              endOffset: log ? log.nextOffset : -1n,
            };
          }),
        };
      }),
    };
  }

  private createTopics(req: CreateTopicsRequest): CreateTopicsResponse {
    return {
      ...defaultCreateTopicsResponse(),
      topics: req.topics.map((ct) => {
        const existed = this.topics.has(ct.name);
        const t = this.topic(ct.name, ct.numPartitions > 0 ? ct.numPartitions : this.opts.partitions);
        return {
          ...defaultCreateTopicsResponseCreatableTopicResult(),
          name: ct.name,
          topicId: t.id,
          errorCode: existed ? TOPIC_ALREADY_EXISTS : NONE,
          errorMessage: existed ? `Topic '${ct.name}' already exists.` : null,
          numPartitions: t.partitions.length,
          replicationFactor: 1,
          configs: [],
        };
      }),
    };
  }

  private describeConfigs(req: DescribeConfigsRequest): DescribeConfigsResponse {
    const entries: [string, string][] = [
      ['cleanup.policy', 'delete'],
      ['compression.type', 'producer'],
      ['retention.ms', '604800000'],
      ['segment.bytes', '1073741824'],
    ];
    return {
      ...defaultDescribeConfigsResponse(),
      results: req.resources.map((r) => ({
        ...defaultDescribeConfigsResponseDescribeConfigsResult(),
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: entries
          .filter(([name]) => r.configurationKeys === null || r.configurationKeys.includes(name))
          .map(
            ([name, value]): DescribeConfigsResponseDescribeConfigsResourceResult => ({
              ...defaultDescribeConfigsResponseDescribeConfigsResourceResult(),
              name,
              value,
              isDefault: true,
              configSource: 5, // DEFAULT_CONFIG
            }),
          ),
      })),
    };
  }
}

/** Splits a records blob into v2 batches, stamps each with its offset and appends it to the log. */
function appendBatches(log: PartitionLog, records: Buffer): void {
  let at = 0;
  while (at + BATCH_LOG_OVERHEAD <= records.length) {
    const size = BATCH_LOG_OVERHEAD + records.readInt32BE(at + BATCH_LENGTH_AT);
    if (size <= BATCH_LOG_OVERHEAD || at + size > records.length) break;
    const bytes = Buffer.from(records.subarray(at, at + size));
    // Legacy message sets (magic 0/1) hold one offset per wrapper; count them as one record.
    const count =
      bytes[BATCH_MAGIC_AT] === 2 ? BigInt(bytes.readInt32BE(BATCH_LAST_OFFSET_DELTA_AT) + 1) : 1n;
    const baseOffset = log.nextOffset;
    bytes.writeBigInt64BE(baseOffset, 0);
    log.nextOffset += count;
    log.batches.push({ baseOffset, nextOffset: log.nextOffset, bytes });
    at += size;
  }
}
