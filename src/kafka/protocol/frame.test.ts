import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, DecodeError, EncodeError } from '../../base/index.ts';
import {
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRequestFrame,
  encodeResponseFrame,
  requestHeaderVersion,
  responseHeaderVersion,
} from './frame.ts';
import type { ApiVersionsResponse } from './messages/api-versions.generated.ts';
import { defaultApiVersionsResponse } from './messages/api-versions.generated.ts';
import { apiCodecs } from './messages/apis.generated.ts';
import type { FetchResponse } from './messages/fetch.generated.ts';
import { defaultFetchResponse } from './messages/fetch.generated.ts';
import { messageArbitrary } from './messages/message-arbitrary.ts';
import { apiSchemas } from './messages/schemas.generated.ts';

const hex = (chunks: Buffer[]): string => Buffer.concat(chunks).toString('hex');

/** The frame without its size prefix, after checking that the prefix matches. */
function unframe(chunks: Buffer[]): Buffer {
  const all = Buffer.concat(chunks);
  assert.equal(all.readInt32BE(0), all.length - 4, 'size prefix');
  return all.subarray(4);
}

describe('header versions', () => {
  test('follow the first flexible version of each api', () => {
    assert.equal(requestHeaderVersion(0, 8), 1);
    assert.equal(requestHeaderVersion(0, 9), 2);
    assert.equal(responseHeaderVersion(0, 8), 0);
    assert.equal(responseHeaderVersion(0, 9), 1);
    assert.equal(requestHeaderVersion(3, 12), 2);
    assert.equal(responseHeaderVersion(3, 12), 1);
    // SaslHandshake has no flexible version.
    assert.equal(requestHeaderVersion(17, 1), 1);
    assert.equal(responseHeaderVersion(17, 1), 0);
  });

  test('ApiVersions responses always use header v0, its requests do not', () => {
    for (let v = 0; v <= 6; v++) assert.equal(responseHeaderVersion(18, v), 0);
    assert.equal(requestHeaderVersion(18, 2), 1);
    assert.equal(requestHeaderVersion(18, 3), 2);
    assert.equal(requestHeaderVersion(18, 5), 2, 'a future ApiVersions version is still flexible');
  });

  test('ControlledShutdown v0 uses request header v0; unknown apis header v1', () => {
    assert.equal(requestHeaderVersion(7, 0), 0);
    assert.equal(requestHeaderVersion(1000, 0), 1);
    assert.equal(responseHeaderVersion(1000, 0), 0);
  });
});

describe('request frames', () => {
  test('ApiVersions v3 request golden bytes: int16 client id, tagged fields in header and body', () => {
    const chunks = encodeRequestFrame(18, 3, 7, 'cli', {
      clientSoftwareName: 'x',
      clientSoftwareVersion: '1',
    });
    assert.equal(
      hex(chunks),
      '00000013' + '0012' + '0003' + '00000007' + '0003636c69' + '00' + '0278' + '0231' + '00',
    );
    const decoded = decodeRequest(unframe(chunks));
    assert.equal(decoded.status, 'ok');
    assert.deepEqual(decoded.header, {
      requestApiKey: 18,
      requestApiVersion: 3,
      correlationId: 7,
      clientId: 'cli',
    });
    assert.equal(decoded.codec?.name, 'ApiVersions');
    assert.deepEqual(decoded.body, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  });

  test('Metadata v1 request golden bytes: header v1 with a null client id, null topic array', () => {
    const body = {
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    };
    const chunks = encodeRequestFrame(3, 1, 0x01020304, null, body);
    assert.equal(hex(chunks), '0000000e' + '0003' + '0001' + '01020304' + 'ffff' + 'ffffffff');
    const decoded = decodeRequest(unframe(chunks));
    assert.equal(decoded.status, 'ok');
    assert.equal(decoded.header.clientId, null);
    assert.deepEqual(decoded.body, body);
  });

  test('an unknown api decodes its header (v1) and leaves the body alone', () => {
    const frame = Buffer.from('03e8' + '0002' + '00000009' + '0001' + '61' + 'deadbeef', 'hex');
    const decoded = decodeRequest(frame);
    assert.equal(decoded.status, 'unknown-api');
    assert.equal(decoded.codec, undefined);
    assert.equal(decoded.body, undefined);
    assert.deepEqual(decoded.header, {
      requestApiKey: 1000,
      requestApiVersion: 2,
      correlationId: 9,
      clientId: 'a',
    });
  });

  test('an unsupported ApiVersions version yields the header so the broker can answer v0', () => {
    // v127 (flexible, so header v2 with an empty tag section) with a body this broker cannot parse.
    const frame = Buffer.from('0012' + '007f' + '0000002a' + '0000' + '00' + 'ffffffff', 'hex');
    const decoded = decodeRequest(frame);
    assert.equal(decoded.status, 'unsupported-version');
    assert.equal(decoded.codec?.apiKey, 18);
    assert.equal(decoded.body, undefined);
    assert.equal(decoded.header.correlationId, 42);
    assert.equal(decoded.header.clientId, '');
    const negative = decodeRequest(Buffer.from('0003' + 'ffff' + '00000001' + 'ffff', 'hex'));
    assert.equal(negative.status, 'unsupported-version');
  });

  test('ControlledShutdown v0 has no client id in its header', () => {
    const r = new ByteReader(Buffer.from('0007' + '0000' + '00000005' + '00000001', 'hex'));
    assert.deepEqual(decodeRequestHeader(r), {
      requestApiKey: 7,
      requestApiVersion: 0,
      correlationId: 5,
      clientId: '',
    });
    assert.equal(r.offset, 8);
  });

  test('trailing bytes after a body and truncated headers are decode errors', () => {
    const good = unframe(encodeRequestFrame(12, 0, 1, 'c', defaultHeartbeat()));
    assert.equal(decodeRequest(good).status, 'ok');
    assert.throws(() => decodeRequest(Buffer.concat([good, Buffer.from([0])])), DecodeError);
    assert.throws(() => decodeRequest(good.subarray(0, good.length - 1)), DecodeError);
    for (let n = 0; n < 10; n++) assert.throws(() => decodeRequest(good.subarray(0, n)), DecodeError);
  });

  test('encoding an unknown api or version raises EncodeError', () => {
    assert.throws(() => encodeRequestFrame(1000, 0, 1, null, {}), EncodeError);
    assert.throws(() => encodeRequestFrame(18, 99, 1, null, {}), EncodeError);
    assert.throws(() => encodeResponseFrame(1000, 0, 1, {}), EncodeError);
    assert.throws(() => encodeResponseFrame(3, 13, 1, {}), EncodeError);
  });
});

function defaultHeartbeat(): object {
  return { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null };
}

describe('response frames', () => {
  const apiVersions = (): ApiVersionsResponse => ({
    ...defaultApiVersionsResponse(),
    apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }],
  });

  test('ApiVersions v0 response golden bytes', () => {
    const chunks = encodeResponseFrame(18, 0, 7, apiVersions());
    assert.equal(hex(chunks), '00000010' + '00000007' + '0000' + '00000001' + '0012' + '0000' + '0004');
  });

  test('ApiVersions v3 response: header v0 (no tag byte), flexible body', () => {
    const chunks = encodeResponseFrame(18, 3, 7, apiVersions());
    assert.equal(
      hex(chunks),
      '00000013' + '00000007' + '0000' + '02' + '0012' + '0000' + '0004' + '00' + '00000000' + '00',
    );
    const { correlationId, body } = decodeResponse(unframe(chunks), 18, 3);
    assert.equal(correlationId, 7);
    assert.deepEqual(body, apiVersions());
  });

  test('flexible responses carry a tag section in the header', () => {
    const body = { ...defaultFetchResponse(), sessionId: 3 };
    const frame = unframe(encodeResponseFrame(1, 12, 0x0a0b0c0d, body));
    assert.equal(frame.subarray(0, 5).toString('hex'), '0a0b0c0d00');
    assert.deepEqual(decodeResponse(frame, 1, 12), { correlationId: 0x0a0b0c0d, body });
  });

  test('large records are passed through as their own chunk, not copied', () => {
    const records = Buffer.alloc(64 * 1024, 7);
    const body: FetchResponse = {
      ...defaultFetchResponse(),
      responses: [
        {
          topic: '',
          topicId: '00000000-0000-0000-0000-0000000000aa',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 10n,
              lastStableOffset: -1n,
              logStartOffset: 0n,
              divergingEpoch: { epoch: -1, endOffset: -1n },
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
              snapshotId: { endOffset: -1n, epoch: -1 },
              abortedTransactions: null,
              preferredReadReplica: -1,
              records,
            },
          ],
        },
      ],
    };
    const chunks = encodeResponseFrame(1, 17, 1, body);
    assert.ok(chunks.includes(records), 'records chunk referenced as is');
    const decoded = decodeResponse(unframe(chunks), 1, 17).body as FetchResponse;
    const got = decoded.responses[0]!.partitions[0]!.records!;
    assert.ok(got.equals(records));
  });

  test('decodeResponse rejects unknown apis, versions and trailing bytes', () => {
    const frame = unframe(encodeResponseFrame(18, 0, 7, apiVersions()));
    assert.throws(() => decodeResponse(frame, 1000, 0), DecodeError);
    assert.throws(() => decodeResponse(frame, 18, 9), DecodeError);
    assert.throws(() => decodeResponse(Buffer.concat([frame, Buffer.from([1])]), 18, 0), DecodeError);
  });

  test('every api and version: frames round-trip and the size prefix is exact', () => {
    for (const schema of apiSchemas) {
      const codec = apiCodecs.find((c) => c.apiKey === schema.apiKey)!;
      for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
        fc.assert(
          fc.property(
            messageArbitrary(schema.request, v),
            messageArbitrary(schema.response, v),
            fc.integer({ min: -0x80000000, max: 0x7fffffff }),
            fc.option(fc.string({ maxLength: 8 }), { nil: null }),
            (req, res, correlationId, clientId) => {
              const decoded = decodeRequest(
                unframe(encodeRequestFrame(codec.apiKey, v, correlationId, clientId, req)),
              );
              assert.equal(decoded.status, 'ok');
              assert.equal(decoded.header.correlationId, correlationId);
              // Header v0 (ControlledShutdown v0 only) has no client id; every other version keeps it.
              assert.equal(decoded.header.clientId, clientId);
              assert.deepStrictEqual(decoded.body, req);
              const back = decodeResponse(
                unframe(encodeResponseFrame(codec.apiKey, v, correlationId, res)),
                codec.apiKey,
                v,
              );
              assert.equal(back.correlationId, correlationId);
              assert.deepStrictEqual(back.body, res);
            },
          ),
          { numRuns: 3 },
        );
      }
    }
  });
});
