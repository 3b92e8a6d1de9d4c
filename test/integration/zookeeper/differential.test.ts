/**
 * Differential test: the same kazoo script against Apache ZooKeeper 3.8 (the Debian `zookeeper`
 * package, started here with its own zoo.cfg on a free port) and against `bin/sluice zookeeper`;
 * results, errors and stats (zxids included, times and session ids normalized) must be identical.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSluice } from '../support/sluice-process.ts';
import { fourLetterWord, freePort } from '../support/zookeeper-servers.ts';

const PYTHON = '/usr/bin/python3';
const ZK_SERVER = '/usr/share/zookeeper/bin/zkServer.sh';
const SCRIPT = fileURLToPath(new URL('./kazoo-scenarios.py', import.meta.url));

const skip =
  !existsSync(ZK_SERVER) || !existsSync('/usr/bin/java') || !existsSync(PYTHON)
    ? 'Apache ZooKeeper (Debian zookeeper package), java or /usr/bin/python3 missing'
    : false;

function runScenario(port: number, scenario: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, `127.0.0.1:${port}`, scenario], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${scenario} failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>);
    });
  });
}

test('kazoo sees the same results and stats from Apache ZooKeeper 3.8 and Sluice', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-diff-'));
  let apache: ChildProcess | null = null;
  try {
    const port = await freePort();
    const cfg = join(dir, 'apache.cfg');
    await writeFile(
      cfg,
      `tickTime=2000\ndataDir=${join(dir, 'apache')}\nclientPort=${port}\nclientPortAddress=127.0.0.1\n` +
        'admin.enableServer=false\n4lw.commands.whitelist=ruok\n',
    );
    apache = spawn(ZK_SERVER, ['start-foreground', cfg], {
      stdio: 'ignore',
      env: { ...process.env, ZOO_LOG_DIR: dir },
    });
    const exited = new Promise((resolve) => apache!.once('exit', resolve));
    // Poll until it answers (JVM start-up); stop if the process exits.
    let up = false;
    for (let attempt = 0; !up; attempt++) {
      if (apache.exitCode !== null) throw new Error('Apache ZooKeeper exited at start-up');
      if (attempt === 600) throw new Error('Apache ZooKeeper did not answer ruok');
      up = (await fourLetterWord(port, 'ruok')) === 'imok';
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    const theirs = await runScenario(port, 'differential');
    apache.kill('SIGKILL');
    await exited;
    apache = null;

    const sluiceCfg = join(dir, 'sluice.cfg');
    await writeFile(
      sluiceCfg,
      `tickTime=2000\ndataDir=${join(dir, 'sluice')}\nclientPort=0\nclientPortAddress=127.0.0.1\n`,
    );
    const proc = startSluice(['zookeeper', sluiceCfg, '--log-format', 'json']);
    try {
      const rec = await proc.waitForLog((r) => r.msg === 'listening');
      const ours = await runScenario(Number(rec.port), 'differential');
      const a = theirs.steps as unknown[][];
      const b = ours.steps as unknown[][];
      assert.equal(b.length, a.length);
      for (let i = 0; i < a.length; i++) assert.deepEqual(b[i], a[i], `step ${String(a[i]![0])}`);
      assert.equal((theirs.events as unknown[]).length, 5, 'Apache ZooKeeper fired every watch');
      assert.deepEqual(ours.events, theirs.events, 'the same watch events in the same order');
    } finally {
      await proc.stop();
    }
  } finally {
    apache?.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});
