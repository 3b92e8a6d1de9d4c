import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { fitToVersion } from '../../src/kafka/protocol/fit-to-version.ts';
import { decodeRequest } from '../../src/kafka/protocol/frame.ts';
import {
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  defaultListOffsetsResponseListOffsetsTopicResponse,
  listOffsetsApi,
} from '../../src/kafka/protocol/messages/list-offsets.generated.ts';
import { apiSchemas } from '../../src/kafka/protocol/messages/schemas.generated.ts';
import { requestVariant, startCaptureServer } from './capture-server.ts';
import { CaptureStore, fixtureFileName, kebabName, readManifest } from './capture-store.ts';
import { FakeBroker } from './fake-broker.ts';

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'kafka');

test('fixture names are the kebab-case api name, version and variant', () => {
  assert.equal(kebabName('InitProducerId'), 'init-producer-id');
  assert.equal(kebabName('ApiVersions'), 'api-versions');
  assert.equal(fixtureFileName('Produce', 9, 'gzip'), 'produce-v9-gzip.bin');
  assert.equal(fixtureFileName('Metadata', 12, ''), 'metadata-v12.bin');
});

test('the Produce variant is the codec of the first batch, plus -idempotent with a producer id', () => {
  for (const [file, variant] of [
    ['produce-v7-gzip.bin', 'gzip'],
    ['produce-v7-zstd.bin', 'zstd'],
    ['produce-v7-none-idempotent.bin', 'none-idempotent'],
  ]) {
    const decoded = decodeRequest(readFileSync(join(fixtures, 'kcat', file!)));
    assert.equal(decoded.status, 'ok');
    assert.equal(requestVariant(0, decoded.body), variant);
  }
  assert.equal(requestVariant(3, {}), '');
});

test('fitToVersion resets fields a version lacks so the codec accepts the response', () => {
  const res = {
    ...defaultListOffsetsResponse(),
    throttleTimeMs: 5,
    topics: [
      {
        ...defaultListOffsetsResponseListOffsetsTopicResponse(),
        name: 't',
        partitions: [
          {
            ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
            leaderEpoch: 3,
            oldStyleOffsets: [7n],
          },
        ],
      },
    ],
  };
  const schema = apiSchemas.find((s) => s.apiKey === listOffsetsApi.apiKey)!.response;
  const v1 = fitToVersion(schema, 1, res);
  assert.equal(v1.throttleTimeMs, 0); // v2+
  assert.equal(v1.topics[0]!.partitions[0]!.leaderEpoch, -1); // v4+, default -1
  assert.deepEqual(v1.topics[0]!.partitions[0]!.oldStyleOffsets, []); // v0 only
  const v4 = fitToVersion(schema, 4, res);
  assert.equal(v4.throttleTimeMs, 5);
  assert.equal(v4.topics[0]!.partitions[0]!.leaderEpoch, 3);
});

test('a real client produces through the capture server and its frames are recorded', async () => {
  const out = mkdtempSync(join(tmpdir(), 'frame-capture-'));
  const store = new CaptureStore(out, 'platformatic-kafka', 'test', true);
  const server = await startCaptureServer({
    host: '127.0.0.1',
    port: 0,
    store,
    makeBroker: (port) => new FakeBroker({ host: '127.0.0.1', port, partitions: 1 }),
    log: () => {},
  });
  const base = { clientId: 'capture-test', bootstrapBrokers: [`127.0.0.1:${server.port}`], retries: 0 };
  const producer = new Producer({ ...base, serializers: stringSerializers });
  const admin = new Admin(base);
  try {
    const messages = ['a', 'b', 'c'].map((value) => ({ topic: 'capture-test', value }));
    const first = await producer.send({ messages, compression: 'gzip', autocreateTopics: true });
    const second = await producer.send({ messages, compression: 'gzip' });
    // Offsets increase with every record produced to the partition.
    assert.equal(first.offsets?.[0]?.offset, 0n);
    assert.equal(second.offsets?.[0]?.offset, 3n);
    const topics = await admin.createTopics({ topics: ['capture-admin'], partitions: 2, replicas: 1 });
    assert.equal(topics[0]?.partitions, 2);

    const manifest = readManifest(join(out, 'platformatic-kafka'));
    const files = Object.keys(manifest);
    for (const f of [
      'api-versions-v3.bin',
      'metadata-v12.bin',
      'produce-v11-gzip.bin',
      'create-topics-v7.bin',
    ]) {
      assert.ok(files.includes(f), `${f} not captured (got ${files.join(', ')})`);
    }
    assert.deepEqual(manifest['produce-v11-gzip.bin'], {
      apiKey: 0,
      apiVersion: 11,
      client: 'platformatic-kafka',
      clientVersion: 'test',
      note: 'client.id=capture-test; gzip',
    });
    const frame = readFileSync(join(out, 'platformatic-kafka', 'produce-v11-gzip.bin'));
    const decoded = decodeRequest(frame);
    assert.equal(decoded.status, 'ok');
    assert.equal(decoded.header.clientId, 'capture-test');
  } finally {
    await producer.close();
    await admin.close();
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
});
