/**
 * `sluice dev` runs the broker and the ZooKeeper service side by side: both answer (kcat -L and
 * the ZooKeeper client / zk-shell), ZooKeeper keeps its data in <data-dir>/zookeeper across a
 * restart, and SIGTERM stops both with exit 0.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ZooKeeperClient } from '../../../src/zookeeper/client/index.ts';
import { runSluice } from '../cli/support.ts';
import { startSluice } from '../support/sluice-process.ts';

const KCAT = ['/usr/bin/kcat', '/usr/bin/kafkacat'].find((p) => existsSync(p));

function kcatMetadata(bootstrap: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(KCAT as string, ['-L', '-b', bootstrap, '-m', '10'], { timeout: 30_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

async function startDev(dataDir: string) {
  const proc = startSluice([
    'dev',
    '--port',
    '0',
    '--zookeeper-port',
    '0',
    '--data-dir',
    dataDir,
    '--log-format',
    'json',
  ]);
  await proc.waitForOutput(() => proc.stdout().includes('Ctrl-C'));
  const out = proc.stdout();
  const bootstrap = /Kafka bootstrap server\s+(\S+)/.exec(out)?.[1];
  const zookeeper = /ZooKeeper service\s+(\S+)/.exec(out)?.[1];
  assert.ok(bootstrap !== undefined && zookeeper !== undefined, out);
  assert.ok(out.includes(`sluice zk-shell -server ${zookeeper}`), 'says how to connect a ZooKeeper shell');
  return { proc, bootstrap, zookeeper };
}

test('sluice dev serves Kafka and ZooKeeper, keeps ZooKeeper data, stops both on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-dev-zk-'));
  try {
    const dataDir = join(dir, 'data');
    const first = await startDev(dataDir);
    if (KCAT !== undefined) assert.match(await kcatMetadata(first.bootstrap), /broker/);
    const zk = await ZooKeeperClient.connect({ connectString: first.zookeeper });
    await zk.create('/dev-check', 'kept');
    await zk.close();
    assert.ok((await stat(join(dataDir, 'zookeeper'))).isDirectory());
    assert.equal(await first.proc.stop(), 0);
    assert.match(first.proc.stderr(), /"msg":"stopping"/);

    const second = await startDev(dataDir);
    const r = await runSluice(['zk-shell', '-server', second.zookeeper, 'get', '/dev-check']);
    assert.equal(r.stdout, 'kept\n');
    assert.equal(await second.proc.stop(), 0);
    // Both ports are free again: the ZooKeeper listener was closed.
    await assert.rejects(
      ZooKeeperClient.connect({ connectString: second.zookeeper, connectTimeoutMs: 1000 }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
