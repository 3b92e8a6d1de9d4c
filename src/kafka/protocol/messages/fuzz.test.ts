import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, ByteWriter, DecodeError } from '../../../base/index.ts';
import { decodeRequest } from '../frame.ts';
import { apiCodecByKey } from './apis.generated.ts';
import { messageArbitrary } from './message-arbitrary.ts';
import { decodeProduceRequest } from './produce.generated.ts';
import { apiSchemas } from './schemas.generated.ts';

type Decode = (r: ByteReader, v: number) => unknown;
type Encode = (w: ByteWriter, v: number, m: never) => void;

const RANDOM_RUNS = 40;
const MUTATION_RUNS = 40;

/** Runs a decoder; anything thrown other than DecodeError fails the test. */
function decodeOrDecodeError(decode: Decode, bytes: Buffer, version: number): void {
  try {
    const r = new ByteReader(bytes);
    decode(r, version);
  } catch (err) {
    if (err instanceof DecodeError) return;
    assert.fail(`v${version} ${bytes.toString('hex')}: ${err instanceof Error ? err.stack : String(err)}`);
  }
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'int32'; at: number; value: number }
  | { kind: 'int16'; at: number; value: number }
  | { kind: 'bytes'; at: number; bytes: readonly number[] }
  | { kind: 'delete'; at: number };

const position = fc.nat({ max: 1 << 16 });

/** Bit flips, truncation, and length/count fields overwritten with huge, negative or over-long values. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('int32' as const),
    at: position,
    value: fc.constantFrom(0x7fffffff, -1, -2, -0x80000000, 0x01000000),
  }),
  fc.record({
    kind: fc.constant('int16' as const),
    at: position,
    value: fc.constantFrom(0x7fff, -1, -2, -0x8000),
  }),
  fc.record({
    kind: fc.constant('bytes' as const),
    at: position,
    // Unsigned varints: 2^32-1 (largest), 6 bytes (too long), 5 continuation bytes (truncated/over-long).
    bytes: fc.constantFrom(
      [0xff, 0xff, 0xff, 0xff, 0x0f],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x80, 0x80, 0x80],
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position }),
);

function mutate(input: Buffer, m: Mutation): Buffer {
  const b = Buffer.from(input);
  if (b.length === 0) return b;
  const at = m.at % b.length;
  switch (m.kind) {
    case 'flip':
      b[at] = b[at]! ^ (1 << m.bit);
      return b;
    case 'truncate':
      return b.subarray(0, at);
    case 'int32':
      if (at + 4 > b.length) return b;
      b.writeInt32BE(m.value, at);
      return b;
    case 'int16':
      if (at + 2 > b.length) return b;
      b.writeInt16BE(m.value, at);
      return b;
    case 'bytes':
      return Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
}

describe('decoders only ever raise DecodeError', () => {
  for (const schema of apiSchemas) {
    const codec = apiCodecByKey(schema.apiKey)!;
    test(`${schema.name} (key ${schema.apiKey}) v${codec.minVersion}-${codec.maxVersion}`, () => {
      for (let v = codec.minVersion; v <= codec.maxVersion; v++) {
        const sides: [typeof schema.request, Encode, Decode][] = [
          [schema.request, codec.encodeRequest as Encode, codec.decodeRequest],
          [schema.response, codec.encodeResponse as Encode, codec.decodeResponse],
        ];
        for (const [messageSchema, encode, decode] of sides) {
          fc.assert(
            fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
              decodeOrDecodeError(decode, Buffer.from(bytes), v);
            }),
            { numRuns: RANDOM_RUNS },
          );
          fc.assert(
            fc.property(
              messageArbitrary(messageSchema, v),
              fc.array(mutation, { minLength: 1, maxLength: 3 }),
              (message, mutations) => {
                const w = new ByteWriter(16);
                encode(w, v, message as never);
                let bytes = w.toBuffer();
                for (const m of mutations) bytes = mutate(bytes, m);
                decodeOrDecodeError(decode, bytes, v);
              },
            ),
            { numRuns: MUTATION_RUNS },
          );
          // Frames made of one repeated byte: every count and length reads as huge or negative.
          for (const fill of [0x7f, 0xff, 0x80]) decodeOrDecodeError(decode, Buffer.alloc(100, fill), v);
        }
      }
    });
  }
});

describe('absurd counts fail before allocating', () => {
  test('a 100-byte Produce request claiming 2^31-1 topics is rejected at the count', () => {
    const head = Buffer.from('ffff' + '0001' + '00000000' + '7fffffff', 'hex');
    const frame = Buffer.concat([head, Buffer.alloc(100 - head.length)]);
    assert.throws(
      () => decodeProduceRequest(new ByteReader(frame), 3),
      (err: unknown) => {
        return err instanceof DecodeError && /count 2147483647 cannot fit/.test(err.message);
      },
    );
  });

  test('the same with a compact (flexible) count of 2^32-2', () => {
    const head = Buffer.from('00' + '0001' + '00000000' + 'ffffffff0f', 'hex');
    const frame = Buffer.concat([head, Buffer.alloc(100 - head.length)]);
    assert.throws(() => decodeProduceRequest(new ByteReader(frame), 9), DecodeError);
  });

  test('a count that fits bytes but not elements is rejected too (elements have a minimum size)', () => {
    // 20 partitions of {int32 index, int32 records length} need 160 bytes; only 100 follow.
    const head = Buffer.from('ffff' + '0001' + '00000000' + '00000001' + '0001' + '74' + '00000014', 'hex');
    const frame = Buffer.concat([head, Buffer.alloc(100)]);
    assert.throws(() => decodeProduceRequest(new ByteReader(frame), 3), /cannot fit/);
  });

  test('whole request frames: random bytes after a valid header only raise DecodeError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...apiSchemas.map((s) => s.apiKey)),
        fc.integer({ min: -1, max: 20 }),
        fc.uint8Array({ maxLength: 64 }),
        (apiKey, version, body) => {
          const header = Buffer.alloc(10);
          header.writeInt16BE(apiKey, 0);
          header.writeInt16BE(version, 2);
          header.writeInt32BE(1, 4);
          header.writeInt16BE(-1, 8);
          try {
            decodeRequest(Buffer.concat([header, Buffer.from(body)]));
          } catch (err) {
            assert.ok(err instanceof DecodeError, String(err));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
