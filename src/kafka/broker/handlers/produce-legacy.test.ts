import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { overridesLayer } from '../../../config/index.ts';
import { MemoryLogger } from '../../../telemetry/index.ts';
import {
  type ApiVersionsResponse,
  type CreateTopicsResponse,
  decodeRecordBatch,
  defaultCreateTopicsRequest,
  defaultFetchRequest,
  defaultProduceRequest,
  ErrorCode,
  encodeLegacyMessageSet,
  encodeRecordBatch,
  encodeRequestFrame,
  type FetchResponse,
  type LegacyRecordInput,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
  type RecordBatch,
  splitBatches,
} from '../../protocol/index.ts';
import { Broker } from '../broker.ts';
import { resolveBrokerConfig } from '../broker-config.ts';
import { RawClient } from '../raw-client.ts';

const PRODUCE = 0;
const FETCH = 1;
const API_VERSIONS = 18;
const CREATE_TOPICS = 19;

function records(values: string[], keyed = true, timestamp = 1_700_000_000_000): LegacyRecordInput[] {
  return values.map((v, i) => ({
    key: keyed ? Buffer.from(`k-${v}`) : null,
    value: Buffer.from(v),
    timestamp: timestamp + i,
  }));
}

/** Produce v0-2 from an old client: legacy message sets (magic 0/1), converted to v2 batches on append. */
describe('Produce v0-2: legacy message sets', () => {
  const logger = new MemoryLogger('warn');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-produce-legacy-'));
  let broker: Broker;
  let c: RawClient;
  let correlation = 1;
  const call = <T>(key: number, version: number, body: unknown) =>
    c.call<T>(key, version, correlation++, body);

  const produce = async (
    topic: string,
    set: Buffer,
    version: number,
    acks = 1,
  ): Promise<ProduceResponsePartitionProduceResponse> => {
    const res = await call<ProduceResponse>(PRODUCE, version, {
      ...defaultProduceRequest(),
      acks,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: set }] }],
    });
    return res.responses[0]!.partitionResponses[0]!;
  };
  /** Every batch of partition 0 from `offset`, decoded (Fetch v11: record batches as stored). */
  const batches = async (topic: string, offset = 0): Promise<RecordBatch[]> => {
    const res = await call<FetchResponse>(FETCH, 11, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(offset),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1 << 20,
              replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
            },
          ],
        },
      ],
    });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    return p.records === null ? [] : [...splitBatches(p.records)].map((b) => decodeRecordBatch(b));
  };
  const createTopic = async (name: string, configs: [string, string][] = []) => {
    const res = await call<CreateTopicsResponse>(CREATE_TOPICS, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [
        {
          name,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: configs.map(([n, v]) => ({ name: n, value: v })),
        },
      ],
    });
    assert.equal(res.topics[0]!.errorCode, 0);
  };

  before(async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer(['listeners=PLAINTEXT://127.0.0.1:0', `log.dirs=${dataDir}`]),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    c = await RawClient.open(broker.address().port);
    await createTopic('legacy');
    await createTopic('small', [['max.message.bytes', '200']]);
    await createTopic('appended', [['message.timestamp.type', 'LogAppendTime']]);
    await createTopic('compacted', [['cleanup.policy', 'compact']]);
  });
  after(async () => {
    c.socket.destroy();
    await broker.stop(100);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ApiVersions lists Produce 0-11', async () => {
    const res = await call<ApiVersionsResponse>(API_VERSIONS, 3, {
      clientSoftwareName: 'unit-test',
      clientSoftwareVersion: '1',
    });
    const produceRange = res.apiKeys.find((k) => k.apiKey === PRODUCE)!;
    assert.deepEqual([produceRange.minVersion, produceRange.maxVersion], [0, 11]);
  });

  it('stores a magic 0 set as one v2 batch: offsets assigned, no timestamps (-1), keys and values kept', async () => {
    // The producer's offsets (100...) mean nothing; the broker assigns its own.
    const set = encodeLegacyMessageSet({ magic: 0, baseOffset: 100, records: records(['a', 'b', 'c']) });
    const r = await produce('legacy', set, 0);
    assert.deepEqual([r.errorCode, r.baseOffset], [0, 0n]);
    const [b, ...rest] = await batches('legacy');
    assert.equal(rest.length, 0);
    assert.equal(b!.magic, 2);
    assert.deepEqual([b!.baseOffset, b!.lastOffsetDelta, b!.recordsCount], [0n, 2, 3]);
    assert.deepEqual([b!.baseTimestamp, b!.maxTimestamp, b!.timestampType], [-1n, -1n, 'CreateTime']);
    assert.equal(b!.compression, 0);
    assert.equal(b!.producerId, -1n);
    assert.deepEqual(
      b!.records.map((x) => [x.offsetDelta, x.timestampDelta, x.key?.toString(), x.value?.toString()]),
      [
        [0, 0, 'k-a', 'a'],
        [1, 0, 'k-b', 'b'],
        [2, 0, 'k-c', 'c'],
      ],
    );
  });

  it('magic 1 keeps CreateTime timestamps; compressed wrappers keep their codec (v1 and v2 responses)', async () => {
    let next = 3n;
    for (const [magic, compression, version] of [
      [1, 0, 1],
      [1, 1, 2],
      [1, 2, 2],
      [1, 3, 2],
      [0, 1, 1],
      [0, 3, 0], // lz4 in magic 0: the legacy (KAFKA-3160) frame checksum
    ] as const) {
      const values = [`m${magic}c${compression}-x`, `m${magic}c${compression}-y`];
      const set = encodeLegacyMessageSet({
        magic,
        compression,
        records: records(values, true, 1_700_000_000_500),
      });
      const r = await produce('legacy', set, version);
      const what = `magic ${magic} codec ${compression} Produce v${version}`;
      assert.deepEqual([r.errorCode, r.baseOffset], [0, next], what);
      if (version === 2) assert.equal(r.logAppendTimeMs, -1n, what);
      const [b] = await batches('legacy', Number(next));
      assert.equal(b!.compression, compression, what);
      assert.deepEqual(
        b!.records.map((x) => x.value!.toString()),
        values,
        what,
      );
      const ts = magic === 1 ? 1_700_000_000_500n : -1n;
      assert.deepEqual([b!.baseTimestamp, b!.maxTimestamp], [ts, magic === 1 ? ts + 1n : -1n], what);
      next += 2n;
    }
  });

  it('a v2 batch in Produce v0-2 is appended as is, as Kafka allows', async () => {
    const batch = encodeRecordBatch({ baseTimestamp: 5, records: [{ value: Buffer.from('v2 in v1') }] });
    const r = await produce('legacy', batch, 1);
    assert.equal(r.errorCode, 0);
    const [b] = await batches('legacy', Number(r.baseOffset));
    assert.equal(b!.records[0]!.value!.toString(), 'v2 in v1');
  });

  it('refuses a CRC mismatch, a truncated set and a message over max.message.bytes; nothing is written', async () => {
    const before = (await batches('legacy')).length;
    const set = encodeLegacyMessageSet({ magic: 1, records: records(['p', 'q']) });
    const bad = Buffer.from(set);
    bad[bad.length - 1]! ^= 0xff; // the last message's value
    assert.equal((await produce('legacy', bad, 2)).errorCode, ErrorCode.CORRUPT_MESSAGE);
    const compressed = Buffer.from(
      encodeLegacyMessageSet({ magic: 1, compression: 1, records: records(['z']) }),
    );
    compressed[20]! ^= 0x01; // inside the wrapper: its CRC no longer matches
    assert.equal((await produce('legacy', compressed, 2)).errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal(
      (await produce('legacy', set.subarray(0, set.length - 3), 2)).errorCode,
      ErrorCode.CORRUPT_MESSAGE,
    );
    assert.equal((await batches('legacy')).length, before);

    const big = encodeLegacyMessageSet({ magic: 1, records: [{ value: Buffer.alloc(300) }] });
    const r = await produce('small', big, 2);
    assert.equal(r.errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal((await batches('small')).length, 0);
    const fits = encodeLegacyMessageSet({ magic: 1, records: [{ value: Buffer.alloc(50) }] });
    assert.equal((await produce('small', fits, 2)).errorCode, 0);
  });

  it('applies the topic rules after conversion: LogAppendTime, keys on compacted topics', async () => {
    const start = Date.now();
    const r = await produce('appended', encodeLegacyMessageSet({ magic: 0, records: records(['t']) }), 2);
    assert.equal(r.errorCode, 0);
    assert.ok(r.logAppendTimeMs >= BigInt(start), 'v2 responses carry the log append time');
    const [b] = await batches('appended');
    assert.equal(b!.timestampType, 'LogAppendTime');
    assert.equal(b!.maxTimestamp, r.logAppendTimeMs);

    const keyless = encodeLegacyMessageSet({ magic: 1, records: records(['nokey'], false) });
    assert.equal((await produce('compacted', keyless, 2)).errorCode, ErrorCode.INVALID_RECORD);
    const keyed = encodeLegacyMessageSet({ magic: 1, records: records(['key']) });
    assert.equal((await produce('compacted', keyed, 2)).errorCode, 0);
  });

  it('acks=0 on v0: no response, the records are appended', async () => {
    const end = async () => {
      const all = await batches('legacy');
      const last = all.at(-1)!;
      return Number(last.baseOffset) + last.lastOffsetDelta + 1;
    };
    const before = await end();
    const set = encodeLegacyMessageSet({ magic: 0, records: records(['silent']) });
    for (const chunk of encodeRequestFrame(PRODUCE, 0, correlation++, 'unit-test', {
      ...defaultProduceRequest(),
      acks: 0,
      timeoutMs: 5000,
      topicData: [{ name: 'legacy', partitionData: [{ index: 0, records: set }] }],
    })) {
      c.socket.write(chunk);
    }
    // The next answer on the connection is the fetch's: the produce got none.
    assert.equal(await end(), before + 1);
  });
});
