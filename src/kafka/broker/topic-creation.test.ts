import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noopMetrics } from '../../telemetry/index.ts';
import { ErrorCode } from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { checkNewTopic } from './topic-creation.ts';

function stateWith(defaultReplicationFactor: number, existing: string[] = []): BrokerState {
  return {
    nodeId: 1,
    clusterId: 'x',
    config: { numPartitions: 3, defaultReplicationFactor } as BrokerState['config'],
    partitions: {
      topic: (name: string) => (existing.includes(name) ? {} : undefined),
    } as unknown as BrokerState['partitions'],
    groups: {} as BrokerState['groups'],
    metrics: noopMetrics(),
    endpoint: () => undefined,
    brokerConfigValues: () => new Map(),
    topicConfigDefault: () => undefined,
    dynamicBrokerConfigs: () => ({ perBroker: {}, clusterDefault: {} }),
    setDynamicBrokerConfigs: async () => {},
  };
}

describe('checkNewTopic', () => {
  it('uses num.partitions and default.replication.factor for -1', () => {
    const r = checkNewTopic(stateWith(1), { name: 't', numPartitions: -1, replicationFactor: -1 });
    assert.deepEqual(r, { ok: true, partitions: 3, configs: {} });
  });

  it('refuses a default replication factor above 1 on a single node', () => {
    const r = checkNewTopic(stateWith(3), { name: 't', numPartitions: -1, replicationFactor: -1 });
    assert.equal(r.ok === false && r.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  });

  it('accepts assignments naming this node only', () => {
    const ok = checkNewTopic(stateWith(1), {
      name: 't',
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [
        { partitionIndex: 1, brokerIds: [1] },
        { partitionIndex: 0, brokerIds: [1] },
      ],
    });
    assert.equal(ok.ok && ok.partitions, 2);
    const bad = checkNewTopic(stateWith(1), {
      name: 't',
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }],
    });
    assert.equal(bad.ok === false && bad.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  });

  it('reports existing topics and illegal names and configs', () => {
    const s = stateWith(1, ['taken']);
    const code = (t: Parameters<typeof checkNewTopic>[1]) => {
      const r = checkNewTopic(s, t);
      return r.ok ? 0 : r.errorCode;
    };
    assert.equal(
      code({ name: 'taken', numPartitions: 1, replicationFactor: 1 }),
      ErrorCode.TOPIC_ALREADY_EXISTS,
    );
    assert.equal(
      code({ name: '..', numPartitions: 1, replicationFactor: 1 }),
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
    assert.equal(
      code({
        name: 'c',
        numPartitions: 1,
        replicationFactor: 1,
        configs: [{ name: 'cleanup.policy', value: 'shred' }],
      }),
      ErrorCode.INVALID_CONFIG,
    );
    assert.equal(
      code({
        name: 'c',
        numPartitions: 1,
        replicationFactor: 1,
        configs: [{ name: 'cleanup.policy', value: 'compact' }],
      }),
      0,
    );
  });
});
