/**
 * Apache ZooKeeper 3.8 (the Debian package) and `bin/sluice zookeeper` under the same client load
 * in one run: both started here on free ports, each with its own dataDir and the same zoo.cfg
 * (defaults, forceSync=yes), and loaded in alternating phases (see Turns):
 *
 *   create, getData, setData, delete of 100-byte znodes, and a 90 % getData / 10 % setData mix,
 *   with 1 and with 16 sessions, each session keeping WINDOW requests in flight.
 *
 * Prints `name: value unit` lines (ops/s, p50 and p99 latency per operation and server, and the
 * Sluice / ZooKeeper ratios). Usage: node bench/zookeeper/zookeeper.bench.ts
 * Environment: ZK_BENCH_SECONDS (per phase, default 2.5), ZK_BENCH_WINDOW (default 16),
 * ZK_BENCH_ONLY=sluice|apache, ZK_BENCH_SLUICE_CFG (extra zoo.cfg lines for Sluice, `;`-separated).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpCode, ZooErrorCode } from '../../src/zookeeper/protocol/index.ts';
import { LoadSession } from './load-client.ts';

const ZK_SERVER = '/usr/share/zookeeper/bin/zkServer.sh';
const SLUICE = fileURLToPath(new URL('../../bin/sluice', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECONDS = Number(process.env.ZK_BENCH_SECONDS ?? 2.5);
const WINDOW = Number(process.env.ZK_BENCH_WINDOW ?? 16);
const ONLY = process.env.ZK_BENCH_ONLY ?? '';
/** Extra zoo.cfg lines for Sluice only, `;`-separated (experiments, e.g. `preAllocSize=0`). */
const SLUICE_CFG = process.env.ZK_BENCH_SLUICE_CFG ?? '';
const DATA = Buffer.alloc(100, 0x61);
const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

type Op = 'create' | 'getData' | 'setData' | 'mix90' | 'delete';
const OPS: readonly Op[] = ['create', 'getData', 'setData', 'mix90', 'delete'];
const SESSIONS = [1, 16] as const;

interface Result {
  opsPerSec: number;
  p50: number;
  p99: number;
  count: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a !== null && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function ruok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write('ruok'));
    s.setTimeout(2000, () => s.destroy());
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('close', () => resolve(out === 'imok'));
    s.on('error', () => resolve(false));
  });
}

async function waitUp(proc: ChildProcess, port: number, name: string): Promise<void> {
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited at start-up`);
    if (i === 600) throw new Error(`${name} did not answer ruok`);
    if (await ruok(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

class Recorder {
  private lat = new Float64Array(1 << 16);
  n = 0;
  errors = 0;
  add(ms: number, err: number): void {
    if (err !== 0) this.errors++;
    if (this.n === this.lat.length) {
      const bigger = new Float64Array(this.lat.length * 2);
      bigger.set(this.lat);
      this.lat = bigger;
    }
    this.lat[this.n++] = ms;
  }
  result(seconds: number): Result {
    const s = this.lat.slice(0, this.n).sort();
    return { opsPerSec: this.n / seconds, p50: percentile(s, 0.5), p99: percentile(s, 0.99), count: this.n };
  }
}

/**
 * Both servers run at once but take turns: each measured phase holds this FIFO lock, so phases
 * alternate between the servers (ZooKeeper's create, Sluice's create, ZooKeeper's getData…) and a
 * change in the machine's background load hits both alike. The idle server only waits.
 */
class Turns {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const next = this.tail.then(f);
    this.tail = next.catch(() => {});
    return next;
  }
}

const turns = new Turns();

/**
 * Runs one phase: every session keeps WINDOW requests in flight, each produced by `next(session
 * index)` (null: that session is done), until `seconds` pass (or every session is done).
 */
async function phase(
  sessions: LoadSession[],
  seconds: number,
  next: (i: number) => (() => Promise<{ err: number; ms: number }>) | null,
): Promise<Result> {
  return turns.run(() => measure(sessions, seconds, next));
}

async function measure(
  sessions: LoadSession[],
  seconds: number,
  next: (i: number) => (() => Promise<{ err: number; ms: number }>) | null,
): Promise<Result> {
  const rec = new Recorder();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (i: number) => {
    for (;;) {
      if (performance.now() >= deadline) return;
      const call = next(i);
      if (call === null) return;
      const r = await call();
      rec.add(r.ms, r.err);
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < sessions.length; i++) for (let w = 0; w < WINDOW; w++) workers.push(worker(i));
  await Promise.all(workers);
  const elapsed = (performance.now() - started) / 1000;
  if (rec.errors > 0) throw new Error(`${rec.errors} requests failed`);
  return rec.result(elapsed);
}

async function runLoad(port: number, label: string): Promise<Map<string, Result>> {
  const results = new Map<string, Result>();
  const admin = await LoadSession.open('127.0.0.1', port);
  await admin.call(OpCode.create, { path: '/bench', data: null, acl: OPEN_ACL, flags: 0 });
  // Warm-up (JIT on both sides): a short mixed load on a scratch node.
  await admin.call(OpCode.create, { path: '/bench/warm', data: DATA, acl: OPEN_ACL, flags: 0 });
  {
    const warm = await Promise.all(Array.from({ length: 4 }, () => LoadSession.open('127.0.0.1', port)));
    let k = 0;
    await phase(warm, 2, (i) => {
      const s = warm[i]!;
      k++;
      if (k % 3 === 0) return () => s.call(OpCode.setData, { path: '/bench/warm', data: DATA, version: -1 });
      return () => s.call(OpCode.getData, { path: '/bench/warm', watch: false });
    });
    for (const s of warm) s.close();
  }
  for (const n of SESSIONS) {
    const base = `/bench/c${n}`;
    await admin.call(OpCode.create, { path: base, data: null, acl: OPEN_ACL, flags: 0 });
    const sessions = await Promise.all(Array.from({ length: n }, () => LoadSession.open('127.0.0.1', port)));
    for (let i = 0; i < n; i++) {
      await admin.call(OpCode.create, { path: `${base}/s${i}`, data: null, acl: OPEN_ACL, flags: 0 });
    }
    const created = new Array<number>(n).fill(0);
    const deleted = new Array<number>(n).fill(0);
    const issued = new Array<number>(n).fill(0);
    const pick = (i: number) => `${base}/s${i}/n${Math.floor(Math.random() * created[i]!)}`;
    let mixCounter = 0;
    for (const op of OPS) {
      let r: Result;
      switch (op) {
        case 'create':
          r = await phase(sessions, SECONDS, (i) => {
            const path = `${base}/s${i}/n${issued[i]!++}`;
            return async () => {
              const res = await sessions[i]!.call(OpCode.create, {
                path,
                data: DATA,
                acl: OPEN_ACL,
                flags: 0,
              });
              created[i]!++;
              return res;
            };
          });
          break;
        case 'getData':
          r = await phase(sessions, SECONDS, (i) => {
            const path = pick(i);
            return () => sessions[i]!.call(OpCode.getData, { path, watch: false });
          });
          break;
        case 'setData':
          r = await phase(sessions, SECONDS, (i) => {
            const path = pick(i);
            return () => sessions[i]!.call(OpCode.setData, { path, data: DATA, version: -1 });
          });
          break;
        case 'mix90':
          r = await phase(sessions, SECONDS, (i) => {
            const path = pick(i);
            if (mixCounter++ % 10 === 9)
              return () => sessions[i]!.call(OpCode.setData, { path, data: DATA, version: -1 });
            return () => sessions[i]!.call(OpCode.getData, { path, watch: false });
          });
          break;
        case 'delete':
          // Deletes every node the create phase made (so it may run a little longer than a phase).
          r = await phase(sessions, 600, (i) => {
            if (deleted[i]! >= created[i]!) return null;
            const path = `${base}/s${i}/n${deleted[i]!++}`;
            return async () => {
              const res = await sessions[i]!.call(OpCode.delete, { path, version: -1 });
              return res.err === ZooErrorCode.NONODE ? { ...res, err: 0 } : res;
            };
          });
          break;
      }
      results.set(`${op}.s${n}`, r);
      const key = `zk.${label}.${op}.sessions${n}`;
      console.log(`${key}.throughput: ${r.opsPerSec.toFixed(0)} ops/s`);
      console.log(`${key}.p50: ${r.p50.toFixed(3)} ms`);
      console.log(`${key}.p99: ${r.p99.toFixed(3)} ms`);
    }
    for (const s of sessions) s.close();
  }
  admin.close();
  return results;
}

async function withServer<T>(
  name: 'apache' | 'sluice',
  dir: string,
  run: (port: number) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const dataDir = join(dir, name);
  const cfg = join(dir, `${name}.cfg`);
  // The same zoo.cfg for both: ZooKeeper's defaults plus what a private instance needs.
  await writeFile(
    cfg,
    `tickTime=2000\ndataDir=${dataDir}\nclientPort=${port}\nclientPortAddress=127.0.0.1\n` +
      'forceSync=yes\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n' +
      (name === 'sluice' ? SLUICE_CFG.replaceAll(';', '\n') : ''),
  );
  const proc =
    name === 'apache'
      ? spawn(ZK_SERVER, ['start-foreground', cfg], {
          stdio: 'ignore',
          detached: true,
          env: { ...process.env, ZOO_LOG_DIR: dir },
        })
      : spawn(SLUICE, ['zookeeper', cfg, '--log-level', 'warn'], { stdio: 'ignore', detached: true });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  try {
    await waitUp(proc, port, name);
    return await run(port);
  } finally {
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  }
}

async function main(): Promise<void> {
  const haveApache = existsSync(ZK_SERVER) && existsSync('/usr/bin/java');
  // On the repository's disk (not a tmpfs), so fsync costs what it costs.
  const dir = await mkdtemp(join(ROOT, '.bench-zk-'));
  try {
    const useApache = haveApache && ONLY !== 'sluice';
    const useSluice = ONLY !== 'apache';
    if (!haveApache)
      console.log('# Apache ZooKeeper (Debian zookeeper package) or java missing: Sluice only');
    let apache: Map<string, Result> | null = null;
    let sluice: Map<string, Result> | null = null;
    if (useApache && useSluice) {
      // Both up at once, loaded in alternating phases (see Turns).
      [apache, sluice] = await withServer('apache', dir, (ap) =>
        withServer('sluice', dir, (sp) => Promise.all([runLoad(ap, 'apache'), runLoad(sp, 'sluice')])),
      );
    } else if (useApache) {
      await withServer('apache', dir, (p) => runLoad(p, 'apache'));
    } else if (useSluice) {
      await withServer('sluice', dir, (p) => runLoad(p, 'sluice'));
    }
    if (apache === null || sluice === null) return;
    const rows: string[] = [];
    let met = true;
    for (const n of SESSIONS) {
      for (const op of OPS) {
        const a = apache.get(`${op}.s${n}`)!;
        const s = sluice.get(`${op}.s${n}`)!;
        const ratio = s.opsPerSec / a.opsPerSec;
        const p99Ratio = s.p99 / a.p99;
        const ok = ratio >= 1.5 && s.p99 < a.p99;
        met &&= ok;
        console.log(`zk.ratio.${op}.sessions${n}.throughput: ${ratio.toFixed(2)} x`);
        console.log(`zk.ratio.${op}.sessions${n}.p99: ${p99Ratio.toFixed(2)} x`);
        rows.push(
          `| ${op} | ${n} | ${a.opsPerSec.toFixed(0)} | ${a.p50.toFixed(2)} / ${a.p99.toFixed(2)} | ` +
            `${s.opsPerSec.toFixed(0)} | ${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} | ${ratio.toFixed(2)} | ${ok ? 'yes' : 'no'} |`,
        );
      }
    }
    console.log(`zk.targets_met: ${met ? 1 : 0} bool`);
    console.log(
      '\n| operation | sessions | ZooKeeper ops/s | ZooKeeper p50 / p99 ms | Sluice ops/s | Sluice p50 / p99 ms | throughput ratio | target met |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
