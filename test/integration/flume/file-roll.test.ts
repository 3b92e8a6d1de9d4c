import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';

describe('seq → memory → file_roll (a real agent)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-roll-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every event, in order, as text lines', async () => {
    const out = join(dir, 'out');
    const file = join(dir, 'flume.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = seq',
        'a1.sources.r1.totalEvents = 30',
        'a1.sources.r1.channels = c1',
        'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = file_roll',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    const lines = () =>
      existsSync(out)
        ? readdirSync(out).flatMap((f) =>
            readFileSync(join(out, f), 'utf8')
              .split('\n')
              .filter((l) => l !== ''),
          )
        : [];
    try {
      for (let i = 0; i < 300 && lines().length < 30; i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.stderr().slice(-2000));
    }
    assert.deepEqual(
      lines(),
      Array.from({ length: 30 }, (_, i) => String(i)),
    );
    assert.equal(readdirSync(out).length, 1);
  });
});
