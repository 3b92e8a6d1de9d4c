/**
 * The C client: `cli_mt` (Debian's zookeeper-bin, ZooKeeper 3.8's C shell on libzookeeper-mt)
 * against `bin/sluice zookeeper`. The shell is driven one command at a time over stdin, each step
 * waiting for its result in the output (the shell answers asynchronously, on stderr), so every
 * assertion is about one command: create, get (which sets a watch), set firing that watch, wexists
 * on a missing node firing NodeCreated, ephemeral and sequential creates, ls, NOTEMPTY, delete.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';

const CLI_MT = ['/usr/lib/zookeeper/bin/cli_mt', '/usr/bin/cli_mt'].find((p) => existsSync(p));
const skip = CLI_MT === undefined ? 'cli_mt (Debian zookeeper-bin) is not installed' : false;

/** Feeds a running cli_mt one command at a time and waits for what each one prints. */
class CliSession {
  private output = '';
  private waiter: (() => void) | null = null;
  private exited = false;
  readonly child: ChildProcessWithoutNullStreams;

  constructor(bin: string, port: number) {
    this.child = spawn(bin, ['-h', `127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    const take = (d: string) => {
      this.output += d;
      this.waiter?.();
    };
    this.child.stdout.setEncoding('utf8').on('data', take);
    this.child.stderr.setEncoding('utf8').on('data', take);
    this.child.on('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  /** Resolves with the output printed since `from` once every pattern has appeared in it. */
  async until(from: number, patterns: readonly (string | RegExp)[], what: string): Promise<string> {
    const seen = () => {
      const text = this.output.slice(from);
      return patterns.every((p) => (typeof p === 'string' ? text.includes(p) : p.test(text)));
    };
    // The watchdog only turns a hang into a readable failure; nothing is asserted about time.
    const watchdog = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    try {
      while (!seen()) {
        if (this.exited) {
          assert.fail(`cli_mt ended before "${what}" printed ${patterns.join(' and ')}:\n${this.output}`);
        }
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
        });
      }
    } finally {
      clearTimeout(watchdog);
      this.waiter = null;
    }
    return this.output.slice(from);
  }

  /** Sends one command and waits for its result. */
  run(command: string, ...patterns: (string | RegExp)[]): Promise<string> {
    const from = this.output.length;
    this.child.stdin.write(`${command}\n`);
    return this.until(from, patterns, command);
  }

  get transcript(): string {
    return this.output;
  }
}

test('cli_mt (the C client, 3.8) works against sluice zookeeper', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-climt-'));
  const cfg = join(dir, 'zoo.cfg');
  await writeFile(cfg, `tickTime=2000\ndataDir=${dir}\nclientPort=0\nclientPortAddress=127.0.0.1\n`);
  const proc = startSluice(['zookeeper', cfg, '--log-format', 'json']);
  let cli: CliSession | null = null;
  try {
    const rec = await proc.waitForLog((r) => r.msg === 'listening');
    cli = new CliSession(CLI_MT!, Number(rec.port));
    await cli.until(
      0,
      ['Watcher SESSION_EVENT state = CONNECTED_STATE', /Got a new session id: 0x[0-9a-f]+/],
      'connect',
    );

    await cli.run('create /cli', '[/cli]: rc = 0', 'name = /cli');
    // cli_mt's create stores "new"; its get sets a data watch.
    const got = await cli.run('get /cli', /\/cli: rc = 0\n value_len = 3\nnew\n/, 'version=0');
    assert.match(got, /czxid=[0-9a-f]+/);
    const set = await cli.run(
      'set /cli hello',
      'Watcher CHANGED_EVENT state = CONNECTED_STATE for path /cli',
      /\/cli: rc = 0 Stat:[\s\S]*version=1/,
    );
    assert.doesNotMatch(set, /rc = -\d+/);
    await cli.run('get /cli', /value_len = 5\nhello\n/, 'version=1');

    await cli.run('wexists /cli/child', 'Error -101 for /cli/child');
    await cli.run(
      'create +e /cli/child',
      'Watcher CREATED_EVENT state = CONNECTED_STATE for path /cli/child',
      '[/cli/child]: rc = 0',
    );
    await cli.run('create +s /cli/q-', '[/cli/q-]: rc = 0', 'name = /cli/q-0000000001');
    const ls = await cli.run('ls /cli', /\/cli: rc = 0\n/, /q-0000000001/);
    assert.match(ls, /\tchild\n/);

    await cli.run('delete /cli', '/cli: rc = -111'); // ZNOTEMPTY
    await cli.run('delete /cli/q-0000000001', '/cli/q-0000000001: rc = 0');
    await cli.run('delete /cli/child', '/cli/child: rc = 0');
    await cli.run('delete /cli', '/cli: rc = 0');
    await cli.run('exists /cli', 'Error -101 for /cli'); // ZNONODE
    const from = cli.transcript.length;
    cli.child.stdin.end('quit\n');
    await cli.until(from, ['Quitting...'], 'quit');
  } catch (err) {
    if (cli !== null) (err as Error).message += `\n--- cli_mt transcript ---\n${cli.transcript}`;
    throw err;
  } finally {
    if (cli !== null && cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
