// Drives kafkajs through the requests the capture tool records.
// Usage: node tools/frame-capture/clients/kafkajs.ts BOOTSTRAP
// kafkajs compresses natively with gzip only (snappy/lz4/zstd need codec plugins), so Produce is
// captured with none and gzip.
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';

const bootstrap = process.argv[2];
if (!bootstrap) throw new Error('usage: kafkajs.ts BOOTSTRAP');
const value = Array(20).fill('sluice').join(' ');
const kafka = new Kafka({
  clientId: 'capture-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
  requestTimeout: 10_000,
});

function log(msg: string): void {
  console.error(`kafkajs: ${msg}`);
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  log(name);
  try {
    await fn();
  } catch (err) {
    log(`${name} failed: ${String(err)}`);
  }
}

function records(): { key: string; value: string; headers: Record<string, string> }[] {
  return [0, 1, 2].map((i) => ({
    key: `key-${i}`,
    value: `value ${i} ${value}`,
    headers: { source: 'kafkajs' },
  }));
}

for (const [name, compression] of [
  ['none', CompressionTypes.None],
  ['gzip', CompressionTypes.GZIP],
] as const) {
  await step(`produce ${name}`, async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: `capture-${name}`, compression, messages: records() });
    await producer.disconnect();
  });
}

await step('idempotent produce', async () => {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: 'capture-idempotent', acks: -1, messages: records() });
  await producer.disconnect();
});

await step('group consumer', async () => {
  const consumer = kafka.consumer({
    groupId: 'capture-group-kafkajs',
    heartbeatInterval: 100,
    sessionTimeout: 6000,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: ['capture-none'], fromBeginning: true });
  let got = 0;
  const done = Promise.withResolvers<void>();
  const timer = setTimeout(() => done.resolve(), 15_000);
  await consumer.run({
    autoCommit: true,
    eachMessage: async ({ heartbeat }) => {
      got++;
      // An explicit heartbeat makes sure Heartbeat is sent even when consumption is quick.
      await heartbeat();
      if (got >= 3) done.resolve();
    },
  });
  await done.promise;
  clearTimeout(timer);
  await new Promise((resolve) => setTimeout(resolve, 300));
  log(`consumed ${got} records`);
  await consumer.disconnect();
});

await step('admin', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'capture-admin', numPartitions: 2, replicationFactor: 1 }] });
  await admin.fetchTopicMetadata({ topics: ['capture-admin'] });
  await admin.fetchTopicOffsets('capture-none');
  await admin.describeConfigs({ resources: [{ type: 2, name: 'capture-admin' }], includeSynonyms: false });
  await admin.disconnect();
});
