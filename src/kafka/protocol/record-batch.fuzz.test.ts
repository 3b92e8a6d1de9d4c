// Fuzzing the decoders: random bytes and mutated valid inputs (bit flips, truncation, huge or negative
// lengths, varint overflow) may only ever raise DecodeError, never another exception, a hang or a huge
// allocation (decompression is capped, lengths are checked before any view is taken).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compress, crc32cPure, DecodeError, decompress } from '../../base/index.ts';
import { decodeLegacyMessageSet, encodeLegacyMessageSet } from './legacy-message-set.ts';
import {
  batchBaseOffset,
  batchLastOffset,
  batchMaxTimestamp,
  decodeControlRecord,
  decodeRecordBatch,
  encodeControlBatch,
  encodeRecordBatch,
  readBatchHeader,
  splitBatches,
  validateBatchCrc,
} from './record-batch.ts';

const MAX_BYTES = 1 << 20;

/** Runs `fn`; any exception other than DecodeError fails the test. */
function onlyDecodeError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) {
      assert.fail(`expected only DecodeError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    }
  }
}

/** Every decoder entry point, fed the same bytes. */
function feedAll(buf: Buffer): void {
  onlyDecodeError(() => decodeRecordBatch(buf, { maxBytes: MAX_BYTES }));
  onlyDecodeError(() => decodeRecordBatch(buf, { maxBytes: MAX_BYTES, verifyCrc: false }));
  onlyDecodeError(() => [...splitBatches(buf)]);
  onlyDecodeError(() => [...splitBatches(buf, { allowPartialTrailing: true })]);
  onlyDecodeError(() => readBatchHeader(buf));
  onlyDecodeError(() => validateBatchCrc(buf));
  onlyDecodeError(() => batchBaseOffset(buf));
  onlyDecodeError(() => batchLastOffset(buf));
  onlyDecodeError(() => batchMaxTimestamp(buf));
  onlyDecodeError(() => decodeLegacyMessageSet(buf, { maxBytes: MAX_BYTES }));
  onlyDecodeError(() =>
    decodeLegacyMessageSet(buf, { maxBytes: MAX_BYTES, verifyCrc: false, allowPartialTrailing: true }),
  );
  onlyDecodeError(() => decodeControlRecord({ key: buf, value: buf }));
  // Walk every batch in the blob fully, as a consumer would.
  onlyDecodeError(() => {
    for (const b of splitBatches(buf, { allowPartialTrailing: true })) {
      if (b[16] === 2) decodeRecordBatch(b, { maxBytes: MAX_BYTES, verifyCrc: false });
      else decodeLegacyMessageSet(b, { maxBytes: MAX_BYTES, verifyCrc: false });
    }
  });
}

const records = [
  {
    key: Buffer.from('key-0'),
    value: Buffer.from('{"a":1,"b":"two"}'),
    headers: [{ key: 'trace', value: Buffer.from('abc') }],
  },
  { key: null, value: Buffer.from('x'.repeat(40)), timestampDelta: 17, headers: [{ key: 'n', value: null }] },
  { key: Buffer.from('k2'), value: null, timestampDelta: -3 },
];

const SEEDS: Buffer[] = [
  ...[0, 1, 2, 3, 4].map((compression) =>
    encodeRecordBatch({
      baseOffset: 5n,
      baseTimestamp: 1_700_000_000_000n,
      compression: compression as 0,
      records,
    }),
  ),
  encodeControlBatch({ producerId: 3n, producerEpoch: 1, timestamp: 9, type: 'COMMIT', coordinatorEpoch: 4 }),
  ...[0, 1, 2, 3].flatMap((compression) =>
    [0, 1].map((magic) =>
      encodeLegacyMessageSet({
        magic: magic as 0 | 1,
        compression: compression as 0,
        baseOffset: 100,
        records: records.map((r, i) => ({ key: r.key, value: r.value, timestamp: 1000 + i })),
      }),
    ),
  ),
];
const SEED_BLOB = Buffer.concat(SEEDS.slice(0, 3));

function restampV2(buf: Buffer): void {
  if (buf.length >= 61 && buf[16] === 2) buf.writeUInt32BE(crc32cPure(buf.subarray(21)), 17);
}

const interestingInt32 = fc.constantFrom(-1, -2, 0, 1, 7, 48, 49, 0x7fffffff, -0x80000000, 0x10000, 1 << 24);

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('int32' as const), at: fc.nat(), value: interestingInt32 }),
  fc.record({ kind: fc.constant('varint' as const), at: fc.nat(), run: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(src: Buffer, muts: Mutation[], restamp: boolean): Buffer {
  let buf = Buffer.from(src);
  for (const m of muts) {
    if (buf.length === 0) break;
    const at = m.at % buf.length;
    switch (m.kind) {
      case 'flip':
        buf[at]! ^= 1 << m.bit;
        break;
      case 'truncate':
        buf = buf.subarray(0, at);
        break;
      case 'int32':
        if (at + 4 <= buf.length) buf.writeInt32BE(m.value, at);
        break;
      case 'varint':
        buf.fill(0xff, at, Math.min(buf.length, at + m.run));
        break;
      case 'byte':
        buf[at] = m.value;
        break;
      case 'insert':
        buf = Buffer.concat([buf.subarray(0, at), m.bytes, buf.subarray(at)]);
        break;
    }
  }
  if (restamp) restampV2(buf);
  return buf;
}

describe('fuzz: decoders raise only DecodeError', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => feedAll(Buffer.from(bytes))),
      { numRuns: 1500 },
    );
  });

  it('random bytes behind a plausible v2 header', () => {
    // Valid magic and batchLength with a correct CRC over garbage, so the record parser itself is hit.
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 49, maxLength: 400 }),
        fc.constantFrom(0, 1, 2, 3, 4, 7),
        (body, codec) => {
          const buf = Buffer.alloc(12 + body.length);
          buf.set(body, 12);
          buf.writeInt32BE(body.length, 8);
          buf[16] = 2;
          buf.writeInt16BE(codec, 21);
          restampV2(buf);
          feedAll(buf);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('mutated valid batches and message sets (with and without a re-stamped CRC)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS, SEED_BLOB),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (seed, muts, restamp) => feedAll(mutate(seed, muts, restamp)),
      ),
      { numRuns: 3000 },
    );
  });

  it('decompress on random and mutated compressed bytes', () => {
    const plain = Buffer.from(JSON.stringify(records).repeat(20));
    const packed = [1, 2, 3, 4].map((c) => [c, compress(c, plain)] as const);
    packed.push([2, compress(2, plain, { snappyFraming: 'xerial' })]);
    fc.assert(
      fc.property(
        fc.constantFrom(...packed),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.uint8Array({ maxLength: 64 }),
        ([codec, data], muts, noise) => {
          onlyDecodeError(() => decompress(codec, mutate(data, muts, false), { maxBytes: MAX_BYTES }));
          onlyDecodeError(() => decompress(codec, noise, { maxBytes: MAX_BYTES }));
          onlyDecodeError(() =>
            decompress(codec, Buffer.concat([data.subarray(0, 20), noise]), { maxBytes: MAX_BYTES }),
          );
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('the seeds themselves decode (so the mutations start from valid input)', () => {
    for (const seed of SEEDS) {
      const parts = [...splitBatches(seed)];
      assert.ok(parts.length >= 1);
      if (seed[16] === 2) assert.ok(decodeRecordBatch(seed).records.length >= 1);
      else assert.equal(decodeLegacyMessageSet(seed).length, 3);
    }
  });
});
