import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/**
 * A file channel whose disk fills up for real: its data and checkpoint directories on a small
 * tmpfs, filled with a ballast file. The netcat source must answer FAILED (never OK) for what the
 * channel cannot write, the agent must keep running, and once space is freed every line that was
 * answered OK reaches the sink and new lines are accepted again.
 */

const root = mkdtempSync(join(tmpdir(), 'sluice-fc-full-'));
const disk = join(root, 'disk');
mkdirSync(disk);
let mounted = false;
try {
  if (process.getuid?.() === 0) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', disk], { stdio: 'ignore' });
    mounted = true;
  }
} catch {
  // no permission to mount (not root, or in a restricted container): the test is skipped
}
after(() => {
  if (mounted) execFileSync('umount', [disk]);
  rmSync(root, { recursive: true, force: true });
});

/** Sends each line on one connection, waiting for its answer; returns the answers. */
async function send(port: number, lines: readonly string[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buffered = '';
  const answers: string[] = [];
  let wake: (() => void) | undefined;
  socket.setEncoding('utf8').on('data', (s: string) => {
    buffered += s;
    wake?.();
  });
  for (const line of lines) {
    socket.write(`${line}\n`);
    while (!buffered.includes('\n')) await new Promise<void>((r) => (wake = r));
    const nl = buffered.indexOf('\n');
    answers.push(buffered.slice(0, nl));
    buffered = buffered.slice(nl + 1);
  }
  socket.end();
  return answers;
}

describe('file channel on a full disk', { skip: mounted ? false : 'needs root to mount a tmpfs' }, () => {
  it('refuses with FAILED while the disk is full, loses nothing acknowledged, recovers when space returns', async () => {
    const port = await freePort();
    const out = join(root, 'out');
    const file = join(root, 'agent.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = netcat',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.max-line-length = 2000',
        'a1.sources.r1.channels = c1',
        'a1.channels.c1.type = file',
        `a1.channels.c1.checkpointDir = ${join(disk, 'cp')}`,
        `a1.channels.c1.dataDirs = ${join(disk, 'data')}`,
        'a1.channels.c1.minimumRequiredSpace = 0',
        'a1.sinks.k1.type = file_roll',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    // Leave about 1 MiB free: a few hundred 1 KiB lines fit, then writes fail with ENOSPC.
    const ballast = join(disk, 'ballast');
    writeFileSync(ballast, Buffer.alloc(5 * 1024 * 1024 - 64 * 1024));
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    try {
      await agent.waitForOutput(() => /agent started/.test(agent.stderr()));
      const line = (i: number) => `line ${i} ${'x'.repeat(1000)}`;
      const acked: string[] = [];
      let failed = 0;
      for (let i = 0; i < 3000 && failed < 20; i++) {
        const [answer] = await send(port, [line(i)]);
        if (answer === 'OK') acked.push(line(i));
        else {
          assert.match(answer ?? '', /^FAILED: .*(ENOSPC|unhealthy)/);
          failed++;
        }
      }
      assert.equal(failed, 20, `the disk never filled up (${acked.length} lines accepted)`);
      assert.equal(agent.child.exitCode, null, 'the agent keeps running with a full disk');

      rmSync(ballast);
      const more = Array.from({ length: 50 }, (_, i) => line(10_000 + i));
      let answers: string[] = [];
      for (let attempt = 0; attempt < 100; attempt++) {
        answers = await send(port, more.slice(0, 1));
        if (answers[0] === 'OK') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(answers[0], 'OK', 'puts are accepted again once space returns');
      assert.deepEqual(
        await send(port, more.slice(1)),
        more.slice(1).map(() => 'OK'),
      );
      const want = [...acked, ...more];
      const written = () =>
        existsSync(out)
          ? readdirSync(out).flatMap((f) =>
              readFileSync(join(out, f), 'utf8')
                .split('\n')
                .filter((l) => l !== ''),
            )
          : [];
      for (let i = 0; i < 200 && written().length < want.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const got = new Set(written());
      assert.deepEqual(
        want.filter((l) => !got.has(l)).map((l) => l.slice(0, 12)),
        [],
        'every acknowledged line is delivered',
      );
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-3000));
    }
  });
});
