/**
 * kazoo (python3-kazoo, the system Python's) against a real `bin/sluice zookeeper` process: CRUD
 * with watches, ephemerals and session close, sequence nodes, multi, digest ACLs, the Lock, Election,
 * Counter, Barrier, DoubleBarrier, Queue and LockingQueue recipes, four-letter words, and a kill -9
 * in the middle of acknowledged writes.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type SluiceProcess, startSluice } from '../support/sluice-process.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./kazoo-scenarios.py', import.meta.url));

async function hasKazoo(): Promise<boolean> {
  if (!existsSync(PYTHON)) return false;
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', 'import kazoo'], (err) => resolve(err === null));
  });
}

const skip = (await hasKazoo()) ? false : 'python3-kazoo is not installed for /usr/bin/python3';

export async function startZooKeeper(
  dir: string,
  extra = '',
  port = 0,
): Promise<{ proc: SluiceProcess; port: number; cfg: string }> {
  const cfg = join(dir, 'zoo.cfg');
  await writeFile(
    cfg,
    `tickTime=2000\ndataDir=${dir}\nclientPort=${port}\nclientPortAddress=127.0.0.1\n${extra}`,
  );
  const proc = startSluice(['zookeeper', cfg, '--log-format', 'json']);
  const rec = await proc.waitForLog((r) => r.msg === 'listening');
  return { proc, port: Number(rec.port), cfg };
}

function runScenario(port: number, scenario: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, `127.0.0.1:${port}`, scenario], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${scenario} failed: ${err.message}\n${stderr}`));
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(last) as Record<string, unknown>);
    });
  });
}

function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(word));
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('sluice zookeeper with kazoo', { skip }, () => {
  let dir: string;
  let zk: { proc: SluiceProcess; port: number };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-zk-it-'));
    zk = await startZooKeeper(dir, '4lw.commands.whitelist=ruok,srvr,mntr,stat,conf,wchs,isro\n');
  });

  after(async () => {
    await zk?.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('create/get/set/delete/children/exists with watches and ZooKeeper errors', async () => {
    const r = await runScenario(zk.port, 'basic');
    assert.deepEqual(r.get, ['v1', 0, 2]);
    assert.equal(r.setVersion, 1);
    assert.deepEqual(r.events, [
      ['CREATED', '/app/child'],
      ['CHILD', '/app'],
      ['CHANGED', '/app'],
    ]);
    assert.deepEqual(r.children, ['child']);
    assert.equal(r.badVersion, true);
    assert.equal(r.nodeExists, true);
    assert.equal(r.notEmpty, true);
    assert.equal(r.noNode, true);
    assert.equal(r.exists, true);
  });

  test('ephemeral sequential nodes vanish when the session closes; sequence numbers continue', async () => {
    const r = await runScenario(zk.port, 'ephemeral');
    assert.deepEqual(r.paths, ['/svc/node-0000000000', '/svc/node-0000000001']);
    assert.equal(r.owner, true);
    assert.equal(r.deletedFired, true);
    assert.deepEqual(r.left, []);
    assert.equal(r.next, '/svc/node-0000000002');
  });

  test('multi: success results, and a failed transaction rolls back', async () => {
    const r = await runScenario(zk.port, 'multi');
    assert.deepEqual(r.ok, ['/tx/a', 'ZnodeStat', true, true]);
    assert.deepEqual(r.failed, ['RolledBackError', 'BadVersionError', 'RuntimeInconsistency']);
    assert.deepEqual(r.afterFailed, []);
  });

  test('digest ACL: a stranger gets NoAuthError until it adds the credentials', async () => {
    const r = await runScenario(zk.port, 'acl');
    assert.equal(r.ownerRead, 'hidden');
    assert.equal(r.strangerRead, 'NoAuthError');
    assert.equal(r.afterAddAuth, 'hidden');
    const acl = r.acl as [number, string, string][];
    assert.equal(acl.length, 1);
    assert.equal(acl[0]![1], 'digest');
    assert.equal(acl[0]![2], 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=', 'the id kazoo computes');
  });

  test('kazoo recipes: Counter, Lock, Election', async () => {
    const r = await runScenario(zk.port, 'recipes');
    assert.equal(r.counter, 5);
    assert.equal(r.bBlocked, true);
    assert.deepEqual(r.contenders, ['a']);
    assert.equal(r.bAcquired, true);
    assert.deepEqual(r.elected, ['a']);
    assert.deepEqual(r.electionContenders, ['a']);
  });

  test('kazoo recipes: Barrier, DoubleBarrier, Queue, LockingQueue', async () => {
    const r = await runScenario(zk.port, 'barrier-queue');
    assert.equal(r.barrierTimesOut, false, 'wait() times out while the barrier node exists');
    assert.equal(r.barrierHeld, true);
    assert.deepEqual(r.barrierReleased, [true], 'removing the node releases the waiter');
    assert.deepEqual(r.enteredAlone, [], 'one of two cannot enter a double barrier');
    assert.deepEqual(r.doubleEntered, ['a', 'b']);
    assert.deepEqual(r.doubleLeft, ['a', 'b']);
    assert.deepEqual(r.doubleNodeLeft, []);
    assert.equal(r.queueLength, 5);
    assert.deepEqual(r.queueOrder, ['first', 'one', 'two', 'three', 'four'], 'priority, then FIFO');
    assert.equal(r.queueEmptyLength, 0);
    assert.equal(r.lqTakenByB, 'job1');
    assert.equal(r.lqHoldsLock, true);
    assert.equal(r.lqTakenByA, 'job2', 'a locked item is skipped');
    assert.equal(r.lqConsumed, true);
    assert.equal(r.lqReleased, true);
    assert.equal(r.lqLengthAfterRelease, 1);
    assert.equal(r.lqTakenByC, 'job2');
    assert.equal(r.lqBackAfterSessionEnd, 'job2', "an ended session's ephemeral lock frees its item");
    assert.equal(r.lqFinalConsume, true);
    assert.equal(r.lqFinalLength, 0);
  });

  test('four-letter words and the whitelist', async () => {
    assert.equal(await fourLetterWord(zk.port, 'ruok'), 'imok');
    assert.equal(await fourLetterWord(zk.port, 'isro'), 'rw');
    const srvr = await fourLetterWord(zk.port, 'srvr');
    assert.match(srvr, /^Zookeeper version: 3\.\d+\.\d+/);
    assert.match(srvr, /\nMode: standalone\n/);
    assert.match(srvr, /\nNode count: \d+\n/);
    const mntr = await fourLetterWord(zk.port, 'mntr');
    assert.match(mntr, /^zk_version\t/);
    assert.match(mntr, /\nzk_server_state\tstandalone\n/);
    assert.equal(
      await fourLetterWord(zk.port, 'dump'),
      'dump is not executed because it is not in the whitelist.\n',
    );
  });
});

describe('sluice zookeeper: kill -9 loses no acknowledged write', { skip }, () => {
  test('every acknowledged sequential create survives SIGKILL and numbering continues', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-crash-'));
    try {
      const first = await startZooKeeper(dir);
      const writer = spawn(PYTHON, [SCRIPT, `127.0.0.1:${first.port}`, 'write-seq'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acked: string[] = [];
      let buf = '';
      await new Promise<void>((resolve) => {
        writer.stdout.setEncoding('utf8').on('data', (d: string) => {
          buf += d;
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) if (l.startsWith('/crash/')) acked.push(l);
          if (acked.length >= 300) resolve();
        });
        writer.on('exit', () => resolve());
      });
      first.proc.child.kill('SIGKILL');
      await first.proc.exited;
      writer.kill('SIGKILL');
      assert.ok(acked.length >= 300, 'the writer got acknowledgements before the kill');

      const second = await startZooKeeper(dir);
      try {
        const r = await runScenario(second.port, 'after-crash');
        const present = new Set(r.children as string[]);
        for (const p of acked) assert.ok(present.has(p.slice('/crash/'.length)), `${p} survived`);
        const max = Math.max(...[...present].map((n) => Number(n.slice(2))));
        assert.equal(r.next, `/crash/n-${String(max + 1).padStart(10, '0')}`);
      } finally {
        await second.proc.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sluice zookeeper: a restart keeps sessions and watches', { skip }, () => {
  test('kazoo reconnects to the same session after a restart; its ephemeral is still there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-restart-'));
    try {
      const first = await startZooKeeper(dir);
      const port = first.port;
      const watcher = spawn(PYTHON, [SCRIPT, `127.0.0.1:${port}`, 'survive-restart'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      const ready = new Promise<void>((resolve) => {
        watcher.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.includes('READY')) resolve();
        });
      });
      const done = new Promise<void>((resolve) => watcher.on('exit', () => resolve()));
      await ready;
      assert.equal(await first.proc.stop(), 0);
      // Same port, same data: the client's reconnect attempts find the restarted server.
      const second = await startZooKeeper(dir, '', port);
      try {
        await runScenario(port, 'set-r');
        watcher.stdin.end('GO\n');
        await done;
        const r = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
        assert.deepEqual(r, { sameSession: true, ephemeralKept: true, data: 'changed' });
      } finally {
        await second.proc.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
