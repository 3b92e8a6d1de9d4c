import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  Admin,
  type CompressionAlgorithmValue,
  ConfigResourceTypes,
  Consumer,
  defaultPartitioner,
  IncrementalAlterConfigOperationTypes,
  type MessageToProduce,
  Producer,
} from '@platformatic/kafka';
import {
  assertRoundTrip,
  type ConsumedRecord,
  type Delivery,
  type InteropRecord,
  makeRecords,
  restartOnSamePort,
} from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

/** @platformatic/kafka 1.35: Produce v9-11, Fetch v15-17 (topic ids), ListOffsets v8-9, Metadata v12. */
const CODECS: CompressionAlgorithmValue[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** 10,000 records per client, spread evenly over its codecs. */
const PER_CODEC = 2000;
const SEND_SIZE = 500;

type Msg = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

function toMessage(topic: string, r: InteropRecord): Msg {
  const m: Msg = { topic, key: r.key, value: r.value };
  if (r.headers.length > 0) m.headers = new Map(r.headers.map(([k, v]) => [Buffer.from(k), v]));
  return m;
}

/** Tracks the partition @platformatic/kafka's default partitioner chose for each message object. */
function recordingPartitioner(partitions: number) {
  const chosen = new Map<Msg, number>();
  const partitioner = (message: Msg, key: Buffer | undefined): number => {
    const p = defaultPartitioner(message, key);
    // The producer takes the partitioner's number modulo the partition count.
    chosen.set(message, p % partitions);
    return p;
  };
  return { chosen, partitioner };
}

/**
 * Sends `messages` with one `send` and maps the result to per-record deliveries: the result names
 * each partition's base offset, and a partition's records in one send follow it in order.
 */
async function sendAndMap(
  producer: Producer<Buffer, Buffer, Buffer, Buffer>,
  messages: Msg[],
  chosen: Map<Msg, number>,
  firstIndex: number,
  compression?: CompressionAlgorithmValue,
): Promise<Delivery[]> {
  const result = await producer.send(compression === undefined ? { messages } : { messages, compression });
  const base = new Map((result.offsets ?? []).map((o) => [o.partition, Number(o.offset)]));
  const used = new Map<number, number>();
  return messages.map((m, i) => {
    const p = chosen.get(m);
    assert.ok(p !== undefined, 'the partitioner saw every message');
    const b = base.get(p);
    assert.ok(b !== undefined, `send result names partition ${p}`);
    const k = used.get(p) ?? 0;
    used.set(p, k + 1);
    return { index: firstIndex + i, partition: p, offset: b + k };
  });
}

/** Every record of `topic` through the client's own Fetch (v17, by topic id), partition by partition. */
async function fetchAll(port: number, topic: string, partitions: number): Promise<ConsumedRecord[]> {
  const bootstrapBrokers = [`127.0.0.1:${port}`];
  const admin = new Admin({ clientId: 'interop-plat-admin', bootstrapBrokers });
  // A Consumer needs a group id to exist; fetch() sends plain Fetch requests and joins no group.
  const consumer = new Consumer({
    clientId: 'interop-plat-consumer',
    groupId: 'interop-unused',
    bootstrapBrokers,
  });
  try {
    const md = await admin.metadata({ topics: [topic] });
    const topicId = md.topics.get(topic)!.id;
    const next = Array.from({ length: partitions }, () => 0n);
    const high = Array.from({ length: partitions }, () => -1n);
    const out: ConsumedRecord[] = [];
    // A bound instead of a hang if the broker stopped returning records (each fetch waits 100 ms).
    let idle = 0;
    while (high.some((h, p) => h < 0n || next[p]! < h)) {
      const wanted = next.flatMap((offset, partition) =>
        high[partition]! >= 0n && offset >= high[partition]!
          ? []
          : [
              {
                partition,
                currentLeaderEpoch: -1,
                fetchOffset: offset,
                lastFetchedEpoch: -1,
                partitionMaxBytes: 1 << 20,
              },
            ],
      );
      const before = out.length;
      const res = await consumer.fetch({
        node: 1,
        maxWaitTime: 100,
        topics: [{ topicId, partitions: wanted }],
      });
      for (const p of res.responses[0]!.partitions) {
        assert.equal(p.errorCode, 0, `fetch ${topic}/${p.partitionIndex}`);
        high[p.partitionIndex] = p.highWatermark;
        for (const batch of p.records ?? []) {
          for (const r of batch.records) {
            const offset = batch.firstOffset + BigInt(r.offsetDelta);
            // Whole batches come back: skip what is before the position.
            if (offset < next[p.partitionIndex]!) continue;
            out.push({
              partition: p.partitionIndex,
              offset: Number(offset),
              key: r.key ?? Buffer.alloc(0),
              value: r.value ?? Buffer.alloc(0),
              headers: r.headers.map(([k, v]) => [String(k), v ?? Buffer.alloc(0)] as const),
            });
            next[p.partitionIndex] = offset + 1n;
          }
        }
      }
      idle = out.length === before ? idle + 1 : 0;
      assert.ok(idle < 100, `no progress reading ${topic}: at ${next.join(',')} of ${high.join(',')}`);
    }
    return out;
  } finally {
    await consumer.close();
    await admin.close();
  }
}

describe('interop: @platformatic/kafka', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-it-plat-'));
  let proc: SluiceProcess;
  let port: number;

  before(async () => {
    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`]));
  });

  after(async () => {
    const code = await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  });

  it('produces keyed records with headers in every codec and reads the same bytes back', async (t) => {
    const topic = 'interop-platformatic';
    const bootstrapBrokers = [`127.0.0.1:${port}`];
    const admin = new Admin({ clientId: 'interop-plat-admin', bootstrapBrokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    } finally {
      await admin.close();
    }
    const { chosen, partitioner } = recordingPartitioner(3);
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: 'interop-plat',
      bootstrapBrokers,
      acks: -1,
      partitioner,
      autocreateTopics: false,
    });
    const records: InteropRecord[] = [];
    const deliveries: Delivery[] = [];
    const timings: Record<string, number> = {};
    try {
      for (const codec of CODECS) {
        const mine = makeRecords(`platformatic-${codec}`, PER_CODEC, { headers: true });
        const started = performance.now();
        for (let from = 0; from < mine.length; from += SEND_SIZE) {
          const messages = mine.slice(from, from + SEND_SIZE).map((r) => toMessage(topic, r));
          deliveries.push(...(await sendAndMap(producer, messages, chosen, records.length + from, codec)));
        }
        timings[`produce ${codec}`] = Math.round(performance.now() - started);
        records.push(...mine);
      }
    } finally {
      await producer.close();
    }
    const started = performance.now();
    const consumed = await fetchAll(port, topic, 3);
    timings.consume = Math.round(performance.now() - started);
    assertRoundTrip('@platformatic/kafka', records, deliveries, consumed, { partitions: 3, headers: true });
    const total = Object.values(timings).reduce((a, b) => a + b, 0);
    t.diagnostic(
      `@platformatic/kafka: ${records.length} records, ${total} ms in all; ${JSON.stringify(timings)}`,
    );
  });

  it('admin: create/describe/delete topics, create partitions, describe/alter configs, list offsets', async () => {
    const topic = 'interop-platformatic-admin';
    const bootstrapBrokers = [`127.0.0.1:${port}`];
    const admin = new Admin({ clientId: 'interop-plat-admin', bootstrapBrokers });
    try {
      const created = await admin.createTopics({
        topics: [topic],
        partitions: 2,
        replicas: 1,
        configs: [{ name: 'retention.ms', value: '3600000' }],
      });
      assert.deepEqual(
        created.map((c) => [c.name, c.partitions, c.replicas, c.configuration['retention.ms']]),
        [[topic, 2, 1, '3600000']],
      );
      await assert.rejects(admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 }), (e: Error) =>
        /already exists|TOPIC_ALREADY_EXISTS/i.test(
          JSON.stringify(e, Object.getOwnPropertyNames(e)) + String(e),
        ),
      );
      assert.ok((await admin.listTopics()).includes(topic));
      await admin.createPartitions({ topics: [{ name: topic, count: 3 }] });
      // With an explicit assignment: one replica list per new partition, naming this broker.
      await admin.createPartitions({
        topics: [{ name: topic, count: 4, assignments: [{ brokerIds: [1] }] }],
      });
      const md = await admin.metadata({ topics: [topic] });
      assert.equal(md.topics.get(topic)!.partitionsCount, 4);

      const configsOf = async () => {
        const [d] = await admin.describeConfigs({
          resources: [
            { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: [] },
          ],
        });
        return new Map(d!.configs.map((c) => [c.name, c]));
      };
      let configs = await configsOf();
      assert.equal(configs.get('retention.ms')?.value, '3600000');
      assert.equal(configs.get('retention.ms')?.configSource, 1, 'DYNAMIC_TOPIC_CONFIG');
      assert.equal(configs.get('segment.bytes')?.configSource, 5, 'DEFAULT_CONFIG');
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: [
              {
                name: 'segment.ms',
                configOperation: IncrementalAlterConfigOperationTypes.SET,
                value: '3600000',
              },
              { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE },
            ],
          },
        ],
      });
      configs = await configsOf();
      assert.equal(configs.get('segment.ms')?.value, '3600000');
      assert.equal(configs.get('retention.ms')?.value, '604800000', 'deleted override: back to the default');
      await admin.alterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: [{ name: 'retention.bytes', value: '1000000' }],
          },
        ],
      });
      configs = await configsOf();
      assert.equal(configs.get('retention.bytes')?.value, '1000000');
      assert.equal(configs.get('segment.ms')?.configSource, 5, 'AlterConfigs replaced the whole set');

      const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
        clientId: 'interop-plat',
        bootstrapBrokers,
        acks: -1,
      });
      // Current timestamps: records from 1970 would be past retention.ms, and a retention pass
      // between the produce and DeleteRecords would move the log start (as Kafka's would).
      const base = BigInt(Date.now());
      await producer.send({
        messages: Array.from({ length: 12 }, (_, i) => ({
          topic,
          key: Buffer.from(`k${i}`),
          value: Buffer.from(`v${i}`),
          partition: i % 4,
          timestamp: base + BigInt(i),
        })),
      });
      await producer.close();
      const listed = await admin.listOffsets({
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, timestamp: -2n },
              { partitionIndex: 1, timestamp: -1n },
              { partitionIndex: 2, timestamp: base + 5n },
              { partitionIndex: 3, timestamp: base + 3_600_000n },
            ],
          },
        ],
      });
      assert.deepEqual(listed[0]!.partitions.map((p) => [p.partitionIndex, p.offset]).sort(), [
        [0, 0n],
        [1, 3n],
        // Timestamps base+i with i%4 = partition: at or after base+5 in partition 2 is i = 6;
        // none an hour ahead (-1).
        [2, 1n],
        [3, -1n],
      ]);
      const deleted = await admin.deleteRecords({
        topics: [{ name: topic, partitions: [{ partition: 0, offset: 2n }] }],
      });
      assert.equal(deleted[0]!.partitions[0]!.lowWatermark, 2n);

      await admin.deleteTopics({ topics: [topic] });
      assert.ok(!(await admin.listTopics()).includes(topic));
    } finally {
      await admin.close();
    }
  });

  it('idempotent producer (acks=-1) keeps producing across a broker restart: exactly the acknowledged records', async (t) => {
    const topic = 'interop-platformatic-idempotent';
    const bootstrapBrokers = [`127.0.0.1:${port}`];
    const admin = new Admin({ clientId: 'interop-plat-admin', bootstrapBrokers });
    try {
      await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    } finally {
      await admin.close();
    }
    const records = makeRecords('platformatic-idempotent', 10_000, { headers: true });
    const { chosen, partitioner } = recordingPartitioner(3);
    const options = {
      bootstrapBrokers,
      idempotent: true,
      acks: -1,
      partitioner,
      compression: 'lz4' as const,
      retries: 20,
      retryDelay: 100,
      autocreateTopics: false,
    };
    let producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: 'interop-plat-idem',
      ...options,
    });
    const deliveries: Delivery[] = [];
    let restarted: Promise<SluiceProcess> | null = null;
    let failedSends = 0;
    const started = performance.now();
    try {
      for (let from = 0; from < records.length; from += SEND_SIZE) {
        if (from === 4000) restarted = restartOnSamePort(proc, port, dataDir);
        if (from === 8000) {
          // After the restart, a new producer instance (a new producer id) finishes the run.
          proc = await restarted!;
          await producer.close();
          producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
            clientId: 'interop-plat-idem-2',
            ...options,
          });
        }
        const messages = records.slice(from, from + SEND_SIZE).map((r) => toMessage(topic, r));
        // An idempotent producer's failed send is retried as is (same records, same sequence
        // numbers): if the broker had written it, it answers with the original offsets.
        for (let attempt = 1; ; attempt++) {
          try {
            deliveries.push(...(await sendAndMap(producer, messages, chosen, from)));
            break;
          } catch (err) {
            failedSends++;
            if (attempt >= 20) throw err;
          }
        }
      }
    } finally {
      await producer.close();
      if (restarted !== null) proc = await restarted;
    }
    const ms = Math.round(performance.now() - started);
    const consumed = await fetchAll(port, topic, 3);
    assertRoundTrip('@platformatic/kafka idempotent', records, deliveries, consumed, {
      partitions: 3,
      headers: true,
    });
    t.diagnostic(
      `@platformatic/kafka idempotent: ${records.length} records across a restart in ${ms} ms (${failedSends} sends failed and were repeated)`,
    );
  });
});
