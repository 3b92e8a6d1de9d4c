import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLIENTS_DIR, PYTHON, runJsonClient } from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

/**
 * Produce v0-2 from real clients pinned to old protocol versions (legacy message sets, magic 0 and
 * 1), read back with a current consumer (Fetch v4) from the v2 batches the broker converted them to.
 * (librdkafka 2.0.2 pinned to 0.10.x asks ApiVersions all the same and then speaks Produce v7, so
 * magic 1 comes from kafka-python only.)
 */
const SCRIPT = join(CLIENTS_DIR, 'legacy_producers.py');
const TOPIC = 'legacy-clients';

interface Sent {
  readonly key: string | null;
  readonly value: string;
  readonly timestamp: number;
}

function sentRecords(label: string, count: number): Sent[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 3 === 0 ? null : `${label}-key-${i}`,
    value: `${label}-value-${i}-${'x'.repeat(i % 50)}`,
    timestamp: 1_700_000_000_000 + i,
  }));
}

const b64 = (s: string | null) => (s === null ? null : Buffer.from(s).toString('base64'));
const unb64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64').toString());

describe('Produce v0-2 from old clients (kafka-python, librdkafka)', () => {
  let proc: SluiceProcess;
  let bootstrap: string;
  let partition = 0;
  const producers = [
    { client: 'kafka-python', api_version: [0, 8, 2], produceVersion: 0, magic: 0 },
    { client: 'kafka-python', api_version: [0, 9], produceVersion: 1, magic: 0 },
    { client: 'kafka-python', api_version: [0, 10, 1], produceVersion: 2, magic: 1 },
    { client: 'librdkafka', fallback: '0.9.0', produceVersion: 1, magic: 0 },
  ] as const;

  before(async () => {
    // trace: the broker logs each request's api and version, which shows what the clients sent.
    let port: number;
    ({ proc, port } = await startBroker(['--log-level', 'trace', '--override', 'num.partitions=16']));
    bootstrap = `127.0.0.1:${port}`;
  });

  after(async () => {
    const code = await proc.stop();
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr().slice(-2000)}`);
  });

  /** Produce requests the broker has logged so far, in `version`. */
  const produceRequests = (version: number) =>
    proc
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"api":"Produce"') && l.includes(`"version":${version},`)).length;

  for (const p of producers) {
    const codecs = p.client === 'kafka-python' ? ['none', 'gzip'] : ['none', 'gzip', 'snappy', 'lz4'];
    for (const codec of codecs) {
      const name = `${p.client} ${'api_version' in p ? p.api_version.join('.') : p.fallback}`;
      it(`${name}, ${codec}: Produce v${p.produceVersion} (magic ${p.magic}) is acknowledged and reads back`, async () => {
        const part = partition++;
        const before = produceRequests(p.produceVersion);
        const sent = sentRecords(`${p.client}-${p.produceVersion}-${codec}`, 200);
        const answer = await runJsonClient(PYTHON, [SCRIPT, p.client], {
          bootstrap,
          // Auto-created by the first Metadata request: every pinned client asks for the topic.
          topic: TOPIC,
          partition: part,
          codec,
          ...('api_version' in p ? { api_version: p.api_version } : { fallback: p.fallback }),
          records: sent.map((r) => [b64(r.key), b64(r.value), r.timestamp]),
        });
        if ('errors' in answer) assert.deepEqual(answer.errors, [], `${name}: delivery errors`);
        assert.deepEqual(
          answer.deliveries,
          sent.map((_, i) => [i, part, i]),
          `${name}: every record acknowledged, at offsets 0..${sent.length - 1}`,
        );
        const read = await runJsonClient(PYTHON, [SCRIPT, 'consume'], {
          bootstrap,
          topic: TOPIC,
          partition: part,
        });
        const consumed = read.consumed as [number, string | null, string, number, number][];
        assert.deepEqual(
          consumed.map(([offset, key, value]) => [offset, unb64(key), unb64(value)]),
          sent.map((r, i) => [i, r.key, r.value]),
        );
        // Magic 0 has no timestamps: stored as -1 (NO_TIMESTAMP). Magic 1 keeps CreateTime.
        assert.deepEqual(
          consumed.map(([, , , ts]) => ts),
          sent.map((r) => (p.magic === 0 ? -1 : r.timestamp)),
        );
        assert.ok(produceRequests(p.produceVersion) > before, `the client sent Produce v${p.produceVersion}`);
      });
    }
  }
});
