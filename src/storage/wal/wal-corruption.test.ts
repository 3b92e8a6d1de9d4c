import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WalCorruptError, WalError } from './wal-errors.ts';
import { FILE_HEADER_BYTES, FRAME_HEADER_BYTES, parseWalFileName } from './wal-format.ts';
import { WriteAheadLog } from './write-ahead-log.ts';

// Damage the bytes of a closed log and check what recovery makes of it: damage in the last file
// (where a crash can tear a write) must leave exactly the records before the first damaged byte;
// damage anywhere else must be refused with a typed WalCorruptError, never replayed as data.

const options = { fsync: 'never', fileBytesMax: 700, recordBytesMax: 120 } as const;
const root = mkdtempSync(join(tmpdir(), 'sluice-wal-corrupt-'));
const base = join(root, 'base');
after(() => rmSync(root, { recursive: true, force: true }));

const payloads: Buffer[] = [];
/** Per file, in order: its name and the end offset of each of its records. */
const layout: Array<{ name: string; ends: number[] }> = [];

before(async () => {
  let x = 12345;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  const wal = await WriteAheadLog.open(base, options);
  for (let i = 0; i < 60; i++) {
    const p = Buffer.alloc(next() % 121);
    for (let j = 0; j < p.length; j++) p[j] = next() & 0xff;
    payloads.push(p);
    await wal.append(p);
  }
  await wal.close();
  const names = readdirSync(base).sort();
  for (const [i, name] of names.entries()) {
    const first = parseWalFileName(name)!;
    const end = i + 1 < names.length ? parseWalFileName(names[i + 1]!)! : payloads.length + 1;
    let offset = FILE_HEADER_BYTES;
    const ends = [];
    for (let seq = first; seq < end; seq++) {
      offset += FRAME_HEADER_BYTES + payloads[seq - 1]!.length;
      ends.push(offset);
    }
    layout.push({ name, ends });
  }
  assert.ok(layout.length >= 4, 'the base log spans several files');
});

let copies = 0;
function copyOfBase(): string {
  const dir = join(root, `c${copies++}`);
  cpSync(base, dir, { recursive: true });
  return dir;
}

async function recoverAll(dir: string): Promise<Buffer[]> {
  const wal = await WriteAheadLog.open(dir, options);
  try {
    const out = [];
    for await (const r of wal.replay()) {
      assert.equal(r.seq, out.length + 1);
      out.push(r.payload);
    }
    return out;
  } finally {
    await wal.close();
  }
}

/** Records that survive when the last file is intact only before byte `damagedAt`. */
function survivorsBefore(damagedAt: number): number {
  const earlier = layout.slice(0, -1).reduce((n, f) => n + f.ends.length, 0);
  if (damagedAt < FILE_HEADER_BYTES) return earlier;
  return earlier + layout.at(-1)!.ends.filter((end) => end <= damagedAt).length;
}

async function checkRecoversPrefix(dir: string, expected: number): Promise<void> {
  const recovered = await recoverAll(dir);
  assert.equal(recovered.length, expected);
  assert.deepEqual(recovered, payloads.slice(0, expected));
  // Recovery is idempotent and the log accepts appends right after the valid prefix.
  const wal = await WriteAheadLog.open(dir, options);
  assert.equal(wal.recovery.truncated, null);
  assert.equal(await wal.append(Buffer.from('after recovery')), expected + 1);
  await wal.close();
  const again = await recoverAll(dir);
  assert.equal(again.length, expected + 1);
  assert.equal(again.at(-1)?.toString(), 'after recovery');
}

describe('WriteAheadLog recovery from damaged bytes', () => {
  it('keeps exactly the records before the first flipped byte of the last file', async () => {
    const lastPath = () => layout.at(-1)!;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        async (flips) => {
          const dir = copyOfBase();
          const path = join(dir, lastPath().name);
          const bytes = readFileSync(path);
          let first = Number.POSITIVE_INFINITY;
          for (const { at, mask } of flips) {
            const i = at % bytes.length;
            bytes[i] = bytes[i]! ^ mask;
            first = Math.min(first, i);
          }
          writeFileSync(path, bytes);
          await checkRecoversPrefix(dir, survivorsBefore(first));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('keeps exactly the whole records of a last file cut at any length, or grown by garbage', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.uint8Array({ maxLength: 64 }), async (cut, garbage) => {
        const dir = copyOfBase();
        const path = join(dir, layout.at(-1)!.name);
        const bytes = readFileSync(path);
        const length = cut % (bytes.length + 1);
        if (garbage.length > 0 && length === bytes.length) {
          writeFileSync(path, Buffer.concat([bytes, garbage]));
        } else {
          writeFileSync(path, bytes.subarray(0, length));
        }
        await checkRecoversPrefix(dir, survivorsBefore(length));
      }),
      { numRuns: 60 },
    );
  });

  it('refuses damage in any earlier file with WalCorruptError naming it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (fileIndex, at, mask, truncate) => {
          const file = layout[fileIndex % (layout.length - 1)]!;
          const dir = copyOfBase();
          const path = join(dir, file.name);
          const bytes = readFileSync(path);
          const i = at % bytes.length;
          if (truncate) writeFileSync(path, bytes.subarray(0, i));
          else {
            bytes[i] = bytes[i]! ^ mask;
            writeFileSync(path, bytes);
          }
          await assert.rejects(WriteAheadLog.open(dir, options), (e) => {
            assert.ok(e instanceof WalCorruptError, `expected WalCorruptError, got ${e}`);
            assert.ok(e instanceof WalError);
            assert.equal(e.file, file.name);
            assert.ok(e.offset <= i, 'the error points at or before the damage');
            return true;
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('never yields garbage from a last file of random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (junk) => {
        const dir = copyOfBase();
        writeFileSync(join(dir, layout.at(-1)!.name), junk);
        await checkRecoversPrefix(dir, survivorsBefore(0));
      }),
      { numRuns: 30 },
    );
  });
});
