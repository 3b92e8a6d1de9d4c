import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

const run = promisify(execFile);

describe('broker crash durability (flush.messages=1)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-it-crash-'));
  let proc: SluiceProcess | undefined;

  after(async () => {
    await proc?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('kill -9 during a produce load loses no acknowledged record', async () => {
    let port: number;
    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`]));
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'it-crash',
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      requestTimeout: 3000,
      connectionTimeout: 1000,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'durable', numPartitions: 2, configEntries: [{ name: 'flush.messages', value: '1' }] },
      ],
    });
    await admin.disconnect();

    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    /** value → [partition, offset] of every acknowledged record. */
    const acked = new Map<string, [number, number]>();
    let stop = false;
    const KILL_AFTER = 400;
    let killed: Promise<unknown> | null = null;
    const broker = proc;
    const loop = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const messages = Array.from({ length: 3 }, (_, j) => ({
          value: `w${worker}-${i}-${j}`,
          partition: (worker + i) % 2,
        }));
        try {
          const [meta] = await producer.send({ topic: 'durable', acks: -1, messages });
          const base = Number(meta!.baseOffset);
          for (const [j, m] of messages.entries()) acked.set(m.value, [meta!.partition, base + j]);
        } catch {
          stop = true;
        }
        if (acked.size >= KILL_AFTER && killed === null) {
          // Kill while the other workers still have requests in flight.
          broker.child.kill('SIGKILL');
          killed = broker.exited;
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(loop));
    await killed;
    await producer.disconnect().catch(() => {});
    assert.ok(acked.size >= KILL_AFTER, `${acked.size} records acknowledged before the kill`);

    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`]));
    const { stdout } = await run(
      'kcat',
      ['-C', '-b', `127.0.0.1:${port}`, '-t', 'durable', '-o', 'beginning', '-e', '-q', '-f', '%p|%o|%s\\n'],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const stored = new Map<string, [number, number]>();
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      const [p, o, v] = line.split('|');
      stored.set(v!, [Number(p), Number(o)]);
    }
    const missing = [...acked].filter(([v, at]) => stored.get(v)?.join() !== at.join());
    assert.deepEqual(
      missing,
      [],
      'every acknowledged record is at its acknowledged offset after the restart',
    );
  });
});
