import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SLUICE_BIN, startSluice } from '../support/sluice-process.ts';

const execFileP = promisify(execFile);

/** Runs bin/sluice to completion; never throws on a non-zero exit. */
async function sluice(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(SLUICE_BIN, [...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('sluice CLI', () => {
  it('--help lists every command', async () => {
    const r = await sluice(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: sluice/);
    for (const command of ['broker', 'dev', 'consumer-groups', 'help']) {
      assert.match(r.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `lists ${command}`);
    }
  });

  it('--version prints the package version', async () => {
    const r = await sluice(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('broker --help lists --config, --override and the properties-file argument', async () => {
    const r = await sluice(['broker', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--config <file>/);
    assert.match(r.stdout, /--override <key=value>/);
    assert.match(r.stdout, /--strict/);
    assert.match(r.stdout, /properties-file/);
  });

  it('dev --help lists its flags', async () => {
    const r = await sluice(['dev', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--data-dir <dir>/);
    assert.match(r.stdout, /--port <port>/);
  });

  it('an invalid override exits non-zero naming the key, value and expectation', async () => {
    const r = await sluice(['broker', '--override', 'num.partitions=abc']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /num\.partitions/);
    assert.match(r.stderr, /"abc"/);
    assert.match(r.stderr, /expected an int/);
    assert.match(r.stderr, /--override/);
  });

  it('an invalid value in a properties file names the file and line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    try {
      const file = join(dir, 'server.properties');
      await writeFile(file, '# test\nnode.id=1\nauto.create.topics.enable=maybe\n');
      const r = await sluice(['broker', file]);
      assert.notEqual(r.code, 0);
      assert.ok(r.stderr.includes(`${file}:3`), r.stderr);
      assert.match(r.stderr, /"maybe" for 'auto\.create\.topics\.enable': expected a boolean/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a missing properties file exits non-zero naming it', async () => {
    const r = await sluice(['broker', '--config', '/nonexistent/server.properties']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/nonexistent\/server\.properties/);
  });

  it('--strict turns unknown keys into errors; without it they are warnings', async () => {
    const strict = await sluice(['broker', '--strict', '--override', 'no.such.key=1']);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /no\.such\.key/);

    const proc = startSluice([
      'broker',
      '--log-format',
      'json',
      '--override',
      'no.such.key=1',
      '--override',
      'listeners=PLAINTEXT://127.0.0.1:0',
    ]);
    const warning = await proc.waitForLog((r) => String(r.msg).includes('no.such.key'));
    assert.equal(warning.level, 40);
    await proc.waitForLog((r) => r.msg === 'listening');
    assert.equal(await proc.stop(), 0);
  });

  it('dev creates its data directory, says how to connect, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-dev-'));
    try {
      const dataDir = join(dir, 'data');
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
      await proc.waitForLog((r) => r.msg === 'broker started');
      await proc.waitForOutput(() => proc.stdout().includes('Ctrl-C'));
      assert.match(proc.stdout(), /kcat -L -b 127\.0\.0\.1:\d+/);
      assert.ok((await stat(dataDir)).isDirectory());
      assert.equal(await proc.stop(), 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sluice consumer-groups --help', () => {
  it('lists the kafka-consumer-groups.sh actions and reset scenarios', async () => {
    const r = await sluice(['consumer-groups', '--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--bootstrap-server <host:port>',
      '--list',
      '--describe',
      '--delete',
      '--reset-offsets',
      '--delete-offsets',
      '--group <group>',
      '--all-groups',
      '--members',
      '--state [states]',
      '--to-earliest',
      '--to-datetime <datetime>',
      '--by-duration <duration>',
      '--execute',
    ]) {
      assert.ok(r.stdout.includes(flag), `lists ${flag}`);
    }
  });
});
