import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameDecoder, FrameSizeError } from './frame-decoder.ts';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

function drain(d: FrameDecoder): Buffer[] {
  const out: Buffer[] = [];
  for (let f = d.next(); f !== null; f = d.next()) out.push(f);
  return out;
}

describe('FrameDecoder', () => {
  it('returns several frames from one chunk as zero-copy views', () => {
    const d = new FrameDecoder(1024);
    const chunk = Buffer.concat([
      frame(Buffer.from('ab')),
      frame(Buffer.from('cde')),
      frame(Buffer.alloc(0)),
    ]);
    d.push(chunk);
    const frames = drain(d);
    assert.deepEqual(
      frames.map((f) => f.toString()),
      ['ab', 'cde', ''],
    );
    assert.equal(frames[0]!.buffer, chunk.buffer);
    assert.equal(d.bufferedBytes, 0);
  });

  it('assembles a frame delivered one byte at a time', () => {
    const d = new FrameDecoder(1024);
    const bytes = frame(Buffer.from('hello world'));
    const out: Buffer[] = [];
    for (const b of bytes) {
      d.push(Buffer.from([b]));
      out.push(...drain(d));
    }
    assert.deepEqual(
      out.map((f) => f.toString()),
      ['hello world'],
    );
  });

  it('refuses an oversized size as soon as the header is complete', () => {
    const d = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeInt32BE(101);
    d.push(header);
    assert.throws(
      () => d.next(),
      (err: unknown) =>
        err instanceof FrameSizeError && err.size === 101 && /socket\.request\.max\.bytes/.test(err.message),
    );
  });

  it('refuses a negative size', () => {
    const d = new FrameDecoder(100);
    d.push(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    assert.throws(() => d.next(), FrameSizeError);
  });

  it('accepts a frame of exactly the maximum size', () => {
    const d = new FrameDecoder(8);
    d.push(frame(Buffer.alloc(8, 7)));
    assert.equal(drain(d)[0]!.length, 8);
  });

  it('yields the same frames however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
          const d = new FrameDecoder(300);
          const out: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            d.push(stream.subarray(pos, pos + n));
            pos += n;
            out.push(...drain(d));
          }
          assert.deepEqual(
            out.map((f) => Buffer.from(f)),
            payloads.map((p) => Buffer.from(p)),
          );
          assert.equal(d.bufferedBytes, 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
