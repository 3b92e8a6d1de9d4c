/**
 * ZooKeeper servers for integration tests: `bin/sluice zookeeper` and Apache ZooKeeper 3.8 (the
 * Debian `zookeeper` package), each on its own port with its own zoo.cfg and data directory, behind
 * one interface so a test body can run against both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SluiceProcess, startSluice } from './sluice-process.ts';

export const APACHE_ZK_SERVER = '/usr/share/zookeeper/bin/zkServer.sh';

/** Why the Apache ZooKeeper variant of a test cannot run here, or false when it can. */
export const apacheZooKeeperMissing: string | false =
  !existsSync(APACHE_ZK_SERVER) || !existsSync('/usr/bin/java')
    ? 'Apache ZooKeeper 3.8 (Debian zookeeper package, /usr/share/zookeeper) or java is not installed'
    : false;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a !== null && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** Sends a four-letter word; resolves with the whole answer ('' when the server said nothing). */
export function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(word));
    // A server still starting may accept and then say nothing: give up on this attempt.
    s.setTimeout(2000, () => s.destroy());
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(''));
  });
}

export interface TestZooKeeper {
  readonly kind: 'sluice' | 'apache';
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly connectString: string;
  /** Stops the server process (SIGTERM for Sluice, SIGKILL for the JVM) and keeps its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/** tickTime 500 ms: sessions may time out between 1 and 10 s. TTL nodes enabled. */
function zooCfg(dataDir: string, port: number, tickTime: number): string {
  return (
    `tickTime=${tickTime}\ndataDir=${dataDir}\nclientPort=${port}\nclientPortAddress=127.0.0.1\n` +
    'admin.enableServer=false\n4lw.commands.whitelist=ruok,srvr\nextendedTypesEnabled=true\n'
  );
}

export async function startSluiceZooKeeper(tickTime = 500): Promise<TestZooKeeper> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-zk-test-'));
  const cfg = join(dir, 'zoo.cfg');
  let port = 0;
  let proc: SluiceProcess | null = null;
  const start = async () => {
    await writeFile(cfg, zooCfg(join(dir, 'data'), port, tickTime));
    proc = startSluice(['zookeeper', cfg, '--log-format', 'json']);
    const rec = await proc.waitForLog((r) => r.msg === 'listening');
    port = Number(rec.port);
  };
  await start();
  const stop = async () => {
    if (proc !== null) await proc.stop();
    proc = null;
  };
  return {
    kind: 'sluice',
    get port() {
      return port;
    },
    get connectString() {
      return `127.0.0.1:${port}`;
    },
    stop,
    restart: start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startApacheZooKeeper(tickTime = 500): Promise<TestZooKeeper> {
  const dir = await mkdtemp(join(tmpdir(), 'apache-zk-test-'));
  const cfg = join(dir, 'zoo.cfg');
  const port = await freePort();
  await writeFile(cfg, zooCfg(join(dir, 'data'), port, tickTime));
  let child: ChildProcess | null = null;
  let exited: Promise<unknown> = Promise.resolve();
  const start = async () => {
    const c = spawn(APACHE_ZK_SERVER, ['start-foreground', cfg], {
      stdio: 'ignore',
      env: { ...process.env, ZOO_LOG_DIR: dir },
    });
    child = c;
    exited = new Promise((resolve) => c.once('exit', resolve));
    // Poll until it answers (JVM start-up); stop if the process exits.
    for (let attempt = 0; ; attempt++) {
      if (c.exitCode !== null) throw new Error('Apache ZooKeeper exited at start-up');
      if (attempt === 600) throw new Error('Apache ZooKeeper did not answer ruok');
      if ((await fourLetterWord(port, 'ruok')) === 'imok') return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await start();
  const stop = async () => {
    if (child !== null) {
      child.kill('SIGKILL');
      await exited;
    }
    child = null;
  };
  return {
    kind: 'apache',
    port,
    connectString: `127.0.0.1:${port}`,
    stop,
    restart: start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
