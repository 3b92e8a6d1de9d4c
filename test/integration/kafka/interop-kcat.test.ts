import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import {
  assertRoundTrip,
  type ConsumedRecord,
  type Delivery,
  type InteropRecord,
  makeRecords,
  runWithInputAndStderr,
} from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

const run = promisify(execFile);
/** kcat 1.7.1 on librdkafka 2.0.2 (Debian). */
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
/** 10,000 records per client, spread evenly over its codecs. */
const PER_CODEC = 2000;
const TOPIC = 'interop-kcat';

/**
 * librdkafka's default partitioner (`consistent_random`): CRC-32 of the key modulo the partition
 * count. kcat's delivery reports name the partition and offset but not the record, so the test
 * pairs them with the records by this prediction, in produce order per partition.
 */
function librdkafkaPartition(key: Buffer, partitions: number): number {
  return crc32(key) % partitions;
}

interface KcatJson {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

describe('interop: kcat (librdkafka 2.0.2)', () => {
  let proc: SluiceProcess;
  let port: number;

  before(async () => {
    ({ proc, port } = await startBroker());
    // kcat has no admin API: kafkajs creates the topic.
    const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] }), true);
    } finally {
      await admin.disconnect();
    }
  });

  after(async () => {
    const code = await proc.stop();
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  });

  it('produces keyed records with headers in every codec and reads the same bytes back', async (t) => {
    const records: InteropRecord[] = [];
    const deliveries: Delivery[] = [];
    const timings: Record<string, number> = {};
    for (const codec of CODECS) {
      const headers = [
        ['codec', Buffer.from(codec)],
        ['suite', Buffer.from('interop')],
      ] as const;
      // -H sets the same headers on every record of a run.
      const mine = makeRecords(`kcat-${codec}`, PER_CODEC, { printable: true }).map((r) => ({
        ...r,
        headers,
      }));
      const input = mine.map((r) => `${r.key.toString('latin1')}:${r.value.toString('latin1')}\n`).join('');
      const started = performance.now();
      // -vvv makes kcat print a delivery report per record: partition and offset.
      const { stderr } = await runWithInputAndStderr(
        'kcat',
        [
          '-P',
          '-b',
          `127.0.0.1:${port}`,
          '-t',
          TOPIC,
          '-K:',
          '-z',
          codec,
          '-H',
          `codec=${codec}`,
          '-H',
          'suite=interop',
          '-X',
          'linger.ms=5',
          '-vvv',
        ],
        input,
      );
      timings[`produce ${codec}`] = Math.round(performance.now() - started);
      const reports = new Map<number, number[]>();
      for (const m of stderr.matchAll(/Message delivered to partition (\d+) \(offset (-?\d+)\)/g)) {
        const list = reports.get(Number(m[1])) ?? [];
        list.push(Number(m[2]));
        reports.set(Number(m[1]), list);
      }
      const predicted = mine.map((r) => librdkafkaPartition(r.key, 3));
      for (let p = 0; p < 3; p++) {
        assert.equal(
          reports.get(p)?.length ?? 0,
          predicted.filter((x) => x === p).length,
          `${codec}: partition ${p} acknowledged as many records as the partitioner sent there`,
        );
      }
      const seen = new Map<number, number>();
      for (const [i, p] of predicted.entries()) {
        const k = seen.get(p) ?? 0;
        seen.set(p, k + 1);
        deliveries.push({ index: records.length + i, partition: p, offset: reports.get(p)![k]! });
      }
      records.push(...mine);
    }
    const started = performance.now();
    const { stdout } = await run(
      'kcat',
      [
        '-C',
        '-b',
        `127.0.0.1:${port}`,
        '-t',
        TOPIC,
        '-o',
        'beginning',
        '-e',
        '-q',
        '-J',
        '-X',
        'fetch.wait.max.ms=50',
      ],
      { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 },
    );
    timings.consume = Math.round(performance.now() - started);
    const consumed: ConsumedRecord[] = stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const j = JSON.parse(l) as KcatJson;
        const hs = j.headers ?? [];
        const headers: [string, Buffer][] = [];
        for (let i = 0; i < hs.length; i += 2) headers.push([hs[i]!, Buffer.from(hs[i + 1]!, 'latin1')]);
        return {
          partition: j.partition,
          offset: j.offset,
          key: Buffer.from(j.key ?? '', 'latin1'),
          value: Buffer.from(j.payload ?? '', 'latin1'),
          headers,
        };
      });
    // kcat prints partitions interleaved; each partition's records keep their order.
    assertRoundTrip('kcat', records, deliveries, consumed, { partitions: 3, headers: true });
    const total = Object.values(timings).reduce((a, b) => a + b, 0);
    t.diagnostic(`kcat: ${records.length} records, ${total} ms in all; ${JSON.stringify(timings)}`);
  });

  it('metadata (-L) and offsets by timestamp (-Q)', async () => {
    const { stdout } = await run('kcat', ['-L', '-J', '-b', `127.0.0.1:${port}`, '-t', TOPIC], {
      timeout: 30_000,
    });
    const md = JSON.parse(stdout) as {
      brokers: { id: number }[];
      topics: {
        topic: string;
        partitions: { partition: number; leader: number; replicas: { id: number }[] }[];
      }[];
    };
    assert.deepEqual(
      md.topics.map((x) => [
        x.topic,
        x.partitions.map((p) => [p.partition, p.leader, p.replicas.map((r) => r.id)]),
      ]),
      [
        [
          TOPIC,
          [
            [0, 1, [1]],
            [1, 1, [1]],
            [2, 1, [1]],
          ],
        ],
      ],
    );
    // Timestamp 0: the first offset of each partition; far in the future: none (-1).
    const q = await run(
      'kcat',
      [
        '-Q',
        '-b',
        `127.0.0.1:${port}`,
        '-t',
        `${TOPIC}:0:0`,
        '-t',
        `${TOPIC}:1:0`,
        '-t',
        `${TOPIC}:2:99999999999999`,
      ],
      { timeout: 30_000 },
    );
    assert.deepEqual(q.stdout.trim().split('\n').sort(), [
      `${TOPIC} [0] offset 0`,
      `${TOPIC} [1] offset 0`,
      `${TOPIC} [2] offset -1`,
    ]);
  });
});
