import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ChannelException, ChannelFullException } from '../api/channel.ts';
import { flumeEvent } from '../api/event.ts';
import { channelContract } from './channel-contract.ts';
import { FileChannel, type FileChannelOptions, fileChannelConfig } from './file-channel.ts';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function tempRoot(): Promise<string> {
  const r = await mkdtemp(join(tmpdir(), 'sluice-fc-'));
  roots.push(r);
  return r;
}

function dirsIn(root: string, dataDirs = 1): Pick<FileChannelOptions, 'checkpointDir' | 'dataDirs'> {
  return {
    checkpointDir: join(root, 'cp'),
    dataDirs: Array.from({ length: dataDirs }, (_, i) => join(root, `data${i}`)),
  };
}

async function openChannel(root: string, extra: Partial<FileChannelOptions> = {}): Promise<FileChannel> {
  const c = new FileChannel('fc', {
    ...dirsIn(root),
    keepAliveMs: 0,
    minimumRequiredSpace: 0,
    checkpointIntervalMs: 3_600_000,
    ...extra,
  });
  await c.start();
  return c;
}

async function put(c: FileChannel, ...bodies: string[]): Promise<void> {
  const tx = c.getTransaction();
  tx.begin();
  for (const b of bodies) tx.put(flumeEvent(b, { k: b }));
  await tx.commit();
  tx.close();
}

async function take(c: FileChannel, n: number, commit = true): Promise<string[]> {
  const tx = c.getTransaction();
  tx.begin();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = await tx.take();
    if (e === null) break;
    out.push(e.body.toString());
  }
  if (commit) await tx.commit();
  else tx.rollback();
  tx.close();
  return out;
}

/**
 * Stops a channel opened with checkpointOnClose false: the checkpoint and the log stay as a crash
 * would leave them (every commit is already durable). Real kills are in the integration crash test.
 */
async function crash(c: FileChannel): Promise<void> {
  await c.stop();
}

channelContract('file', {
  async make({ capacity, transactionCapacity }) {
    return openChannel(await tempRoot(), { capacity, transactionCapacity });
  },
});

describe('FileChannel', () => {
  it('config: Flume defaults, encryption keys and a missing backup dir refused naming the key', () => {
    const parse = (entries: [string, string][]) =>
      fileChannelConfig.parse([
        { source: 't', entries: entries.map(([key, value], i) => ({ key, value, line: i + 1 })) },
      ]).values as Record<string, unknown>;
    const v = parse([]);
    assert.equal(v.checkpointDir, '~/.flume/file-channel/checkpoint');
    assert.equal(v.useDualCheckpoints, false);
    assert.equal(v.capacity, 1000000);
    assert.equal(v.transactionCapacity, 10000);
    assert.equal(v.checkpointInterval, 30000);
    assert.equal(v.maxFileSize, 2146435071);
    assert.equal(v.minimumRequiredSpace, 524288000);
    assert.equal(v['keep-alive'], 3);
    assert.equal(v.checkpointOnClose, true);
    assert.deepEqual(v.dataDirs, ['~/.flume/file-channel/data']);
    assert.equal(
      parse([
        ['use-fast-replay', 'true'],
        ['fsyncPerTransaction', 'false'],
      ])['use-fast-replay'],
      true,
    );
    for (const key of ['encryption.activeKey', 'encryption.keyProvider.keys.key-0.passwordFile']) {
      assert.throws(
        () => parse([[key, 'x']]),
        (err: Error) => err.message.includes(key) && err.message.includes('not supported'),
      );
    }
    assert.throws(() => parse([['useDualCheckpoints', 'true']]), /backupCheckpointDir/);
    assert.throws(() => parse([['capacity', '0']]), /capacity/);
    assert.throws(
      () => parse([['capacity', '100']]),
      /transactionCapacity[\s\S]*at most the channel's capacity \(100\)/,
    );
    assert.equal(
      parse([
        ['capacity', '100'],
        ['transactionCapacity', '100'],
      ]).capacity,
      100,
    );
  });

  it('committed puts survive a restart in order; uncommitted and taken ones do not', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { checkpointOnClose: false });
    await put(c, 'a', 'b', 'c');
    await put(c, 'd');
    assert.deepEqual(await take(c, 1), ['a']);
    const open = c.getTransaction();
    open.begin();
    open.put(flumeEvent('never'));
    assert.deepEqual(await take(c, 1, false), ['b'], 'rolled back take stays');
    const taker = c.getTransaction();
    taker.begin();
    assert.equal((await taker.take())?.body.toString(), 'b', 'taken, not committed');
    await crash(c);
    const c2 = await openChannel(root);
    assert.deepEqual(await take(c2, 10), ['b', 'c', 'd']);
    await c2.stop();
    const c3 = await openChannel(root);
    assert.deepEqual(await take(c3, 10), [], 'committed takes never come back');
    await c3.stop();
  });

  it('replays on top of a checkpoint, keeps headers, and spreads over several data dirs', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { ...dirsIn(root, 3), checkpointOnClose: false });
    for (let i = 0; i < 6; i++) await put(c, `e${i}`);
    assert.deepEqual(await take(c, 2), ['e0', 'e1']);
    await c.checkpoint();
    await put(c, 'e6');
    assert.deepEqual(await take(c, 1), ['e2']);
    await crash(c);
    for (let d = 0; d < 3; d++)
      assert.ok((await readdir(join(root, `data${d}`))).some((f) => f.endsWith('.log')));
    const c2 = await openChannel(root, dirsIn(root, 3));
    const tx = c2.getTransaction();
    tx.begin();
    const first = await tx.take();
    assert.equal(first?.body.toString(), 'e3');
    assert.deepEqual(first?.headers, { k: 'e3' });
    tx.rollback();
    tx.close();
    assert.deepEqual(await take(c2, 10), ['e3', 'e4', 'e5', 'e6']);
    await c2.stop();
  });

  it('falls back to the backup checkpoint, then to a full replay', async () => {
    const root = await tempRoot();
    const dual = { useDualCheckpoints: true, backupCheckpointDir: join(root, 'backup') };
    const c = await openChannel(root, dual);
    await put(c, 'x', 'y');
    await c.stop();
    await writeFile(join(root, 'cp', 'checkpoint'), 'garbage');
    const logs: string[] = [];
    const logger = {
      info: () => {},
      warn: (m: string) => logs.push(m),
      error: () => {},
      debug: () => {},
    } as unknown as FileChannelOptions['logger'];
    const c2 = await openChannel(root, { ...dual, logger: logger! });
    assert.ok(logs.some((m) => m.includes('checkpoint unusable')));
    assert.deepEqual(await take(c2, 1, false), ['x']);
    await c2.stop();
    await writeFile(join(root, 'cp', 'checkpoint'), 'garbage');
    await writeFile(join(root, 'backup', 'checkpoint'), 'more garbage');
    const c3 = await openChannel(root, dual);
    assert.deepEqual(await take(c3, 5), ['x', 'y'], 'full replay');
    await c3.stop();
  });

  it('a full replay skips commits whose put records were in deleted log files', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { maxFileSize: 1 }); // 1 MiB files, 512 KiB records
    const big = 'w'.repeat(200_000); // with its header copy, ~400 KiB: one record each
    await put(c, `${big}1`, `${big}2`, `${big}3`, `${big}4`); // puts span two files, commit in the second
    await put(c, 'small');
    assert.equal((await take(c, 4)).length, 4);
    await c.checkpoint();
    const logs = (await readdir(join(root, 'data0'))).filter((f) => f.endsWith('.log'));
    assert.ok(!logs.includes('wal-00000000000000000001.log'), `first file deleted: ${logs.join(' ')}`);
    await c.stop();
    await writeFile(join(root, 'cp', 'checkpoint'), 'garbage');
    const c2 = await openChannel(root);
    assert.deepEqual(await take(c2, 5), ['small']);
    await c2.stop();
  });

  it('deletes log files no checkpointed event needs', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { maxFileSize: 1 }); // 1 MiB files
    const big = 'z'.repeat(200_000);
    for (let i = 0; i < 12; i++) await put(c, big + i);
    const logs = async () => (await readdir(join(root, 'data0'))).filter((f) => f.endsWith('.log')).length;
    assert.ok((await logs()) >= 3);
    assert.equal((await take(c, 12)).length, 12);
    await c.checkpoint();
    assert.equal(await logs(), 1);
    await c.stop();
  });

  it('cuts a torn tail cleanly and keeps every earlier commit', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { checkpointOnClose: false });
    await c.checkpoint();
    await put(c, 'a');
    await put(c, 'b');
    await crash(c);
    const file = join(root, 'data0', (await readdir(join(root, 'data0'))).find((f) => f.endsWith('.log'))!);
    const size = (await stat(file)).size;
    const fh = await open(file, 'r+');
    await fh.truncate(size - 3);
    await fh.close();
    const c2 = await openChannel(root);
    assert.deepEqual(await take(c2, 5), ['a'], 'b lost its commit record: not committed');
    await put(c2, 'c');
    await c2.stop();
    const c3 = await openChannel(root);
    assert.deepEqual(await take(c3, 5), ['c']);
    await c3.stop();
  });

  it('fails start-up on corruption in the middle of the log, naming the file and offset', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { maxFileSize: 1 });
    const big = 'q'.repeat(150_000);
    for (let i = 0; i < 8; i++) await put(c, big);
    await crash(c);
    const files = (await readdir(join(root, 'data0'))).filter((f) => f.endsWith('.log')).sort();
    assert.ok(files.length >= 2);
    const first = join(root, 'data0', files[0]!);
    const bytes = await readFile(first);
    bytes[1000] = bytes[1000]! ^ 0xff;
    await writeFile(first, bytes);
    await assert.rejects(openChannel(root), (err: Error) => {
      assert.match(err.message, new RegExp(`${files[0]!.replace('.', '\\.')} is corrupt at byte \\d+`));
      return true;
    });
  });

  it('refuses puts and commits below minimumRequiredSpace, naming the dir and the free bytes', async () => {
    const root = await tempRoot();
    let free = 100;
    const c = await openChannel(root, { minimumRequiredSpace: 1000, freeBytes: async () => free });
    const tx = c.getTransaction();
    tx.begin();
    tx.put(flumeEvent('a'));
    await assert.rejects(tx.commit(), (err: Error) => {
      assert.ok(err instanceof ChannelException);
      assert.ok(err.message.includes(join(root, 'data0')) && err.message.includes('100 bytes'), err.message);
      return true;
    });
    tx.rollback();
    tx.close();
    const t2 = c.getTransaction();
    t2.begin();
    assert.throws(() => t2.put(flumeEvent('b')), /below minimumRequiredSpace 1000/);
    t2.rollback();
    t2.close();
    free = 5000;
    await c.checkpoint(); // checkpoints (and refused puts) check the space again
    await put(c, 'ok');
    assert.deepEqual(await take(c, 1), ['ok']);
    await c.stop();
  });

  it('a full channel waits keep-alive then throws ChannelFullException; capacity counts restored events', async () => {
    const root = await tempRoot();
    const c = await openChannel(root, { capacity: 2, transactionCapacity: 2 });
    await put(c, 'a', 'b');
    await c.stop();
    const c2 = await openChannel(root, { capacity: 2, transactionCapacity: 2, keepAliveMs: 30 });
    const tx = c2.getTransaction();
    tx.begin();
    tx.put(flumeEvent('c'));
    await assert.rejects(tx.commit(), ChannelFullException);
    tx.rollback();
    tx.close();
    assert.deepEqual(await take(c2, 1), ['a']);
    await put(c2, 'c');
    assert.equal(c2.counters.snapshot().ChannelFillPercentage, '100.0');
    await c2.stop();
  });

  it('refuses a second channel on the same dirs, and reclaims the lock of a dead process', async () => {
    const root = await tempRoot();
    const c = await openChannel(root);
    await assert.rejects(openChannel(root), /in use by another channel or agent/);
    await c.stop();
    await writeFile(join(root, 'cp', 'in_use.lock'), '999999999\n');
    await assert.rejects(
      openChannel(root, { isProcessAlive: () => true }),
      /cp is in use/,
      'a live process holds it',
    );
    const c2 = await openChannel(root, { isProcessAlive: () => false });
    const m = c2.counters.snapshot();
    assert.equal(m.Open, 'true');
    assert.equal(m.Unhealthy, '0');
    assert.equal(m.CheckpointWriteErrorCount, '0');
    await c2.stop();
  });

  it('matches a model over random put/take/commit/rollback/restart sequences', async () => {
    type Op =
      | { k: 'put'; n: number; commit: boolean }
      | { k: 'take'; n: number; commit: boolean }
      | { k: 'restart'; checkpoint: boolean }
      | { k: 'checkpoint' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constant('put' as const), n: fc.integer({ min: 1, max: 4 }), commit: fc.boolean() }),
      fc.record({ k: fc.constant('take' as const), n: fc.integer({ min: 1, max: 4 }), commit: fc.boolean() }),
      fc.record({ k: fc.constant('restart' as const), checkpoint: fc.boolean() }),
      fc.record({ k: fc.constant('checkpoint' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { maxLength: 25 }),
        fc.integer({ min: 1, max: 2 }),
        async (ops, ndirs) => {
          const root = await tempRoot();
          const opts = { ...dirsIn(root, ndirs), capacity: 1000, transactionCapacity: 10 };
          let c = await openChannel(root, { ...opts, checkpointOnClose: false });
          const model: string[] = [];
          let next = 0;
          for (const o of ops) {
            if (o.k === 'put') {
              const bodies = Array.from({ length: o.n }, () => `m${next++}`);
              const tx = c.getTransaction();
              tx.begin();
              for (const b of bodies) tx.put(flumeEvent(b));
              if (o.commit) {
                await tx.commit();
                model.push(...bodies);
              } else tx.rollback();
              tx.close();
            } else if (o.k === 'take') {
              const got = await take(c, o.n, o.commit);
              assert.deepEqual(got, model.slice(0, o.n));
              if (o.commit) model.splice(0, got.length);
            } else if (o.k === 'checkpoint') {
              await c.checkpoint();
            } else {
              if (o.checkpoint) await c.checkpoint();
              await crash(c);
              c = await openChannel(root, { ...opts, checkpointOnClose: false });
            }
          }
          assert.deepEqual(await take(c, 10), model.slice(0, 10));
          await c.stop();
          await rm(root, { recursive: true, force: true });
        },
      ),
      { numRuns: 25 },
    );
  });
});
