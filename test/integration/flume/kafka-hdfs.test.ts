import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin, Producer } from '@platformatic/kafka';
import { type SluiceProcess, startBroker, startSluice } from '../support/sluice-process.ts';

/**
 * One of the seed flows, with real processes: a Sluice broker, then `sluice agent` with a
 * kafka source (and a timestamp interceptor) → memory channel → hdfs sink writing DataStream files
 * under a dated local path, rolled every 5 s. Offsets are committed only after the channel commit:
 * a restarted agent goes on where the first stopped.
 */

/** Every closed (renamed) file's lines under `root`, and whether an in-use file is still there. */
function closedLines(root: string): { lines: string[]; dirs: string[]; inUse: boolean } {
  const lines: string[] = [];
  let inUse = false;
  const dirs = existsSync(root) ? readdirSync(root) : [];
  for (const d of dirs) {
    for (const f of readdirSync(join(root, d))) {
      if (f.endsWith('.tmp')) inUse = true;
      else
        lines.push(
          ...readFileSync(join(root, d, f), 'utf8')
            .split('\n')
            .filter((l) => l !== ''),
        );
    }
  }
  return { lines, dirs, inUse };
}

async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kafka source → timestamp interceptor → memory → hdfs (DataStream, dated path, rollInterval 5)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-kafka-'));
  const out = join(dir, 'out');
  let broker: { proc: SluiceProcess; port: number };
  let producer: Producer<string, string, string, string>;

  before(async () => {
    broker = await startBroker();
    const bootstrap = [`127.0.0.1:${broker.port}`];
    const admin = new Admin({ clientId: 'setup', bootstrapBrokers: bootstrap });
    await admin.createTopics({ topics: ['events'], partitions: 2, replicas: 1 });
    await admin.close();
    producer = new Producer({
      clientId: 'test-producer',
      bootstrapBrokers: bootstrap,
      serializers: {
        key: (s?: string) => (s === undefined ? undefined : Buffer.from(s)),
        value: (s?: string) => (s === undefined ? undefined : Buffer.from(s)),
        headerKey: (s?: string) => (s === undefined ? undefined : Buffer.from(s)),
        headerValue: (s?: string) => (s === undefined ? undefined : Buffer.from(s)),
      },
    });
  });

  after(async () => {
    await producer?.close();
    await broker?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const produce = (from: number, to: number) =>
    producer.send({
      messages: Array.from({ length: to - from }, (_, k) => ({
        topic: 'events',
        key: `k${from + k}`,
        value: `event ${from + k}`,
      })),
    });

  const agentConfig = () => {
    const file = join(dir, 'flume.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource',
        `a1.sources.r1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.sources.r1.kafka.topics = events',
        'a1.sources.r1.kafka.consumer.group.id = flume-hdfs',
        'a1.sources.r1.batchSize = 5',
        'a1.sources.r1.batchDurationMillis = 200',
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.interceptors = ts',
        'a1.sources.r1.interceptors.ts.type = timestamp',
        'a1.channels.c1.type = memory',
        'a1.channels.c1.capacity = 1000',
        'a1.channels.c1.transactionCapacity = 100',
        'a1.sinks.k1.type = hdfs',
        'a1.sinks.k1.channel = c1',
        `a1.sinks.k1.hdfs.path = file://${out}/%Y-%m-%d`,
        'a1.sinks.k1.hdfs.filePrefix = events',
        'a1.sinks.k1.hdfs.fileType = DataStream',
        'a1.sinks.k1.hdfs.rollInterval = 5',
        'a1.sinks.k1.hdfs.rollSize = 0',
        'a1.sinks.k1.hdfs.rollCount = 0',
        '',
      ].join('\n'),
    );
    return file;
  };

  it('writes every record once into rolled files under the day of their timestamp, across a restart', async () => {
    await produce(0, 20);
    const file = agentConfig();
    const started = new Date();
    const first = startSluice(['agent', '-n', 'a1', '-f', file]);
    try {
      await until('20 lines in closed files', () => closedLines(out).lines.length >= 20);
    } finally {
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0, first.stderr().slice(-2000));
    }
    const pad = (n: number) => String(n).padStart(2, '0');
    const day = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    const { dirs, inUse } = closedLines(out);
    assert.ok(
      dirs.length === 1 && (dirs[0] === day(started) || dirs[0] === day(new Date())),
      `dated directory: ${dirs}`,
    );
    assert.equal(inUse, false, 'in-use files are renamed when the agent stops');
    assert.ok(readdirSync(join(out, dirs[0]!)).every((f) => /^events\.\d+$/.test(f)));

    // Offsets were committed after the channel commits: a new agent reads only what came after.
    await produce(20, 25);
    const second = startSluice(['agent', '-n', 'a1', '-f', file]);
    try {
      await until('25 lines in closed files', () => closedLines(out).lines.length >= 25);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0, second.stderr().slice(-2000));
    }
    const lines = closedLines(out).lines.sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1]));
    assert.deepEqual(
      lines,
      Array.from({ length: 25 }, (_, i) => `event ${i}`),
    );
  });
});
