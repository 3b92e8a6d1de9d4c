// End-to-end broker benchmarks: a real `sluice broker` process driven by a C load generator on
// librdkafka (bench/kafka/sluice-perf.c, compiled on first run), with Redis Streams as the peer
// for 1 KiB appends and Apache Kafka's published 2014 figures as the reference for 100-byte records.
//
//   node bench/kafka/broker.bench.ts [--rounds 3] [--only produce100,consume,latency,produce1k,redis,memory]
//                                    [--records100 2000000] [--records1k 400000] [--cpu-prof DIR]
//                                    [--latency-linger-ms 1] [--sluice CHECKOUT] [--no-pin]
//
// Prints `name: value unit` lines; `#` lines carry the individual runs and the load average. See
// bench/kafka/README.md for what each figure means and its bound.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const here = import.meta.dirname;
const root = join(here, '..', '..');
const buildDir = join(here, '.build');
const perfSource = join(here, 'sluice-perf.c');
const perfBinary = join(buildDir, 'sluice-perf');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const rounds = Number(arg('rounds', '3'));
const only = new Set(arg('only', 'produce100,consume,latency,produce1k,redis,memory').split(','));
const records100 = Number(arg('records100', '2000000'));
const records1k = Number(arg('records1k', '400000'));
const cpuProfDir = arg('cpu-prof', '');
/** linger.ms of the latency runs: OpenMessaging Benchmark's Kafka driver uses 1 (throughput runs: 5). */
const latencyLingerMs = arg('latency-linger-ms', '1');
/** The checkout whose broker is measured (another one, e.g. a copy before a change, for A/B runs). */
const sluiceRoot = arg('sluice', root);

/**
 * CPU pinning: the server under test (broker or Redis) on the last CPU, the load generator on the
 * others, so neither steals the other's CPU, as when they run on separate machines (Kafka's 2014
 * figures had producers and broker on different hosts). Needs `taskset` (util-linux) and 2+ CPUs;
 * `--no-pin` turns it off.
 */
const cpus = availableParallelism();
const pin = !process.argv.includes('--no-pin') && cpus >= 2 && hasCommand('taskset');
const SERVER_CPUS = String(cpus - 1);
const CLIENT_CPUS = cpus === 2 ? '0' : `0-${cpus - 2}`;

/** `command args` run on `cpuList` when pinning. */
function pinned(cpuList: string, command: string, args: readonly string[]): [string, string[]] {
  return pin ? ['taskset', ['-c', cpuList, command, ...args]] : [command, [...args]];
}

/** Apache Kafka 2014 (LinkedIn, "2 million writes per second"): one producer, no replication, 100 B records. */
const KAFKA_2014_PRODUCER_RECORDS_PER_S = 821_557;
/** Same post: one consumer, 100 B records. */
const KAFKA_2014_CONSUMER_RECORDS_PER_S = 940_521;

const TARGET_PRODUCE_100B = 1_000_000;
const TARGET_PRODUCE_1K_MB = 250;
const TARGET_CONSUME_100B = 940_000;
const TARGET_P99_MS = 5;
const TARGET_RSS_MB = 200;

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function print(name: string, value: number | string, unit: string): void {
  const shown =
    typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(3)) : value;
  console.log(`${name}: ${shown}${unit ? ` ${unit}` : ''}`);
}

function verdict(name: string, met: boolean, target: string): void {
  console.log(`${name}_target_met: ${met ? 'yes' : 'no'} (target ${target})`);
}

// ---- the load generator ----

function ensureGenerator(): void {
  if (existsSync(perfBinary) && statSync(perfBinary).mtimeMs >= statSync(perfSource).mtimeMs) return;
  if (!existsSync('/usr/include/librdkafka/rdkafka.h')) {
    console.error(
      'bench/kafka needs librdkafka headers and a C compiler: apt-get install -y librdkafka-dev gcc (then run again)',
    );
    process.exit(1);
  }
  mkdirSync(buildDir, { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', perfBinary, perfSource, '-lrdkafka'], { stdio: 'inherit' });
  if (cc.status !== 0) {
    console.error('bench/kafka: compiling sluice-perf failed (needs gcc and librdkafka-dev)');
    process.exit(1);
  }
}

interface PerfResult {
  records: number;
  seconds: number;
  records_per_s: number;
  mb_per_s: number;
  p50_ms?: number;
  p99_ms?: number;
  p999_ms?: number;
  max_ms?: number;
  /** Broker CPU (all threads) during the run: less sensitive to other jobs than wall time. */
  broker_cpu_s?: number;
}

/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs the generator; with `brokerPid`, also reports the broker's CPU seconds during the run. */
function perf(args: string[], brokerPid?: number): PerfResult {
  const cpuBefore = brokerPid === undefined ? 0 : cpuSeconds(brokerPid);
  const [command, argv] = pinned(CLIENT_CPUS, perfBinary, args);
  const run = spawnSync(command, argv, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{')) {
    throw new Error(`sluice-perf ${args.join(' ')} failed (${run.status}): ${run.stderr}${run.stdout}`);
  }
  const result = JSON.parse(line) as PerfResult;
  if (brokerPid !== undefined) result.broker_cpu_s = cpuSeconds(brokerPid) - cpuBefore;
  return result;
}

// ---- the broker ----

interface RunningBroker {
  readonly child: ChildProcess;
  readonly bootstrap: string;
  readonly logDir: string;
  stop(): Promise<void>;
}

async function startBroker(): Promise<RunningBroker> {
  const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-broker-'));
  const nodeFlags = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const [command, argv] = pinned(SERVER_CPUS, process.execPath, [
    ...nodeFlags,
    join(sluiceRoot, 'src/cli/main.ts'),
    'broker',
    '--log-format',
    'json',
    '--override',
    'listeners=PLAINTEXT://127.0.0.1:0',
    '--override',
    `log.dirs=${logDir}`,
  ]);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const line of stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const rec = JSON.parse(line) as { msg?: string; address?: string };
          if (rec.msg === 'listening' && rec.address) resolve(rec.address);
        } catch {
          // a line still being written
        }
      }
    });
    child.once('exit', (code) => {
      rmSync(logDir, { recursive: true, force: true });
      reject(new Error(`broker exited (${code}) before listening:\n${stderr}`));
    });
  });
  const exited = once(child, 'exit');
  return {
    child,
    bootstrap: address,
    logDir,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

function createTopic(broker: RunningBroker, topic: string, partitions = 1, topics = 0): void {
  const args = [
    'create',
    '--bootstrap',
    broker.bootstrap,
    '--topic',
    topic,
    '--partitions',
    String(partitions),
  ];
  if (topics > 0) args.push('--topics', String(topics));
  perf(args);
}

function best(results: PerfResult[], key: 'records_per_s' | 'mb_per_s'): PerfResult {
  return results.reduce((a, b) => (b[key] > a[key] ? b : a));
}

/** The median run's figure: printed beside the best, since one lucky run can be far above the rest. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function logRun(label: string, r: PerfResult): void {
  const lat = r.p50_ms !== undefined ? ` p50 ${r.p50_ms} ms p99 ${r.p99_ms} ms` : '';
  const cpu =
    r.broker_cpu_s !== undefined
      ? ` broker CPU ${r.broker_cpu_s.toFixed(2)} s = ${((r.broker_cpu_s * 1e6) / r.records).toFixed(2)} us/record`
      : '';
  console.log(
    `# ${label}: ${r.records} records in ${r.seconds.toFixed(2)} s = ${Math.round(r.records_per_s)} records/s ${r.mb_per_s.toFixed(1)} MB/s${lat}${cpu} (load ${load()})`,
  );
}

// ---- Redis Streams peer ----

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

async function redisXaddMbPerS(records: number): Promise<number[] | null> {
  if (!hasCommand('redis-server') || !hasCommand('redis-benchmark')) {
    console.log('# redis peer skipped: apt-get install -y redis-server redis-tools');
    return null;
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-redis-'));
  const server = spawn(
    ...pinned(SERVER_CPUS, 'redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--appendonly',
      'no',
      '--save',
      '',
      '--dir',
      dir,
    ]),
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 100; i++) {
      if (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.includes('PONG'))
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const value = 'x'.repeat(1024);
    const out: number[] = [];
    for (let round = 0; round < rounds; round++) {
      spawnSync('redis-cli', ['-p', String(port), 'del', 's']);
      // One connection pipelining 64 commands, the closest match to one librdkafka producer.
      const run = spawnSync(
        ...pinned(CLIENT_CPUS, 'redis-benchmark', [
          '-p',
          String(port),
          '-c',
          '1',
          '-P',
          '64',
          '-n',
          String(records),
          '--csv',
          'XADD',
          's',
          '*',
          'f',
          value,
        ]),
        { encoding: 'utf8', maxBuffer: 1 << 20 },
      );
      const row = run.stdout.trim().split('\n').at(-1) ?? '';
      const rps = Number(row.split('","')[1]);
      if (!Number.isFinite(rps))
        throw new Error(`redis-benchmark output not understood: ${run.stdout}${run.stderr}`);
      const mb = (rps * 1024) / 1e6;
      console.log(`# redis XADD 1 KiB: ${Math.round(rps)} entries/s ${mb.toFixed(1)} MB/s (load ${load()})`);
      out.push(mb);
    }
    return out;
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the benchmarks ----

interface ProduceRun {
  readonly topic: string;
  readonly size: number;
  readonly records: number;
  readonly lingerMs?: string;
  readonly rate?: number;
  /** Default 1. */
  readonly acks?: number;
}

function produce(broker: RunningBroker, run: ProduceRun): PerfResult {
  const args = ['produce', '--bootstrap', broker.bootstrap, '--topic', run.topic];
  args.push('--records', String(run.records), '--size', String(run.size), '--acks', String(run.acks ?? 1));
  if (run.lingerMs !== undefined) args.push('--linger-ms', run.lingerMs);
  if (run.rate !== undefined) args.push('--rate', String(run.rate));
  return perf(args, broker.child.pid);
}

function consume(broker: RunningBroker, topic: string, records: number): PerfResult {
  const args = ['consume', '--bootstrap', broker.bootstrap, '--topic', topic, '--records', String(records)];
  return perf(args, broker.child.pid);
}

function repeat(label: string, once: () => PerfResult): PerfResult[] {
  const out: PerfResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const r = once();
    logRun(label, r);
    out.push(r);
  }
  return out;
}

async function main(): Promise<void> {
  ensureGenerator();
  console.log(`# load ${load()} at start; ${rounds} rounds, best counts`);
  console.log(
    pin
      ? `# pinned: server on CPU ${SERVER_CPUS}, load generator on CPU ${CLIENT_CPUS}`
      : '# not pinned (--no-pin, one CPU, or no taskset)',
  );

  if (only.has('produce100') || only.has('consume') || only.has('latency')) {
    const broker = await startBroker();
    try {
      createTopic(broker, 'p100');
      const produced = repeat('produce 100 B acks=1', () =>
        produce(broker, { topic: 'p100', size: 100, records: records100 }),
      );
      const top = best(produced, 'records_per_s');
      if (only.has('produce100')) {
        print('produce_100b_records_per_s', Math.round(top.records_per_s), 'records/s');
        print('produce_100b_mb_per_s', top.mb_per_s, 'MB/s');
        print(
          'produce_100b_records_per_s_median',
          Math.round(median(produced.map((r) => r.records_per_s))),
          'records/s',
        );
        print('produce_100b_ratio_to_kafka_2014', top.records_per_s / KAFKA_2014_PRODUCER_RECORDS_PER_S, '');
        verdict('produce_100b', top.records_per_s >= TARGET_PRODUCE_100B, '>= 1,000,000 records/s');
      }

      if (only.has('consume')) {
        // The log holds rounds x records100 records, all written moments ago: page-cache reads.
        const consumed = repeat('consume 100 B from offset 0', () =>
          consume(broker, 'p100', records100 * rounds),
        );
        const c = best(consumed, 'records_per_s');
        print('consume_100b_records_per_s', Math.round(c.records_per_s), 'records/s');
        print('consume_100b_mb_per_s', c.mb_per_s, 'MB/s');
        print(
          'consume_100b_records_per_s_median',
          Math.round(median(consumed.map((r) => r.records_per_s))),
          'records/s',
        );
        print('consume_100b_ratio_to_kafka_2014', c.records_per_s / KAFKA_2014_CONSUMER_RECORDS_PER_S, '');
        verdict('consume_100b', c.records_per_s >= TARGET_CONSUME_100B, '>= 940,000 records/s');
      }

      if (only.has('latency')) {
        // Half the best rate is the figure with a target; a tenth and a quarter show the curve.
        createTopic(broker, 'lat');
        for (const [name, fraction] of [
          ['tenth', 0.1],
          ['quarter', 0.25],
          ['half', 0.5],
        ] as const) {
          const rate = Math.round(top.records_per_s * fraction);
          const runs = repeat(`produce 100 B acks=1 linger.ms=${latencyLingerMs} at ${rate} records/s`, () =>
            produce(broker, {
              topic: 'lat',
              size: 100,
              records: Math.max(10_000, rate * 3),
              lingerMs: latencyLingerMs,
              rate,
            }),
          );
          // Best = lowest p99: the run least disturbed by the other jobs on the machine.
          const l = runs.reduce((a, b) => ((b.p99_ms ?? 0) < (a.p99_ms ?? 0) ? b : a));
          print(`produce_latency_${name}_rate`, rate, 'records/s');
          print(`produce_latency_${name}_p50`, l.p50_ms ?? 0, 'ms');
          print(`produce_latency_${name}_p99`, l.p99_ms ?? 0, 'ms');
          print(`produce_latency_${name}_p999`, l.p999_ms ?? 0, 'ms');
          if (name === 'half') {
            verdict('produce_latency_half_p99', (l.p99_ms ?? Infinity) < TARGET_P99_MS, 'p99 < 5 ms');
            // The floor: the same load with acks=0, where a record counts as delivered once written
            // to the socket. What it shows is the client, the loopback and the machine's scheduling,
            // not the broker's answer.
            const floor = repeat(
              `produce 100 B acks=0 linger.ms=${latencyLingerMs} at ${rate} records/s`,
              () =>
                produce(broker, {
                  topic: 'lat',
                  size: 100,
                  records: Math.max(10_000, rate * 3),
                  lingerMs: latencyLingerMs,
                  rate,
                  acks: 0,
                }),
            );
            const f = floor.reduce((a, b) => ((b.p99_ms ?? 0) < (a.p99_ms ?? 0) ? b : a));
            print('produce_latency_half_acks0_p50', f.p50_ms ?? 0, 'ms');
            print('produce_latency_half_acks0_p99', f.p99_ms ?? 0, 'ms');
          }
        }
      }
    } finally {
      await broker.stop();
    }
  }

  let sluice1k: PerfResult | null = null;
  let sluice1kMedian = 0;
  if (only.has('produce1k')) {
    const broker = await startBroker();
    try {
      createTopic(broker, 'p1k');
      const runs = repeat('produce 1 KiB acks=1', () =>
        produce(broker, { topic: 'p1k', size: 1024, records: records1k }),
      );
      sluice1k = best(runs, 'mb_per_s');
      sluice1kMedian = median(runs.map((r) => r.mb_per_s));
      print('produce_1k_mb_per_s', sluice1k.mb_per_s, 'MB/s');
      print('produce_1k_mb_per_s_median', median(runs.map((r) => r.mb_per_s)), 'MB/s');
      print('produce_1k_records_per_s', Math.round(sluice1k.records_per_s), 'records/s');
      verdict('produce_1k', sluice1k.mb_per_s >= TARGET_PRODUCE_1K_MB, '>= 250 MB/s');
    } finally {
      await broker.stop();
    }
  }

  if (only.has('redis')) {
    const redis = await redisXaddMbPerS(records1k);
    if (redis) {
      const top = Math.max(...redis);
      print('redis_xadd_1k_mb_per_s', top, 'MB/s');
      print('redis_xadd_1k_mb_per_s_median', median(redis), 'MB/s');
      if (sluice1k) {
        print('produce_1k_ratio_to_redis_xadd', sluice1k.mb_per_s / top, '');
        print('produce_1k_ratio_to_redis_xadd_median', sluice1kMedian / median(redis), '');
      }
    }
  }

  if (only.has('memory')) {
    const broker = await startBroker();
    try {
      const pid = broker.child.pid!;
      await new Promise((r) => setTimeout(r, 1000));
      const before = rssMb(pid);
      createTopic(broker, 'idle', 10, 100);
      // Let the creation's garbage be collected and the maintenance timer run a few times.
      await new Promise((r) => setTimeout(r, 5000));
      const after = rssMb(pid);
      console.log(`# load ${load()}`);
      print('broker_rss_empty', before, 'MB');
      print('broker_rss_1000_idle_partitions', after, 'MB');
      verdict('broker_rss_1000_idle_partitions', after < TARGET_RSS_MB, '< 200 MB');
    } finally {
      await broker.stop();
    }
  }
}

await main();
