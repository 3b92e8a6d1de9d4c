import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Consumer, type Message } from '@platformatic/kafka';
import { type SluiceProcess, startBroker, startSluice } from '../support/sluice-process.ts';

/**
 * Kafka channel and Avro-wrapped events with real processes: `sluice agent` against a Sluice
 * broker, read back with another client.
 */

async function readAll(port: number, topic: string, count: number): Promise<Message[]> {
  const consumer = new Consumer({
    clientId: 'check',
    groupId: `check-${topic}`,
    bootstrapBrokers: [`127.0.0.1:${port}`],
  });
  const got: Message[] = [];
  try {
    let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
    for (let i = 0; i < 100 && stream === undefined; i++) {
      try {
        stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      } catch {
        await new Promise((r) => setTimeout(r, 100)); // the topic appears with the first send
      }
    }
    assert.ok(stream, `topic ${topic} exists`);
    for await (const m of stream) {
      got.push(m as Message);
      if (got.length === count) break;
    }
    await stream.close();
  } finally {
    await consumer.close().catch(() => {});
  }
  return got;
}

describe('kafka channel and useFlumeEventFormat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-kafka-'));
  let broker: { proc: SluiceProcess; port: number };

  before(async () => {
    broker = await startBroker();
  });
  after(async () => {
    await broker?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seq → kafka channel (a topic, Avro events) → kafka sink with useFlumeEventFormat keeps bodies and headers', async () => {
    const file = join(dir, 'channel.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = seq',
        'a1.sources.r1.totalEvents = 40',
        'a1.sources.r1.batchSize = 10',
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.interceptors = h',
        'a1.sources.r1.interceptors.h.type = static',
        'a1.sources.r1.interceptors.h.key = origin',
        'a1.sources.r1.interceptors.h.value = seq',
        'a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel',
        `a1.channels.c1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.channels.c1.kafka.topic = channel-topic',
        'a1.channels.c1.kafka.consumer.group.id = channel-group',
        'a1.channels.c1.kafka.consumer.auto.offset.reset = earliest',
        'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink',
        `a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.sinks.k1.kafka.topic = out-%{origin}',
        'a1.sinks.k1.useFlumeEventFormat = true',
        'a1.sinks.k1.flumeBatchSize = 15',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    let out: Message[];
    let channelRecords: Message[];
    try {
      out = await readAll(broker.port, 'out-seq', 40);
      channelRecords = await readAll(broker.port, 'channel-topic', 40);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
    const { decodeAvroFlumeEvent } = await import('../../../src/flume/kafka/flume-event-format.ts');
    const events = out.map((m) => decodeAvroFlumeEvent(m.value));
    assert.deepEqual(
      events.map((e) => e.body.toString()).sort((a, b) => Number(a) - Number(b)),
      Array.from({ length: 40 }, (_, i) => String(i)),
      'every event once, through the channel topic',
    );
    assert.ok(
      events.every((e) => e.headers.origin === 'seq'),
      'headers survive the channel (parseAsFlumeEvent)',
    );
    // The channel topic holds AvroFlumeEvent datums, as Flume's Kafka channel writes them.
    assert.ok(channelRecords.every((m) => decodeAvroFlumeEvent(m.value).headers.origin === 'seq'));
  });

  it('a sink-only kafka channel (parseAsFlumeEvent=false) feeds a sink from records another client produced', async () => {
    const { Producer } = await import('@platformatic/kafka');
    const producer = new Producer({
      clientId: 'ext',
      bootstrapBrokers: [`127.0.0.1:${broker.port}`],
      autocreateTopics: true,
    });
    await producer.send({
      messages: Array.from({ length: 25 }, (_, i) => ({
        topic: 'plain-in',
        value: Buffer.from(`plain ${i}`),
      })),
    });
    await producer.close();
    const file = join(dir, 'sinkonly.properties');
    writeFileSync(
      file,
      [
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.channels.c1.type = org.apache.flume.channel.kafka.KafkaChannel',
        `a1.channels.c1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.channels.c1.kafka.topic = plain-in',
        'a1.channels.c1.parseAsFlumeEvent = false',
        'a1.channels.c1.kafka.consumer.auto.offset.reset = earliest',
        'a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink',
        `a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:${broker.port}`,
        'a1.sinks.k1.kafka.topic = plain-out',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    let out: Message[];
    try {
      out = await readAll(broker.port, 'plain-out', 25);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
    assert.deepEqual(
      out.map((m) => m.value.toString()).sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1])),
      Array.from({ length: 25 }, (_, i) => `plain ${i}`),
    );
  });
});
