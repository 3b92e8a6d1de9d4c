import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, ByteWriter, DecodeError, EncodeError } from '../../../base/index.ts';
import type { ApiCodec } from '../api.ts';
import type { ApiVersionsRequest, ApiVersionsResponse } from './api-versions.generated.ts';
import { defaultApiVersionsResponse } from './api-versions.generated.ts';
import { apiCodecByKey, apiCodecs } from './apis.generated.ts';
import type { DescribeTopicPartitionsRequest } from './describe-topic-partitions.generated.ts';
import { messageArbitrary } from './message-arbitrary.ts';
import type { MetadataRequest, MetadataResponse } from './metadata.generated.ts';
import { defaultMetadataResponse } from './metadata.generated.ts';
import type { ProduceRequest } from './produce.generated.ts';
import { decodeRequestHeader, encodeRequestHeader } from './request-header.generated.ts';
import { decodeResponseHeader, encodeResponseHeader } from './response-header.generated.ts';
import type { MessageSchema } from './schema.ts';
import { apiSchemas, requestHeaderSchema, responseHeaderSchema } from './schemas.generated.ts';

type Encode = (w: ByteWriter, v: number, m: never) => void;
type Decode = (r: ByteReader, v: number) => unknown;

const RUNS_PER_VERSION = 25;

/** encode → decode gives an equal message, and re-encoding the decoded message gives the same bytes. */
function roundTrip(schema: MessageSchema, version: number, encode: Encode, decode: Decode): void {
  fc.assert(
    fc.property(messageArbitrary(schema, version), (message) => {
      const w = new ByteWriter(16);
      encode(w, version, message as never);
      const bytes = w.toBuffer();
      const r = new ByteReader(bytes);
      const decoded = decode(r, version);
      r.expectEnd(`${schema.name} v${version}`);
      assert.deepStrictEqual(decoded, message);
      const w2 = new ByteWriter(16);
      encode(w2, version, decoded as never);
      assert.deepStrictEqual(w2.toBuffer(), bytes);
    }),
    { numRuns: RUNS_PER_VERSION },
  );
}

describe('generated api table', () => {
  test('lists every broker api once, sorted by key, matching the schemas', () => {
    assert.equal(apiCodecs.length, apiSchemas.length);
    assert.ok(apiCodecs.length >= 70, `only ${apiCodecs.length} apis`);
    for (let i = 1; i < apiCodecs.length; i++) assert.ok(apiCodecs[i - 1]!.apiKey < apiCodecs[i]!.apiKey);
    for (const schema of apiSchemas) {
      const codec = apiCodecByKey(schema.apiKey);
      assert.ok(codec, `no codec for key ${schema.apiKey}`);
      assert.equal(codec.name, schema.name);
      assert.equal(codec.minVersion, schema.request.validVersions.min);
      assert.equal(codec.maxVersion, schema.request.validVersions.max);
      assert.equal(codec.flexibleMin, schema.request.flexibleVersions?.min ?? null);
    }
    assert.equal(apiCodecByKey(-1), undefined);
    assert.equal(apiCodecByKey(4), undefined, 'LeaderAndIsr is controller-only');
    assert.equal(apiCodecByKey(1000), undefined);
  });

  test('knows the well-known keys and version ranges', () => {
    const expect: [number, string, number, number, number | null][] = [
      [0, 'Produce', 0, 11, 9],
      [1, 'Fetch', 0, 17, 12],
      [3, 'Metadata', 0, 12, 9],
      [17, 'SaslHandshake', 0, 1, null],
      [18, 'ApiVersions', 0, 4, 3],
    ];
    for (const [key, name, min, max, flex] of expect) {
      const c = apiCodecByKey(key) as ApiCodec;
      assert.deepEqual([c.name, c.minVersion, c.maxVersion, c.flexibleMin], [name, min, max, flex]);
    }
    assert.equal(apiCodecByKey(26)?.latestVersionUnstable, true, 'EndTxn v5 is unstable');
    assert.equal(apiCodecByKey(0)?.latestVersionUnstable, false);
  });
});

describe('round trip of every api, version, request and response', () => {
  for (const schema of apiSchemas) {
    const codec = apiCodecByKey(schema.apiKey)!;
    test(`${schema.name} (key ${schema.apiKey}) v${codec.minVersion}-${codec.maxVersion}`, () => {
      for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
        roundTrip(schema.request, v, codec.encodeRequest as Encode, codec.decodeRequest);
        roundTrip(schema.response, v, codec.encodeResponse as Encode, codec.decodeResponse);
      }
    });
  }

  test('request and response headers', () => {
    for (let v = 0; v <= 2; v++) {
      roundTrip(requestHeaderSchema, v, encodeRequestHeader as Encode, decodeRequestHeader);
    }
    for (let v = 0; v <= 1; v++) {
      roundTrip(responseHeaderSchema, v, encodeResponseHeader as Encode, decodeResponseHeader);
    }
  });
});

function encodeToBuffer(fn: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter();
  fn(w);
  return w.toBuffer();
}

describe('spec semantics', () => {
  const metadata = apiCodecByKey(3) as ApiCodec<MetadataRequest, MetadataResponse>;
  const apiVersions = apiCodecByKey(18) as ApiCodec<ApiVersionsRequest, ApiVersionsResponse>;
  const metadataRequest = (over: Partial<MetadataRequest>): MetadataRequest => ({
    topics: [],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
    ...over,
  });

  test('a version without a field decodes its default; absent non-ignorable fields must hold it', () => {
    const bytes = encodeToBuffer((w) => metadata.encodeRequest(w, 3, metadataRequest({ topics: null })));
    assert.equal(bytes.toString('hex'), 'ffffffff');
    assert.equal(
      metadata.decodeRequest(new ByteReader(bytes), 3).allowAutoTopicCreation,
      true,
      'default true',
    );
    assert.throws(
      () => metadata.encodeRequest(new ByteWriter(), 3, metadataRequest({ allowAutoTopicCreation: false })),
      (err: unknown) => err instanceof EncodeError && /allowAutoTopicCreation/.test(err.message),
    );
    metadata.encodeRequest(new ByteWriter(), 4, metadataRequest({ allowAutoTopicCreation: false }));
  });

  test('ignorable fields are dropped silently in versions without them', () => {
    const response = { ...defaultApiVersionsResponse(), throttleTimeMs: 250, finalizedFeaturesEpoch: 9n };
    const bytes = encodeToBuffer((w) => apiVersions.encodeResponse(w, 0, response));
    assert.equal(bytes.toString('hex'), '0000' + '00000000');
    const back = apiVersions.decodeResponse(new ByteReader(bytes), 0);
    assert.equal(back.throttleTimeMs, 0);
    assert.equal(back.finalizedFeaturesEpoch, -1n);
  });

  test('null is refused in versions where a field is not nullable, both ways', () => {
    assert.throws(
      () => metadata.encodeRequest(new ByteWriter(), 0, metadataRequest({ topics: null })),
      EncodeError,
    );
    assert.throws(
      () => metadata.decodeRequest(new ByteReader(Buffer.from('ffffffff', 'hex')), 0),
      DecodeError,
    );
    const nullName = metadataRequest({
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: null }],
    });
    assert.throws(() => metadata.encodeRequest(new ByteWriter(), 9, nullName), EncodeError);
    metadata.encodeRequest(new ByteWriter(), 10, nullName);
  });

  test('tagged fields: written only when not default, in tag order; unknown tags skipped', () => {
    const base = { ...defaultApiVersionsResponse(), apiKeys: [] };
    const plain = encodeToBuffer((w) => apiVersions.encodeResponse(w, 3, base));
    assert.equal(plain.toString('hex'), '0000' + '01' + '00000000' + '00');
    const tagged = encodeToBuffer((w) =>
      apiVersions.encodeResponse(w, 3, { ...base, finalizedFeaturesEpoch: 2n, zkMigrationReady: true }),
    );
    assert.equal(
      tagged.toString('hex'),
      '0000' + '01' + '00000000' + '02' + '01' + '08' + '0000000000000002' + '03' + '01' + '01',
    );
    // Unknown tags 5 (3 bytes) and 9 (empty) around and after the known ones are skipped.
    const head = '0000' + '01' + '00000000';
    const withUnknown = Buffer.from(`${head}04010800000000000000020301010503aabbcc0900`, 'hex');
    const decoded = apiVersions.decodeResponse(new ByteReader(withUnknown), 3);
    assert.equal(decoded.finalizedFeaturesEpoch, 2n);
    assert.equal(decoded.zkMigrationReady, true);
    assert.deepEqual(decoded.finalizedFeatures, []);
    const outOfOrder = Buffer.from(`${head}0203010101080000000000000002`, 'hex');
    assert.throws(() => apiVersions.decodeResponse(new ByteReader(outOfOrder), 3), /out of order/);
    const overlong = Buffer.from(`${head}0101090000000000000002aa`, 'hex');
    assert.throws(() => apiVersions.decodeResponse(new ByteReader(overlong), 3), /trailing bytes/);
  });

  test('nullable structs carry a presence byte: -1 for null, 1 before the struct', () => {
    const dtp = apiCodecByKey(75) as ApiCodec<DescribeTopicPartitionsRequest, unknown>;
    const request: DescribeTopicPartitionsRequest = {
      topics: [],
      responsePartitionLimit: 2000,
      cursor: null,
    };
    assert.equal(
      encodeToBuffer((w) => dtp.encodeRequest(w, 0, request)).toString('hex'),
      '01' + '000007d0' + 'ff' + '00',
    );
    const withCursor = { ...request, cursor: { topicName: 't', partitionIndex: 3 } };
    const bytes = encodeToBuffer((w) => dtp.encodeRequest(w, 0, withCursor));
    assert.equal(bytes.toString('hex'), '01' + '000007d0' + '01' + '0274' + '00000003' + '00' + '00');
    assert.deepEqual(dtp.decodeRequest(new ByteReader(bytes), 0), withCursor);
  });

  test('records and zero-copy bytes are views of the frame', () => {
    const produce = apiCodecByKey(0) as ApiCodec<ProduceRequest, unknown>;
    const records = Buffer.from('00112233', 'hex');
    const request: ProduceRequest = {
      transactionalId: null,
      acks: 1,
      timeoutMs: 100,
      topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
    };
    const frame = encodeToBuffer((w) => produce.encodeRequest(w, 9, request));
    const got = produce.decodeRequest(new ByteReader(frame), 9).topicData[0]!.partitionData[0]!.records!;
    assert.deepEqual(got, records);
    assert.equal(got.buffer, frame.buffer, 'shares memory with the frame');
  });

  test('versions outside the valid range are refused', () => {
    assert.throws(() => metadata.decodeRequest(new ByteReader(Buffer.alloc(8)), 13), DecodeError);
    assert.throws(() => metadata.decodeRequest(new ByteReader(Buffer.alloc(8)), -1), DecodeError);
    assert.throws(() => metadata.encodeRequest(new ByteWriter(), 13, metadataRequest({})), EncodeError);
  });

  test('default constructors give values that encode in every version', () => {
    for (let v = 0; v <= 12; v++) {
      const bytes = encodeToBuffer((w) => metadata.encodeResponse(w, v, defaultMetadataResponse()));
      assert.deepEqual(metadata.decodeResponse(new ByteReader(bytes), v), defaultMetadataResponse());
    }
  });
});
