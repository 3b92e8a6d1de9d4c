import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertRoundTrip,
  CLIENTS_DIR,
  consumedFromJson,
  type Delivery,
  type InteropRecord,
  makeRecords,
  PYTHON,
  recordsToJson,
  runJsonClient,
} from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

/** kafka-python 2.0.2 (Debian's python3-kafka): Produce v7, Fetch v4, ListOffsets v2 against Sluice. */
const SCRIPT = join(CLIENTS_DIR, 'kafka_python_client.py');
/** The confluent-kafka-python script, to read back what kafka-python cannot fetch (zstd). */
const CONFLUENT = join(CLIENTS_DIR, 'confluent_client.py');
const RECORDS = 10_000;

describe('interop: kafka-python 2.0.2', () => {
  let proc: SluiceProcess;
  let port: number;
  let codecs: string[];

  before(async () => {
    ({ proc, port } = await startBroker());
    codecs = (await runJsonClient(PYTHON, [SCRIPT, 'codecs'], {})).codecs as string[];
  });

  after(async () => {
    const code = await proc.stop();
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr()}`);
  });

  it('produces keyed records with headers in every codec it has and reads the same bytes back', async (t) => {
    // Without python3-snappy/-lz4/-zstandard the client cannot produce those codecs at all.
    const missing = ['snappy', 'lz4', 'zstd'].filter((c) => !codecs.includes(c));
    if (missing.length > 0) t.diagnostic(`kafka-python lacks ${missing.join(', ')} on this machine`);
    const perCodec = Math.floor(RECORDS / codecs.length);
    // kafka-python fetches with Fetch v4, below the v10 that zstd needs, so Kafka (and Sluice) answer
    // UNSUPPORTED_COMPRESSION_TYPE (76) for zstd batches; kafka-python 2.0.2 does not know code 76,
    // takes it for an unknown error and retries forever. So its zstd records go to their own topic,
    // which confluent-kafka-python reads back.
    const runs = codecs.map((codec) => ({
      codec,
      topic: codec === 'zstd' ? 'interop-kafka-python-zstd' : 'interop-kafka-python',
      records: makeRecords(`kafka-python-${codec}`, perCodec, { headers: true }),
    }));
    const started = performance.now();
    const answer = await runJsonClient(PYTHON, [SCRIPT, 'roundtrip'], {
      bootstrap: `127.0.0.1:${port}`,
      partitions: 3,
      runs: runs.map((r) => ({ codec: r.codec, topic: r.topic, records: recordsToJson(r.records) })),
      read: ['interop-kafka-python'],
    });
    const ms = Math.round(performance.now() - started);
    const deliveries = answer.deliveries as [number, number, number][];
    const consumed = answer.consumed as Record<string, unknown[]>;
    let first = 0;
    const byTopic = new Map<string, { records: InteropRecord[]; deliveries: Delivery[] }>();
    for (const run of runs) {
      const entry = byTopic.get(run.topic) ?? { records: [], deliveries: [] };
      for (const [n, record] of run.records.entries()) {
        const [index, partition, offset] = deliveries[first + n]!;
        assert.equal(index, first + n);
        entry.deliveries.push({ index: entry.records.length, partition, offset });
        entry.records.push(record);
      }
      first += run.records.length;
      byTopic.set(run.topic, entry);
    }
    const main = byTopic.get('interop-kafka-python')!;
    assertRoundTrip(
      'kafka-python',
      main.records,
      main.deliveries,
      consumedFromJson(consumed['interop-kafka-python']!),
      {
        partitions: 3,
        headers: true,
      },
    );
    const zstd = byTopic.get('interop-kafka-python-zstd');
    if (zstd !== undefined) {
      const read = await runJsonClient(PYTHON, [CONFLUENT, 'consume'], {
        bootstrap: `127.0.0.1:${port}`,
        topic: 'interop-kafka-python-zstd',
        partitions: 3,
      });
      assertRoundTrip(
        'kafka-python zstd (read by confluent-kafka-python)',
        zstd.records,
        zstd.deliveries,
        consumedFromJson(read.consumed as unknown[]),
        { partitions: 3, headers: true },
      );
    }
    t.diagnostic(
      `kafka-python: ${first} records (${codecs.join(', ')}), ${ms} ms in all; ${JSON.stringify(answer.timings)}`,
    );
  });

  it('admin: create/describe/delete topics, create partitions, describe/alter configs, list offsets', async () => {
    const r = await runJsonClient(PYTHON, [SCRIPT, 'admin'], {
      bootstrap: `127.0.0.1:${port}`,
      topic: 'interop-kafka-python-admin',
    });
    assert.equal(r.create_again, 'TopicAlreadyExistsError');
    assert.equal(r.listed, true);
    assert.deepEqual(r.described, [['interop-kafka-python-admin', [0, 1]]]);
    assert.deepEqual(r.create_partitions, [['interop-kafka-python-admin', 0]]);
    assert.deepEqual(r.described_after, [[0, 1, 2, 3]]);
    const configs = r.configs as Record<string, [string, unknown]>;
    assert.equal(configs['retention.ms']?.[0], '3600000');
    assert.equal(configs['cleanup.policy']?.[0], 'delete');
    assert.equal(configs['max.message.bytes']?.[0], '1048588');
    assert.ok((r.config_count as number) > 20, 'every topic config is described');
    assert.deepEqual(r.alter, [[0, 2, 'interop-kafka-python-admin']]);
    assert.deepEqual((r.configs_after as Record<string, unknown[]>)['retention.ms']?.[0], '7200000');
    const acked = r.acked as [number, number][];
    assert.deepEqual(
      acked,
      Array.from({ length: 20 }, (_, i) => [i % 4, Math.floor(i / 4)]),
    );
    assert.deepEqual(r.beginning, [0, 0, 0, 0]);
    assert.deepEqual(r.end, [5, 5, 5, 5]);
    // Timestamps 2000000+i with i%4 = partition: the first at or after 2000008 is i = 8..11.
    assert.deepEqual(r.for_times, [
      [2, 2000008],
      [2, 2000009],
      [2, 2000010],
      [2, 2000011],
    ]);
    assert.deepEqual(r.delete, [['interop-kafka-python-admin', 0]]);
    assert.equal(r.listed_after_delete, false);
  });
});
