// Drives @platformatic/kafka through the requests the capture tool records.
// Usage: node tools/frame-capture/clients/platformatic-kafka.ts BOOTSTRAP
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';

const bootstrap = process.argv[2];
if (!bootstrap) throw new Error('usage: platformatic-kafka.ts BOOTSTRAP');
const base = { bootstrapBrokers: [bootstrap], timeout: 10_000, retries: 2 };
const value = Array(20).fill('sluice').join(' ');

function log(msg: string): void {
  console.error(`platformatic-kafka: ${msg}`);
}

async function step(name: string, fn: () => Promise<void>): Promise<void> {
  log(name);
  try {
    await fn();
  } catch (err) {
    log(`${name} failed: ${String(err)}`);
  }
}

function records(
  topic: string,
): { topic: string; key: string; value: string; headers: Map<string, string> }[] {
  return [0, 1, 2].map((i) => ({
    topic,
    key: `key-${i}`,
    value: `value ${i} ${value}`,
    headers: new Map([['source', 'platformatic']]),
  }));
}

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  await step(`produce ${compression}`, async () => {
    const producer = new Producer({
      ...base,
      clientId: 'capture-platformatic',
      serializers: stringSerializers,
    });
    await producer.send({ messages: records(`capture-${compression}`), compression, autocreateTopics: true });
    await producer.close();
  });
}

await step('idempotent produce', async () => {
  const producer = new Producer({
    ...base,
    clientId: 'capture-platformatic',
    serializers: stringSerializers,
    idempotent: true,
  });
  await producer.send({ messages: records('capture-idempotent'), acks: -1, autocreateTopics: true });
  await producer.close();
});

await step('group consumer', async () => {
  const consumer = new Consumer({
    ...base,
    clientId: 'capture-platformatic',
    groupId: 'capture-group-platformatic',
    deserializers: stringDeserializers,
    heartbeatInterval: 100,
    sessionTimeout: 6000,
    maxWaitTime: 200,
  });
  const stream = await consumer.consume({
    topics: ['capture-none'],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: 'earliest',
    autocommit: 100,
  });
  let got = 0;
  const done = Promise.withResolvers<void>();
  const timer = setTimeout(() => done.resolve(), 15_000);
  stream.on('data', () => {
    got++;
    if (got >= 3) done.resolve();
  });
  await done.promise;
  clearTimeout(timer);
  // Stay past a heartbeat and an autocommit interval.
  await new Promise((resolve) => setTimeout(resolve, 400));
  log(`consumed ${got} records`);
  await stream.close();
  await consumer.close(true);
});

await step('admin', async () => {
  const admin = new Admin({ ...base, clientId: 'capture-platformatic' });
  await admin.createTopics({ topics: ['capture-admin'], partitions: 2, replicas: 1 });
  await admin.metadata({ topics: ['capture-admin'] });
  await admin.describeConfigs({ resources: [{ resourceType: 2, resourceName: 'capture-admin' }] });
  await admin.listOffsets({
    topics: [{ name: 'capture-none', partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
  });
  await admin.close();
});
