import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { DecodeError } from './errors.ts';

const reader = (hex: string): ByteReader => new ByteReader(Buffer.from(hex, 'hex'));
const written = (fn: (w: ByteWriter) => void): Buffer => {
  const w = new ByteWriter();
  fn(w);
  return w.toBuffer();
};
const isDecodeError = (err: unknown): boolean => err instanceof DecodeError;

/** One typed value: how to write it, how to read it back. */
interface Op {
  readonly kind: string;
  readonly value: unknown;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const utf8 = fc.string({ unit: 'grapheme', maxLength: 40 });
const bytes = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});

const op = (kind: string, value: fc.Arbitrary<unknown>): fc.Arbitrary<Op> =>
  value.map((v) => ({ kind, value: v }));

const anyOp: fc.Arbitrary<Op> = fc.oneof(
  op('boolean', fc.boolean()),
  op('int8', fc.integer({ min: -0x80, max: 0x7f })),
  op('int16', fc.integer({ min: -0x8000, max: 0x7fff })),
  op('uint16', fc.integer({ min: 0, max: 0xffff })),
  op('int32', fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  op('uint32', fc.integer({ min: 0, max: 0xffffffff })),
  op('int64', fc.bigInt({ min: INT64_MIN, max: INT64_MAX })),
  op('float64', fc.double()),
  op('uuid', uuid),
  op('uvarint', fc.integer({ min: 0, max: 0xffffffff })),
  op('varint', fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  op('varlong', fc.bigInt({ min: INT64_MIN, max: INT64_MAX })),
  op('varlongNumber', fc.maxSafeInteger()),
  op('string', utf8),
  op('nullableString', fc.option(utf8, { nil: null })),
  op('compactString', utf8),
  op('compactNullableString', fc.option(utf8, { nil: null })),
  op('bytes', bytes),
  op('nullableBytes', fc.option(bytes, { nil: null })),
  op('compactBytes', bytes),
  op('compactNullableBytes', fc.option(bytes, { nil: null })),
  op('arrayLength', fc.integer({ min: -1, max: 0 })),
  op('compactArrayLength', fc.integer({ min: -1, max: 0 })),
);

function writeOp(w: ByteWriter, o: Op): void {
  (w as unknown as Record<string, (v: unknown) => void>)[o.kind]!(o.value);
}

function readOp(r: ByteReader, o: Op): unknown {
  return (r as unknown as Record<string, () => unknown>)[o.kind]!();
}

describe('ByteReader round trips with ByteWriter', () => {
  test('any sequence of primitives reads back equal, across writer chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(anyOp, { maxLength: 120 }), (ops) => {
        const w = new ByteWriter(8);
        for (const o of ops) writeOp(w, o);
        const buf = Buffer.concat(w.toChunks());
        const r = new ByteReader(buf);
        for (const o of ops) assert.deepStrictEqual(readOp(r, o), o.value, o.kind);
        r.expectEnd('ops');
      }),
      { numRuns: 300 },
    );
  });

  test('boundary values of every integer type', () => {
    const cases: [string, unknown[]][] = [
      ['int8', [-0x80, -1, 0, 1, 0x7f]],
      ['int16', [-0x8000, -1, 0, 0x7fff]],
      ['uint16', [0, 0xffff]],
      ['int32', [-0x80000000, -1, 0, 0x7fffffff]],
      ['uint32', [0, 0x7fffffff, 0x80000000, 0xffffffff]],
      ['int64', [INT64_MIN, -1n, 0n, INT64_MAX]],
      ['uvarint', [0, 0x7f, 0x80, 0x3fff, 0x4000, 0xffffffff]],
      ['varint', [-0x80000000, -1, 0, 1, 0x7fffffff]],
      ['varlong', [INT64_MIN, -1n, 0n, INT64_MAX]],
      ['varlongNumber', [Number.MIN_SAFE_INTEGER, -1, 0, Number.MAX_SAFE_INTEGER]],
      ['float64', [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.MIN_VALUE, -Number.MAX_VALUE]],
    ];
    for (const [kind, values] of cases) {
      for (const value of values) {
        const r = new ByteReader(written((w) => writeOp(w, { kind, value })));
        assert.deepStrictEqual(readOp(r, { kind, value }), value, `${kind} ${String(value)}`);
        r.expectEnd(kind);
      }
    }
  });

  test('wire forms match the Kafka encodings', () => {
    const hex = (fn: (w: ByteWriter) => void) => written(fn).toString('hex');
    assert.equal(
      hex((w) => w.uvarint(0)),
      '00',
    );
    assert.equal(
      hex((w) => w.uvarint(300)),
      'ac02',
    );
    assert.equal(
      hex((w) => w.uvarint(0xffffffff)),
      'ffffffff0f',
    );
    assert.equal(
      hex((w) => w.varint(-1)),
      '01',
    );
    assert.equal(
      hex((w) => w.varint(1)),
      '02',
    );
    assert.equal(
      hex((w) => w.varint(-0x80000000)),
      'ffffffff0f',
    );
    assert.equal(
      hex((w) => w.varlong(INT64_MIN)),
      'ffffffffffffffffff01',
    );
    assert.equal(
      hex((w) => w.int16(-2)),
      'fffe',
    );
    assert.equal(
      hex((w) => w.nullableString(null)),
      'ffff',
    );
    assert.equal(
      hex((w) => w.compactNullableString(null)),
      '00',
    );
    assert.equal(
      hex((w) => w.compactString('ab')),
      '036162',
    );
    assert.equal(
      hex((w) => w.nullableBytes(null)),
      'ffffffff',
    );
    assert.equal(
      hex((w) => w.compactArrayLength(-1)),
      '00',
    );
    assert.equal(
      hex((w) => w.compactArrayLength(2)),
      '03',
    );
    assert.equal(
      hex((w) => w.uuid('00112233-4455-6677-8899-aabbccddeeff')),
      '00112233445566778899aabbccddeeff',
    );
    assert.equal(reader('00112233445566778899AABBCCDDEEFF').uuid(), '00112233-4455-6677-8899-aabbccddeeff');
  });

  test('varlongNumber agrees with varlong on every safe integer, both ways', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const asNumber = written((w) => w.varlongNumber(v));
        assert.deepEqual(
          asNumber,
          written((w) => w.varlong(BigInt(v))),
        );
        assert.equal(new ByteReader(asNumber).varlongNumber(), v);
      }),
      { numRuns: 300 },
    );
    for (const v of [
      2 ** 52,
      2 ** 52 + 1,
      -(2 ** 52) - 1,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ]) {
      assert.deepEqual(
        written((w) => w.varlongNumber(v)),
        written((w) => w.varlong(BigInt(v))),
      );
    }
  });

  test('byte fields are zero-copy views of the input', () => {
    const buf = Buffer.from('0000000301020300', 'hex');
    const r = new ByteReader(buf);
    const b = r.bytes();
    assert.deepEqual([...b], [1, 2, 3]);
    assert.equal(b.buffer, buf.buffer);
    buf[4] = 9;
    assert.equal(b[0], 9);
  });

  test('a reader over a sub-range stops at its end', () => {
    const r = new ByteReader(Buffer.from('0102030405', 'hex'), 1, 3);
    assert.equal(r.remaining, 2);
    assert.equal(r.int16(), 0x0203);
    assert.throws(() => r.int8(), isDecodeError);
  });
});

describe('ByteReader rejects malformed input with DecodeError', () => {
  test('every truncation of every primitive', () => {
    fc.assert(
      fc.property(anyOp, fc.nat(), (o, cut) => {
        const full = written((w) => writeOp(w, o));
        if (full.length === 0) return;
        const truncated = full.subarray(0, cut % full.length);
        assert.throws(() => readOp(new ByteReader(truncated), o), isDecodeError);
      }),
      { numRuns: 500 },
    );
  });

  test('over-long and oversized varints', () => {
    assert.equal(reader('8080808000').uvarint(), 0, 'padded but within 5 bytes');
    assert.throws(() => reader('808080808000').uvarint(), /exceeds 32 bits/);
    assert.throws(() => reader('ffffffff10').uvarint(), /exceeds 32 bits/);
    assert.throws(() => reader('808080808000').uvarint(), isDecodeError);
    assert.throws(() => reader('ffffffffffffffffff02').varlong(), /exceeds 64 bits/);
    assert.throws(() => reader('8080808080808080808000').varlong(), isDecodeError);
    assert.throws(() => reader('8080808080808080').varlongNumber(), /truncated/);
    assert.throws(() => reader('feffffffffffff7f').varlongNumber(), /exceeds 2\^53/);
    assert.throws(() => reader('ffffffffffffff7f').varlongNumber(), /exceeds 2\^53/);
    assert.throws(() => reader('80').uvarint(), /truncated/);
    assert.throws(() => reader('').varint(), isDecodeError);
  });

  test('negative and impossible lengths', () => {
    assert.throws(() => reader('ffff').string(), /negative length/);
    assert.throws(() => reader('fffe').nullableString(), /invalid length/);
    assert.throws(() => reader('8000').nullableString(), isDecodeError);
    assert.throws(() => reader('ffffffff').bytes(), /negative length/);
    assert.throws(() => reader('fffffffe').nullableBytes(), /invalid length/);
    assert.throws(() => reader('00').compactString(), /null where a string is required/);
    assert.throws(() => reader('00').compactBytes(), /null where bytes are required/);
    assert.throws(() => reader('0005616263').string(), /need 5 bytes/);
    assert.throws(() => reader('7fffffff00').bytes(), isDecodeError);
    assert.throws(() => reader('ffffffff0f').compactBytes(), isDecodeError);
    assert.throws(() => reader('fffffffe').arrayLength(), /negative count/);
    assert.throws(() => reader('80000000').arrayLength(), /negative count/);
    assert.throws(() => new ByteReader(Buffer.alloc(4)).need(-1), isDecodeError);
  });

  test('array counts past the end, with element minimum sizes', () => {
    assert.equal(reader('ffffffff').arrayLength(), -1);
    assert.equal(reader('00000002aabb').arrayLength(1), 2);
    assert.throws(() => reader('00000002aabb').arrayLength(2), /cannot fit/);
    assert.throws(() => reader('7fffffff').arrayLength(), /count 2147483647 cannot fit/);
    assert.equal(reader('00').compactArrayLength(), -1);
    assert.equal(reader('03aabbccdd').compactArrayLength(2), 2);
    assert.throws(() => reader('03aabbcc').compactArrayLength(2), /cannot fit/);
    assert.throws(() => reader('ffffffff0f').compactArrayLength(), /cannot fit/);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 1, max: 16 }), (count, min) => {
        const buf = Buffer.alloc(4 + 64);
        buf.writeInt32BE(count, 0);
        const fits = count * min <= 64;
        const read = () => new ByteReader(buf).arrayLength(min);
        if (fits) assert.equal(read(), count);
        else assert.throws(read, isDecodeError);
      }),
    );
  });

  test('tagged fields: known tags bounded, unknown skipped, order and sizes checked', () => {
    const seen: [number, string][] = [];
    const r = reader('03' + '00' + '02' + 'aabb' + '05' + '01' + 'cc' + '07' + '00' + 'ee');
    r.taggedFields((tag, f) => {
      seen.push([tag, f.raw(f.remaining).toString('hex')]);
      return tag === 0;
    });
    assert.deepEqual(seen, [
      [0, 'aabb'],
      [5, 'cc'],
      [7, ''],
    ]);
    assert.equal(r.remaining, 1, 'stops right after the section');
    reader('02' + '01' + '00' + '09' + '01' + 'ff').taggedFields();
    assert.throws(() => reader('02' + '05' + '00' + '05' + '00').taggedFields(), /out of order/);
    assert.throws(() => reader('01' + '00' + '05' + 'aa').taggedFields(), /tagged field/);
    assert.throws(() => reader('05' + '00' + '00').taggedFields(), /cannot fit/);
    assert.throws(
      () =>
        reader('01' + '00' + '02' + 'aabb').taggedFields((_tag, f) => {
          f.int8();
          return true;
        }),
      /trailing bytes/,
    );
  });

  test('expectEnd reports leftover bytes', () => {
    const r = reader('0102');
    r.int8();
    assert.throws(() => r.expectEnd('thing'), /thing: 1 trailing bytes/);
    r.int8();
    r.expectEnd('thing');
  });

  test('random bytes through every reader method raise nothing but DecodeError', () => {
    const kinds = [
      'boolean',
      'int8',
      'int16',
      'uint16',
      'int32',
      'uint32',
      'int64',
      'float64',
      'uuid',
      'uvarint',
      'varint',
      'varlong',
      'varlongNumber',
      'string',
      'nullableString',
      'compactString',
      'compactNullableString',
      'bytes',
      'nullableBytes',
      'compactBytes',
      'compactNullableBytes',
      'arrayLength',
      'compactArrayLength',
      'taggedFields',
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 24 }),
        fc.array(fc.constantFrom(...kinds), { maxLength: 6 }),
        (b, ks) => {
          const r = new ByteReader(Buffer.from(b));
          try {
            for (const k of ks) readOp(r, { kind: k, value: undefined });
          } catch (err) {
            assert.ok(err instanceof DecodeError, String(err));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
