import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecodeError } from '../../base/index.ts';
import {
  COMMIT,
  decodeCheckpoint,
  decodeLogRecord,
  encodeCheckpoint,
  encodeCommit,
  encodePuts,
  PUTS,
} from './file-channel-format.ts';

const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const pointer = fc
  .record({ dir: fc.integer({ min: 0, max: 3 }), seq, index: fc.integer({ min: 0, max: 2 ** 31 - 1 }) })
  .map((p) => ({ ...p }));
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);
const event = fc
  .record({
    // `__proto__` included: a header name must stay a plain key.
    // ASCII and any-Unicode strings, short and past the 32-unit fast path.
    headers: fc.array(fc.tuple(fc.oneof(fc.string(), fc.constant('__proto__')), headerValue), {
      maxLength: 4,
    }),
    body: fc.uint8Array({ maxLength: 130 }).map((a) => Buffer.from(a)),
  })
  .map(({ headers, body }) => ({ headers: Object.fromEntries(headers), body }));

describe('file channel record format', () => {
  it('round-trips PUTS and COMMIT records', () => {
    fc.assert(
      fc.property(seq, fc.array(event, { maxLength: 8 }), (txId, events) => {
        const r = decodeLogRecord(encodePuts(txId, events));
        assert.equal(r.type, PUTS);
        assert.deepEqual(r, { type: PUTS, txId, events });
      }),
    );
    fc.assert(
      fc.property(
        seq,
        seq,
        fc.array(seq, { maxLength: 4 }),
        fc.array(pointer, { maxLength: 8 }),
        (txId, order, putSeqs, takes) => {
          assert.deepEqual(decodeLogRecord(encodeCommit(txId, order, putSeqs, takes)), {
            type: COMMIT,
            txId,
            order,
            putSeqs,
            takes,
          });
        },
      ),
    );
  });

  it('round-trips checkpoints', () => {
    fc.assert(
      fc.property(seq, fc.array(pointer, { maxLength: 20 }), (nextOrder, queue) => {
        const c = { nextOrder, replayFrom: [1, 2, 3, 4], queue };
        assert.deepEqual(decodeCheckpoint(encodeCheckpoint(c)), c);
      }),
    );
  });

  const decodesOrFailsCleanly = (decode: (b: Buffer) => unknown) => (bytes: Uint8Array) => {
    try {
      decode(Buffer.from(bytes));
    } catch (err) {
      assert.ok(err instanceof DecodeError, `not a DecodeError: ${String(err)}`);
    }
  };

  it('fuzz: arbitrary bytes decode or fail with DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodesOrFailsCleanly(decodeLogRecord)), {
      numRuns: 2000,
    });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodesOrFailsCleanly(decodeCheckpoint)), {
      numRuns: 2000,
    });
  });

  it('fuzz: mutated and cut valid records fail cleanly or decode', () => {
    const valid = fc.oneof(
      fc.tuple(seq, fc.array(event, { maxLength: 4 })).map(([t, e]) => encodePuts(t, e)),
      fc
        .tuple(seq, seq, fc.array(seq, { maxLength: 3 }), fc.array(pointer, { maxLength: 4 }))
        .map(([t, o, p, k]) => encodeCommit(t, o, p, k)),
    );
    fc.assert(
      fc.property(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (buf, at, byte, cut) => {
        const b = Buffer.from(buf);
        if (b.length > 0) b[at % b.length] = byte;
        decodesOrFailsCleanly(decodeLogRecord)(b.subarray(0, b.length - (cut % (b.length + 1))));
      }),
      { numRuns: 2000 },
    );
  });
});
