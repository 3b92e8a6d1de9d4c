import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeNettyFrame, NettyFrameDecoder, NettyFrameError } from './netty-frame.ts';

/** Splits `data` at the given cut points, as TCP may deliver it. */
function cut(data: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of sorted) {
    out.push(data.subarray(prev, p));
    prev = p;
  }
  out.push(data.subarray(prev));
  return out;
}

describe('Netty frame codec (NettyDataPack)', () => {
  it('layout: serial, count, then length-prefixed buffers, big-endian', () => {
    const f = encodeNettyFrame(7, [Buffer.from('ab'), Buffer.from('c')]);
    assert.equal(f.toString('hex'), `00000007` + `00000002` + `00000002` + '6162' + '00000001' + '63');
  });

  it('round-trips any packs split anywhere; a pack of several buffers decodes to their concatenation (property)', () => {
    const packArb = fc.record({
      serial: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      buffers: fc.array(
        fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        { maxLength: 5 },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(packArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (packs, points) => {
          const stream = Buffer.concat(packs.map((p) => encodeNettyFrame(p.serial, p.buffers)));
          const decoder = new NettyFrameDecoder();
          const got = cut(stream, points).flatMap((c) => decoder.push(c));
          assert.deepEqual(
            got.map((f) => ({ serial: f.serial, payload: f.payload.toString('hex') })),
            packs.map((p) => ({ serial: p.serial, payload: Buffer.concat(p.buffers).toString('hex') })),
          );
          assert.equal(decoder.pendingBytes, 0);
        },
      ),
    );
  });

  it('refuses a 2^31-1 buffer count or length at once, without waiting for (or allocating) the bytes', () => {
    const head = (count: number, len?: number) => {
      const b = Buffer.alloc(len === undefined ? 8 : 12);
      b.writeInt32BE(1, 0);
      b.writeInt32BE(count, 4);
      if (len !== undefined) b.writeInt32BE(len, 8);
      return b;
    };
    assert.throws(() => new NettyFrameDecoder().push(head(2 ** 31 - 1)), NettyFrameError);
    assert.throws(() => new NettyFrameDecoder().push(head(-1)), NettyFrameError);
    assert.throws(() => new NettyFrameDecoder().push(head(1, 2 ** 31 - 1)), NettyFrameError);
    assert.throws(() => new NettyFrameDecoder().push(head(1, -5)), NettyFrameError);
    // A legal length is waited for.
    assert.deepEqual(new NettyFrameDecoder().push(head(1, 1000)), []);
    // The limit covers the whole pack, not each buffer.
    const d = new NettyFrameDecoder(100);
    assert.deepEqual(d.push(Buffer.concat([head(2, 60), Buffer.alloc(60)])), []);
    assert.throws(() => d.push(Buffer.from('0000003c', 'hex')), NettyFrameError);
  });

  it('fuzz: arbitrary bytes give packs or a NettyFrameError, and the pending bytes stay bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const d = new NettyFrameDecoder(1024);
        try {
          for (const c of chunks) {
            d.push(Buffer.from(c));
            assert.ok(d.pendingBytes <= 1024 + 12);
          }
        } catch (err) {
          assert.ok(err instanceof NettyFrameError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
