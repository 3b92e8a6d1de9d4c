import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';

/** The lines every file_roll output file in `dir` holds, in file order. */
function rolledLines(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.length > 0);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 50));
}

function agentFile(dir: string, source: string[]): string {
  const out = join(dir, 'out');
  mkdirSync(out, { recursive: true });
  const file = join(dir, 'agent.properties');
  writeFileSync(
    file,
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      ...source.map((l) => `a1.sources.r1.${l}`),
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = file_roll',
      `a1.sinks.k1.sink.directory = ${out}`,
      'a1.sinks.k1.sink.rollInterval = 0',
      'a1.sinks.k1.channel = c1',
      '',
    ].join('\n'),
  );
  return file;
}

describe('sluice agent with file sources', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-file-sources-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('spooldir → memory → file_roll: every line once, files completed, resume after a restart', async () => {
    const dir = join(root, 'spool');
    const spool = join(dir, 'in');
    mkdirSync(spool, { recursive: true });
    const expected: string[] = [];
    for (let f = 0; f < 3; f++) {
      const lines = Array.from({ length: 250 }, (_, i) => `f${f}-line${i}`);
      expected.push(...lines);
      writeFileSync(join(spool, `file${f}.log`), `${lines.join('\n')}\n`);
    }
    const conf = agentFile(dir, ['type = spooldir', `spoolDir = ${spool}`, 'pollDelay = 50']);
    const agent = startSluice(['agent', '-n', 'a1', '-f', conf]);
    try {
      await until(() => readdirSync(spool).filter((f) => f.endsWith('.COMPLETED')).length === 3);
      await until(() => rolledLines(join(dir, 'out')).length >= expected.length);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
    // A file added while the agent is down is read by the next run, and nothing is read twice.
    writeFileSync(join(spool, 'late.log'), 'late1\nlate2\n');
    expected.push('late1', 'late2');
    const again = startSluice(['agent', '-n', 'a1', '-f', conf]);
    try {
      await until(() => existsSync(join(spool, 'late.log.COMPLETED')));
      await until(() => rolledLines(join(dir, 'out')).length >= expected.length);
    } finally {
      assert.equal(await again.stop(), 0, again.stderr().slice(-2000));
    }
    assert.deepEqual(rolledLines(join(dir, 'out')).sort(), [...expected].sort());
  });

  it('TAILDIR → memory → file_roll across a rename rotation and a restart: no loss, no duplicates', async () => {
    const dir = join(root, 'tail');
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const app = join(logs, 'app.log');
    const conf = agentFile(dir, [
      'type = TAILDIR',
      'filegroups = g1',
      `filegroups.g1 = ${logs}/app\\.log`,
      `positionFile = ${join(dir, 'taildir_position.json')}`,
      'writePosInterval = 100',
      'backoffSleepIncrement = 20',
      'maxBackOffSleep = 50',
    ]);
    const expected: string[] = [];
    const write = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        appendFileSync(app, `event-${i}\n`);
        expected.push(`event-${i}`);
      }
    };
    write(0, 100);
    const agent = startSluice(['agent', '-n', 'a1', '-f', conf]);
    try {
      await until(() => rolledLines(join(dir, 'out')).length >= 100);
      write(100, 150);
      renameSync(app, `${app}.1`);
      write(150, 200);
      await until(() => rolledLines(join(dir, 'out')).length >= 200);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
    write(200, 220);
    const again = startSluice(['agent', '-n', 'a1', '-f', conf]);
    try {
      await until(() => rolledLines(join(dir, 'out')).length >= 220);
      // Give a duplicate the chance to show up before checking.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      assert.equal(await again.stop(), 0, again.stderr().slice(-2000));
    }
    const got = rolledLines(join(dir, 'out'));
    assert.deepEqual([...got].sort(), [...expected].sort());
    const positions = JSON.parse(readFileSync(join(dir, 'taildir_position.json'), 'utf8')) as {
      file: string;
    }[];
    assert.ok(positions.some((p) => p.file === app));
  });
});
