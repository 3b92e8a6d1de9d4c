import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import fc from 'fast-check';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync } from 'snappy';
import {
  COMPRESSION_CODEC_NAMES,
  CompressionCodec,
  compress,
  decompress,
  isCompressionCodec,
  xxh32,
} from './compression.ts';
import { DecodeError, EncodeError } from './errors.ts';

const CODECS = [0, 1, 2, 3, 4] as const;

function jsonRecords(count: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push(
      JSON.stringify({
        id: i,
        user: `user-${i % 97}`,
        event: i % 3 ? 'click' : 'view',
        ts: 1700000000000 + i,
      }),
    );
  }
  return Buffer.from(lines.join('\n'));
}

function assertDecodeError(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DecodeError, `expected DecodeError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** xerial framing written by hand: magic, version 1, min-compatible 1, then length-prefixed raw blocks. */
function xerialByHand(blocks: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from('82534e415050590000000001' + '00000001', 'hex')];
  for (const b of blocks) {
    const raw = snappyCompressSync(b);
    const len = Buffer.alloc(4);
    len.writeInt32BE(raw.length);
    parts.push(len, raw);
  }
  return Buffer.concat(parts);
}

function lz4HeaderChecksum(descriptor: Buffer): number {
  return (xxh32(descriptor) >>> 8) & 0xff;
}

/** An LZ4 frame with 64 KiB blocks written by hand, each block stored uncompressed (size bit 31 set). */
function lz4StoredFrame(chunks: Buffer[], contentSize?: bigint): Buffer {
  const flg = contentSize === undefined ? 0x60 : 0x68;
  const descriptor = Buffer.from([flg, 0x40]);
  const size = Buffer.alloc(contentSize === undefined ? 0 : 8);
  if (contentSize !== undefined) size.writeBigUInt64LE(contentSize);
  const desc = Buffer.concat([descriptor, size]);
  const parts: Buffer[] = [
    Buffer.from([0x04, 0x22, 0x4d, 0x18]),
    desc,
    Buffer.from([lz4HeaderChecksum(desc)]),
  ];
  for (const c of chunks) {
    const word = Buffer.alloc(4);
    word.writeUInt32LE((0x80000000 | c.length) >>> 0);
    parts.push(word, c);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

describe('compression codecs', () => {
  it('names and ids follow Kafka', () => {
    assert.deepEqual(COMPRESSION_CODEC_NAMES, ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    assert.equal(CompressionCodec.lz4, 3);
    assert.ok(isCompressionCodec(4));
    assert.ok(!isCompressionCodec(5));
    assert.ok(!isCompressionCodec(-1));
  });

  for (const codec of CODECS) {
    const name = COMPRESSION_CODEC_NAMES[codec];
    it(`${name}: round-trips random data`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
          const packed = compress(codec, data);
          assert.deepEqual(new Uint8Array(decompress(codec, packed)), data);
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: round-trips 1 MiB of JSON-ish records and shrinks them`, () => {
      const data = jsonRecords(12000);
      const packed = compress(codec, data);
      if (codec !== 0) assert.ok(packed.length < data.length / 2, `${name} ratio too poor: ${packed.length}`);
      assert.ok(decompress(codec, packed).equals(data));
    });

    it(`${name}: output of exactly maxBytes passes, one byte less fails`, () => {
      const data = jsonRecords(200);
      const packed = compress(codec, data);
      assert.ok(decompress(codec, packed, { maxBytes: data.length }).equals(data));
      assertDecodeError(() => decompress(codec, packed, { maxBytes: data.length - 1 }), /limit/);
    });

    if (codec !== 0) {
      it(`${name}: garbage raises DecodeError only`, () => {
        assertDecodeError(() => decompress(codec, Buffer.alloc(0)));
        assertDecodeError(() => decompress(codec, Buffer.from('definitely not compressed data')));
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 200 }), (data) => {
            try {
              decompress(codec, data, { maxBytes: 1 << 20 });
            } catch (err) {
              assert.ok(err instanceof DecodeError, `non-DecodeError: ${String(err)}`);
            }
          }),
          { numRuns: 300 },
        );
      });

      it(`${name}: mutated valid input raises DecodeError or decodes`, () => {
        const packed = compress(codec, jsonRecords(50));
        fc.assert(
          fc.property(
            fc.nat(packed.length - 1),
            fc.integer({ min: 1, max: 255 }),
            fc.nat(packed.length),
            (at, x, cut) => {
              const bad = Buffer.from(packed);
              bad[at]! ^= x;
              for (const input of [bad, packed.subarray(0, cut)]) {
                try {
                  decompress(codec, input, { maxBytes: 1 << 20 });
                } catch (err) {
                  assert.ok(err instanceof DecodeError, `non-DecodeError: ${String(err)}`);
                }
              }
            },
          ),
          { numRuns: 300 },
        );
      });
    }
  }

  it('keeps library errors as the cause', () => {
    try {
      decompress(CompressionCodec.gzip, Buffer.from('nope'));
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof DecodeError);
      assert.ok(err.cause instanceof Error);
    }
  });

  it('unknown codec ids: DecodeError on decompress, EncodeError on compress', () => {
    assertDecodeError(() => decompress(5, Buffer.from('x')), /unknown compression codec 5/);
    assert.throws(() => compress(7, Buffer.from('x')), EncodeError);
  });

  it('none returns the input without copying', () => {
    const data = Buffer.from('abc');
    assert.equal(compress(0, data), data);
    assert.equal(decompress(0, data), data);
  });

  it('gzip and zstd honour a compression level', () => {
    const data = jsonRecords(2000);
    assert.ok(decompress(1, compress(1, data, { level: 1 })).equals(data));
    assert.ok(decompress(4, compress(4, data, { level: 19 })).equals(data));
    assert.throws(() => compress(1, data, { level: 42 }), EncodeError);
  });

  it('gzip: accepts several concatenated members', () => {
    const joined = Buffer.concat([gzipSync('first,'), gzipSync('second')]);
    assert.equal(decompress(1, joined).toString(), 'first,second');
  });

  it('gzip and zstd bombs stop at maxBytes', () => {
    const zeros = Buffer.alloc(8 << 20);
    assertDecodeError(() => decompress(1, gzipSync(zeros), { maxBytes: 1 << 20 }), /limit/);
    assertDecodeError(() => decompress(4, zstdCompressSync(zeros), { maxBytes: 1 << 20 }), /limit/);
  });

  describe('snappy', () => {
    it('decodes hand-built xerial framing with several blocks', () => {
      const a = jsonRecords(300);
      const b = Buffer.from('tail block');
      const framed = xerialByHand([a, b]);
      assert.ok(decompress(2, framed).equals(Buffer.concat([a, b])));
    });

    it('decodes xerial framing with only the header (empty payload)', () => {
      assert.equal(decompress(2, xerialByHand([])).length, 0);
    });

    it('writes xerial framing in 32 KiB blocks when asked, readable as such', () => {
      const data = jsonRecords(3000);
      const framed = compress(2, data, { snappyFraming: 'xerial' });
      assert.ok(framed.subarray(0, 8).equals(Buffer.from('82534e4150505900', 'hex')));
      assert.equal(framed.readInt32BE(8), 1);
      assert.equal(framed.readInt32BE(12), 1);
      // First block holds exactly 32 KiB of input.
      const firstLen = framed.readInt32BE(16);
      assert.equal(decompress(2, framed.subarray(20, 20 + firstLen)).length, 32 * 1024);
      assert.ok(decompress(2, framed).equals(data));
    });

    it('rejects a xerial block length past the end or negative', () => {
      const framed = xerialByHand([Buffer.from('hello hello hello')]);
      const longer = Buffer.from(framed);
      longer.writeInt32BE(framed.length, 16);
      assertDecodeError(() => decompress(2, longer), /xerial block length/);
      const negative = Buffer.from(framed);
      negative.writeInt32BE(-5, 16);
      assertDecodeError(() => decompress(2, negative), /xerial block length/);
      assertDecodeError(() => decompress(2, framed.subarray(0, 12)), /xerial header/);
    });

    it('rejects a declared length beyond maxBytes or beyond what the input can expand to', () => {
      // Preamble declares 2^32-1 bytes; the library is never asked to allocate that.
      assertDecodeError(() => decompress(2, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])), /limit/);
      assertDecodeError(
        () => decompress(2, Buffer.from([0x80, 0x80, 0x40, 0x00]), { maxBytes: 2 << 20 }),
        /cannot expand/,
      );
      const framed = xerialByHand([jsonRecords(100), jsonRecords(100)]);
      assertDecodeError(() => decompress(2, framed, { maxBytes: jsonRecords(100).length + 10 }), /limit/);
    });
  });

  describe('lz4', () => {
    it('decodes frames made by lz4-napi, with and without checksums', () => {
      const data = jsonRecords(5000);
      for (const options of [{}, { contentChecksum: true }, { blockChecksums: true }]) {
        assert.ok(decompress(3, compressFrameSync(data, options)).equals(data));
      }
    });

    it('our xxh32 matches the checksums lz4-napi writes (header and content)', () => {
      const data = jsonRecords(20);
      const frame = compressFrameSync(data, { contentChecksum: true });
      assert.equal(frame[6], lz4HeaderChecksum(frame.subarray(4, 6)));
      assert.equal(frame.readUInt32LE(frame.length - 4), xxh32(data));
      assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05);
    });

    it('decodes a hand-built frame of stored blocks and concatenated frames', () => {
      const a = Buffer.from('stored block one;');
      const b = Buffer.from('stored block two');
      assert.ok(decompress(3, lz4StoredFrame([a, b])).equals(Buffer.concat([a, b])));
      const two = Buffer.concat([lz4StoredFrame([a]), compressFrameSync(b)]);
      assert.ok(decompress(3, two).equals(Buffer.concat([a, b])));
    });

    it('skips skippable frames', () => {
      const skippable = Buffer.from('502a4d1803000000abcdef', 'hex');
      const data = Buffer.from('payload');
      assert.ok(decompress(3, Buffer.concat([skippable, compressFrameSync(data)])).equals(data));
    });

    it('rejects a frame without its end mark, trailing garbage and bad descriptors', () => {
      const frame = compressFrameSync(jsonRecords(30));
      assertDecodeError(() => decompress(3, frame.subarray(0, frame.length - 4)), /truncated/);
      assertDecodeError(() => decompress(3, Buffer.concat([frame, Buffer.from('junk')])), /magic/);
      const badVersion = Buffer.from(frame);
      badVersion[4] = 0x20;
      assertDecodeError(() => decompress(3, badVersion), /version/);
      const badHc = Buffer.from(frame);
      badHc[6]! ^= 0xff;
      assertDecodeError(() => decompress(3, badHc), /corrupt frame/);
    });

    it('refuses frames whose declared content size or block bound exceeds maxBytes', () => {
      const chunk = Buffer.alloc(1000, 7);
      assertDecodeError(() => decompress(3, lz4StoredFrame([chunk], 1n << 40n)), /declared content size/);
      assertDecodeError(() => decompress(3, lz4StoredFrame([chunk, chunk]), { maxBytes: 1500 }), /limit/);
      assert.equal(decompress(3, lz4StoredFrame([chunk, chunk]), { maxBytes: 2000 }).length, 2000);
      assertDecodeError(
        () => decompress(3, compressFrameSync(Buffer.alloc(4 << 20)), { maxBytes: 1 << 20 }),
        /limit/,
      );
    });

    it('refuses a many-block bomb from the block sizes alone, before inflating', () => {
      // One 64 KiB block of zeros compresses to a few hundred bytes; repeat it in a hand-built frame.
      const one = compressFrameSync(Buffer.alloc(65536));
      assert.equal(one[5], 0x40, 'expected 64 KiB blocks');
      const blockLen = one.readUInt32LE(7);
      assert.ok(blockLen < 1000 && blockLen >>> 31 === 0);
      const block = one.subarray(7, 11 + blockLen);
      const bomb = (n: number) =>
        Buffer.concat([one.subarray(0, 7), ...Array(n).fill(block), Buffer.alloc(4)]);
      assert.equal(decompress(3, bomb(20)).length, 20 * 65536);
      // 2000 blocks would inflate to 125 MiB; the scan stops at the block that crosses the limit.
      assertDecodeError(
        () => decompress(3, bomb(2000), { maxBytes: 1 << 20 }),
        /limit of 1048576 bytes \(at byte [1-9]/,
      );
    });

    it('KAFKA-3160: magic v0 header checksum is refused unless ignored', () => {
      const data = jsonRecords(40);
      const legacy = compress(3, data, { lz4LegacyHeaderChecksum: true });
      // The legacy checksum hashes the frame magic too.
      assert.equal(legacy[6], lz4HeaderChecksum(legacy.subarray(0, 6)));
      assertDecodeError(() => decompress(3, legacy), /corrupt frame/);
      assert.ok(decompress(3, legacy, { lz4IgnoreHeaderChecksum: true }).equals(data));
      // A correct checksum is still fine in ignore mode, and the input is left untouched.
      const normal = compress(3, data);
      assert.ok(decompress(3, normal, { lz4IgnoreHeaderChecksum: true }).equals(data));
      assert.equal(legacy[6], lz4HeaderChecksum(legacy.subarray(0, 6)));
    });
  });
});
