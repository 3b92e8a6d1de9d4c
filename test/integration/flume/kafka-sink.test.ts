import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Consumer, type Message } from '@platformatic/kafka';
import { type SluiceProcess, startBroker, startSluice } from '../support/sluice-process.ts';

/**
 * `sluice agent` with Flume's Kafka sink against a real Sluice broker: seq → static interceptors
 * (topic and key headers) → memory → kafka sink; the records are read back with another client.
 */
describe('seq → memory → kafka sink (topic and key from headers, idempotent producer)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-kafka-sink-'));
  let broker: { proc: SluiceProcess; port: number };

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every event once to the topic its header names, keyed by its key header', async () => {
    const file = join(dir, 'flume.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = seq',
        'a1.sources.r1.totalEvents = 50',
        'a1.sources.r1.batchSize = 10',
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.interceptors = t k',
        'a1.sources.r1.interceptors.t.type = static',
        'a1.sources.r1.interceptors.t.key = topic',
        'a1.sources.r1.interceptors.t.value = routed',
        'a1.sources.r1.interceptors.k.type = static',
        'a1.sources.r1.interceptors.k.key = key',
        'a1.sources.r1.interceptors.k.value = fixed',
        'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink',
        `a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.sinks.k1.kafka.topic = unused-default',
        'a1.sinks.k1.flumeBatchSize = 20',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    const consumer = new Consumer({
      clientId: 'check',
      groupId: 'check',
      bootstrapBrokers: [`127.0.0.1:${broker.port}`],
      autocommit: false,
    });
    const got: Message[] = [];
    try {
      await agent.waitForOutput(() => /agent started/.test(agent.stderr()));
      let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
      for (let i = 0; i < 100 && stream === undefined; i++) {
        try {
          stream = await consumer.consume({ topics: ['routed'], mode: 'earliest', autocommit: false });
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // the topic appears with the first send
        }
      }
      assert.ok(stream, 'topic routed was created by the sink');
      for await (const m of stream) {
        got.push(m as Message);
        if (got.length === 50) break;
      }
      await stream.close();
      // Nothing more than the 50 events: the end offsets of the topic's partitions add up to 50.
      await new Promise((r) => setTimeout(r, 500));
      const ends = await consumer.listOffsets({ topics: ['routed'], timestamp: -1n });
      const total = [...(ends.get('routed') ?? [])].reduce((n, o) => n + Number(o), 0);
      assert.equal(total, 50, 'no event written twice');
    } finally {
      await consumer.close().catch(() => {});
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr().slice(-2000));
    }
    assert.deepEqual(
      got.map((m) => m.value.toString()).sort((a, b) => Number(a) - Number(b)),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    assert.ok(got.every((m) => m.key.toString() === 'fixed'));
    assert.equal(new Set(got.map((m) => m.partition)).size, 1, 'one key, one partition');
    const headers = new Map([...got[0]!.headers].map(([k, v]) => [k.toString(), v.toString()]));
    assert.equal(headers.get('topic'), 'routed', 'event headers become record headers');
  });
});
