/**
 * The Java client (Apache ZooKeeper 3.8's zkCli.sh from the Debian package) against
 * `bin/sluice zookeeper`: 45-byte handshake, create/get/set with a watch, sequential ephemerals,
 * addauth + auth ACL, whoami, containers, and ZooKeeper's error texts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';

const ZKCLI = '/usr/share/zookeeper/bin/zkCli.sh';
const skip =
  existsSync(ZKCLI) && existsSync('/usr/bin/java') ? false : 'zkCli.sh (Debian zookeeper) or java missing';

function zkCli(port: number, script: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(ZKCLI, ['-server', `127.0.0.1:${port}`], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ZOO_LOG_DIR: cwd },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    // zkCli prints some results ("Created ...", errors) on stderr.
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', () => resolve(out));
    child.stdin.end(`${script}\nquit\n`);
  });
}

test('zkCli (Java client 3.8) works against sluice zookeeper', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-zkcli-'));
  try {
    const cfg = join(dir, 'zoo.cfg');
    await writeFile(cfg, `dataDir=${dir}\nclientPort=0\nclientPortAddress=127.0.0.1\n`);
    const proc = startSluice(['zookeeper', cfg, '--log-format', 'json']);
    try {
      const rec = await proc.waitForLog((r) => r.msg === 'listening');
      const out = await zkCli(
        Number(rec.port),
        [
          'create /cli hello',
          'create -s -e /cli/seq- x',
          'get -w /cli',
          'set /cli world',
          'addauth digest bob:pw',
          'create /cli/priv data auth:bob:pw:cdrwa',
          'getAcl /cli/priv',
          'whoami',
          'create -c /cont',
          'create -t 1000 /ttl',
          'delete /cli',
          'get /nope',
          'ls /cli',
        ].join('\n'),
        dir,
      );
      assert.match(out, /Created \/cli\/seq-0000000000/);
      assert.match(out, /WatchedEvent state:SyncConnected type:NodeDataChanged path:\/cli/);
      assert.match(out, /'digest,'bob:ikIaKsbtGweaHnb\/jKn7OHqbunM=\n: cdrwa/);
      assert.match(out, /ip: 127\.0\.0\.1\ndigest: bob/);
      assert.match(out, /Created \/cont/);
      assert.match(out, /KeeperErrorCode = Unimplemented for \/ttl/);
      assert.match(out, /Node not empty: \/cli/);
      assert.match(out, /Node does not exist: \/nope/);
      assert.match(out, /\[priv, seq-0000000000\]/);
    } finally {
      await proc.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
