import assert from 'node:assert/strict';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { WalCorruptError, WalError } from './wal-errors.ts';
import { FILE_HEADER_BYTES, FRAME_HEADER_BYTES, walFileName } from './wal-format.ts';
import { nodeWalFs, type WalFs } from './wal-fs.ts';
import { type WalOptions, WriteAheadLog } from './write-ahead-log.ts';

const root = mkdtempSync(join(tmpdir(), 'sluice-wal-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `d${dirs++}`);

async function replayAll(
  wal: WriteAheadLog,
  fromSeq?: number,
): Promise<Array<{ seq: number; payload: Buffer }>> {
  const out = [];
  for await (const r of wal.replay(fromSeq)) out.push(r);
  return out;
}

async function reopenAndReplay(dir: string, options: WalOptions = {}) {
  const wal = await WriteAheadLog.open(dir, { fsync: 'never', ...options });
  try {
    return { records: await replayAll(wal), recovery: wal.recovery, nextSeq: wal.nextSeq };
  } finally {
    await wal.close();
  }
}

/**
 * A file-system port that counts calls and lets a test hold the sync point open or make it fail.
 * The sync point is the fdatasync call, or with syncMethod 'dsync' the write to an O_DSYNC file.
 */
class ControlledFs implements WalFs {
  readonly inner = nodeWalFs;
  readonly dsyncSupported = nodeWalFs.dsyncSupported;
  writevs = 0;
  /** Sync points reached: fdatasync calls plus writes to files opened O_DSYNC. */
  syncs = 0;
  hold = false;
  failNextSync = false;
  failNextWrite = false;
  #dsyncFds = new Set<number>();
  #held: Array<() => void> = [];
  mkdir = (d: string) => this.inner.mkdir(d);
  readdir = (d: string) => this.inner.readdir(d);
  open = async (p: string, f: 'r' | 'r+' | 'wx+', dsync?: boolean) => {
    const fd = await this.inner.open(p, f, dsync);
    if (dsync) this.#dsyncFds.add(fd);
    else this.#dsyncFds.delete(fd);
    return fd;
  };
  close = (fd: number) => this.inner.close(fd);
  size = (fd: number) => this.inner.size(fd);
  read = (fd: number, b: Buffer, o: number, l: number, p: number) => this.inner.read(fd, b, o, l, p);
  ftruncate = (fd: number, l: number) => this.inner.ftruncate(fd, l);
  rename = (a: string, b: string) => this.inner.rename(a, b);
  unlink = (p: string) => this.inner.unlink(p);
  syncDir = (d: string) => this.inner.syncDir(d);
  writev = async (fd: number, bufs: Uint8Array[], position: number) => {
    this.writevs++;
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
    }
    if (this.#dsyncFds.has(fd)) await this.#syncPoint();
    return this.inner.writev(fd, bufs, position);
  };
  fdatasync = async (fd: number) => {
    await this.#syncPoint();
    return this.inner.fdatasync(fd);
  };
  async #syncPoint(): Promise<void> {
    this.syncs++;
    if (this.hold) await new Promise<void>((resolve) => this.#held.push(resolve));
    if (this.failNextSync) {
      this.failNextSync = false;
      throw Object.assign(new Error('injected EIO'), { code: 'EIO' });
    }
  }
  get heldCount(): number {
    return this.#held.length;
  }
  release(): void {
    this.hold = false;
    for (const r of this.#held.splice(0)) r();
  }
}

/** Resolves once `predicate` holds, polling on the event loop's check phase (no clock involved). */
async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(predicate(), 'condition never became true');
}

function flip(bytes: Buffer, at: number, mask: number): void {
  bytes[at] = bytes[at]! ^ mask;
}

const payloadOf = (seq: number, length: number) => {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = (seq * 31 + i * 7) & 0xff;
  return b;
};

describe('WriteAheadLog', () => {
  it('round-trips random records across reopen, rolls, replay(fromSeq) and truncateBefore', async () => {
    const record = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => ({ pieces: [Buffer.from(b)] })),
      fc
        .array(fc.uint8Array({ maxLength: 100 }), { maxLength: 4 })
        .map((a) => ({ pieces: a.map((b) => Buffer.from(b)) })),
    );
    const op = fc.record({ record, mode: fc.constantFrom('append', 'noSync', 'noSyncThenSync') });
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 60 }),
        fc.integer({ min: FILE_HEADER_BYTES + FRAME_HEADER_BYTES + 300, max: 3000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.nat(),
        fc.constantFrom(0, 0, 64, 700),
        async (ops, fileBytesMax, firstSeq, cut, preallocateBytes) => {
          const dir = freshDir();
          const options: WalOptions = {
            fsync: 'never',
            fileBytesMax,
            recordBytesMax: 300,
            firstSeq,
            preallocateBytes,
          };
          const wal = await WriteAheadLog.open(dir, options);
          const acks: Array<Promise<number>> = [];
          const expected: Buffer[] = [];
          for (const { record, mode } of ops) {
            expected.push(Buffer.concat(record.pieces));
            if (mode === 'append') acks.push(wal.append(record.pieces));
            else {
              wal.appendNoSync(record.pieces);
              if (mode === 'noSyncThenSync') acks.push(wal.sync());
            }
          }
          await Promise.all(acks);
          await wal.close();

          const { records, nextSeq } = await reopenAndReplay(dir, options);
          assert.deepEqual(
            records.map((r) => r.seq),
            expected.map((_, i) => firstSeq + i),
          );
          assert.deepEqual(
            records.map((r) => r.payload),
            expected,
          );
          assert.equal(nextSeq, firstSeq + expected.length);

          const again = await WriteAheadLog.open(dir, options);
          const from = firstSeq + (expected.length === 0 ? 0 : cut % expected.length);
          assert.deepEqual(
            (await replayAll(again, from)).map((r) => r.payload),
            expected.slice(from - firstSeq),
          );
          await again.truncateBefore(from);
          assert.ok(again.firstSeq <= from, 'truncateBefore never drops a record at or after its argument');
          const kept = await replayAll(again);
          assert.equal(kept[0]?.seq ?? again.firstSeq, again.firstSeq);
          assert.deepEqual(
            kept.map((r) => r.payload),
            expected.slice(again.firstSeq - firstSeq),
          );
          await again.close();
        },
      ),
      { numRuns: 60 },
    );
  });

  for (const syncMethod of ['dsync', 'fdatasync'] as const) {
    it(`commits concurrent appends in groups: far fewer syncs than appends (${syncMethod})`, async () => {
      const fs = new ControlledFs();
      const wal = await WriteAheadLog.open(freshDir(), { fs, syncMethod });
      const before = fs.syncs;
      const n = 500;
      const seqs = await Promise.all(Array.from({ length: n }, (_, i) => wal.append(payloadOf(i, 200))));
      assert.deepEqual(
        seqs,
        Array.from({ length: n }, (_, i) => i + 1),
      );
      const syncs = fs.syncs - before;
      assert.ok(syncs >= 1 && syncs <= n / 50, `${n} appends took ${syncs} syncs`);
      assert.equal(wal.stats.appends, n);
      assert.ok(wal.stats.groups <= n / 50);
      assert.equal(wal.durableSeq, n);
      await wal.close();
    });

    it(`gathers the appends that arrive while a sync is in flight into one writev and one sync (${syncMethod})`, async () => {
      const fs = new ControlledFs();
      const wal = await WriteAheadLog.open(freshDir(), { fs, syncMethod });
      fs.hold = true;
      const baseSyncs = fs.syncs;
      const baseWrites = fs.writevs;
      const baseStats = wal.stats.syncs;
      let firstDone = false;
      const first = wal.append(Buffer.from('first')).then((s) => {
        firstDone = true;
        return s;
      });
      await until(() => fs.heldCount === 1);
      // While the first group's sync is held, 64 more appends arrive and must all wait.
      const rest = Array.from({ length: 64 }, (_, i) => wal.append(payloadOf(i, 50)));
      let restDone = 0;
      for (const p of rest) void p.then(() => restDone++);
      await new Promise((r) => setImmediate(r));
      assert.equal(firstDone, false);
      assert.equal(restDone, 0);
      assert.equal(wal.durableSeq, 0);
      fs.release();
      assert.equal(await first, 1);
      assert.deepEqual(
        await Promise.all(rest),
        Array.from({ length: 64 }, (_, i) => i + 2),
      );
      assert.equal(fs.syncs - baseSyncs, 2, 'one sync for the first append, one for the 64 others');
      assert.equal(fs.writevs - baseWrites, 2);
      assert.equal(wal.stats.syncs - baseStats, 2);
      await wal.close();
    });

    it(`appendNoSync records become durable on sync(), with a later append, or on close (${syncMethod})`, async () => {
      const dir = freshDir();
      const fs = new ControlledFs();
      const wal = await WriteAheadLog.open(dir, { fs, syncMethod });
      const base = fs.syncs;
      const baseWrites = fs.writevs;
      assert.equal(wal.appendNoSync(Buffer.from('a')), 1);
      assert.equal(wal.appendNoSync(Buffer.from('b')), 2);
      await new Promise((r) => setImmediate(r));
      assert.equal(fs.writevs, baseWrites, 'small unsynced appends stay buffered');
      assert.equal(wal.durableSeq, 0);
      assert.equal(await wal.sync(), 2);
      assert.equal(wal.durableSeq, 2);
      assert.equal(fs.syncs - base, 1);
      assert.equal(await wal.sync(), 2, 'nothing new: resolves without another sync');
      assert.equal(fs.syncs - base, 1);
      wal.appendNoSync(Buffer.from('c'));
      assert.equal(await wal.append(Buffer.from('d')), 4);
      assert.equal(wal.durableSeq, 4);
      wal.appendNoSync(Buffer.from('e'));
      await wal.close();
      const { records } = await reopenAndReplay(dir);
      assert.deepEqual(
        records.map((r) => r.payload.toString()),
        ['a', 'b', 'c', 'd', 'e'],
      );
    });

    it(`fails every waiting and later append after a sync error, and recovers on reopen (${syncMethod})`, async () => {
      const dir = freshDir();
      const fs = new ControlledFs();
      const wal = await WriteAheadLog.open(dir, { fs, syncMethod });
      assert.equal(await wal.append(Buffer.from('kept')), 1);
      fs.failNextSync = true;
      const failing = [wal.append(Buffer.from('x')), wal.append(Buffer.from('y'))];
      for (const p of failing) await assert.rejects(p, (e) => e instanceof WalError && e.code === 'WAL_IO');
      await assert.rejects(wal.append(Buffer.from('z')), (e) => e instanceof WalError && e.code === 'WAL_IO');
      assert.throws(() => wal.appendNoSync(Buffer.from('z')), WalError);
      await wal.close();
      const { records } = await reopenAndReplay(dir);
      // The outcome of a failed group is unknown to its appenders; the acknowledged record survives.
      assert.equal(records[0]?.payload.toString(), 'kept');
      assert.ok(records.length === 1 || records.length === 3);
    });
  }

  it('writes buffered appendNoSync records on its own once they reach groupBytesMax', async () => {
    const fs = new ControlledFs();
    const wal = await WriteAheadLog.open(freshDir(), { fs, groupBytesMax: 1000 });
    for (let i = 0; i < 20; i++) wal.appendNoSync(payloadOf(i, 100));
    await until(() => wal.durableSeq === 20);
    assert.ok(wal.stats.groups >= 2, 'groups are capped at groupBytesMax');
    await wal.close();
  });

  it('rejects a record above recordBytesMax with a typed error and writes nothing', async () => {
    const wal = await WriteAheadLog.open(freshDir(), { fsync: 'never', recordBytesMax: 100 });
    await assert.rejects(
      wal.append(Buffer.alloc(101)),
      (e) => e instanceof WalError && e.code === 'WAL_RECORD_TOO_LARGE',
    );
    assert.throws(
      () => wal.appendNoSync([Buffer.alloc(60), Buffer.alloc(41)]),
      (e) => e instanceof WalError && e.code === 'WAL_RECORD_TOO_LARGE',
    );
    assert.equal(await wal.append(Buffer.alloc(100)), 1);
    assert.equal(wal.stats.appends, 1);
    await wal.close();
  });

  it('refuses appends after close with WAL_CLOSED', async () => {
    const wal = await WriteAheadLog.open(freshDir(), { fsync: 'never' });
    const pending = wal.append(Buffer.from('x'));
    const closing = wal.close();
    await assert.rejects(
      wal.append(Buffer.from('y')),
      (e) => e instanceof WalError && e.code === 'WAL_CLOSED',
    );
    assert.equal(await pending, 1);
    await closing;
    await wal.close();
    await assert.rejects(wal.sync(), (e) => e instanceof WalError && e.code === 'WAL_CLOSED');
  });

  it('fails the group on a write error', async () => {
    const fs = new ControlledFs();
    const wal = await WriteAheadLog.open(freshDir(), { fs });
    fs.failNextWrite = true;
    await assert.rejects(wal.append(Buffer.from('x')), (e) => {
      assert.ok(e instanceof WalError);
      assert.equal(e.code, 'WAL_IO');
      assert.match(e.message, /write failed \(EIO\)/);
      return true;
    });
    await wal.close();
  });

  it('rolls files at fileBytesMax and truncateBefore deletes only whole files below the seq', async () => {
    const dir = freshDir();
    const recordBytes = FRAME_HEADER_BYTES + 100;
    const fileBytesMax = FILE_HEADER_BYTES + 5 * recordBytes; // exactly five records per file
    const wal = await WriteAheadLog.open(dir, { fileBytesMax, recordBytesMax: 100 });
    for (let i = 0; i < 23; i++) await wal.append(payloadOf(i, 100));
    assert.equal(wal.fileCount, 5);
    assert.equal(wal.stats.rolls, 4);
    for (const name of readdirSync(dir)) assert.ok(statSync(join(dir, name)).size <= fileBytesMax);
    assert.equal(await wal.truncateBefore(11), 2, 'files [1,6) and [6,11) hold only seqs below 11');
    assert.equal(wal.firstSeq, 11);
    assert.equal(await wal.truncateBefore(12), 0, 'file [11,16) still holds 11');
    assert.equal(await wal.truncateBefore(1_000), 2, 'the active file is never deleted');
    assert.equal(wal.firstSeq, 21);
    assert.deepEqual(readdirSync(dir), [walFileName(21)]);
    assert.deepEqual(
      (await replayAll(wal)).map((r) => r.seq),
      [21, 22, 23],
    );
    assert.equal(await wal.append(Buffer.from('next')), 24);
    await wal.close();
    const { records } = await reopenAndReplay(dir, { fileBytesMax, recordBytesMax: 100 });
    assert.deepEqual(
      records.map((r) => r.seq),
      [21, 22, 23, 24],
    );
  });

  it('replays only what was durable when replay began', async () => {
    const wal = await WriteAheadLog.open(freshDir(), { fsync: 'never' });
    await wal.append(Buffer.from('one'));
    const it = wal.replay();
    await wal.append(Buffer.from('two'));
    const seen = [];
    for await (const r of it) seen.push(r.seq);
    assert.deepEqual(seen, [1]);
    await wal.close();
  });

  it('round-trips records larger than the scan buffer and keeps them readable after recordBytesMax drops', async () => {
    const dir = freshDir();
    const big = payloadOf(7, 2.5 * 1024 * 1024);
    const options = {
      fsync: 'never',
      recordBytesMax: 3 * 1024 * 1024,
      fileBytesMax: 8 * 1024 * 1024,
    } as const;
    const wal = await WriteAheadLog.open(dir, options);
    await wal.append(big);
    await wal.append([Buffer.from('small')]);
    await wal.close();
    const { records, recovery } = await reopenAndReplay(dir, {
      recordBytesMax: 1024,
      fileBytesMax: 8 * 1024 * 1024,
    });
    assert.equal(recovery.truncated, null);
    assert.equal(records.length, 2);
    assert.ok(records[0]?.payload.equals(big));
  });

  it('removes leftover temporaries of an interrupted roll', async () => {
    const dir = freshDir();
    const wal = await WriteAheadLog.open(dir, { fsync: 'never' });
    await wal.append(Buffer.from('a'));
    await wal.close();
    writeFileSync(join(dir, `${walFileName(2)}.tmp`), Buffer.alloc(7));
    writeFileSync(join(dir, 'unrelated.txt'), 'left alone');
    const { records, recovery } = await reopenAndReplay(dir);
    assert.equal(records.length, 1);
    assert.deepEqual(recovery.removedFiles, [`${walFileName(2)}.tmp`]);
    assert.deepEqual(readdirSync(dir).sort(), ['unrelated.txt', walFileName(1)]);
  });

  it('cuts a torn tail of the last file and appends after it', async () => {
    const dir = freshDir();
    const wal = await WriteAheadLog.open(dir, { fsync: 'never' });
    for (let i = 0; i < 3; i++) await wal.append(payloadOf(i, 40));
    await wal.close();
    const path = join(dir, walFileName(1));
    const full = statSync(path).size;
    truncateSync(path, full - 10); // third frame torn
    const reopened = await WriteAheadLog.open(dir, { fsync: 'never' });
    assert.deepEqual(reopened.recovery.truncated, {
      file: walFileName(1),
      offset: FILE_HEADER_BYTES + 2 * (FRAME_HEADER_BYTES + 40),
      reason: 'frame of 40 payload bytes runs past the end (46 bytes left)',
      bytesDiscarded: FRAME_HEADER_BYTES + 30,
    });
    assert.equal(await reopened.append(Buffer.from('after')), 3);
    await reopened.close();
    const { records } = await reopenAndReplay(dir);
    assert.deepEqual(
      records.map((r) => r.seq),
      [1, 2, 3],
    );
    assert.equal(records[2]?.payload.toString(), 'after');
  });

  it('never resurrects stale frames that follow a cut tail', async () => {
    const dir = freshDir();
    const wal = await WriteAheadLog.open(dir, { fsync: 'never' });
    for (let i = 0; i < 4; i++) await wal.append(payloadOf(i, 40));
    await wal.close();
    const path = join(dir, walFileName(1));
    const bytes = readFileSync(path);
    flip(bytes, FILE_HEADER_BYTES + FRAME_HEADER_BYTES + 40 + 20, 0xff); // damage record 2 only
    writeFileSync(path, bytes);
    const reopened = await WriteAheadLog.open(dir, { fsync: 'never' });
    assert.equal(reopened.recovery.truncated?.reason, 'frame CRC mismatch');
    // A shorter record 2 written now leaves no room for the old records 3 and 4 to come back.
    assert.equal(await reopened.append(Buffer.from('new 2')), 2);
    await reopened.close();
    const { records } = await reopenAndReplay(dir);
    assert.deepEqual(
      records.map((r) => r.payload.toString()),
      [payloadOf(0, 40).toString(), 'new 2'],
    );
  });

  it('preallocates the active file in zero-filled steps and reopens a zero tail as a clean end', async () => {
    const dir = freshDir();
    const fileBytesMax = 4096;
    const options = {
      fileBytesMax,
      recordBytesMax: 100,
      preallocateBytes: 1000,
      syncMethod: 'fdatasync',
    } as const;
    const wal = await WriteAheadLog.open(dir, options);
    const frame = FRAME_HEADER_BYTES + 100;
    for (let i = 0; i < 5; i++) await wal.append(payloadOf(i, 100));
    assert.ok(wal.stats.preallocations >= 1);
    const first = join(dir, walFileName(1));
    const size = statSync(first).size;
    assert.ok(size > FILE_HEADER_BYTES + 5 * frame, `file grew ahead of its records (${size} bytes)`);
    assert.ok(
      readFileSync(first)
        .subarray(FILE_HEADER_BYTES + 5 * frame)
        .every((b) => b === 0),
    );
    // Enough records to roll: the finished file loses its zeros, only the active one keeps a tail.
    const perFile = Math.floor((fileBytesMax - FILE_HEADER_BYTES) / frame);
    for (let i = 5; i < perFile + 3; i++) await wal.append(payloadOf(i, 100));
    await wal.close();
    assert.equal(statSync(first).size, FILE_HEADER_BYTES + perFile * frame);
    const active = join(dir, walFileName(perFile + 1));
    assert.ok(statSync(active).size > FILE_HEADER_BYTES + 2 * frame);

    const reopened = await WriteAheadLog.open(dir, options);
    assert.equal(reopened.recovery.truncated, null, 'a zero tail is not damage');
    assert.equal(await reopened.append(payloadOf(99, 100)), perFile + 4);
    await reopened.close();
    const { records, recovery } = await reopenAndReplay(dir);
    assert.equal(recovery.truncated, null);
    assert.deepEqual(
      records.map((r) => r.seq),
      Array.from({ length: perFile + 4 }, (_, i) => i + 1),
    );
    assert.deepEqual(records.at(-1)?.payload, payloadOf(99, 100));
  });

  it('in a preallocated file, ends the log at a record lost to zeros and cuts a torn one', async () => {
    const dir = freshDir();
    const options = { fsync: 'never', preallocateBytes: 4096 } as const;
    const wal = await WriteAheadLog.open(dir, options);
    for (let i = 0; i < 4; i++) await wal.append(payloadOf(i, 40));
    await wal.close();
    const path = join(dir, walFileName(1));
    const frame = FRAME_HEADER_BYTES + 40;
    const bytes = readFileSync(path);
    // The last write never reached the disk: its frame reads as zeros, like the space after it.
    bytes.fill(0, FILE_HEADER_BYTES + 3 * frame, FILE_HEADER_BYTES + 4 * frame);
    writeFileSync(path, bytes);
    let reopened = await WriteAheadLog.open(dir, options);
    assert.equal(reopened.recovery.truncated, null);
    assert.equal(reopened.nextSeq, 4);
    await reopened.close();
    // Torn: half of record 3 is zeros (its CRC fails) while record 4 is still there behind it.
    bytes.fill(0, FILE_HEADER_BYTES + 2 * frame + FRAME_HEADER_BYTES + 20, FILE_HEADER_BYTES + 3 * frame);
    bytes.set(payloadOf(7, 40), FILE_HEADER_BYTES + 3 * frame);
    writeFileSync(path, bytes);
    reopened = await WriteAheadLog.open(dir, options);
    assert.equal(reopened.recovery.truncated?.reason, 'frame CRC mismatch');
    assert.equal(reopened.recovery.truncated?.offset, FILE_HEADER_BYTES + 2 * frame);
    assert.equal(await reopened.append(Buffer.from('new 3')), 3);
    await reopened.close();
    const { records } = await reopenAndReplay(dir);
    assert.deepEqual(
      records.map((r) => r.payload.toString()),
      [payloadOf(0, 40).toString(), payloadOf(1, 40).toString(), 'new 3'],
    );
  });

  it('replaces a last file whose header is damaged, keeping its seq range start', async () => {
    const dir = freshDir();
    const wal = await WriteAheadLog.open(dir, { fsync: 'never', firstSeq: 50 });
    await wal.append(Buffer.from('lost'));
    await wal.close();
    const path = join(dir, walFileName(50));
    const bytes = readFileSync(path);
    flip(bytes, 3, 1);
    writeFileSync(path, bytes);
    const reopened = await WriteAheadLog.open(dir, { fsync: 'never' });
    assert.equal(reopened.recovery.truncated?.reason, 'bad magic');
    assert.deepEqual(await replayAll(reopened), []);
    assert.equal(await reopened.append(Buffer.from('x')), 50);
    await reopened.close();
  });

  it('raises WalCorruptError naming the file and offset for damage in a middle file', async () => {
    const dir = freshDir();
    const options = {
      fsync: 'never',
      fileBytesMax: FILE_HEADER_BYTES + 2 * (FRAME_HEADER_BYTES + 10),
      recordBytesMax: 10,
    } as const;
    const wal = await WriteAheadLog.open(dir, options);
    for (let i = 0; i < 6; i++) await wal.append(payloadOf(i, 10));
    await wal.close();
    const path = join(dir, walFileName(3));
    const bytes = readFileSync(path);
    const offset = FILE_HEADER_BYTES + FRAME_HEADER_BYTES + 10;
    flip(bytes, offset + FRAME_HEADER_BYTES + 3, 0x10);
    writeFileSync(path, bytes);
    await assert.rejects(WriteAheadLog.open(dir, options), (e) => {
      assert.ok(e instanceof WalCorruptError);
      assert.equal(e.code, 'WAL_CORRUPT');
      assert.equal(e.file, walFileName(3));
      assert.equal(e.offset, offset);
      assert.equal(
        e.message,
        `write-ahead log ${dir}: wal-00000000000000000003.log is corrupt at byte 46: frame CRC mismatch`,
      );
      return true;
    });
  });

  it('raises WalCorruptError for a missing middle file', async () => {
    const dir = freshDir();
    const options = {
      fsync: 'never',
      fileBytesMax: FILE_HEADER_BYTES + FRAME_HEADER_BYTES + 10,
      recordBytesMax: 10,
    } as const;
    const wal = await WriteAheadLog.open(dir, options);
    for (let i = 0; i < 3; i++) await wal.append(payloadOf(i, 10));
    await wal.close();
    rmSync(join(dir, walFileName(2)));
    await assert.rejects(
      WriteAheadLog.open(dir, options),
      (e) =>
        e instanceof WalCorruptError &&
        e.file === walFileName(1) &&
        e.offset === FILE_HEADER_BYTES + FRAME_HEADER_BYTES + 10 &&
        /end before seq 2 but the next file wal-0+3\.log starts at seq 3/.test(e.message),
    );
  });
});
