/**
 * `sluice zookeeper` as a process: zoo.cfg as a positional argument or --config, the JSON line
 * with the bound port, SIGTERM shutdown, and configuration errors naming file, key, value and
 * expectation.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';

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

test('starts from --config, logs the bound port, answers ruok, stops cleanly on SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-cli-'));
  try {
    const cfg = join(dir, 'zoo.cfg');
    await writeFile(
      cfg,
      `dataDir=${dir}\nclientPort=0\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=ruok\n`,
    );
    const proc = startSluice(['zookeeper', '--config', cfg, '--log-format', 'json']);
    const rec = await proc.waitForLog((r) => r.msg === 'listening');
    assert.ok(Number(rec.port) > 0);
    assert.equal(await fourLetterWord(Number(rec.port), 'ruok'), 'imok');
    assert.equal(await proc.stop(), 0);
    assert.match(proc.stderr(), /"msg":"stopping"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an invalid value stops startup with a message naming file, key, value and expectation', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-cli-'));
  try {
    const cfg = join(dir, 'zoo.cfg');
    await writeFile(cfg, `dataDir=${dir}\nclientPort=70000\n`);
    const proc = startSluice(['zookeeper', cfg]);
    assert.equal(await proc.exited, 2);
    const err = proc.stderr();
    assert.ok(err.includes(`${cfg}:2`), err);
    assert.match(err, /'clientPort'/);
    assert.match(err, /"70000"/);
    assert.match(err, /expected an int in \[0, 65535\]|expected .*65535/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
