import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { crc32c, crc32cImplementation, crc32cNative, crc32cPure } from './crc32c.ts';

// Check values from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" vector.
const VECTORS: Array<[string, Buffer, number]> = [
  ['empty', Buffer.alloc(0), 0],
  ['123456789', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', Buffer.alloc(32, 0x00), 0x8a9136aa],
  ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 ascending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 descending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

const bytes = fc.uint8Array({ minLength: 0, maxLength: 300 });

describe('crc32c', () => {
  it('uses the native binding on this platform', () => {
    // The repo ships the linux-x64 binary; if this fails the fallback is silently carrying the load.
    assert.equal(crc32cImplementation, 'native');
    assert.ok(crc32cNative);
  });

  for (const [name, data, expected] of VECTORS) {
    it(`known vector: ${name}`, () => {
      assert.equal(crc32cPure(data), expected);
      assert.equal(crc32c(data), expected);
      if (crc32cNative) assert.equal(crc32cNative(data), expected);
    });
  }

  it('returns unsigned 32-bit values', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        const v = crc32cPure(data);
        return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
      }),
    );
  });

  it('pure implementation equals the native one on random data (every alignment and tail length)', () => {
    assert.ok(crc32cNative);
    const native = crc32cNative;
    fc.assert(
      fc.property(bytes, fc.nat(16), (data, skip) => {
        // Views at odd byte offsets exercise the unaligned path.
        const view = data.subarray(Math.min(skip, data.length));
        assert.equal(crc32cPure(view), native(view));
      }),
      { numRuns: 500 },
    );
  });

  it('chains: crc(a ‖ b) === crc(b, crc(a)) for pure, native and default', () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        const whole = Buffer.concat([a, b]);
        assert.equal(crc32cPure(b, crc32cPure(a)), crc32cPure(whole));
        assert.equal(crc32c(b, crc32c(a)), crc32c(whole));
        if (crc32cNative) assert.equal(crc32cPure(b, crc32cNative(a)), crc32cNative(whole));
      }),
      { numRuns: 300 },
    );
  });

  it('pure equals native on a 1 MiB buffer', () => {
    const big = Buffer.alloc(1 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    assert.ok(crc32cNative);
    assert.equal(crc32cPure(big), crc32cNative(big));
  });

  it('falls back to the pure implementation when the native module cannot load', () => {
    // A child process whose module resolver refuses @node-rs/crc32, as on a platform without a binary.
    const script = `
      import { registerHooks } from 'node:module';
      registerHooks({
        resolve(specifier, context, next) {
          if (specifier === '@node-rs/crc32') throw new Error('no binary for this platform');
          return next(specifier, context);
        },
      });
      const m = await import(${JSON.stringify(new URL('./crc32c.ts', import.meta.url).href)});
      console.log(JSON.stringify([m.crc32cImplementation, m.crc32cNative, m.crc32c(Buffer.from('123456789'))]));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), ['pure', null, 0xe3069283]);
  });

  it('detects every single-bit flip', () => {
    const data = Buffer.from('a record batch body');
    const base = crc32cPure(data);
    for (let i = 0; i < data.length * 8; i++) {
      const copy = Buffer.from(data);
      copy[i >> 3]! ^= 1 << (i & 7);
      assert.notEqual(crc32cPure(copy), base);
    }
  });
});
