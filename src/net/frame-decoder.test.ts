import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameBufferPool, POOLED_FRAME_BYTES_MIN } from './frame-buffer-pool.ts';
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

  it('assembles a large frame in a pooled buffer as it arrives, dropping the read chunks', () => {
    const pool = new FrameBufferPool(8 * 1024 * 1024);
    const d = new FrameDecoder(1 << 20, { pool });
    const payload = Buffer.alloc(100_000);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const bytes = frame(payload);
    for (let at = 0; at < bytes.length; at += 30_000) {
      assert.equal(d.next(), null);
      d.push(bytes.subarray(at, at + 30_000));
    }
    const f = d.next();
    assert.ok(f !== null && pool.owns(f));
    assert.ok(f.equals(payload));
    assert.equal(d.bufferedBytes, 0);
    // Given back, the memory receives the next large frame.
    pool.give(f);
    d.push(frame(Buffer.alloc(90_000, 3)).subarray(0, 50_000));
    assert.equal(d.next(), null);
    d.push(frame(Buffer.alloc(90_000, 3)).subarray(50_000));
    const g = d.next();
    assert.ok(g !== null && g.buffer === f.buffer && g.length === 90_000 && g.every((b) => b === 3));
  });

  it('allocates for a large frame only once an eighth of it arrived; idle pooled memory at once', () => {
    const pool = new FrameBufferPool();
    const d = new FrameDecoder(1 << 24, { pool });
    const bytes = frame(Buffer.alloc(1 << 20, 4));
    d.push(bytes.subarray(0, 1000));
    assert.equal(d.next(), null);
    assert.equal(d.readTarget(), null, 'a header and a few bytes allocate nothing');
    d.push(bytes.subarray(1000, 4 + (1 << 17)));
    assert.equal(d.next(), null);
    assert.ok(d.readTarget() !== null, 'an eighth arrived: assembled from here on');
    d.push(bytes.subarray(4 + (1 << 17)));
    const f = d.next()!;
    pool.give(f);
    const d2 = new FrameDecoder(1 << 24, { pool });
    d2.push(bytes.subarray(0, 100));
    assert.equal(d2.next(), null);
    assert.equal(d2.readTarget()?.buffer, f.buffer, 'idle memory is used at once');
  });

  it('small frames spanning reads are not pooled', () => {
    const pool = new FrameBufferPool();
    const d = new FrameDecoder(1 << 20, { pool });
    const bytes = frame(Buffer.alloc(POOLED_FRAME_BYTES_MIN - 1, 9));
    d.push(bytes.subarray(0, 100));
    d.push(bytes.subarray(100));
    const f = d.next();
    assert.ok(f !== null && !pool.owns(f) && f.length === POOLED_FRAME_BYTES_MIN - 1);
  });

  it('reads can land straight in the frame being assembled (readTarget / filledBy)', () => {
    const d = new FrameDecoder(1 << 20);
    assert.equal(d.readTarget(), null);
    const payload = Buffer.alloc(70_000, 5);
    const bytes = frame(payload);
    d.push(bytes.subarray(0, 10_000));
    assert.equal(d.next(), null);
    let at = 10_000;
    for (let target = d.readTarget(); target !== null; target = d.readTarget()) {
      const n = Math.min(target.length, 16_384);
      bytes.copy(target, 0, at, at + n);
      d.filledBy(n);
      at += n;
    }
    assert.equal(at, bytes.length);
    assert.ok(d.next()?.equals(payload));
    assert.throws(() => d.filledBy(1), RangeError);
  });

  it('yields the same frames with a pool and direct reads, however the stream is cut (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 * POOLED_FRAME_BYTES_MIN }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1 }),
        (sizes, cuts) => {
          const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
          const stream = Buffer.concat(payloads.map(frame));
          const pool = new FrameBufferPool();
          const d = new FrameDecoder(1 << 20, { pool });
          const out: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = Math.min(cuts[i++ % cuts.length]!, stream.length - pos);
            const target = d.readTarget();
            if (target !== null) {
              const m = Math.min(n, target.length);
              stream.copy(target, 0, pos, pos + m);
              d.filledBy(m);
              pos += m;
            } else {
              d.push(stream.subarray(pos, pos + n));
              pos += n;
            }
            for (let f = d.next(); f !== null; f = d.next()) {
              out.push(Buffer.from(f));
              if (pool.owns(f)) pool.give(f);
            }
          }
          assert.deepEqual(out, payloads);
          assert.equal(d.bufferedBytes, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('copies what it keeps of a transient chunk: frames survive the read buffer being overwritten (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 * POOLED_FRAME_BYTES_MIN }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1 }),
        fc.boolean(),
        (sizes, cuts, givesBack) => {
          const payloads = sizes.map((n, i) => Buffer.alloc(n, i + 1));
          const stream = Buffer.concat(payloads.map(frame));
          const pool = new FrameBufferPool();
          const d = new FrameDecoder(1 << 20, { pool });
          const shared = Buffer.alloc(64 * 1024);
          const out: Buffer[] = [];
          let pos = 0;
          let i = 0;
          while (pos < stream.length) {
            const n = Math.min(cuts[i++ % cuts.length]!, stream.length - pos);
            const target = d.readTarget();
            if (target !== null) {
              const m = Math.min(n, target.length);
              stream.copy(target, 0, pos, pos + m);
              d.filledBy(m);
              pos += m;
            } else {
              const m = Math.min(n, shared.length);
              stream.copy(shared, 0, pos, pos + m);
              d.pushTransient(shared.subarray(0, m));
              shared.fill(0xee);
              pos += m;
            }
            // Frames are taken out only now and then, as a connection over its in-flight limit does.
            if (i % 3 === 0 || pos === stream.length) {
              for (let f = d.next(); f !== null; f = d.next()) {
                out.push(Buffer.from(f));
                if (givesBack && pool.owns(f)) pool.give(f);
              }
            }
          }
          assert.deepEqual(out, payloads);
          assert.equal(d.bufferedBytes, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('pushTransient: large frames complete in one chunk come from the pool; a bad size is refused', () => {
    const pool = new FrameBufferPool();
    const d = new FrameDecoder(1 << 20, { pool });
    const big = Buffer.alloc(POOLED_FRAME_BYTES_MIN + 5, 7);
    d.pushTransient(Buffer.concat([frame(big), frame(Buffer.from('ab'))]));
    const f1 = d.next();
    assert.ok(f1 !== null && pool.owns(f1) && f1.equals(big));
    assert.deepEqual(d.next(), Buffer.from('ab'));
    assert.equal(d.next(), null);
    const header = Buffer.alloc(4);
    header.writeInt32BE((1 << 20) + 1);
    assert.throws(() => d.pushTransient(header), FrameSizeError);
  });
});
