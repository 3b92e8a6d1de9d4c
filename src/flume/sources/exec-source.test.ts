import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { ExecSource, execArgv, execSourceConfig, execSourceOptions } from './exec-source.ts';
import { bodies, channelKit, waitFor } from './source-test-kit.ts';

function options(entries: Record<string, string>) {
  const parsed = execSourceConfig.parse([
    { source: 'test', entries: Object.entries(entries).map(([key, value]) => ({ key, value })) },
  ]);
  return execSourceOptions(parsed.values as Record<string, unknown>);
}

describe('exec source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-exec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("has Flume's defaults and argv rules", () => {
    const o = options({ command: 'tail -F /var/log/x' });
    assert.equal(o.batchSize, 20);
    assert.equal(o.batchTimeoutMs, 3000);
    assert.equal(o.restartThrottleMs, 10000);
    assert.equal(o.restart, false);
    assert.equal(o.logStdErr, false);
    assert.deepEqual(execArgv('tail -F  /var/log/x', null), ['tail', '-F', '/var/log/x']);
    assert.deepEqual(execArgv('echo a | wc -l', '/bin/sh -c'), ['/bin/sh', '-c', 'echo a | wc -l']);
    assert.throws(() => options({ command: 'x', batchSize: '0' }), /batchSize/);
    assert.throws(() => options({ command: 'x', charset: 'EBCDIC' }), /charset/);
  });

  it('turns every stdout line (\\n, \\r\\n, \\r, last unterminated) into an event, through a shell', async () => {
    const kit = channelKit();
    const src = new ExecSource(
      'e',
      options({
        command: "printf 'a\\nb\\r\\nc\\rd'; printf 'e\\n' >&2",
        shell: '/bin/sh -c',
        batchTimeout: '50',
        logStdErr: 'true',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      const got = await kit.drainUntil((all) => all.length >= 4);
      assert.deepEqual(bodies(got), ['a', 'b', 'c', 'd']);
      await waitFor(() =>
        kit.logger.records.some((r) => r.message === 'exec source stderr' && r.fields.line === 'e'),
      );
      await waitFor(() => src.counters.get('EventAcceptedCount') === 4);
      assert.equal(src.counters.get('EventReceivedCount'), 4);
    } finally {
      await src.stop();
    }
  });

  it('sends full batches at batchSize without waiting for batchTimeout', async () => {
    const kit = channelKit();
    const src = new ExecSource(
      'e',
      options({ command: 'seq 1 10; sleep 30', shell: '/bin/sh -c', batchSize: '5', batchTimeout: '600000' }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      const got = await kit.drainUntil((all) => all.length >= 10);
      assert.deepEqual(bodies(got), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    } finally {
      await src.stop();
    }
  });

  it('restarts the command after it exits when restart=true', async () => {
    const kit = channelKit();
    const counter = join(dir, 'runs');
    const src = new ExecSource(
      'e',
      options({
        command: `echo run >> ${counter}; echo tick`,
        shell: '/bin/sh -c',
        restart: 'true',
        restartThrottle: '10',
        batchTimeout: '10',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      await kit.drainUntil((all) => all.length >= 3);
    } finally {
      await src.stop();
    }
    assert.ok(readFileSync(counter, 'utf8').split('\n').length >= 4);
    assert.ok(bodies(kit.taken).every((b) => b === 'tick'));
  });

  it('does not restart by default, and stop kills a running command', async () => {
    const kit = channelKit();
    const pidFile = join(dir, 'pid');
    const marker = join(dir, 'survived');
    const src = new ExecSource(
      'e',
      options({ command: `echo $$ > ${pidFile}; exec sleep 30`, shell: '/bin/sh -c' }),
      kit.logger,
    );
    await src.start(kit.processor);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await src.stop();
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the command still runs after stop');
    assert.equal(existsSync(marker), false);
  });

  it('holds lines while the channel is full and delivers them once there is room', async () => {
    const kit = channelKit(3, 3);
    const src = new ExecSource(
      'e',
      options({ command: 'seq 1 9', shell: '/bin/sh -c', batchSize: '3', batchTimeout: '10' }),
      new MemoryLogger(),
    );
    await src.start(kit.processor);
    try {
      await waitFor(() => src.counters.get('ChannelWriteFail') > 0);
      const got = await kit.drainUntil((all) => all.length >= 9, 200);
      assert.deepEqual(bodies(got), ['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    } finally {
      await src.stop();
    }
  });
});
