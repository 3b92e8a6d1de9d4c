import {
  defaultMetadataResponse,
  ErrorCode,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
  metadataApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { topicNameProblem } from '../topic-name.ts';

/**
 * Metadata (key 3), v0-12.
 *
 * Version notes: v1 adds rack, controller id and null-topics = "all topics" (v0 uses an empty list
 * for that); v2 cluster id; v3 throttle time; v4 allowAutoTopicCreation; v8 authorized
 * operations (cluster ones only up to v10); v9 flexible; v10 topic ids (a request may name a
 * topic by id only, v10+ nullable name).
 *
 * There is no topic storage yet: the broker hosts no topics, every requested topic gets
 * UNKNOWN_TOPIC_OR_PARTITION (or UNKNOWN_TOPIC_ID when asked by id), and auto-creation is not
 * performed even when enabled (an illegal name then gets INVALID_TOPIC_EXCEPTION, as in Kafka).
 */
export const METADATA_VERSIONS = { minVersion: 0, maxVersion: 12 } as const;

/** "Not requested" / "unknown" value of authorized-operations fields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/**
 * Cluster operations a client may perform with no authorizer configured (everything Kafka allows
 * on the CLUSTER resource), as the bit field Kafka sends: CREATE(5), ALTER(7), DESCRIBE(8),
 * CLUSTER_ACTION(9), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), IDEMPOTENT_WRITE(12),
 * CREATE_TOKENS(13), DESCRIBE_TOKENS(14).
 */
const CLUSTER_OPERATIONS_ALL = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0);

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** What the Metadata handler needs from the broker. */
export interface MetadataView {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly autoCreateTopicsEnable: boolean;
  /** The advertised address of `listenerName`, or undefined when this node has no such listener. */
  advertisedAddress(listenerName: string): { readonly host: string; readonly port: number } | undefined;
}

function missingTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export function createMetadataHandler(view: MetadataView): ApiHandler {
  return defineApiHandler(
    metadataApi,
    METADATA_VERSIONS,
    (request: MetadataRequest, ctx): MetadataResponse => {
      const version = ctx.header.requestApiVersion;
      const address = view.advertisedAddress(ctx.connection.listenerName);
      const autoCreate = view.autoCreateTopicsEnable && request.allowAutoTopicCreation;
      // Every topic named in the request is unknown: there is no topic storage yet. A null list (v1+)
      // or an empty list in v0 asks for all topics, of which there are none.
      const topics = (request.topics ?? []).map((t): MetadataResponseTopic => {
        if (t.name === null) return missingTopic(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
        if (autoCreate && topicNameProblem(t.name) !== null) {
          return missingTopic(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
        }
        return missingTopic(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      });
      return {
        ...defaultMetadataResponse(),
        brokers: address ? [{ nodeId: view.nodeId, host: address.host, port: address.port, rack: null }] : [],
        clusterId: view.clusterId,
        controllerId: view.nodeId,
        topics,
        clusterAuthorizedOperations:
          version >= 8 && version <= 10 && request.includeClusterAuthorizedOperations
            ? CLUSTER_OPERATIONS_ALL
            : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  );
}
