/**
 * Syslog over TCP into a log file, end to end: the same generator (LINES lines of 200 bytes,
 * RFC 3164, newline-framed, one connection) against
 *
 *   - `sluice agent`: syslogtcp → memory channel → file_roll,
 *   - `sluice agent`: syslogtcp → file channel (fsync per commit) → file_roll,
 *   - rsyslog (Debian's rsyslogd, started here with a private config): imtcp → omfile.
 *
 * Each run starts when the first byte is sent and ends when the output files reach the size of
 * every line (polled); the lines are then counted to check none is missing. Prints lines/s per target and the ratios to rsyslog.
 * Usage: node bench/flume/flume.bench.ts
 * Environment: FLUME_BENCH_LINES (default 1000000), FLUME_BENCH_ONLY=memory|file|rsyslog.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SLUICE = fileURLToPath(new URL('../../bin/sluice', import.meta.url));
const RSYSLOGD = '/usr/sbin/rsyslogd';
const LINES = Number(process.env.FLUME_BENCH_LINES ?? 1_000_000);
const ONLY = process.env.FLUME_BENCH_ONLY ?? '';
const LINE_BYTES = 200;
const FLUME_PUBLISHED = [40_000, 70_000];
const HEAD = '<13>Nov 22 18:30:00 benchhost app[42]: ';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a !== null && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** LINES syslog lines of exactly LINE_BYTES bytes (newline included), in 1 MiB-ish chunks. */
function generate(): Buffer[] {
  const chunks: Buffer[] = [];
  const perChunk = Math.floor((1024 * 1024) / LINE_BYTES);
  for (let start = 0; start < LINES; start += perChunk) {
    const n = Math.min(perChunk, LINES - start);
    const b = Buffer.alloc(n * LINE_BYTES, 0x78);
    for (let i = 0; i < n; i++) {
      const at = i * LINE_BYTES;
      const text = `${HEAD}${start + i} `;
      b.write(text, at, 'latin1');
      b[at + LINE_BYTES - 1] = 0x0a;
    }
    chunks.push(b);
  }
  return chunks;
}

async function waitListening(port: number, proc: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited at start-up`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} never listened on ${port}`);
}

/** Total size of the files in `dir`. */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of existsSync(dir) ? await readdir(dir) : []) total += (await stat(join(dir, f))).size;
  return total;
}

/** Waits (polling file sizes, cheap for the machine) until `dir` holds `want` bytes. */
async function waitForBytes(dir: string, want: number, proc: ChildProcess, name: string): Promise<void> {
  let last = -1;
  let idleSince = Date.now();
  for (;;) {
    const total = await dirBytes(dir);
    if (total >= want) return;
    if (total !== last) idleSince = Date.now();
    last = total;
    if (proc.exitCode !== null) throw new Error(`${name} exited with ${total} of ${want} bytes written`);
    if (Date.now() - idleSince > 30_000) throw new Error(`${name} stalled at ${total} of ${want} bytes`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Newlines in the files of `dir` (the check, outside the timed part). */
async function countLines(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) {
    const data = await readFile(join(dir, f));
    for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, at + 1)) n++;
  }
  return n;
}

/** Sends every chunk on one connection, honouring backpressure. */
async function send(port: number, chunks: readonly Buffer[]): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  for (const c of chunks) {
    if (!socket.write(c)) await new Promise((r) => socket.once('drain', r));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

interface Target {
  name: string;
  /** Bytes the output holds per line: the agents write the message body, rsyslog the whole line. */
  outputLineBytes: number;
  start(dir: string, port: number, out: string): Promise<ChildProcess>;
}

function sluiceAgent(name: string, channel: (dir: string) => string[]): Target {
  return {
    name,
    outputLineBytes: LINE_BYTES - HEAD.indexOf('app'),
    async start(dir, port, out) {
      const conf = join(dir, 'agent.properties');
      await writeFile(
        conf,
        [
          'a1.sources = r1',
          'a1.channels = c1',
          'a1.sinks = k1',
          'a1.sources.r1.type = syslogtcp',
          'a1.sources.r1.host = 127.0.0.1',
          `a1.sources.r1.port = ${port}`,
          'a1.sources.r1.channels = c1',
          'a1.sources.r1.sluice.batchSize = 5000',
          ...channel(dir),
          'a1.sinks.k1.type = file_roll',
          `a1.sinks.k1.sink.directory = ${out}`,
          'a1.sinks.k1.sink.rollInterval = 0',
          'a1.sinks.k1.sink.batchSize = 5000',
          'a1.sinks.k1.channel = c1',
          '',
        ].join('\n'),
      );
      const proc = spawn(SLUICE, ['agent', '-n', 'a1', '-f', conf, '--no-reload-conf'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await waitListening(port, proc, name);
      return proc;
    },
  };
}

const TARGETS: Target[] = [
  sluiceAgent('memory', () => [
    'a1.channels.c1.type = memory',
    'a1.channels.c1.capacity = 200000',
    'a1.channels.c1.transactionCapacity = 5000',
  ]),
  sluiceAgent('file', (dir) => [
    'a1.channels.c1.type = file',
    `a1.channels.c1.checkpointDir = ${join(dir, 'cp')}`,
    `a1.channels.c1.dataDirs = ${join(dir, 'data')}`,
    'a1.channels.c1.capacity = 1000000',
    'a1.channels.c1.transactionCapacity = 5000',
    'a1.channels.c1.minimumRequiredSpace = 0',
  ]),
  {
    name: 'rsyslog',
    outputLineBytes: LINE_BYTES,
    async start(dir, port, out) {
      if (!existsSync(RSYSLOGD)) throw new Error(`${RSYSLOGD} not found (apt-get install rsyslog)`);
      await mkdir(join(dir, 'work'), { recursive: true });
      const conf = join(dir, 'rsyslog.conf');
      // The message as received, one per line: the same bytes the agents' file_roll writes per event
      // plus the header fields; rsyslog's defaults otherwise (in-memory main queue).
      await writeFile(
        conf,
        [
          `global(workDirectory="${join(dir, 'work')}")`,
          'module(load="imtcp")',
          `input(type="imtcp" address="127.0.0.1" port="${port}")`,
          'template(name="raw" type="string" string="%rawmsg%\\n")',
          `action(type="omfile" file="${join(out, 'messages')}" template="raw")`,
          '',
        ].join('\n'),
      );
      const proc = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
        stdio: 'ignore',
      });
      await waitListening(port, proc, 'rsyslog');
      return proc;
    },
  },
];

async function run(t: Target, chunks: readonly Buffer[]): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), `sluice-flume-bench-${t.name}-`));
  const out = join(dir, 'out');
  await mkdir(out, { recursive: true });
  const port = await freePort();
  const proc = await t.start(dir, port, out);
  try {
    const started = performance.now();
    const sent = send(port, chunks);
    await waitForBytes(out, LINES * t.outputLineBytes, proc, t.name);
    const seconds = (performance.now() - started) / 1000;
    await sent;
    const lines = await countLines(out);
    if (lines !== LINES) throw new Error(`${t.name} wrote ${lines} lines, expected ${LINES}`);
    return LINES / seconds;
  } finally {
    await stop(proc);
    await rm(dir, { recursive: true, force: true });
  }
}

const chunks = generate();
console.log(`lines: ${LINES} of ${LINE_BYTES} bytes`);
const results = new Map<string, number>();
for (const t of TARGETS) {
  if (ONLY !== '' && ONLY !== t.name) continue;
  const rate = await run(t, chunks);
  results.set(t.name, rate);
  console.log(`${t.name} lines/s: ${Math.round(rate)}`);
}
const rs = results.get('rsyslog');
for (const name of ['memory', 'file']) {
  const r = results.get(name);
  if (r === undefined) continue;
  if (rs !== undefined) console.log(`${name} / rsyslog: ${(r / rs).toFixed(3)}`);
  console.log(
    `${name} / Flume's published ${FLUME_PUBLISHED.join('-')} events/s: ${(r / FLUME_PUBLISHED[1]!).toFixed(1)}-${(r / FLUME_PUBLISHED[0]!).toFixed(1)}x`,
  );
}
