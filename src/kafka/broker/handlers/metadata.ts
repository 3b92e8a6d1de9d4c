import {
  defaultMetadataResponse,
  ErrorCode,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
  metadataApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, type BrokerState } from '../broker-state.ts';
import { isInternalTopic } from '../internal-topics.ts';
import { checkNewTopic } from '../topic-creation.ts';
import type { TopicRecord } from '../topic-registry.ts';

/**
 * Metadata (key 3), v0-12.
 *
 * Version notes: v1 adds rack, controller id and null-topics = "all topics" (v0 uses an empty list
 * for that); v2 cluster id; v3 throttle time; v4 allowAutoTopicCreation (older versions always
 * allow it); v7 leader epoch; v8 authorized operations (cluster ones only up to v10); v9 flexible;
 * v10 topic ids (a request may name a topic by id only, v10+ nullable name).
 *
 * Every partition is led by this node with replicas = ISR = [this node]. A requested topic that does
 * not exist is created when `auto.create.topics.enable` and the request allow it, with
 * `num.partitions` and `default.replication.factor` (anything but 1 fails with
 * INVALID_REPLICATION_FACTOR); the created topic is returned at once with error 0. Internal topics
 * (`__consumer_offsets`) are reported with `isInternal: true`, as Kafka does, and never auto-created.
 */
export const METADATA_VERSIONS = { minVersion: 0, maxVersion: 12 } as const;
export { AUTHORIZED_OPERATIONS_OMITTED };

/**
 * Cluster operations a client may perform with no authorizer configured (everything Kafka allows
 * on the CLUSTER resource), as the bit field Kafka sends: CREATE(5), ALTER(7), DESCRIBE(8),
 * CLUSTER_ACTION(9), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), IDEMPOTENT_WRITE(12),
 * CREATE_TOKENS(13), DESCRIBE_TOKENS(14).
 */
const CLUSTER_OPERATIONS_ALL = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0);
/** Topic operations: READ(3), WRITE(4), CREATE(5), DELETE(6), ALTER(7), DESCRIBE(8), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11). */
const TOPIC_OPERATIONS_ALL = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function missingTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: name !== null && isInternalTopic(name),
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export function describeTopic(
  state: BrokerState,
  t: TopicRecord,
  withOperations: boolean,
): MetadataResponseTopic {
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.id,
    isInternal: isInternalTopic(t.name),
    partitions: state.partitions.partitionsOf(t.name).map((p) => ({
      errorCode: 0,
      partitionIndex: p.index,
      leaderId: state.nodeId,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: withOperations ? TOPIC_OPERATIONS_ALL : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export function createMetadataHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    metadataApi,
    METADATA_VERSIONS,
    async (request: MetadataRequest, ctx): Promise<MetadataResponse> => {
      const version = ctx.header.requestApiVersion;
      const endpoint = state.endpoint(ctx.connection.listenerName);
      const allowAuto = version < 4 || request.allowAutoTopicCreation;
      const autoCreate = state.config.autoCreateTopicsEnable && allowAuto;
      const ops = version >= 8 && request.includeTopicAuthorizedOperations;
      const all = request.topics === null || (version === 0 && request.topics.length === 0);
      const topics: MetadataResponseTopic[] = [];
      if (all) {
        for (const t of state.partitions.topics()) topics.push(describeTopic(state, t, ops));
      } else {
        for (const rt of request.topics ?? []) {
          if (rt.name === null) {
            const t = state.partitions.topicById(rt.topicId);
            topics.push(
              t ? describeTopic(state, t, ops) : missingTopic(null, rt.topicId, ErrorCode.UNKNOWN_TOPIC_ID),
            );
            continue;
          }
          const existing = state.partitions.topic(rt.name);
          if (existing) {
            topics.push(describeTopic(state, existing, ops));
            continue;
          }
          // Internal topics are the broker's to create (the group store makes `__consumer_offsets`
          // with its own configs), never by auto-creation with the defaults.
          if (!autoCreate || isInternalTopic(rt.name)) {
            topics.push(missingTopic(rt.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
          const check = checkNewTopic(state, { name: rt.name, numPartitions: -1, replicationFactor: -1 });
          if (!check.ok) {
            // A race with another creation of the same topic is fine: describe it.
            const raced = state.partitions.topic(rt.name);
            topics.push(
              raced ? describeTopic(state, raced, ops) : missingTopic(rt.name, ZERO_UUID, check.errorCode),
            );
            continue;
          }
          const created = await state.partitions
            .createTopic(rt.name, check.partitions, check.configs)
            .catch(() => null);
          const t = created ?? state.partitions.topic(rt.name);
          topics.push(
            t
              ? describeTopic(state, t, ops)
              : missingTopic(rt.name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE),
          );
        }
      }
      return {
        ...defaultMetadataResponse(),
        brokers: endpoint ? [endpoint] : [],
        clusterId: state.clusterId,
        controllerId: state.nodeId,
        topics,
        clusterAuthorizedOperations:
          version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations
            ? CLUSTER_OPERATIONS_ALL
            : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  );
}
