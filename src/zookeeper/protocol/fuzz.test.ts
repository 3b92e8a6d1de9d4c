import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { requestBodies, responseBodies } from '../../../test/support/zookeeper/frame-arbitrary.ts';
import { recordArbitrary, recordArbitraryByName } from '../../../test/support/zookeeper/record-arbitrary.ts';
import { ByteReader, ByteWriter, DecodeError } from '../../base/index.ts';
import {
  decodeNotification,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  REQUEST_TYPES,
} from './frame.ts';
import {
  decodeConnectRequest,
  decodeConnectResponse,
  encodeConnectRequest,
  encodeConnectResponse,
} from './handshake.ts';
import type { ConnectRequest, ConnectResponse } from './records.generated.ts';
import { recordCodecs } from './records.generated.ts';

const RANDOM_RUNS = 60;
const MUTATION_RUNS = 60;

/** Runs `decode`; anything thrown but DecodeError fails the test. */
function onlyDecodeError(what: string, decode: (frame: Buffer) => unknown, frame: Buffer): void {
  try {
    decode(frame);
  } catch (err) {
    if (err instanceof DecodeError) return;
    assert.fail(`${what} ${frame.toString('hex')}: ${err instanceof Error ? err.stack : String(err)}`);
  }
}

/** Edits that hit what decoders trust least: lengths, counts, booleans ending a multi, the frame's end. */
type Edit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'cut'; at: number }
  | { op: 'int32'; at: number; value: number }
  | { op: 'insert'; at: number; byte: number }
  | { op: 'drop'; at: number };

const at = fc.nat({ max: 4096 });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('cut' as const), at }),
  fc.record({
    op: fc.constant('int32' as const),
    at,
    value: fc.constantFrom(-1, -2, 0x7fffffff, -0x80000000, 0x000fffff, 0x00100000, 1, 0),
  }),
  fc.record({ op: fc.constant('insert' as const), at, byte: fc.constantFrom(0, 1, 0xff) }),
  fc.record({ op: fc.constant('drop' as const), at }),
);

function apply(input: Buffer, e: Edit): Buffer {
  if (input.length === 0) return input;
  const b = Buffer.from(input);
  const i = e.at % b.length;
  switch (e.op) {
    case 'flip':
      b[i] = b[i]! ^ (1 << e.bit);
      return b;
    case 'cut':
      return b.subarray(0, i);
    case 'int32':
      if (i + 4 <= b.length) b.writeInt32BE(e.value, i);
      return b;
    case 'insert':
      return Buffer.concat([b.subarray(0, i), Buffer.from([e.byte]), b.subarray(i)]);
    case 'drop':
      return Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
  }
}

/** Random frames, mutated valid frames, and frames of one repeated byte (every length huge or -1). */
function fuzz(what: string, decode: (frame: Buffer) => unknown, valid: fc.Arbitrary<Buffer>): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) =>
      onlyDecodeError(what, decode, Buffer.from(bytes)),
    ),
    { numRuns: RANDOM_RUNS },
  );
  fc.assert(
    fc.property(valid, fc.array(edit, { minLength: 1, maxLength: 3 }), (frame, edits) => {
      let b = frame;
      for (const e of edits) b = apply(b, e);
      onlyDecodeError(what, decode, b);
    }),
    { numRuns: MUTATION_RUNS },
  );
  for (const byte of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
    for (const n of [1, 4, 9, 16, 45, 64]) onlyDecodeError(what, decode, Buffer.alloc(n, byte));
  }
}

const unframe = (chunks: Buffer[]) => Buffer.concat(chunks).subarray(4);
const xid = fc.integer({ min: -0x80000000, max: 0x7fffffff });

describe('decoders raise only DecodeError on malformed input', () => {
  test('decodeRequest, every request type', () => {
    const valid = fc.oneof(
      ...REQUEST_TYPES.map((type) =>
        fc.tuple(xid, requestBodies[type]).map(([x, body]) => unframe(encodeRequest(x, type, body as never))),
      ),
    );
    fuzz('request', decodeRequest, valid);
  });

  for (const type of REQUEST_TYPES) {
    test(`decodeResponse for type ${type}`, () => {
      const valid = fc
        .tuple(xid, fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), responseBodies[type])
        .map(([x, zxid, body]) => unframe(encodeResponse(x, zxid, 0, type, body as never)));
      fuzz(`response ${type}`, (frame) => decodeResponse(frame, type), valid);
    });
  }

  test('handshake and notifications', () => {
    const requests = fc
      .tuple(recordArbitraryByName('ConnectRequest'), fc.boolean())
      .map(([m, ro]) => unframe(encodeConnectRequest(m as unknown as ConnectRequest, ro)));
    fuzz('ConnectRequest', decodeConnectRequest, requests);
    const responses = fc
      .tuple(recordArbitraryByName('ConnectResponse'), fc.boolean())
      .map(([m, ro]) => unframe(encodeConnectResponse(m as unknown as ConnectResponse, ro)));
    fuzz('ConnectResponse', decodeConnectResponse, responses);
    fuzz(
      'notification',
      decodeNotification,
      fc.constant(Buffer.from('ffffffff000000000000000100000000000000010000000300000001', 'hex')),
    );
  });

  test('every record decoder', () => {
    for (const { schema, decode, encode } of recordCodecs) {
      const valid = recordArbitrary(schema).map((m) => {
        const w = new ByteWriter(16);
        encode(w, m);
        return w.toBuffer();
      });
      fuzz(schema.name, (b) => decode(new ByteReader(b)), valid);
    }
  });

  test('a huge count or length in a tiny frame fails fast, without allocating for it', () => {
    // getChildren reply whose vector claims 2^31-1 children.
    const frame = Buffer.from('00000001' + '0000000000000001' + '00000000' + '7fffffff', 'hex');
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    for (let i = 0; i < 1000; i++) assert.throws(() => decodeResponse(frame, 8), DecodeError);
    assert.ok(performance.now() - started < 1000);
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024);
    // A multi that never ends runs out of bytes instead of looping.
    const multi = Buffer.concat([Buffer.from('0000000100000016', 'hex'), Buffer.alloc(9 * 100)]);
    assert.throws(() => decodeRequest(multi), /operation type 0 is not allowed/);
  });
});
