import { ErrorCode } from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { topicConfigProblem } from './topic-configs.ts';
import { topicNameProblem } from './topic-name.ts';

export interface NewTopic {
  readonly name: string;
  /** -1 = num.partitions. */
  readonly numPartitions: number;
  /** -1 = default.replication.factor. */
  readonly replicationFactor: number;
  readonly assignments?: readonly {
    readonly partitionIndex: number;
    readonly brokerIds: readonly number[];
  }[];
  readonly configs?: readonly { readonly name: string; readonly value: string | null }[];
}

export type NewTopicCheck =
  | { readonly ok: true; readonly partitions: number; readonly configs: Record<string, string> }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

/** Validates a topic to create (CreateTopics, Metadata auto-creation) as Kafka does on one broker. */
export function checkNewTopic(state: BrokerState, t: NewTopic): NewTopicCheck {
  const no = (errorCode: number, message: string): NewTopicCheck => ({ ok: false, errorCode, message });
  const nameProblem = topicNameProblem(t.name);
  if (nameProblem !== null) return no(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  if (state.partitions.topic(t.name) !== undefined) {
    return no(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
  }
  const assignments = t.assignments ?? [];
  let partitions = t.numPartitions === -1 ? state.config.numPartitions : t.numPartitions;
  const rf = t.replicationFactor === -1 ? state.config.defaultReplicationFactor : t.replicationFactor;
  if (assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return no(
        ErrorCode.INVALID_REQUEST,
        'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
      );
    }
    partitions = assignments.length;
    for (const [i, a] of [...assignments].sort((x, y) => x.partitionIndex - y.partitionIndex).entries()) {
      if (a.partitionIndex !== i)
        return no(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions must be numbered 0..n-1');
      if (a.brokerIds.length !== 1 || a.brokerIds[0] !== state.nodeId) {
        return no(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `partition ${a.partitionIndex}: replicas [${a.brokerIds.join(',')}] — only broker ${state.nodeId} exists`,
        );
      }
    }
  } else {
    if (partitions < 1)
      return no(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    if (rf < 1) return no(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    if (rf > 1) {
      return no(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`,
      );
    }
  }
  const configs: Record<string, string> = {};
  for (const c of t.configs ?? []) {
    const problem = topicConfigProblem(c.name, c.value);
    if (problem !== null) return no(ErrorCode.INVALID_CONFIG, problem);
    if (c.value !== null) configs[c.name] = c.value;
  }
  return { ok: true, partitions, configs };
}
