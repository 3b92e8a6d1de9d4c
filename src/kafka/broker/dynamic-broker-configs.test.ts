import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { overridesLayer } from '../../config/index.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import {
  type AlterConfigsResponse,
  type CreateTopicsResponse,
  type DescribeConfigsResponse,
  defaultCreateTopicsRequest,
  defaultProduceRequest,
  ErrorCode,
  encodeRecordBatch,
  type IncrementalAlterConfigsResponse,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from '../protocol/index.ts';
import { Broker } from './broker.ts';
import { resolveBrokerConfig } from './broker-config.ts';
import { BROKER_CONFIGS_FILE, dynamicBrokerConfigProblem } from './dynamic-broker-configs.ts';
import { RawClient } from './raw-client.ts';

const PRODUCE = 0;
const CREATE_TOPICS = 19;
const DESCRIBE_CONFIGS = 32;
const ALTER_CONFIGS = 33;
const INCREMENTAL_ALTER_CONFIGS = 44;
const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;

describe('dynamicBrokerConfigProblem', () => {
  it('accepts dynamic keys, refuses static ones with Kafka message, unknown keys and bad values', () => {
    assert.equal(
      dynamicBrokerConfigProblem({ 'log.retention.ms': '1000', 'compression.type': 'zstd' }),
      null,
    );
    assert.deepEqual(dynamicBrokerConfigProblem({ 'num.partitions': '3', 'log.dirs': '/x' }), {
      kind: 'INVALID_REQUEST',
      message: 'Cannot update these configs dynamically: [num.partitions, log.dirs]',
    });
    // Kafka: only the primary synonym (log.retention.ms) is dynamic, not the hours form.
    assert.equal(dynamicBrokerConfigProblem({ 'log.retention.hours': '1' })?.kind, 'INVALID_REQUEST');
    assert.equal(dynamicBrokerConfigProblem({ 'no.such.key': '1' })?.kind, 'INVALID_CONFIG');
    assert.equal(dynamicBrokerConfigProblem({ 'log.segment.bytes': 'big' })?.kind, 'INVALID_CONFIG');
    assert.equal(dynamicBrokerConfigProblem({ 'producer.id.expiration.ms': '0' })?.kind, 'INVALID_CONFIG');
  });
});

describe('Dynamic broker configs and record-level produce errors (in process)', () => {
  const logger = new MemoryLogger('warn');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-dynamic-configs-'));
  let broker: Broker;
  let c: RawClient;
  let correlation = 1;

  const start = async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        `log.dirs=${dataDir}`,
        'log.retention.hours=2',
        'log.segment.bytes=10000000',
      ]),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    c = await RawClient.open(broker.address().port);
  };
  const restart = async () => {
    c.socket.destroy();
    await broker.stop(100);
    await start();
  };
  const call = <T>(key: number, version: number, body: unknown) =>
    c.call<T>(key, version, correlation++, body);
  const incremental = async (
    resourceType: number,
    resourceName: string,
    configs: [string, number, string | null][],
    validateOnly = false,
  ) => {
    const res = await call<IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS, 1, {
      validateOnly,
      resources: [
        {
          resourceType,
          resourceName,
          configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })),
        },
      ],
    });
    return res.responses[0]!;
  };
  const describeConfigs = async (
    resourceType: number,
    resourceName: string,
    keys: string[] | null = null,
  ) => {
    const res = await call<DescribeConfigsResponse>(DESCRIBE_CONFIGS, 4, {
      resources: [{ resourceType, resourceName, configurationKeys: keys }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    return res.results[0]!;
  };
  const configOf = async (resourceType: number, resourceName: string, key: string) => {
    const r = await describeConfigs(resourceType, resourceName, [key]);
    const entry = r.configs.find((x) => x.name === key);
    return (
      entry && {
        value: entry.value,
        source: entry.configSource,
        readOnly: entry.readOnly,
        synonyms: entry.synonyms.map((s) => [s.source, s.name, s.value]),
      }
    );
  };
  const createTopic = async (name: string, configs: [string, string][] = []) => {
    const res = await call<CreateTopicsResponse>(CREATE_TOPICS, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [
        {
          name,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: configs.map(([n, v]) => ({ name: n, value: v })),
        },
      ],
    });
    assert.equal(res.topics[0]!.errorCode, 0);
  };
  const produce = async (topic: string, records: Buffer, version = 9) => {
    const res = await call<ProduceResponse>(PRODUCE, version, {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    return res.responses[0]!.partitionResponses[0]! as ProduceResponsePartitionProduceResponse;
  };
  const batch = (records: { key?: string | null; ts: number; value?: string }[]) =>
    encodeRecordBatch({
      baseTimestamp: records[0]!.ts,
      records: records.map((r, i) => ({
        key: r.key == null ? null : Buffer.from(r.key),
        value: Buffer.from(r.value ?? `v${i}`),
        timestampDelta: r.ts - records[0]!.ts,
      })),
    });
  const retentionOf = (topic: string) => broker.partitions.partition(topic, 0)!.log.config.retentionMs;

  before(start);
  after(async () => {
    c.socket.destroy();
    await broker.stop(100);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a per-broker dynamic value applies at once to topics without an override, with its source and synonyms', async () => {
    await createTopic('plain');
    await createTopic('pinned', [['retention.ms', '5000']]);
    assert.equal(retentionOf('plain'), 7_200_000, 'static log.retention.hours=2');

    const res = await incremental(BROKER, '1', [['log.retention.ms', SET, '1000']]);
    assert.deepEqual([res.errorCode, res.errorMessage], [0, null]);
    assert.equal(retentionOf('plain'), 1000, 'live log updated');
    assert.equal(retentionOf('pinned'), 5000, 'a topic override wins');

    assert.deepEqual(await configOf(TOPIC, 'plain', 'retention.ms'), {
      value: '1000',
      source: 2,
      readOnly: false,
      synonyms: [
        [2, 'log.retention.ms', '1000'],
        [4, 'log.retention.ms', '7200000'],
        [5, 'log.retention.ms', '604800000'],
      ],
    });
    assert.equal((await configOf(TOPIC, 'pinned', 'retention.ms'))?.source, 1);
    const b = await configOf(BROKER, '1', 'log.retention.ms');
    assert.deepEqual([b?.value, b?.source, b?.readOnly], ['1000', 2, false]);
    assert.equal((await configOf(BROKER, '1', 'num.partitions'))?.readOnly, true);

    // A topic created afterwards gets the dynamic value too.
    await createTopic('later');
    assert.equal(retentionOf('later'), 1000);
  });

  it('the cluster-wide default ("") sits below the per-broker value and above server.properties', async () => {
    assert.equal((await incremental(BROKER, '', [['log.retention.ms', SET, '2000']])).errorCode, 0);
    assert.equal((await incremental(BROKER, '', [['log.segment.bytes', SET, '2000000']])).errorCode, 0);
    assert.equal(retentionOf('plain'), 1000, 'per-broker beats the cluster default');
    assert.equal(broker.partitions.partition('plain', 0)!.log.config.segmentBytes, 2_000_000);
    const seg = await configOf(TOPIC, 'plain', 'segment.bytes');
    assert.deepEqual(seg?.synonyms, [
      [3, 'log.segment.bytes', '2000000'],
      [4, 'log.segment.bytes', '10000000'],
      [5, 'log.segment.bytes', '1073741824'],
    ]);
    const d = await describeConfigs(BROKER, '');
    assert.deepEqual(
      d.configs.map((x) => [x.name, x.value, x.configSource]).sort(),
      [
        ['log.retention.ms', '2000', 3],
        ['log.segment.bytes', '2000000', 3],
      ],
      'the default resource lists only its dynamic values',
    );

    // Deleting the per-broker value falls back to the cluster default.
    assert.equal((await incremental(BROKER, '1', [['log.retention.ms', DELETE, null]])).errorCode, 0);
    assert.equal(retentionOf('plain'), 2000);
    assert.equal((await configOf(TOPIC, 'plain', 'retention.ms'))?.source, 3);
  });

  it('refuses static, unknown and badly valued keys, other broker ids; honours validate_only', async () => {
    const fixed = await incremental(BROKER, '1', [['num.partitions', SET, '4']]);
    assert.equal(fixed.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(fixed.errorMessage, 'Cannot update these configs dynamically: [num.partitions]');
    assert.equal(
      (await incremental(BROKER, '1', [['no.such.config', SET, '1']])).errorCode,
      ErrorCode.INVALID_CONFIG,
    );
    assert.equal(
      (await incremental(BROKER, '1', [['log.cleanup.policy', SET, 'shred']])).errorCode,
      ErrorCode.INVALID_CONFIG,
    );
    assert.equal(
      (await incremental(BROKER, '7', [['log.retention.ms', SET, '1']])).errorCode,
      ErrorCode.INVALID_REQUEST,
    );

    const dry = await incremental(BROKER, '1', [['log.retention.ms', SET, '42']], true);
    assert.equal(dry.errorCode, 0);
    assert.equal(retentionOf('plain'), 2000, 'validate_only changes nothing');
    assert.equal((await configOf(BROKER, '1', 'log.retention.ms'))?.source, 3);
  });

  it('AlterConfigs replaces the whole layer; message.max.bytes applies to produce at once', async () => {
    const res = await call<AlterConfigsResponse>(ALTER_CONFIGS, 2, {
      validateOnly: false,
      resources: [
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'message.max.bytes', value: '200' }] },
      ],
    });
    assert.equal(res.responses[0]!.errorCode, 0);
    const big = await produce('plain', batch([{ key: 'k', ts: Date.now(), value: 'x'.repeat(300) }]));
    assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal((await configOf(TOPIC, 'plain', 'max.message.bytes'))?.value, '200');
    const cleared = await call<AlterConfigsResponse>(ALTER_CONFIGS, 2, {
      validateOnly: false,
      resources: [{ resourceType: BROKER, resourceName: '1', configs: [] }],
    });
    assert.equal(cleared.responses[0]!.errorCode, 0);
    assert.equal(
      (await produce('plain', batch([{ key: 'k', ts: Date.now(), value: 'x'.repeat(300) }]))).errorCode,
      0,
    );
  });

  it('survives a restart (persisted in __sluice_broker_configs.json)', async () => {
    assert.equal((await incremental(BROKER, '1', [['log.retention.ms', SET, '3000']])).errorCode, 0);
    const path = join(dataDir, BROKER_CONFIGS_FILE);
    assert.ok(existsSync(path));
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')).brokers['1'], { 'log.retention.ms': '3000' });
    await restart();
    assert.equal(retentionOf('plain'), 3000);
    assert.equal(broker.partitions.partition('plain', 0)!.log.config.segmentBytes, 2_000_000);
    assert.equal((await configOf(TOPIC, 'plain', 'retention.ms'))?.source, 2);
    assert.equal((await configOf(BROKER, '', 'log.segment.bytes'))?.value, '2000000');
  });

  it('a compacted topic refuses keyless records with INVALID_RECORD and per-record errors', async () => {
    await createTopic('compacted', [['cleanup.policy', 'compact']]);
    const now = Date.now();
    const r = await produce(
      'compacted',
      batch([
        { key: 'a', ts: now },
        { key: null, ts: now },
        { key: 'c', ts: now },
        { key: null, ts: now },
      ]),
    );
    assert.equal(r.errorCode, ErrorCode.INVALID_RECORD);
    assert.deepEqual(
      r.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage]),
      [
        [1, 'Compacted topic cannot accept message without key in topic partition compacted-0.'],
        [3, 'Compacted topic cannot accept message without key in topic partition compacted-0.'],
      ],
    );
    assert.match(r.errorMessage ?? '', /rejected due to 2 record errors/);
    assert.equal(broker.partitions.partition('compacted', 0)!.logEndOffset, 0, 'nothing written');
    assert.equal((await produce('compacted', batch([{ key: 'a', ts: now }]))).errorCode, 0);
    // A dynamic log.cleanup.policy=compact makes topics without an override compacted at once.
    await createTopic('becomes-compacted');
    assert.equal((await produce('becomes-compacted', batch([{ key: null, ts: now }]))).errorCode, 0);
    assert.equal((await incremental(BROKER, '1', [['log.cleanup.policy', SET, 'compact']])).errorCode, 0);
    assert.equal(
      (await produce('becomes-compacted', batch([{ key: null, ts: now }]))).errorCode,
      ErrorCode.INVALID_RECORD,
    );
    assert.equal((await incremental(BROKER, '1', [['log.cleanup.policy', DELETE, null]])).errorCode, 0);
    assert.equal((await produce('becomes-compacted', batch([{ key: null, ts: now }]))).errorCode, 0);
  });

  it('enforces message.timestamp.before/after.max.ms (and difference.max.ms) on CreateTime topics', async () => {
    await createTopic('timed', [
      ['message.timestamp.before.max.ms', '3600000'],
      ['message.timestamp.after.max.ms', '60000'],
    ]);
    const now = Date.now();
    assert.equal((await produce('timed', batch([{ ts: now - 1000 }, { ts: now }]))).errorCode, 0);
    const old = await produce('timed', batch([{ ts: now }, { ts: now - 7_200_000 + 5 }].reverse()));
    assert.equal(old.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.equal(old.errorMessage, 'One or more records have been rejected due to invalid timestamp');
    assert.deepEqual(
      old.recordErrors.map((e) => e.batchIndex),
      [0],
    );
    assert.match(
      old.recordErrors[0]!.batchIndexErrorMessage ?? '',
      /^Timestamp \d+ of message with offset 0 is out of range/,
    );
    const future = await produce('timed', batch([{ ts: now }, { ts: now + 10 }, { ts: now + 600_000 }]));
    assert.equal(future.errorCode, ErrorCode.INVALID_TIMESTAMP);
    assert.deepEqual(
      future.recordErrors.map((e) => e.batchIndex),
      [2],
    );
    assert.equal(
      broker.partitions.partition('timed', 0)!.logEndOffset,
      2,
      'rejected batches are not written',
    );

    await createTopic('timed-legacy', [['message.timestamp.difference.max.ms', '60000']]);
    assert.equal(
      (await produce('timed-legacy', batch([{ ts: now - 120_000 }]))).errorCode,
      ErrorCode.INVALID_TIMESTAMP,
    );
    assert.equal(
      (await produce('timed-legacy', batch([{ ts: now + 120_000 }]))).errorCode,
      ErrorCode.INVALID_TIMESTAMP,
    );
    assert.equal((await produce('timed-legacy', batch([{ ts: now }]))).errorCode, 0);

    // LogAppendTime topics replace the timestamps, so they are not checked.
    await createTopic('appended', [
      ['message.timestamp.type', 'LogAppendTime'],
      ['message.timestamp.before.max.ms', '1000'],
    ]);
    assert.equal((await produce('appended', batch([{ ts: 1 }]))).errorCode, 0);

    // A dynamic broker default bounds every topic without an override.
    assert.equal(
      (await incremental(BROKER, '', [['log.message.timestamp.after.max.ms', SET, '1000']])).errorCode,
      0,
    );
    assert.equal(
      (await produce('plain', batch([{ key: 'k', ts: now + 3_600_000 }]))).errorCode,
      ErrorCode.INVALID_TIMESTAMP,
    );
    assert.equal(
      (await incremental(BROKER, '', [['log.message.timestamp.after.max.ms', DELETE, null]])).errorCode,
      0,
    );
    assert.equal((await produce('plain', batch([{ key: 'k', ts: now + 3_600_000 }]))).errorCode, 0);
  });
});
