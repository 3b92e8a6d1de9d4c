import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { overridesLayer } from '../../config/index.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import {
  type ApiVersionsResponse,
  defaultDescribeAclsRequest,
  defaultMetadataRequest,
  ErrorCode,
  encodeRequestFrame,
  type MetadataResponse,
} from '../protocol/index.ts';
import { Broker, generateClusterId } from './broker.ts';
import { resolveBrokerConfig } from './broker-config.ts';
import { RawClient } from './raw-client.ts';

describe('Broker (in process)', () => {
  const logger = new MemoryLogger('info');
  let broker: Broker;
  let port: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-broker-test-'));

  before(async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        'node.id=5',
        'cluster.id=AAAAAAAAAAAAAAAAAAAAAA',
        `log.dirs=${dataDir}`,
      ]),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    port = broker.address().port;
  });

  after(async () => {
    await broker.stop(100);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('advertises the bound port of a port-0 listener', () => {
    assert.ok(port > 0);
    assert.deepEqual(broker.advertisedAddress(), { host: '127.0.0.1', port });
    assert.ok(
      logger.records.some((r) => r.message === 'listening' && r.fields.address === `127.0.0.1:${port}`),
    );
  });

  it('answers ApiVersions v0-4 with exactly the implemented ranges', async () => {
    const c = await RawClient.open(port);
    for (let v = 0; v <= 4; v++) {
      const body = v >= 3 ? { clientSoftwareName: 'unit-test', clientSoftwareVersion: '1.0' } : {};
      const res = await c.call<ApiVersionsResponse>(18, v, 100 + v, body);
      assert.equal(res.errorCode, 0, `v${v}`);
      assert.deepEqual(
        res.apiKeys.map((k) => `${k.apiKey}:${k.minVersion}-${k.maxVersion}`),
        [
          '0:0-11', // Produce
          '1:4-17', // Fetch
          '2:1-9', // ListOffsets
          '3:0-12', // Metadata
          '8:0-9', // OffsetCommit
          '9:0-9', // OffsetFetch
          '10:0-6', // FindCoordinator
          '11:0-9', // JoinGroup
          '12:0-4', // Heartbeat
          '13:0-5', // LeaveGroup
          '14:0-5', // SyncGroup
          '15:0-5', // DescribeGroups
          '16:0-5', // ListGroups
          '18:0-4', // ApiVersions
          '19:0-7', // CreateTopics
          '20:0-6', // DeleteTopics
          '21:0-2', // DeleteRecords
          '22:0-5', // InitProducerId
          '23:0-4', // OffsetForLeaderEpoch
          '32:0-4', // DescribeConfigs
          '33:0-2', // AlterConfigs
          '35:0-4', // DescribeLogDirs
          '37:0-3', // CreatePartitions
          '42:0-2', // DeleteGroups
          '44:0-1', // IncrementalAlterConfigs
          '47:0-0', // OffsetDelete
          '60:0-1', // DescribeCluster
          '61:0-0', // DescribeProducers
          '68:0-1', // ConsumerGroupHeartbeat
          '69:0-0', // ConsumerGroupDescribe
        ],
      );
    }
    c.socket.destroy();
  });

  it('rejects malformed client software names with INVALID_REQUEST', async () => {
    const c = await RawClient.open(port);
    const res = await c.call<ApiVersionsResponse>(18, 3, 1, {
      clientSoftwareName: '-bad name',
      clientSoftwareVersion: '1',
    });
    assert.equal(res.errorCode, ErrorCode.INVALID_REQUEST);
    c.socket.destroy();
  });

  it('answers Metadata in every version with this node, the cluster id and no topics', async () => {
    const c = await RawClient.open(port);
    for (let v = 0; v <= 12; v++) {
      const req = { ...defaultMetadataRequest(), topics: v === 0 ? [] : null };
      const res = await c.call<MetadataResponse>(3, v, 200 + v, req);
      assert.deepEqual(res.brokers, [{ nodeId: 5, host: '127.0.0.1', port, rack: null }], `v${v}`);
      assert.deepEqual(res.topics, []);
      if (v >= 1) assert.equal(res.controllerId, 5);
      if (v >= 2) assert.equal(res.clusterId, 'AAAAAAAAAAAAAAAAAAAAAA');
    }
    c.socket.destroy();
  });

  it('auto-creates a requested topic; unknown ids and illegal names get errors', async () => {
    const c = await RawClient.open(port);
    const zero = '00000000-0000-0000-0000-000000000000';
    const byName = await c.call<MetadataResponse>(3, 12, 1, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: zero, name: 'orders' }],
    });
    assert.deepEqual(
      byName.topics.map((t) => [t.name, t.errorCode, t.topicAuthorizedOperations]),
      [['orders', 0, -2147483648]],
    );
    const created = byName.topics[0]!;
    assert.notEqual(created.topicId, zero, 'a topic id is assigned');
    assert.deepEqual(created.partitions, [
      {
        errorCode: 0,
        partitionIndex: 0,
        leaderId: 5,
        leaderEpoch: 0,
        replicaNodes: [5],
        isrNodes: [5],
        offlineReplicas: [],
      },
    ]);
    const id = '0123abcd-0000-4000-8000-000000000001';
    const byId = await c.call<MetadataResponse>(3, 12, 2, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: id, name: null }],
    });
    assert.deepEqual(
      byId.topics.map((t) => [t.name, t.topicId, t.errorCode]),
      [[null, id, ErrorCode.UNKNOWN_TOPIC_ID]],
    );
    const invalid = await c.call<MetadataResponse>(3, 4, 3, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: zero, name: 'bad/name' }],
    });
    assert.equal(
      invalid.topics[0]!.errorCode,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      'auto-create on: illegal names are reported',
    );
    c.socket.destroy();
  });

  it('reports cluster authorized operations only when asked (v8-10)', async () => {
    const c = await RawClient.open(port);
    const asked = await c.call<MetadataResponse>(3, 10, 1, {
      ...defaultMetadataRequest(),
      topics: null,
      includeClusterAuthorizedOperations: true,
    });
    assert.notEqual(asked.clusterAuthorizedOperations, -2147483648);
    assert.ok(asked.clusterAuthorizedOperations & (1 << 8), 'DESCRIBE allowed');
    const notAsked = await c.call<MetadataResponse>(3, 10, 2, { ...defaultMetadataRequest(), topics: null });
    assert.equal(notAsked.clusterAuthorizedOperations, -2147483648);
    c.socket.destroy();
  });

  it('answers pipelined requests in order', async () => {
    const c = await RawClient.open(port);
    for (let i = 0; i < 10; i++) {
      const [key, v, body] =
        i % 2 === 0 ? [18, 2, {}] : [3, 1, { ...defaultMetadataRequest(), topics: null }];
      for (const chunk of encodeRequestFrame(key, v, 1000 + i, null, body)) c.socket.write(chunk);
    }
    for (let i = 0; i < 10; i++) {
      const frame = await c.next();
      assert.equal(frame.readInt32BE(0), 1000 + i);
    }
    c.socket.destroy();
  });

  it('closes the connection on an API it does not implement, logging one line', async () => {
    const before = logger.atLeast('warn').length;
    const c = await RawClient.open(port);
    for (const chunk of encodeRequestFrame(29, 0, 1, 'unit-test', defaultDescribeAclsRequest())) {
      c.socket.write(chunk);
    }
    await c.closed;
    const lines = logger.atLeast('warn').slice(before);
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]!.fields.reason), /DescribeAcls \(key 29\) is not supported/);
  });

  it('generates Kafka-style cluster ids', () => {
    for (let i = 0; i < 50; i++) {
      const id = generateClusterId();
      assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      assert.equal(Buffer.from(id, 'base64url').length, 16);
    }
  });
});
