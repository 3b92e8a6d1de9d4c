// Golden-bytes tests: request frames captured from real Kafka clients (tools/frame-capture) must
// decode completely with our codecs and re-encode to the identical bytes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ByteReader } from '../src/base/index.ts';
import { decodeRequestHeader, encodeRequestFrame } from '../src/kafka/protocol/frame.ts';
import { COMPRESSION_CODEC_NAMES } from '../src/kafka/protocol/index.ts';
import { apiCodecByKey } from '../src/kafka/protocol/messages/apis.generated.ts';
import type { ProduceRequest } from '../src/kafka/protocol/messages/produce.generated.ts';
import { decodeRecordBatch, splitBatches } from '../src/kafka/protocol/record-batch.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'kafka');
const PRODUCE_KEY = 0;
/** Every capture driver produces 3 records per request: keys `key-0..2`, values `value 0..2 ...`. */
const RECORDS_PER_PRODUCE = 3;
/** The producer id the capture tool's fake broker hands out in InitProducerId. */
const CAPTURE_PRODUCER_ID = 1000n;

interface ManifestEntry {
  apiKey: number;
  apiVersion: number;
  client: string;
  clientVersion: string;
  note: string;
}

const GROUP_CONSUMER = [
  'FindCoordinator',
  'JoinGroup',
  'SyncGroup',
  'Heartbeat',
  'OffsetFetch',
  'OffsetCommit',
];
const CONSUMER = ['ListOffsets', 'Fetch', 'LeaveGroup', ...GROUP_CONSUMER];
const ALL_CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * What each client's capture must contain: the APIs it sends in the capture scenario, the Produce
 * codecs it supports and whether it has an idempotent producer. Deleting a fixture breaks this table.
 */
const EXPECTED: Record<string, { apis: string[]; codecs: string[]; idempotent: boolean }> = {
  kcat: {
    apis: ['ApiVersions', 'Metadata', 'Produce', 'InitProducerId', ...CONSUMER],
    codecs: ALL_CODECS,
    idempotent: true,
  },
  'confluent-kafka-python': {
    apis: [
      'ApiVersions',
      'Metadata',
      'Produce',
      'InitProducerId',
      ...CONSUMER,
      'CreateTopics',
      'DescribeConfigs',
    ],
    codecs: ALL_CODECS,
    idempotent: true,
  },
  // kafka-python 2.0.2 has no idempotent producer.
  'kafka-python': {
    apis: ['ApiVersions', 'Metadata', 'Produce', ...CONSUMER, 'CreateTopics', 'DescribeConfigs'],
    codecs: ALL_CODECS,
    idempotent: false,
  },
  // kafkajs compresses only with gzip without codec plugins.
  kafkajs: {
    apis: [
      'ApiVersions',
      'Metadata',
      'Produce',
      'InitProducerId',
      ...CONSUMER,
      'CreateTopics',
      'DescribeConfigs',
    ],
    codecs: ['none', 'gzip'],
    idempotent: true,
  },
  'platformatic-kafka': {
    apis: [
      'ApiVersions',
      'Metadata',
      'Produce',
      'InitProducerId',
      ...CONSUMER,
      'CreateTopics',
      'DescribeConfigs',
    ],
    codecs: ALL_CODECS,
    idempotent: true,
  },
};

function readManifest(client: string): Record<string, ManifestEntry> {
  return JSON.parse(readFileSync(join(FIXTURES, client, 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestEntry
  >;
}

/** `produce-v9-gzip-idempotent.bin` → codec `gzip`, idempotent true. */
function produceVariant(file: string): { codec: string; idempotent: boolean } {
  const m = /^produce-v\d+-([a-z0-9]+)(-idempotent)?\.bin$/.exec(file);
  assert.ok(m, `unexpected Produce fixture name ${file}`);
  return { codec: m[1]!, idempotent: m[2] !== undefined };
}

test('every client in the expected table has a fixture folder', () => {
  const folders = readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  assert.deepEqual(folders, Object.keys(EXPECTED).sort());
});

for (const [client, expected] of Object.entries(EXPECTED)) {
  describe(`fixtures of ${client}`, () => {
    const manifest = readManifest(client);
    const files = Object.keys(manifest).sort();

    test('manifest and folder list the same files', () => {
      const onDisk = readdirSync(join(FIXTURES, client))
        .filter((f) => f.endsWith('.bin'))
        .sort();
      assert.deepEqual(onDisk, files);
      for (const f of files) assert.equal(manifest[f]!.client, client, f);
    });

    test('cover the required APIs and Produce codecs', () => {
      const apis = new Set(files.map((f) => apiCodecByKey(manifest[f]!.apiKey)?.name));
      for (const api of expected.apis) assert.ok(apis.has(api), `${client}: no ${api} fixture`);
      const produce = files.filter((f) => manifest[f]!.apiKey === PRODUCE_KEY).map(produceVariant);
      const codecs = new Set(produce.filter((p) => !p.idempotent).map((p) => p.codec));
      assert.deepEqual([...codecs].sort(), [...expected.codecs].sort());
      assert.equal(
        produce.some((p) => p.idempotent),
        expected.idempotent,
      );
    });

    for (const file of files) {
      const entry = manifest[file]!;
      test(`${file} decodes fully and re-encodes byte for byte`, () => {
        const path = join(FIXTURES, client, file);
        assert.ok(existsSync(path), `${path} missing`);
        const frame = readFileSync(path);
        const r = new ByteReader(frame);
        const header = decodeRequestHeader(r);
        assert.equal(header.requestApiKey, entry.apiKey);
        assert.equal(header.requestApiVersion, entry.apiVersion);
        const codec = apiCodecByKey(entry.apiKey);
        assert.ok(codec, `no codec for api key ${entry.apiKey}`);
        const body = codec.decodeRequest(r, entry.apiVersion);
        assert.equal(r.offset, frame.length, 'body not fully consumed');

        const encoded = Buffer.concat(
          encodeRequestFrame(entry.apiKey, entry.apiVersion, header.correlationId, header.clientId, body),
        );
        assert.equal(encoded.readInt32BE(0), frame.length, 'size prefix');
        assert.deepEqual(encoded.subarray(4), frame);

        if (entry.apiKey === PRODUCE_KEY) checkProduce(file, body as ProduceRequest);
      });
    }
  });
}

/** The record batches inside a Produce fixture: CRC, codec, records and producer fields. */
function checkProduce(file: string, req: ProduceRequest): void {
  const variant = produceVariant(file);
  const values: string[] = [];
  let batches = 0;
  for (const topic of req.topicData) {
    for (const partition of topic.partitionData) {
      assert.ok(partition.records, 'records');
      for (const bytes of splitBatches(partition.records)) {
        const batch = decodeRecordBatch(bytes); // verifies the CRC-32C
        batches++;
        assert.equal(COMPRESSION_CODEC_NAMES[batch.compression], variant.codec, `${file}: codec`);
        assert.equal(batch.recordsCount, batch.records.length);
        if (variant.idempotent) {
          assert.equal(batch.producerId, CAPTURE_PRODUCER_ID);
          assert.equal(batch.producerEpoch, 0);
          assert.equal(batch.baseSequence, 0);
        } else {
          assert.equal(batch.producerId, -1n);
        }
        batch.records.forEach((rec, i) => {
          assert.equal(rec.offsetDelta, i);
          values.push(rec.value?.toString('utf8') ?? '');
        });
      }
    }
  }
  assert.ok(batches >= 1, `${file}: no record batch`);
  assert.equal(values.length, RECORDS_PER_PRODUCE, `${file}: record count`);
  for (const [i, v] of values.entries()) assert.match(v, new RegExp(`^value ${i} sluice`));
}
