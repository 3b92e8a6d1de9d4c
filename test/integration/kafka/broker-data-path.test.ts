import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { PYTHON, runWithInput } from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

const run = promisify(execFile);

interface Consumed {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/** Every record of `topic` via kcat, from the beginning to the end of each partition. */
async function kcatConsumeAll(port: number, topic: string): Promise<Consumed[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', `127.0.0.1:${port}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p|%o|%k|%s\\n'],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [p, o, k, v] = l.split('|');
      return { partition: Number(p), offset: Number(o), key: k!, value: v! };
    });
}

function kafkajsClient(port: number): Kafka {
  return new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'it-data-path', logLevel: logLevel.NOTHING });
}

describe('broker data path with real clients', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-it-data-'));
  let proc: SluiceProcess;
  let port: number;
  /** topic → key → value, everything acknowledged so far (checked again after the restart). */
  const produced = new Map<string, Map<string, string>>();

  before(async () => {
    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`]));
    const admin = kafkajsClient(port).admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [
          { topic: 'kcat-codecs', numPartitions: 3 },
          { topic: 'py-idempotent', numPartitions: 3 },
          {
            topic: 'kafkajs-topic',
            numPartitions: 2,
            configEntries: [{ name: 'retention.ms', value: '3600000' }],
          },
          { topic: 'platformatic-topic', numPartitions: 2 },
        ],
        waitForLeaders: true,
      });
      assert.equal(created, true);
    } finally {
      await admin.disconnect();
    }
  });

  after(async () => {
    const code = await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  });

  it('kcat produces with every codec to a 3-partition topic and consumes the same bytes back', async () => {
    const mine = new Map<string, string>();
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const lines: string[] = [];
      for (let i = 0; i < 60; i++) {
        const key = `${codec}-${i}`;
        const value = randomBytes(24 + (i % 7) * 40).toString('base64url');
        mine.set(key, value);
        lines.push(`${key}:${value}`);
      }
      await runWithInput(
        'kcat',
        ['-P', '-b', `127.0.0.1:${port}`, '-t', 'kcat-codecs', '-K:', '-z', codec, '-X', 'linger.ms=5'],
        `${lines.join('\n')}\n`,
      );
    }
    const got = await kcatConsumeAll(port, 'kcat-codecs');
    assert.equal(got.length, mine.size);
    assert.deepEqual(new Map(got.map((r) => [r.key, r.value])), mine);
    assert.deepEqual(
      new Set(got.map((r) => r.partition)),
      new Set([0, 1, 2]),
      'keys spread over the partitions',
    );
    for (const p of [0, 1, 2]) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(
        offsets,
        offsets.map((_, i) => i),
        `partition ${p}: offsets 0..n-1 in order`,
      );
    }
    produced.set('kcat-codecs', mine);
  });

  it('confluent-kafka-python: idempotent producer (acks=all) and an assigned consumer', async () => {
    const script = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap = '127.0.0.1:${port}'
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 2, 'compression.type': 'lz4'})
acked = []
def report(err, msg):
    if err is not None:
        sys.stderr.write('delivery failed: %s\\n' % err)
        sys.exit(1)
    acked.append([msg.partition(), msg.offset(), msg.key().decode(), msg.value().decode()])
for i in range(300):
    p.produce('py-idempotent', key=('k%d' % i).encode(), value=('value-%d' % i).encode(), on_delivery=report)
    if i % 50 == 0:
        p.poll(0)
assert p.flush(30) == 0
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-assign-only', 'enable.auto.commit': False})
c.assign([TopicPartition('py-idempotent', n, 0) for n in range(3)])
got = []
while len(got) < 300:
    m = c.poll(10)
    if m is None:
        break
    if m.error():
        continue
    got.append([m.partition(), m.offset(), m.key().decode(), m.value().decode()])
c.close()
print(json.dumps({'acked': acked, 'got': got}))
`;
    const { stdout } = await run(PYTHON, ['-c', script], { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 });
    const r = JSON.parse(stdout) as {
      acked: [number, number, string, string][];
      got: [number, number, string, string][];
    };
    assert.equal(r.acked.length, 300);
    const sort = (a: [number, number, string, string][]) =>
      [...a].sort((x, y) => x[0] - y[0] || x[1] - y[1]).map((x) => x.join('|'));
    assert.deepEqual(
      sort(r.got),
      sort(r.acked),
      'the consumer reads exactly what was acknowledged, at those offsets',
    );
    produced.set('py-idempotent', new Map(r.acked.map((a) => [a[2], a[3]])));
  });

  it('kafkajs: producer and admin (fetchTopicMetadata, describeConfigs, deleteTopics)', async () => {
    const kafka = kafkajsClient(port);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const admin = kafka.admin();
    await producer.connect();
    await admin.connect();
    try {
      const mine = new Map<string, string>();
      const messages = Array.from({ length: 40 }, (_, i) => ({
        key: `js-${i}`,
        value: `kafkajs value ${i}`,
      }));
      for (const m of messages) mine.set(m.key, m.value);
      const results = await producer.send({ topic: 'kafkajs-topic', acks: -1, messages });
      assert.ok(results.every((x) => x.errorCode === 0));
      produced.set('kafkajs-topic', mine);
      const got = await kcatConsumeAll(port, 'kafkajs-topic');
      assert.deepEqual(new Map(got.map((r) => [r.key, r.value])), mine);

      const md = await admin.fetchTopicMetadata({ topics: ['kafkajs-topic'] });
      assert.deepEqual(
        md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort(),
        [
          [0, 1, [1], [1]],
          [1, 1, [1], [1]],
        ],
      );
      const offsets = await admin.fetchTopicOffsets('kafkajs-topic');
      assert.equal(
        offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
        40,
        'ListOffsets: high - low sums to the records written',
      );

      const described = await admin.describeConfigs({
        resources: [{ type: 2, name: 'kafkajs-topic' }],
        includeSynonyms: false,
      });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      assert.equal(entries.get('retention.ms')?.configValue, '3600000');
      assert.equal(entries.get('retention.ms')?.isDefault, false);
      assert.equal(entries.get('cleanup.policy')?.configValue, 'delete');
      assert.equal(entries.get('cleanup.policy')?.isDefault, true);
      assert.equal(entries.get('max.message.bytes')?.configValue, '1048588');

      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: 'kafkajs-topic', configEntries: [{ name: 'retention.ms', value: '7200000' }] },
        ],
      });
      const after = await admin.describeConfigs({
        resources: [{ type: 2, name: 'kafkajs-topic', configNames: ['retention.ms'] }],
        includeSynonyms: false,
      });
      assert.equal(after.resources[0]!.configEntries[0]!.configValue, '7200000');

      await assert.rejects(
        admin.createTopics({
          topics: [{ topic: 'bad-config', configEntries: [{ name: 'no.such.config', value: '1' }] }],
        }),
        (err: Error & { errors?: { type: string }[] }) =>
          /INVALID_CONFIG|config/i.test(JSON.stringify(err.errors ?? err.message)),
      );
      await admin.createTopics({ topics: [{ topic: 'to-delete', numPartitions: 2 }] });
      assert.ok((await admin.listTopics()).includes('to-delete'));
      await admin.deleteTopics({ topics: ['to-delete'] });
      assert.ok(!(await admin.listTopics()).includes('to-delete'));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('@platformatic/kafka: producer, then Fetch v17 by topic id and ListOffsets', async () => {
    const bootstrapBrokers = [`127.0.0.1:${port}`];
    const producer = new Producer({
      clientId: 'it-plat',
      bootstrapBrokers,
      serializers: stringSerializers,
      acks: -1,
    });
    const consumer = new Consumer({ clientId: 'it-plat-c', groupId: 'unused', bootstrapBrokers });
    const admin = new Admin({ clientId: 'it-plat-a', bootstrapBrokers });
    try {
      const mine = new Map<string, string>();
      const messages = Array.from({ length: 20 }, (_, i) => ({
        topic: 'platformatic-topic',
        key: `plat-${i}`,
        value: `platformatic value ${i}`,
        partition: i % 2,
      }));
      for (const m of messages) mine.set(m.key, m.value);
      const sent = await producer.send({ messages });
      assert.equal(sent.offsets?.length ?? 2, 2);
      produced.set('platformatic-topic', mine);

      const md = await admin.metadata({ topics: ['platformatic-topic'] });
      const topicId = md.topics.get('platformatic-topic')!.id;
      assert.match(topicId, /^[0-9a-f-]{36}$/);
      const fetched = await consumer.fetch({
        node: 1,
        maxWaitTime: 100,
        topics: [
          {
            topicId,
            partitions: [0, 1].map((partition) => ({
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 1 << 20,
            })),
          },
        ],
      });
      const values = new Map<string, string>();
      for (const p of fetched.responses[0]!.partitions) {
        assert.equal(p.errorCode, 0);
        assert.equal(p.highWatermark, 10n);
        for (const batch of p.records ?? []) {
          for (const rec of batch.records) values.set(String(rec.key), String(rec.value));
        }
      }
      assert.deepEqual(values, mine);
      const offsets = await consumer.listOffsets({ topics: ['platformatic-topic'] });
      assert.deepEqual([...offsets.get('platformatic-topic')!], [10n, 10n]);
    } finally {
      await producer.close();
      await consumer.close();
      await admin.close();
    }
  });

  // kafka-python 2.0.2 fetches below v10, so it cannot read zstd batches (Kafka answers those with
  // UNSUPPORTED_COMPRESSION_TYPE too); it reads the lz4 topic confluent-kafka-python wrote.
  it('kafka-python reads what others wrote (Fetch and ListOffsets in its versions)', async () => {
    const script = `
import json
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers='127.0.0.1:${port}', enable_auto_commit=False, consumer_timeout_ms=5000,
                  auto_offset_reset='earliest')
tps = [TopicPartition('py-idempotent', n) for n in range(3)]
c.assign(tps)
c.seek_to_beginning()
ends = c.end_offsets(tps)
got = {}
for m in c:
    got[m.key.decode()] = m.value.decode()
    if sum(c.position(tp) for tp in tps) >= sum(ends.values()):
        break
c.close()
print(json.dumps(got))
`;
    const { stdout } = await run(PYTHON, ['-c', script], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    assert.deepEqual(
      new Map(Object.entries(JSON.parse(stdout) as Record<string, string>)),
      produced.get('py-idempotent'),
    );
  });

  it('after a restart every topic, id, config and record is still there', async () => {
    const before = await kafkajsClient(port).admin();
    await before.connect();
    const mdBefore = await before.fetchTopicMetadata({ topics: [] });
    await before.disconnect();
    const clusterBefore = (await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-J'], { timeout: 30_000 }))
      .stdout;

    assert.equal(await proc.stop(), 0);
    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`]));

    const admin = kafkajsClient(port).admin();
    await admin.connect();
    try {
      const mdAfter = await admin.fetchTopicMetadata({ topics: [] });
      const summary = (m: typeof mdBefore) =>
        m.topics.map((t) => [t.name, t.partitions.length] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      assert.deepEqual(summary(mdAfter), summary(mdBefore));
      const cfg = await admin.describeConfigs({
        resources: [{ type: 2, name: 'kafkajs-topic', configNames: ['retention.ms'] }],
        includeSynonyms: false,
      });
      assert.equal(cfg.resources[0]!.configEntries[0]!.configValue, '7200000', 'altered config persisted');
    } finally {
      await admin.disconnect();
    }
    const clusterAfter = (await run('kcat', ['-L', '-b', `127.0.0.1:${port}`, '-J'], { timeout: 30_000 }))
      .stdout;
    const idOf = (json: string) =>
      (JSON.parse(json) as { cluster_id?: string; originating_broker?: unknown }).cluster_id;
    if (idOf(clusterBefore) !== undefined)
      assert.equal(idOf(clusterAfter), idOf(clusterBefore), 'cluster id kept');
    for (const [topic, records] of produced) {
      const got = await kcatConsumeAll(port, topic);
      assert.deepEqual(new Map(got.map((r) => [r.key, r.value])), records, `${topic} after restart`);
    }
  });
});
