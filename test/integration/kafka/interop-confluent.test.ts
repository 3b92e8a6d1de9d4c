import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertRoundTrip,
  CLIENTS_DIR,
  consumedFromJson,
  type Delivery,
  makeRecords,
  PYTHON,
  recordsToJson,
  restartOnSamePort,
  runJsonClient,
  startLineClient,
} from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

/** confluent-kafka-python 1.7.0 on librdkafka 2.0.2 (Debian's python3-confluent-kafka). */
const SCRIPT = join(CLIENTS_DIR, 'confluent_client.py');
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
/** 10,000 records per client, spread evenly over its codecs. */
const PER_CODEC = 2000;

type Row = [number, number, number];

function deliveriesOf(rows: unknown): Delivery[] {
  return (rows as Row[]).map(([index, partition, offset]) => ({ index, partition, offset }));
}

describe('interop: confluent-kafka-python (librdkafka 2.0.2)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-it-confluent-'));
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
    const runs = CODECS.map((codec) => ({
      codec,
      records: makeRecords(`confluent-${codec}`, PER_CODEC, { headers: true }),
    }));
    const started = performance.now();
    const answer = await runJsonClient(PYTHON, [SCRIPT, 'roundtrip'], {
      bootstrap: `127.0.0.1:${port}`,
      topic: 'interop-confluent',
      partitions: 3,
      runs: runs.map((r) => ({ codec: r.codec, records: recordsToJson(r.records) })),
    });
    const ms = Math.round(performance.now() - started);
    assert.deepEqual(answer.errors, []);
    const records = runs.flatMap((r) => r.records);
    assertRoundTrip(
      'confluent-kafka-python',
      records,
      deliveriesOf(answer.deliveries),
      consumedFromJson(answer.consumed as unknown[]),
      { partitions: 3, headers: true },
    );
    t.diagnostic(
      `confluent-kafka-python: ${records.length} records, ${ms} ms in all; ${JSON.stringify(answer.timings)}`,
    );
  });

  it('admin: create/describe/delete topics, create partitions, describe/alter configs, list offsets', async () => {
    const r = await runJsonClient(PYTHON, [SCRIPT, 'admin'], {
      bootstrap: `127.0.0.1:${port}`,
      topic: 'interop-confluent-admin',
    });
    assert.equal(r.create_again, 'TOPIC_ALREADY_EXISTS');
    assert.equal(r.create_bad_config, 'INVALID_CONFIG');
    assert.deepEqual(r.described, { 'interop-confluent-admin': [0, 1] });
    assert.deepEqual(r.partitions_after, [0, 1, 2, 3, 4]);
    const configs = r.configs as Record<string, [string, boolean, number]>;
    // Sources: 1 DYNAMIC_TOPIC_CONFIG, 5 DEFAULT_CONFIG (librdkafka's ConfigSource numbering).
    assert.deepEqual(configs['retention.ms'], ['3600000', false, 1]);
    assert.deepEqual(configs['cleanup.policy'], ['delete', false, 1]);
    assert.equal(configs['max.message.bytes']?.[0], '1048588');
    assert.equal(configs['max.message.bytes']?.[1], true);
    // AlterConfigs replaces the whole set: cleanup.policy falls back to its default.
    assert.deepEqual(r.configs_after, {
      'retention.ms': ['7200000', false],
      'segment.bytes': ['1048576', false],
      'cleanup.policy': ['delete', true],
    });
    assert.equal(r.broker_num_partitions, '1');
    const acked = r.admin_deliveries as Row[];
    assert.equal(acked.length, 30);
    for (const [i, p, o] of acked) {
      assert.equal(p, i % 5);
      assert.equal(o, Math.floor(i / 5));
    }
    assert.deepEqual(r.watermarks, [
      [0, 6],
      [0, 6],
      [0, 6],
      [0, 6],
      [0, 6],
    ]);
    // Timestamps 1000000+i, i%5 = partition: the first record at or after 1000010 is i = 10..14,
    // offset 2 in each partition; a time after every record gives the end (-1 means "none").
    assert.deepEqual(r.offsets_for_times, [
      [0, 2],
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [0, -1],
    ]);
    assert.equal(r.after_delete, false);
    assert.equal(r.delete_again, 'UNKNOWN_TOPIC_OR_PART');
  });

  it('idempotent producer (acks=all) across a broker restart: exactly the acknowledged records', async (t) => {
    const runs = [
      makeRecords('confluent-idem-1', 4000, { headers: true }),
      makeRecords('confluent-idem-2', 4000, { headers: true }),
      makeRecords('confluent-idem-3', 2000, { headers: true }),
    ];
    const client = startLineClient(PYTHON, [SCRIPT, 'idempotent']);
    t.after(() => client.kill());
    const started = performance.now();
    client.send(
      JSON.stringify({
        bootstrap: `127.0.0.1:${port}`,
        topic: 'interop-confluent-idempotent',
        partitions: 3,
        codec: 'lz4',
        runs: runs.map(recordsToJson),
      }),
    );
    const phase = await client.next();
    assert.equal(phase.phase, 'restart');
    assert.equal(phase.left, 0, 'run 1 flushed before the restart');
    // The producer is still writing run 2 while the broker stops and comes back.
    proc = await restartOnSamePort(proc, port, dataDir);
    client.send('restarted');
    const done = await client.next();
    await client.exited;
    const ms = Math.round(performance.now() - started);
    assert.deepEqual(done.fatal, [], 'no fatal idempotence error (e.g. OUT_OF_ORDER_SEQUENCE_NUMBER)');
    assert.deepEqual(done.errors, []);
    assertRoundTrip(
      'confluent-kafka-python idempotent',
      runs.flat(),
      deliveriesOf(done.deliveries),
      consumedFromJson(done.consumed as unknown[]),
      { partitions: 3, headers: true },
    );
    t.diagnostic(`confluent-kafka-python idempotent: 10000 records across a restart in ${ms} ms`);
  });
});
