import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { overridesLayer } from '../../config/index.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import {
  CompressionCodec,
  type CreatePartitionsResponse,
  type CreateTopicsResponse,
  type DeleteRecordsResponse,
  type DeleteTopicsResponse,
  type DescribeConfigsResponse,
  type DescribeProducersResponse,
  decodeRecordBatch,
  defaultCreateTopicsRequest,
  defaultFetchRequest,
  defaultMetadataRequest,
  defaultProduceRequest,
  ErrorCode,
  encodeRecordBatch,
  encodeRequestFrame,
  type FetchResponse,
  type IncrementalAlterConfigsResponse,
  type InitProducerIdResponse,
  type ListOffsetsResponse,
  type MetadataResponse,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  splitBatches,
} from '../protocol/index.ts';
import { Broker } from './broker.ts';
import { resolveBrokerConfig } from './broker-config.ts';
import { RawClient } from './raw-client.ts';

const PRODUCE = 0;
const FETCH = 1;
const LIST_OFFSETS = 2;
const METADATA = 3;
const CREATE_TOPICS = 19;
const DELETE_TOPICS = 20;
const DELETE_RECORDS = 21;
const INIT_PRODUCER_ID = 22;
const DESCRIBE_CONFIGS = 32;
const CREATE_PARTITIONS = 37;
const INCREMENTAL_ALTER_CONFIGS = 44;
const DESCRIBE_PRODUCERS = 61;

function batch(
  values: string[],
  options: { producerId?: number; epoch?: number; seq?: number; ts?: number } = {},
): Buffer {
  return encodeRecordBatch({
    baseTimestamp: options.ts ?? 1_700_000_000_000,
    producerId: options.producerId ?? -1,
    producerEpoch: options.epoch ?? -1,
    baseSequence: options.seq ?? -1,
    records: values.map((v, i) => ({ value: Buffer.from(v), timestampDelta: i })),
  });
}

function valuesOf(records: Buffer | null): string[] {
  if (records === null) return [];
  const out: string[] = [];
  for (const b of splitBatches(records))
    for (const r of decodeRecordBatch(b).records) out.push(r.value!.toString());
  return out;
}

describe('Broker data path (in process)', () => {
  const logger = new MemoryLogger('warn');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-broker-data-'));
  let broker: Broker;
  let port: number;
  let c: RawClient;
  let correlation = 1;

  const start = async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        `log.dirs=${dataDir}`,
        'num.partitions=2',
        'log.retention.hours=1',
      ]),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    port = broker.address().port;
    c = await RawClient.open(port);
  };
  const call = <T>(key: number, version: number, body: unknown) =>
    c.call<T>(key, version, correlation++, body);

  const produce = async (
    topic: string,
    partition: number,
    records: Buffer,
    version = 9,
  ): Promise<ProduceResponsePartitionProduceResponse> => {
    const res = await call<ProduceResponse>(PRODUCE, version, {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
    });
    return res.responses[0]!.partitionResponses[0]!;
  };
  const fetch = async (
    topic: string,
    partition: number,
    offset: number,
    extra: { maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number; version?: number } = {},
  ) => {
    const res = await call<FetchResponse>(FETCH, extra.version ?? 11, {
      ...defaultFetchRequest(),
      maxWaitMs: extra.maxWaitMs ?? 0,
      minBytes: extra.minBytes ?? 1,
      maxBytes: 1 << 20,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            {
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(offset),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: extra.partitionMaxBytes ?? 1 << 20,
              replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
            },
          ],
        },
      ],
    });
    return res;
  };
  const createTopic = async (name: string, numPartitions: number, configs: [string, string][] = []) => {
    const res = await call<CreateTopicsResponse>(CREATE_TOPICS, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [
        {
          name,
          numPartitions,
          replicationFactor: 1,
          assignments: [],
          configs: configs.map(([n, v]) => ({ name: n, value: v })),
        },
      ],
    });
    return res.topics[0]!;
  };
  const latest = async (topic: string, partition: number, timestamp = -1n) => {
    const res = await call<ListOffsetsResponse>(LIST_OFFSETS, 7, {
      replicaId: -1,
      isolationLevel: 0,
      timeoutMs: 0,
      topics: [
        {
          name: topic,
          partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }],
        },
      ],
    });
    return res.topics[0]!.partitions[0]!;
  };

  before(start);
  after(async () => {
    c.socket.destroy();
    await broker.stop(100);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('CreateTopics validates each topic on its own', async () => {
    const ok = await createTopic('data', 2);
    assert.equal(ok.errorCode, 0);
    assert.equal(ok.numPartitions, 2);
    assert.ok(
      ok.configs!.some((x) => x.name === 'retention.ms' && x.value === '3600000' && x.configSource === 4),
    );
    assert.equal((await createTopic('data', 2)).errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    const rf = await call<CreateTopicsResponse>(CREATE_TOPICS, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [{ name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
    });
    assert.equal(rf.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal((await createTopic('zero', 0)).errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(
      (await createTopic('bad', 1, [['retention.ms', 'soon']])).errorCode,
      ErrorCode.INVALID_CONFIG,
    );
    assert.equal((await createTopic('bad', 1, [['no.such.key', '1']])).errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal((await createTopic('a/b', 1)).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    const validateOnly = await call<CreateTopicsResponse>(CREATE_TOPICS, 7, {
      ...defaultCreateTopicsRequest(),
      validateOnly: true,
      topics: [{ name: 'dry', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    assert.equal(validateOnly.topics[0]!.errorCode, 0);
    const md = await call<MetadataResponse>(METADATA, 12, { ...defaultMetadataRequest(), topics: null });
    assert.deepEqual(
      md.topics.map((t) => t.name),
      ['data'],
    );
  });

  it('produces and fetches whole batches, in old and new versions', async () => {
    const r1 = await produce('data', 0, batch(['a', 'b', 'c']), 3);
    assert.deepEqual([r1.errorCode, r1.baseOffset], [0, 0n]);
    const r2 = await produce('data', 0, batch(['d']), 11);
    assert.deepEqual([r2.errorCode, r2.baseOffset, r2.logStartOffset, r2.logAppendTimeMs], [0, 3n, 0n, -1n]);
    for (const version of [4, 11, 12]) {
      const f = await fetch('data', 0, 1, { version });
      const p = f.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, 0);
      assert.equal(p.highWatermark, 4n);
      assert.deepEqual(
        valuesOf(p.records),
        ['a', 'b', 'c', 'd'],
        `v${version}: the batch holding offset 1 comes whole`,
      );
    }
    const byId = (
      await call<MetadataResponse>(METADATA, 12, {
        ...defaultMetadataRequest(),
        topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'data' }],
      })
    ).topics[0]!.topicId;
    const f13 = await call<FetchResponse>(FETCH, 13, {
      ...defaultFetchRequest(),
      maxBytes: 1 << 20,
      topics: [
        {
          topic: '',
          topicId: byId,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: 3n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1 << 20,
              replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
            },
          ],
        },
      ],
    });
    assert.equal(f13.responses[0]!.topicId, byId);
    assert.deepEqual(valuesOf(f13.responses[0]!.partitions[0]!.records), ['d']);
    const out = await fetch('data', 0, 99);
    assert.equal(out.responses[0]!.partitions[0]!.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('returns the first batch whole even above partition_max_bytes', async () => {
    const f = await fetch('data', 0, 0, { partitionMaxBytes: 10 });
    assert.deepEqual(valuesOf(f.responses[0]!.partitions[0]!.records), ['a', 'b', 'c']);
  });

  it('rejects oversized, corrupt and unknown-partition produces with per-partition errors', async () => {
    assert.equal((await createTopic('small', 1, [['max.message.bytes', '100']])).errorCode, 0);
    const big = await produce('small', 0, batch(['x'.repeat(200)]));
    assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    const corrupt = batch(['hello']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    assert.equal((await produce('data', 1, corrupt)).errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal((await produce('data', 7, batch(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await produce('nope', 0, batch(['x']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await createTopic('misr', 1, [['min.insync.replicas', '2']])).errorCode, 0);
    assert.equal(
      (await produce('misr', 0, batch(['x']))).errorCode,
      ErrorCode.NOT_ENOUGH_REPLICAS,
      'acks=-1',
    );
    assert.equal((await latest('misr', 0)).offset, 0n);
    assert.equal((await latest('data', 1)).offset, 0n, 'nothing was written');
  });

  it('sends no response to acks=0', async () => {
    for (const chunk of encodeRequestFrame(PRODUCE, 9, 5000, 't', {
      ...defaultProduceRequest(),
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: 'data', partitionData: [{ index: 1, records: batch(['fire-and-forget']) }] }],
    }))
      c.socket.write(chunk);
    const md = await call<MetadataResponse>(METADATA, 12, { ...defaultMetadataRequest(), topics: [] });
    assert.equal(md.brokers.length, 1, 'the next response on the connection is the Metadata one');
    assert.equal((await latest('data', 1)).offset, 1n, 'the acks=0 batch was written');
  });

  it('long-polls: a waiting fetch is woken by an append', async () => {
    const waiting = RawClient.open(port).then(async (other) => {
      const res = await other.call<FetchResponse>(FETCH, 11, 1, {
        ...defaultFetchRequest(),
        maxWaitMs: 60_000,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [
          {
            topic: 'data',
            topicId: '00000000-0000-0000-0000-000000000000',
            partitions: [
              {
                partition: 1,
                currentLeaderEpoch: -1,
                fetchOffset: 1n,
                lastFetchedEpoch: -1,
                logStartOffset: -1n,
                partitionMaxBytes: 1 << 20,
                replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
              },
            ],
          },
        ],
      });
      other.socket.destroy();
      return res;
    });
    // Produce only once the fetch is parked (it found nothing and registered its waiter).
    const partition = broker.partitions.partition('data', 1)!;
    while ((partition as unknown as { waiters: Set<unknown> }).waiters.size === 0)
      await new Promise((r) => setImmediate(r));
    await produce('data', 1, batch(['wake up']));
    const res = await waiting;
    assert.deepEqual(valuesOf(res.responses[0]!.partitions[0]!.records), ['wake up']);
  });

  it('answers a Fetch below v10 reaching a zstd batch with UNSUPPORTED_COMPRESSION_TYPE', async () => {
    assert.equal((await createTopic('zstd', 1)).errorCode, 0);
    const zstd = encodeRecordBatch({
      baseTimestamp: 1,
      compression: CompressionCodec.zstd,
      records: [{ value: Buffer.from('squeezed') }],
    });
    assert.equal((await produce('zstd', 0, zstd)).errorCode, 0);
    const old = await fetch('zstd', 0, 0, { version: 9 });
    assert.equal(old.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const current = await fetch('zstd', 0, 0, { version: 10 });
    assert.deepEqual(valuesOf(current.responses[0]!.partitions[0]!.records), ['squeezed']);
  });

  it('declines fetch sessions', async () => {
    const incremental = await call<FetchResponse>(FETCH, 12, {
      ...defaultFetchRequest(),
      sessionId: 42,
      sessionEpoch: 1,
      topics: [],
    });
    assert.equal(incremental.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const full = await call<FetchResponse>(FETCH, 12, {
      ...defaultFetchRequest(),
      sessionId: 0,
      sessionEpoch: 0,
      topics: [],
    });
    assert.deepEqual([full.errorCode, full.sessionId], [0, 0]);
  });

  it('ListOffsets: earliest, latest, max timestamp, by timestamp', async () => {
    assert.equal((await latest('data', 0, -2n)).offset, 0n);
    assert.equal((await latest('data', 0, -1n)).offset, 4n);
    const max = await latest('data', 0, -3n);
    assert.deepEqual([max.offset, max.timestamp], [2n, 1_700_000_000_002n]);
    assert.equal((await latest('data', 0, 1_700_000_000_001n)).offset, 1n);
    assert.equal((await latest('data', 0, 1_800_000_000_000n)).offset, -1n);
  });

  it('idempotent producers: duplicates get the original offsets, gaps and old epochs are refused, state survives a restart', async () => {
    const init = await call<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, {
      transactionalId: null,
      transactionTimeoutMs: -1,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(init.errorCode, 0);
    const pid = Number(init.producerId);
    const first = await produce('data', 1, batch(['i0', 'i1'], { producerId: pid, epoch: 0, seq: 0 }));
    assert.equal(first.errorCode, 0);
    const again = await produce('data', 1, batch(['i0', 'i1'], { producerId: pid, epoch: 0, seq: 0 }));
    assert.deepEqual([again.errorCode, again.baseOffset], [0, first.baseOffset]);
    const end = (await latest('data', 1)).offset;
    assert.equal(end, first.baseOffset + 2n, 'the duplicate was not written');
    assert.equal(
      (await produce('data', 1, batch(['gap'], { producerId: pid, epoch: 0, seq: 5 }))).errorCode,
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    const second = await produce('data', 1, batch(['i2'], { producerId: pid, epoch: 0, seq: 2 }));
    assert.equal(second.errorCode, 0);
    const described = await call<DescribeProducersResponse>(DESCRIBE_PRODUCERS, 0, {
      topics: [{ name: 'data', partitionIndexes: [1] }],
    });
    const state = described.topics[0]!.partitions[0]!.activeProducers.find(
      (p) => p.producerId === BigInt(pid),
    );
    assert.deepEqual([state?.producerEpoch, state?.lastSequence], [0, 2]);

    c.socket.destroy();
    await broker.stop(100);
    await start();
    const retried = await produce('data', 1, batch(['i0', 'i1'], { producerId: pid, epoch: 0, seq: 0 }));
    assert.deepEqual(
      [retried.errorCode, retried.baseOffset],
      [0, first.baseOffset],
      'dedup survives a restart',
    );
    assert.equal((await latest('data', 1)).offset, second.baseOffset + 1n);
    const next = await call<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, {
      transactionalId: null,
      transactionTimeoutMs: -1,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.notEqual(next.producerId, init.producerId, 'producer ids are not reused after a restart');
    const txn = await call<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, {
      transactionalId: 'tx',
      transactionTimeoutMs: 1000,
      producerId: -1n,
      producerEpoch: -1,
    });
    assert.equal(txn.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('configs: IncrementalAlterConfigs applies to the live log (LogAppendTime), DescribeConfigs reports sources', async () => {
    const res = await call<IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS, 1, {
      validateOnly: false,
      resources: [
        {
          resourceType: 2,
          resourceName: 'data',
          configs: [{ name: 'message.timestamp.type', configOperation: 0, value: 'LogAppendTime' }],
        },
      ],
    });
    assert.equal(res.responses[0]!.errorCode, 0);
    const r = await produce('data', 0, batch(['timed']));
    assert.notEqual(r.logAppendTimeMs, -1n);
    const bad = await call<IncrementalAlterConfigsResponse>(INCREMENTAL_ALTER_CONFIGS, 1, {
      validateOnly: false,
      resources: [
        {
          resourceType: 2,
          resourceName: 'data',
          configs: [{ name: 'segment.bytes', configOperation: 0, value: 'big' }],
        },
      ],
    });
    assert.equal(bad.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG);
    const d = await call<DescribeConfigsResponse>(DESCRIBE_CONFIGS, 4, {
      resources: [{ resourceType: 2, resourceName: 'data', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    const byName = new Map(d.results[0]!.configs.map((x) => [x.name, x]));
    assert.equal(byName.get('message.timestamp.type')?.value, 'LogAppendTime');
    assert.equal(byName.get('message.timestamp.type')?.configSource, 1);
    assert.equal(byName.get('retention.ms')?.configSource, 4, 'from log.retention.hours');
    assert.equal(byName.get('retention.ms')?.value, '3600000');
    assert.equal(byName.get('segment.bytes')?.configSource, 5);
    assert.equal(
      broker.partitions.partition('data', 0)!.log.config.retentionMs,
      3_600_000,
      'applied to the log',
    );
    assert.ok(byName.size >= 25, 'every topic config is listed');
    // An empty key list means every key too (Kafka's ConfigHelper; @platformatic/kafka sends one).
    const empty = await call<DescribeConfigsResponse>(DESCRIBE_CONFIGS, 4, {
      resources: [{ resourceType: 2, resourceName: 'data', configurationKeys: [] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    assert.deepEqual(
      empty.results[0]!.configs.map((x) => x.name),
      d.results[0]!.configs.map((x) => x.name),
    );
    const brokerCfg = await call<DescribeConfigsResponse>(DESCRIBE_CONFIGS, 4, {
      resources: [
        {
          resourceType: 4,
          resourceName: '1',
          configurationKeys: ['num.partitions', 'log.retention.hours', 'log.retention.ms'],
        },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    assert.deepEqual(
      brokerCfg.results[0]!.configs.map((x) => [x.name, x.value, x.configSource, x.readOnly]),
      [
        ['num.partitions', '2', 4, true],
        ['log.retention.hours', '1', 4, true],
        // log.retention.ms can change at run time (dynamic broker config); the hours form cannot.
        ['log.retention.ms', null, 5, false],
      ],
    );
  });

  it('CreatePartitions only increases; DeleteRecords moves the log start; DeleteTopics by id', async () => {
    const inc = await call<CreatePartitionsResponse>(CREATE_PARTITIONS, 3, {
      topics: [{ name: 'data', count: 3, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(inc.results[0]!.errorCode, 0);
    assert.equal((await produce('data', 2, batch(['new partition']))).errorCode, 0);
    const dec = await call<CreatePartitionsResponse>(CREATE_PARTITIONS, 3, {
      topics: [{ name: 'data', count: 1, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(dec.results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS);

    const del = await call<DeleteRecordsResponse>(DELETE_RECORDS, 2, {
      topics: [{ name: 'data', partitions: [{ partitionIndex: 0, offset: 3n }] }],
      timeoutMs: 1000,
    });
    assert.deepEqual(
      [del.topics[0]!.partitions[0]!.errorCode, del.topics[0]!.partitions[0]!.lowWatermark],
      [0, 3n],
    );
    assert.equal((await latest('data', 0, -2n)).offset, 3n);
    assert.equal(
      (await fetch('data', 0, 1)).responses[0]!.partitions[0]!.errorCode,
      ErrorCode.OFFSET_OUT_OF_RANGE,
    );

    const md = await call<MetadataResponse>(METADATA, 12, { ...defaultMetadataRequest(), topics: null });
    const small = md.topics.find((t) => t.name === 'small')!;
    const gone = await call<DeleteTopicsResponse>(DELETE_TOPICS, 6, {
      topics: [{ name: null, topicId: small.topicId }],
      topicNames: [],
      timeoutMs: 1000,
    });
    assert.deepEqual([gone.responses[0]!.name, gone.responses[0]!.errorCode], ['small', 0]);
    const after = await call<MetadataResponse>(METADATA, 12, { ...defaultMetadataRequest(), topics: null });
    assert.deepEqual(
      after.topics.map((t) => t.name),
      ['data', 'misr', 'zstd'],
    );
    assert.equal(after.topics[0]!.partitions.length, 3);
  });

  it('refuses to start on log dirs of another cluster, naming both ids', async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer([
        'listeners=PLAINTEXT://127.0.0.1:0',
        `log.dirs=${dataDir}`,
        'cluster.id=BBBBBBBBBBBBBBBBBBBBBB',
      ]),
    ]);
    const other = new Broker({ config, logger });
    await assert.rejects(
      other.start(),
      (err: Error) =>
        err.message.includes(broker.clusterId) && err.message.includes('BBBBBBBBBBBBBBBBBBBBBB'),
    );
  });
});
