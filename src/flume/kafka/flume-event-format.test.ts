import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import avro from 'avsc';
import fc from 'fast-check';
import { OffsetTracker } from '../channels/kafka-channel.ts';
import {
  AVRO_FLUME_EVENT_SCHEMA,
  decodeAvroFlumeEvent,
  encodeAvroFlumeEvent,
  FlumeEventFormatError,
} from './flume-event-format.ts';
import { RecentIds } from './recent-ids.ts';

// avsc is an independent Avro implementation: the hand-written codec must agree with it.
const avscType = avro.Type.forSchema(AVRO_FLUME_EVENT_SCHEMA as unknown as avro.Schema);
const headersArb = fc.dictionary(fc.string(), fc.string(), { maxKeys: 8 });
const eventArb = fc.record({
  headers: headersArb,
  body: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
});

describe('AvroFlumeEvent codec', () => {
  it('encodes exactly as avsc and decodes what avsc writes (property)', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        const ours = encodeAvroFlumeEvent(e);
        assert.deepEqual(ours, avscType.toBuffer(e));
        const back = decodeAvroFlumeEvent(ours);
        assert.deepEqual({ ...back.headers }, { ...e.headers });
        assert.deepEqual(back.body, e.body);
      }),
    );
  });

  it('reads multi-block and negative-count maps as Avro allows', () => {
    // Block of 1 with a negative count (then a byte size), then a block of 1, then the end.
    const kv = (k: string, v: string) =>
      Buffer.concat([
        Buffer.from([k.length * 2]),
        Buffer.from(k),
        Buffer.from([v.length * 2]),
        Buffer.from(v),
      ]);
    const data = Buffer.concat([
      Buffer.from([0x01, 0x08]),
      kv('a', 'b'),
      Buffer.from([0x02]),
      kv('c', 'd'),
      Buffer.from([0x00, 0x04]),
      Buffer.from('hi'),
    ]);
    const e = decodeAvroFlumeEvent(data);
    assert.deepEqual({ ...e.headers }, { a: 'b', c: 'd' });
    assert.equal(e.body.toString(), 'hi');
  });

  it('keeps a __proto__ header as a header', () => {
    const e = decodeAvroFlumeEvent(
      encodeAvroFlumeEvent({ headers: { ['__proto__']: 'x' }, body: Buffer.alloc(0) }),
    );
    assert.equal(Object.getOwnPropertyDescriptor(e.headers, '__proto__')?.value, 'x');
    assert.equal(Object.getPrototypeOf(e.headers), Object.prototype);
  });

  it('rejects truncated input and trailing bytes', () => {
    const good = encodeAvroFlumeEvent({ headers: { k: 'v' }, body: Buffer.from('body') });
    for (let n = 0; n < good.length; n++) {
      assert.throws(() => decodeAvroFlumeEvent(good.subarray(0, n)), FlumeEventFormatError);
    }
    assert.throws(() => decodeAvroFlumeEvent(Buffer.concat([good, Buffer.from([0])])), /trailing/);
    // A huge map count must fail at once, not loop.
    assert.throws(
      () => decodeAvroFlumeEvent(Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00])),
      FlumeEventFormatError,
    );
  });

  it('fuzz: arbitrary bytes decode or fail with FlumeEventFormatError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeAvroFlumeEvent(Buffer.from(bytes));
        } catch (err) {
          assert.ok(err instanceof FlumeEventFormatError, String(err));
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe('exactly-once helpers', () => {
  it('RecentIds forgets the oldest ids first', () => {
    const r = new RecentIds(3);
    for (const id of ['a', 'b', 'c', 'd']) r.add(id);
    assert.equal(r.has('a'), false);
    assert.ok(r.has('b') && r.has('d'));
    assert.equal(r.size, 3);
  });

  it('OffsetTracker never commits past a record an open transaction still holds', () => {
    const t = new OffsetTracker();
    t.hold('p', 5n);
    t.hold('p', 6n);
    assert.equal(t.commitPoint('p'), undefined);
    t.release('p', 6n);
    assert.equal(t.commitPoint('p'), 5n, '5 is still held (its transaction rolled back, or is open)');
    t.hold('p', 5n); // taken again
    t.release('p', 5n);
    assert.equal(t.commitPoint('p'), 7n);
  });
});
