/**
 * `sluice zk-shell` against a real `bin/sluice zookeeper`: commands piped on stdin, and a single
 * command after the flags; zkCli's output and error formats.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runSluice } from '../cli/support.ts';
import { startSluiceZooKeeper, type TestZooKeeper } from '../support/zookeeper-servers.ts';

let zk: TestZooKeeper;
before(async () => {
  zk = await startSluiceZooKeeper();
});
after(async () => {
  await zk?.destroy();
});

test('commands piped on stdin print zkCli-style results and errors', async () => {
  const script = [
    'create /app hello',
    'create /app again',
    'create -e -s /app/member- m',
    'ls /',
    'get -s /app',
    'set -v 7 /app nope',
    'set -s -v 0 /app changed',
    'get /app',
    'stat /missing',
    'getAcl /app',
    'addauth digest bob:pw',
    'create /bob bobdata digest:bob:ikIaKsbtGweaHnb/jKn7OHqbunM=:cdrwa',
    'get /bob',
    'whoami',
    'sync /',
    'ls -R /app',
    'delete /app',
    'deleteall /app',
    'ls /',
    'quit',
    'ls /',
  ].join('\n');
  const r = await runSluice(['zk-shell', '-server', zk.connectString], `${script}\n`);
  const out = r.stdout;
  assert.match(out, /^Created \/app\n/);
  assert.match(out, /Created \/app\/member-0000000000\n/);
  assert.match(out, /\[app, zookeeper\]\n/);
  assert.match(
    out,
    /hello\ncZxid = 0x[0-9a-f]+\nctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}\nmZxid = /,
  );
  assert.match(
    out,
    /dataVersion = 0\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = 5\nnumChildren = 1\n/,
  );
  assert.match(out, /dataVersion = 1\n/, 'set -s printed the new stat');
  assert.match(out, /\nchanged\n/);
  assert.match(out, /'world,'anyone\n: cdrwa\n/);
  assert.match(out, /Created \/bob\nbobdata\n/, 'the digest identity added by addauth may read');
  assert.match(out, /Auth scheme: User\n(.*\n)*digest: bob\n/);
  assert.match(out, /Sync is OK\n/);
  assert.match(out, /\/app\n\/app\/member-0000000000\n/);
  assert.match(out, /\[bob, zookeeper\]\n$/, 'deleteall removed /app; nothing ran after quit');
  const err = r.stderr;
  assert.match(err, /Node already exists: \/app\n/);
  assert.match(err, /version No is not valid : \/app\n/);
  assert.match(err, /Node does not exist: \/missing\n/);
  assert.match(err, /Node not empty: \/app\n/);
  assert.equal(r.code, 1, 'a failed command makes a piped run exit 1');
});

test('a single command after the flags; digest ACL enforced; exit codes', async () => {
  const ls = await runSluice(['zk-shell', '-server', zk.connectString, 'ls', '/']);
  assert.equal(ls.code, 0);
  assert.match(ls.stdout, /^\[.*zookeeper\]\n$/);
  const denied = await runSluice(['zk-shell', '-server', zk.connectString, 'get', '/bob']);
  assert.equal(denied.code, 1);
  assert.equal(denied.stderr, 'Insufficient permission : /bob\n');
  const missing = await runSluice(['zk-shell', '-server', zk.connectString, 'get', '/none']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'Node does not exist: /none\n');
});
