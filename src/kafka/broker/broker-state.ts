import type { Metrics } from '../../telemetry/index.ts';
import { batchRecordsCount, ErrorCode, nextBatchSize } from '../protocol/index.ts';
import type { BrokerConfig } from './broker-config.ts';
import type { BrokerConfigValue } from './dynamic-broker-configs.ts';
import type { GroupCoordinator } from './group/group-coordinator.ts';
import type { PartitionManager } from './partition-manager.ts';

/** An address clients reach this node at, per listener. */
export interface NodeEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** What handlers need from the running broker. */
export interface BrokerState {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly partitions: PartitionManager;
  /** Consumer groups and committed offsets (classic and KIP-848); only after `start()`. */
  readonly groups: GroupCoordinator;
  readonly metrics: Metrics;
  /** This node's endpoint on `listenerName`, or undefined when it has no such listener. */
  endpoint(listenerName: string): NodeEndpoint | undefined;
  /** Broker configs as DescribeConfigs reports them: value, source and synonyms of every layer. */
  brokerConfigValues(): ReadonlyMap<string, BrokerConfigValue>;
  /**
   * What a topic without an override gets for topic config `name` (dynamic per-broker > dynamic
   * default > static > default), or undefined for an unknown key. A map lookup: used per produce.
   */
  topicConfigDefault(name: string): string | undefined;
  /** The dynamic broker config layers (resource "" and this node's id). */
  dynamicBrokerConfigs(): {
    readonly perBroker: Readonly<Record<string, string>>;
    readonly clusterDefault: Readonly<Record<string, string>>;
  };
  /** Replaces one dynamic layer, persists it and applies it (live logs included). */
  setDynamicBrokerConfigs(
    scope: 'default' | 'broker',
    configs: Readonly<Record<string, string>>,
  ): Promise<void>;
}

/** Records in a blob of whole v2 batches (header reads only; for metrics). */
export function countRecords(records: Buffer): number {
  let count = 0;
  for (let at = 0; at < records.length; ) {
    const size = nextBatchSize(records, at, true);
    if (size === 0) break;
    count += batchRecordsCount(records, at);
    at += size;
  }
  return count;
}

/** Kafka's ClusterAuthorizedOperations "not requested" value (also used for topics). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Leader-epoch fencing of a request carrying the client's idea of the current epoch (-1 = none). */
export function leaderEpochError(requested: number, current: number): number {
  if (requested < 0 || requested === current) return 0;
  return requested > current ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}
