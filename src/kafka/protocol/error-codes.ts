/**
 * Kafka protocol error codes: the single table Sluice uses for every error code it sends or reads.
 *
 * Codes, names and the retriable flag follow Apache Kafka's `Errors` enum (a code is retriable when
 * Kafka's exception for it is a `RetriableException`; clients retry those after a backoff and a
 * metadata refresh). Codes are part of the wire contract and never change; names are Kafka's, so
 * logs and tools line up with Kafka's own documentation. The messages are Sluice's own wording.
 *
 * Codes up to 127 are Kafka 3.9; 128–129 arrived in 4.0; 130–133 in 4.1 (KIP-1071 streams groups,
 * KIP-932 share sessions).
 */

/** One row: `[code, NAME, retriable, message]`. Keep it sorted by code. */
const errorTable = [
  [-1, 'UNKNOWN_SERVER_ERROR', false, 'The server hit an unexpected error while handling the request.'],
  [0, 'NONE', false, 'No error.'],
  [1, 'OFFSET_OUT_OF_RANGE', false, 'The requested offset is outside the range the partition holds.'],
  [
    2,
    'CORRUPT_MESSAGE',
    true,
    'A record failed its CRC check, has an invalid size, or is otherwise corrupt.',
  ],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION', true, 'This broker does not host the topic or partition.'],
  [4, 'INVALID_FETCH_SIZE', false, 'The requested fetch size is not valid.'],
  [5, 'LEADER_NOT_AVAILABLE', true, 'The partition has no leader at the moment (an election is under way).'],
  [6, 'NOT_LEADER_OR_FOLLOWER', true, 'This broker is not the leader (or not a replica) of the partition.'],
  [7, 'REQUEST_TIMED_OUT', true, 'The request timed out.'],
  [8, 'BROKER_NOT_AVAILABLE', false, 'The broker is not available.'],
  [9, 'REPLICA_NOT_AVAILABLE', true, 'The replica is not available for the partition.'],
  [10, 'MESSAGE_TOO_LARGE', false, 'A record batch is larger than the broker or topic accepts.'],
  [11, 'STALE_CONTROLLER_EPOCH', false, 'The controller epoch is stale: the controller moved.'],
  [12, 'OFFSET_METADATA_TOO_LARGE', false, 'The metadata string of an offset commit is too large.'],
  [13, 'NETWORK_EXCEPTION', true, 'The connection closed before a response arrived.'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS', true, 'The coordinator is still loading its state.'],
  [15, 'COORDINATOR_NOT_AVAILABLE', true, 'The coordinator is not available.'],
  [16, 'NOT_COORDINATOR', true, 'This broker is not the coordinator for the key.'],
  [17, 'INVALID_TOPIC_EXCEPTION', false, 'The topic name is invalid for this operation.'],
  [18, 'RECORD_LIST_TOO_LARGE', false, 'A record batch is larger than the segment size.'],
  [19, 'NOT_ENOUGH_REPLICAS', true, 'Fewer in-sync replicas than required; the records were not written.'],
  [
    20,
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    true,
    'Records were written, but to fewer in-sync replicas than required.',
  ],
  [21, 'INVALID_REQUIRED_ACKS', false, 'The produce request has an invalid acks value.'],
  [22, 'ILLEGAL_GENERATION', false, 'The group generation id is not the current one.'],
  [23, 'INCONSISTENT_GROUP_PROTOCOL', false, 'The member protocols do not match those of the group.'],
  [24, 'INVALID_GROUP_ID', false, 'The group id is invalid.'],
  [25, 'UNKNOWN_MEMBER_ID', false, 'The coordinator does not know this member id.'],
  [26, 'INVALID_SESSION_TIMEOUT', false, 'The session timeout is outside the range the broker allows.'],
  [27, 'REBALANCE_IN_PROGRESS', false, 'The group is rebalancing; the member must rejoin.'],
  [28, 'INVALID_COMMIT_OFFSET_SIZE', false, 'The offset commit data size is not valid.'],
  [29, 'TOPIC_AUTHORIZATION_FAILED', false, 'Not authorized for the topic.'],
  [30, 'GROUP_AUTHORIZATION_FAILED', false, 'Not authorized for the group.'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED', false, 'Not authorized for the cluster operation.'],
  [32, 'INVALID_TIMESTAMP', false, 'A record timestamp is outside the accepted range.'],
  [33, 'UNSUPPORTED_SASL_MECHANISM', false, 'The broker does not offer this SASL mechanism.'],
  [34, 'ILLEGAL_SASL_STATE', false, 'The request is not valid in the current SASL state.'],
  [35, 'UNSUPPORTED_VERSION', false, 'The broker does not support this API version.'],
  [36, 'TOPIC_ALREADY_EXISTS', false, 'A topic with this name already exists.'],
  [37, 'INVALID_PARTITIONS', false, 'The partition count is invalid.'],
  [38, 'INVALID_REPLICATION_FACTOR', false, 'The replication factor is invalid.'],
  [39, 'INVALID_REPLICA_ASSIGNMENT', false, 'The replica assignment is invalid.'],
  [40, 'INVALID_CONFIG', false, 'The configuration is invalid.'],
  [41, 'NOT_CONTROLLER', true, 'This node is not the active controller.'],
  [
    42,
    'INVALID_REQUEST',
    false,
    'The request is malformed or not valid for this broker; see the broker log.',
  ],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT', false, 'The message format in use does not support this request.'],
  [44, 'POLICY_VIOLATION', false, 'The request violates a configured policy.'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false, 'The producer sequence number is out of order.'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER', false, 'The producer sequence number is a duplicate.'],
  [47, 'INVALID_PRODUCER_EPOCH', false, 'The producer epoch is older than the current one.'],
  [48, 'INVALID_TXN_STATE', false, 'The transactional operation is not valid in the current state.'],
  [
    49,
    'INVALID_PRODUCER_ID_MAPPING',
    false,
    'The producer id is not the one assigned to this transactional id.',
  ],
  [50, 'INVALID_TRANSACTION_TIMEOUT', false, 'The transaction timeout exceeds the broker maximum.'],
  [51, 'CONCURRENT_TRANSACTIONS', true, 'Another operation on this transaction is still in progress.'],
  [52, 'TRANSACTION_COORDINATOR_FENCED', false, 'The transaction coordinator is no longer current.'],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false, 'Not authorized for the transactional id.'],
  [54, 'SECURITY_DISABLED', false, 'Security features are disabled.'],
  [
    55,
    'OPERATION_NOT_ATTEMPTED',
    false,
    'The operation was not attempted because another one in the batch failed.',
  ],
  [56, 'KAFKA_STORAGE_ERROR', true, 'A disk error occurred while accessing the log.'],
  [57, 'LOG_DIR_NOT_FOUND', false, 'The log directory is not configured on the broker.'],
  [58, 'SASL_AUTHENTICATION_FAILED', false, 'SASL authentication failed.'],
  [59, 'UNKNOWN_PRODUCER_ID', false, 'The broker has no state for this producer id.'],
  [60, 'REASSIGNMENT_IN_PROGRESS', false, 'A partition reassignment is in progress.'],
  [61, 'DELEGATION_TOKEN_AUTH_DISABLED', false, 'Delegation tokens are disabled.'],
  [62, 'DELEGATION_TOKEN_NOT_FOUND', false, 'The delegation token does not exist.'],
  [63, 'DELEGATION_TOKEN_OWNER_MISMATCH', false, 'The principal is not the owner or renewer of the token.'],
  [
    64,
    'DELEGATION_TOKEN_REQUEST_NOT_ALLOWED',
    false,
    'Delegation token requests are not allowed on this channel.',
  ],
  [65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED', false, 'Not authorized for the delegation token.'],
  [66, 'DELEGATION_TOKEN_EXPIRED', false, 'The delegation token has expired.'],
  [67, 'INVALID_PRINCIPAL_TYPE', false, 'The principal type is not supported.'],
  [68, 'NON_EMPTY_GROUP', false, 'The group still has members.'],
  [69, 'GROUP_ID_NOT_FOUND', false, 'The group does not exist.'],
  [70, 'FETCH_SESSION_ID_NOT_FOUND', true, 'The fetch session does not exist.'],
  [71, 'INVALID_FETCH_SESSION_EPOCH', true, 'The fetch session epoch is not valid.'],
  [72, 'LISTENER_NOT_FOUND', true, "The leader has no listener matching the request's listener."],
  [73, 'TOPIC_DELETION_DISABLED', false, 'Topic deletion is disabled.'],
  [74, 'FENCED_LEADER_EPOCH', true, 'The leader epoch in the request is older than the broker epoch.'],
  [75, 'UNKNOWN_LEADER_EPOCH', true, 'The leader epoch in the request is newer than the broker epoch.'],
  [
    76,
    'UNSUPPORTED_COMPRESSION_TYPE',
    false,
    "The client does not support the partition's compression type.",
  ],
  [77, 'STALE_BROKER_EPOCH', false, 'The broker epoch is stale.'],
  [78, 'OFFSET_NOT_AVAILABLE', true, 'The new leader has not caught up yet, so the offset is not available.'],
  [79, 'MEMBER_ID_REQUIRED', false, 'The member must rejoin with the member id it was given.'],
  [80, 'PREFERRED_LEADER_NOT_AVAILABLE', true, 'The preferred leader is not available.'],
  [81, 'GROUP_MAX_SIZE_REACHED', false, 'The group has reached its maximum size.'],
  [82, 'FENCED_INSTANCE_ID', false, 'Another member registered this static group instance id.'],
  [83, 'ELIGIBLE_LEADERS_NOT_AVAILABLE', true, 'No eligible leader is available for the partition.'],
  [84, 'ELECTION_NOT_NEEDED', true, 'The partition already has the desired leader.'],
  [85, 'NO_REASSIGNMENT_IN_PROGRESS', false, 'No partition reassignment is in progress.'],
  [
    86,
    'GROUP_SUBSCRIBED_TO_TOPIC',
    false,
    'Offsets cannot be deleted while the group is subscribed to the topic.',
  ],
  [87, 'INVALID_RECORD', false, 'A record failed broker validation.'],
  [88, 'UNSTABLE_OFFSET_COMMIT', true, 'Pending transactional offsets must be resolved first.'],
  [89, 'THROTTLING_QUOTA_EXCEEDED', true, 'The throttling quota was exceeded.'],
  [90, 'PRODUCER_FENCED', false, 'A newer producer with the same transactional id fenced this one.'],
  [91, 'RESOURCE_NOT_FOUND', false, 'The referenced resource does not exist.'],
  [92, 'DUPLICATE_RESOURCE', false, 'The request names the same resource twice.'],
  [93, 'UNACCEPTABLE_CREDENTIAL', false, 'The credential does not meet the acceptance criteria.'],
  [94, 'INCONSISTENT_VOTER_SET', false, 'The sender or receiver is not one of the expected voters.'],
  [95, 'INVALID_UPDATE_VERSION', false, 'The update version is not valid.'],
  [96, 'FEATURE_UPDATE_FAILED', false, 'Finalized features could not be updated.'],
  [
    97,
    'PRINCIPAL_DESERIALIZATION_FAILURE',
    false,
    'A forwarded request principal could not be deserialized.',
  ],
  [98, 'SNAPSHOT_NOT_FOUND', false, 'The requested snapshot does not exist.'],
  [99, 'POSITION_OUT_OF_RANGE', false, 'The requested position is outside the snapshot.'],
  [100, 'UNKNOWN_TOPIC_ID', true, 'This broker does not host a topic with this id.'],
  [101, 'DUPLICATE_BROKER_REGISTRATION', false, 'This broker id is already registered.'],
  [102, 'BROKER_ID_NOT_REGISTERED', false, 'This broker id is not registered.'],
  [103, 'INCONSISTENT_TOPIC_ID', true, 'The topic id does not match the id of the log.'],
  [104, 'INCONSISTENT_CLUSTER_ID', false, 'The cluster id does not match this cluster.'],
  [105, 'TRANSACTIONAL_ID_NOT_FOUND', false, 'The transactional id does not exist.'],
  [106, 'FETCH_SESSION_TOPIC_ID_ERROR', true, 'The fetch session used topic ids inconsistently.'],
  [107, 'INELIGIBLE_REPLICA', false, 'The proposed ISR contains an ineligible replica.'],
  [108, 'NEW_LEADER_ELECTED', false, 'The partition state was updated but the leader changed.'],
  [109, 'OFFSET_MOVED_TO_TIERED_STORAGE', false, 'The offset has moved to tiered storage.'],
  [110, 'FENCED_MEMBER_EPOCH', false, 'The member epoch is fenced; the member must rejoin.'],
  [111, 'UNRELEASED_INSTANCE_ID', false, 'Another member still holds this instance id.'],
  [112, 'UNSUPPORTED_ASSIGNOR', false, 'The group does not support this assignor.'],
  [113, 'STALE_MEMBER_EPOCH', false, 'The member epoch is stale.'],
  [114, 'MISMATCHED_ENDPOINT_TYPE', false, 'The request reached an endpoint of the wrong type.'],
  [115, 'UNSUPPORTED_ENDPOINT_TYPE', false, 'This endpoint type is not supported.'],
  [116, 'UNKNOWN_CONTROLLER_ID', false, 'The controller id is not known.'],
  [117, 'UNKNOWN_SUBSCRIPTION_ID', false, 'The telemetry subscription id is not known.'],
  [118, 'TELEMETRY_TOO_LARGE', false, 'The telemetry payload is too large.'],
  [119, 'INVALID_REGISTRATION', false, 'The controller rejected the registration.'],
  [120, 'TRANSACTION_ABORTABLE', false, 'The transaction must be aborted; it may then be retried.'],
  [121, 'INVALID_RECORD_STATE', false, 'The record state does not allow this acknowledgement.'],
  [122, 'SHARE_SESSION_NOT_FOUND', true, 'The share session does not exist.'],
  [123, 'INVALID_SHARE_SESSION_EPOCH', true, 'The share session epoch is not valid.'],
  [124, 'FENCED_STATE_EPOCH', false, 'The share-group state epoch does not match.'],
  [125, 'INVALID_VOTER_KEY', false, "The voter key does not match the receiver's key."],
  [126, 'DUPLICATE_VOTER', false, 'The voter is already in the voter set.'],
  [127, 'VOTER_NOT_FOUND', false, 'The voter is not in the voter set.'],
  [128, 'INVALID_REGULAR_EXPRESSION', false, 'The subscription regular expression is not valid.'],
  [129, 'REBOOTSTRAP_REQUIRED', false, 'The client must rebootstrap its metadata.'],
  [130, 'STREAMS_INVALID_TOPOLOGY', false, 'The streams topology is not valid.'],
  [131, 'STREAMS_INVALID_TOPOLOGY_EPOCH', false, 'The streams topology epoch is not valid.'],
  [132, 'STREAMS_TOPOLOGY_FENCED', false, 'The streams topology epoch is older than the group one.'],
  [133, 'SHARE_SESSION_LIMIT_REACHED', true, 'The broker has reached its share session limit.'],
] as const;

type Row = (typeof errorTable)[number];

/** Every Kafka error name, e.g. `'UNSUPPORTED_VERSION'`. */
export type ErrorName = Row[1];

export interface KafkaError {
  /** The int16 code on the wire. */
  readonly code: number;
  readonly name: ErrorName;
  /** True when Kafka clients treat the error as transient and retry. */
  readonly retriable: boolean;
  readonly message: string;
}

/** All errors, sorted by code. */
export const KAFKA_ERRORS: readonly KafkaError[] = Object.freeze(
  errorTable.map(([code, name, retriable, message]) => Object.freeze({ code, name, retriable, message })),
);

/** Name → code, with literal types: `ErrorCode.UNSUPPORTED_VERSION` is the type `35`. */
export const ErrorCode = Object.freeze(
  Object.fromEntries(errorTable.map(([code, name]) => [name, code])),
) as {
  readonly [R in Row as R[1]]: R[0];
};

const byCode = new Map<number, KafkaError>(KAFKA_ERRORS.map((e) => [e.code, e]));
const byName = new Map<string, KafkaError>(KAFKA_ERRORS.map((e) => [e.name, e]));

/** The error with this code, or undefined for a code this table does not know. */
export function errorByCode(code: number): KafkaError | undefined {
  return byCode.get(code);
}

/** The error with this name (exact, upper case), or undefined. */
export function errorByName(name: string): KafkaError | undefined {
  return byName.get(name);
}

/** Kafka's name for a code; unknown codes read as `UNKNOWN_ERROR_CODE(n)` so logs stay useful. */
export function errorName(code: number): string {
  return byCode.get(code)?.name ?? `UNKNOWN_ERROR_CODE(${code})`;
}

/** Whether clients retry on this code; unknown codes are not retriable (as Kafka maps them to UNKNOWN). */
export function isRetriable(code: number): boolean {
  return byCode.get(code)?.retriable ?? false;
}
