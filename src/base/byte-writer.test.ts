import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { EncodeError } from './errors.ts';

const isEncodeError = (err: unknown): boolean => err instanceof EncodeError;

type IntMethod = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'uvarint' | 'varint';

const INT_RANGES: [IntMethod, number, number][] = [
  ['int8', -0x80, 0x7f],
  ['int16', -0x8000, 0x7fff],
  ['uint16', 0, 0xffff],
  ['int32', -0x80000000, 0x7fffffff],
  ['uint32', 0, 0xffffffff],
  ['uvarint', 0, 0xffffffff],
  ['varint', -0x80000000, 0x7fffffff],
];

describe('ByteWriter validates what it writes', () => {
  test('integers outside their wire range raise EncodeError; the edges are accepted', () => {
    for (const [method, min, max] of INT_RANGES) {
      new ByteWriter()[method](min);
      new ByteWriter()[method](max);
      for (const bad of [min - 1, max + 1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        assert.throws(() => new ByteWriter()[method](bad), isEncodeError, `${method}(${bad})`);
      }
    }
    fc.assert(
      fc.property(fc.constantFrom(...INT_RANGES), fc.double(), ([method, min, max], v) => {
        const ok = Number.isInteger(v) && v >= min && v <= max;
        const write = () => new ByteWriter()[method](v);
        if (ok) write();
        else assert.throws(write, isEncodeError);
      }),
      { numRuns: 500 },
    );
  });

  test('64-bit values', () => {
    const w = new ByteWriter();
    w.int64(-(2n ** 63n)).int64(2n ** 63n - 1n);
    w.varlong(-(2n ** 63n)).varlong(2n ** 63n - 1n);
    assert.throws(() => w.int64(2n ** 63n), isEncodeError);
    assert.throws(() => w.int64(-(2n ** 63n) - 1n), isEncodeError);
    assert.throws(() => w.varlong(2n ** 63n), isEncodeError);
    assert.throws(() => w.varlongNumber(2 ** 53), isEncodeError);
    assert.throws(() => w.varlongNumber(1.5), isEncodeError);
    assert.throws(() => w.varlongNumber(Number.NaN), isEncodeError);
  });

  test('uuids must be 32 hex digits', () => {
    const w = new ByteWriter();
    w.uuid('00112233-4455-6677-8899-AABBCCDDEEFF');
    w.uuid('00112233445566778899aabbccddeeff');
    for (const bad of [
      '',
      'xyz',
      '00112233-4455-6677-8899-aabbccddeef',
      '00112233-4455-6677-8899-aabbccddeeffaa',
    ]) {
      assert.throws(() => w.uuid(bad), isEncodeError, bad);
    }
    assert.throws(() => w.uuid('g0112233-4455-6677-8899-aabbccddeeff'), isEncodeError);
  });

  test('STRING is limited to 32767 UTF-8 bytes', () => {
    new ByteWriter().string('a'.repeat(0x7fff));
    assert.throws(() => new ByteWriter().string('a'.repeat(0x8000)), isEncodeError);
    assert.throws(
      () => new ByteWriter().string('é'.repeat(0x4000)),
      isEncodeError,
      'counts bytes, not chars',
    );
    assert.throws(() => new ByteWriter().nullableString('a'.repeat(0x8000)), isEncodeError);
  });

  test('a reserved int32 is patched in place and range-checked', () => {
    const w = new ByteWriter(4);
    const set = w.reserveInt32();
    w.raw(Buffer.alloc(1000, 1));
    set(w.length - 4);
    assert.throws(() => set(2 ** 31), isEncodeError);
    const buf = w.toBuffer();
    assert.equal(buf.length, 1004);
    assert.equal(buf.readInt32BE(0), 1000);
  });
});

describe('ByteWriter chunks', () => {
  test('chunks concatenate to the bytes written, whatever the growth pattern', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 6000 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 512 }),
        (parts, initial) => {
          const w = new ByteWriter(initial);
          for (const p of parts) w.int32(p.length).raw(p);
          const expected = Buffer.concat(parts.flatMap((p) => [int32(p.length), Buffer.from(p)]));
          assert.equal(w.length, expected.length);
          const chunks = w.toChunks();
          assert.deepEqual(Buffer.concat(chunks), expected);
          for (const c of chunks) assert.ok(c.length > 0, 'no empty chunks');
        },
      ),
      { numRuns: 100 },
    );
  });

  test('large raw buffers are referenced (zero copy), small ones copied', () => {
    const big = Buffer.alloc(4096, 2);
    const small = Buffer.alloc(100, 3);
    const w = new ByteWriter();
    w.int8(1).raw(big).raw(small).bytes(big);
    const chunks = w.toChunks();
    assert.equal(chunks.filter((c) => c === big).length, 2, 'big buffer appears by reference twice');
    assert.ok(!chunks.includes(small));
    small.fill(9);
    assert.equal(Buffer.concat(chunks).indexOf(9), -1, 'small buffer was copied at write time');
  });

  test('a Uint8Array that is not a Buffer is accepted and viewed without copying', () => {
    const u = new Uint8Array(5000).fill(4);
    const w = new ByteWriter();
    w.compactBytes(u);
    const r = new ByteReader(w.toBuffer());
    assert.deepEqual([...r.compactBytes()], [...u]);
  });

  test('toBuffer returns the single chunk itself when there is one', () => {
    const w = new ByteWriter(64);
    w.int32(7);
    const buf = w.toBuffer();
    assert.equal(buf.toString('hex'), '00000007');
    assert.equal(new ByteWriter().toBuffer().length, 0);
  });
});

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
