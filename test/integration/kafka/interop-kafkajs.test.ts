import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CompressionTypes,
  type ICustomPartitioner,
  Kafka,
  logLevel,
  type Message,
  Partitioners,
} from 'kafkajs';
import {
  assertRoundTrip,
  type ConsumedRecord,
  type Delivery,
  type InteropRecord,
  makeRecords,
} from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

/** kafkajs 2.2.4: Produce v7, Fetch v11, ListOffsets v3, Metadata v6 (non-flexible versions only). */
const TOPIC = 'interop-kafkajs';
/** kafkajs ships gzip only; snappy, lz4 and zstd need codec packages this repository does not have. */
const CODECS = [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
] as const;
/** 10,000 records per client, spread evenly over its codecs. */
const PER_CODEC = 5000;
const SEND_SIZE = 1000;

interface KafkajsFetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord: boolean;
}

interface KafkajsBroker {
  fetch(request: {
    maxWaitTime: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: KafkajsFetchedMessage[];
      }[];
    }[];
  }>;
}

interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  findBroker(args: { nodeId: string }): Promise<KafkajsBroker>;
}

/**
 * kafkajs's Consumer only works in a consumer group (no assign()); consumer groups are a later
 * issue. Its own Fetch path still reads by explicit partition: the Kafka object's private cluster
 * factory gives a cluster, the cluster gives the leader's broker connection, and `broker.fetch` is
 * the request the Consumer sends (Fetch v11, record batches decoded by kafkajs, headers included).
 */
async function kafkajsFetchAll(kafka: Kafka, topic: string, partitions: number): Promise<ConsumedRecord[]> {
  const factorySymbol = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  assert.ok(factorySymbol, 'kafkajs keeps its cluster factory under the expected private symbol');
  const createCluster = (kafka as unknown as Record<symbol, ((o: object) => KafkajsCluster) | undefined>)[
    factorySymbol
  ];
  assert.ok(createCluster !== undefined);
  const cluster = createCluster({ allowAutoTopicCreation: false });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    const broker = await cluster.findBroker({ nodeId: '1' });
    const out: ConsumedRecord[] = [];
    const next = Array.from({ length: partitions }, () => 0);
    const high = Array.from({ length: partitions }, () => -1);
    // A bound instead of a hang if the broker stopped returning records (each fetch waits 100 ms).
    let idle = 0;
    while (high.some((h, p) => h < 0 || next[p]! < h)) {
      const wanted = next.flatMap((offset, partition) =>
        high[partition]! >= 0 && offset >= high[partition]!
          ? []
          : [{ partition, fetchOffset: String(offset), maxBytes: 1 << 20 }],
      );
      const before = out.length;
      const res = await broker.fetch({
        maxWaitTime: 100,
        isolationLevel: 0,
        topics: [{ topic, partitions: wanted }],
      });
      for (const t of res.responses) {
        for (const p of t.partitions) {
          assert.equal(p.errorCode, 0, `fetch ${topic}/${p.partition}`);
          high[p.partition] = Number(p.highWatermark);
          for (const m of p.messages) {
            const offset = Number(m.offset);
            // A fetch returns whole batches: skip records before the position, as the Consumer does.
            if (m.isControlRecord || offset < next[p.partition]!) continue;
            const headers: [string, Buffer][] = [];
            for (const [k, v] of Object.entries(m.headers)) {
              for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one ?? Buffer.alloc(0)]);
            }
            out.push({
              partition: p.partition,
              offset,
              key: m.key ?? Buffer.alloc(0),
              value: m.value ?? Buffer.alloc(0),
              headers,
            });
            next[p.partition] = offset + 1;
          }
        }
      }
      idle = out.length === before ? idle + 1 : 0;
      assert.ok(idle < 100, `no progress reading ${topic}: at ${next.join(',')} of ${high.join(',')}`);
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}

function headersObject(record: InteropRecord): Record<string, Buffer> | undefined {
  if (record.headers.length === 0) return undefined;
  return Object.fromEntries(record.headers.map(([k, v]) => [k, v]));
}

describe('interop: kafkajs 2.2.4', () => {
  let proc: SluiceProcess;
  let port: number;
  let kafka: Kafka;

  before(async () => {
    ({ proc, port } = await startBroker());
    kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'interop-kafkajs',
      logLevel: logLevel.NOTHING,
    });
  });

  after(async () => {
    const code = await proc.stop();
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  });

  it('produces keyed records with headers (none, gzip) and reads the same bytes back', async (t) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true }),
        true,
      );
    } finally {
      await admin.disconnect();
    }
    // The default (Java-compatible murmur2) partitioner, wrapped to record what it chose per message.
    const chosen = new Map<Message, number>();
    const recording: ICustomPartitioner = () => {
      const inner = Partitioners.DefaultPartitioner();
      return (args) => {
        const p = inner(args);
        chosen.set(args.message, p);
        return p;
      };
    };
    const producer = kafka.producer({ createPartitioner: recording, allowAutoTopicCreation: false });
    await producer.connect();
    const records: InteropRecord[] = [];
    const deliveries: Delivery[] = [];
    const chosenByIndex: number[] = [];
    const timings: Record<string, number> = {};
    try {
      for (const [name, compression] of CODECS) {
        const mine = makeRecords(`kafkajs-${name}`, PER_CODEC, { headers: true });
        const started = performance.now();
        for (let from = 0; from < mine.length; from += SEND_SIZE) {
          const slice = mine.slice(from, from + SEND_SIZE);
          const messages: Message[] = slice.map((r) => {
            const headers = headersObject(r);
            return headers === undefined
              ? { key: r.key, value: r.value }
              : { key: r.key, value: r.value, headers };
          });
          const result = await producer.send({ topic: TOPIC, acks: -1, compression, messages });
          const base = new Map(result.map((m) => [m.partition, Number(m.baseOffset)]));
          const used = new Map<number, number>();
          for (const [i, m] of messages.entries()) {
            const p = chosen.get(m);
            assert.ok(p !== undefined, 'the partitioner saw every message');
            const k = used.get(p) ?? 0;
            used.set(p, k + 1);
            const b = base.get(p);
            assert.ok(b !== undefined, `send result names partition ${p}`);
            // One batch per partition per send: the partition's records follow its base offset.
            deliveries.push({ index: records.length + from + i, partition: p, offset: b + k });
            chosenByIndex.push(p);
          }
        }
        timings[`produce ${name}`] = Math.round(performance.now() - started);
        records.push(...mine);
      }
    } finally {
      await producer.disconnect();
    }
    const started = performance.now();
    const consumed = await kafkajsFetchAll(kafka, TOPIC, 3);
    timings.consume = Math.round(performance.now() - started);
    assertRoundTrip('kafkajs', records, deliveries, consumed, {
      partitions: 3,
      headers: true,
      chosenPartition: (i) => chosenByIndex[i]!,
    });
    const total = Object.values(timings).reduce((a, b) => a + b, 0);
    t.diagnostic(`kafkajs: ${records.length} records, ${total} ms in all; ${JSON.stringify(timings)}`);
  });

  it('admin: create/describe/delete topics, create partitions, describe/alter configs, list offsets', async () => {
    const topic = 'interop-kafkajs-admin';
    const admin = kafka.admin();
    await admin.connect();
    try {
      assert.equal(
        await admin.createTopics({
          topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
          waitForLeaders: true,
        }),
        true,
      );
      // Already there: kafkajs reports "not created" rather than failing.
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), false);
      assert.ok((await admin.listTopics()).includes(topic));
      await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.deepEqual(md.topics[0]!.partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3]);
      await assert.rejects(
        admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }),
        /INVALID_PARTITIONS|partition/i,
      );

      const described = await admin.describeConfigs({
        resources: [{ type: 2, name: topic }],
        includeSynonyms: true,
      });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      assert.equal(entries.get('retention.ms')?.configValue, '3600000');
      assert.equal(entries.get('retention.ms')?.isDefault, false);
      assert.equal(entries.get('segment.bytes')?.isDefault, true);
      assert.ok((entries.get('retention.ms')?.configSynonyms.length ?? 0) >= 1, 'synonyms listed');
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      const altered = await admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ['cleanup.policy', 'retention.ms'] }],
        includeSynonyms: false,
      });
      assert.deepEqual(altered.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]).sort(), [
        ['cleanup.policy', 'compact'],
        // AlterConfigs replaces the topic's whole set of overrides.
        ['retention.ms', '604800000'],
      ]);

      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 12 }, (_, i) => ({
          key: `k${i}`,
          value: `v${i}`,
          partition: i % 4,
          timestamp: String(3000000 + i),
        })),
      });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets(topic);
      assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]).sort(), [
        [0, '0', '3'],
        [1, '0', '3'],
        [2, '0', '3'],
        [3, '0', '3'],
      ]);
      // Timestamps 3000000+i with i%4 = partition: at or after 3000004 is offset 1 everywhere.
      const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, 3000004);
      assert.deepEqual(byTime.map((o) => [o.partition, o.offset]).sort(), [
        [0, '1'],
        [1, '1'],
        [2, '1'],
        [3, '1'],
      ]);

      await admin.deleteTopics({ topics: [topic] });
      assert.ok(!(await admin.listTopics()).includes(topic));
    } finally {
      await admin.disconnect();
    }
  });
});
