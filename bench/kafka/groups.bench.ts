// Consumer-group benchmarks against a real `sluice broker` process over loopback, driven by a lean
// raw-protocol driver (test/integration/kafka/clients/raw-group-member.ts: JoinGroup/SyncGroup with
// a range assignment computed by the leader, Heartbeat, LeaveGroup, OffsetCommit), so the figures
// measure the broker's coordinator and not a client's timers.
//
//   node bench/kafka/groups.bench.ts [--members 10] [--partitions 100] [--reps 20]
//                                    [--groups 100] [--connections 4] [--window 16]
//                                    [--commit-partitions 10] [--seconds 5] [--only rebalance,commit,fsync]
//
// Prints `name: value unit` lines; `#` lines carry the load average and details. See the
// "Consumer groups" section of bench/kafka/README.md for what each figure means and its bound.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../../src/kafka/broker/raw-client.ts';
import {
  decodeResponse,
  encodeRequestFrame,
  type OffsetCommitResponse,
} from '../../src/kafka/protocol/index.ts';
import { createTopic, kafkaClient } from '../../test/integration/kafka/clients/group-harness.ts';
import {
  API,
  brokerVersions,
  commitRequest,
  RawGroupMember,
} from '../../test/integration/kafka/clients/raw-group-member.ts';
import { startBroker } from '../../test/integration/support/sluice-process.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const memberCount = Number(arg('members', '10'));
const partitions = Number(arg('partitions', '100'));
const reps = Number(arg('reps', '20'));
const groups = Number(arg('groups', '100'));
const connections = Number(arg('connections', '4'));
const windowSize = Number(arg('window', '16'));
const commitPartitions = Number(arg('commit-partitions', '10'));
const seconds = Number(arg('seconds', '5'));
const only = new Set(arg('only', 'rebalance,commit,fsync').split(','));

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function print(name: string, value: number, unit: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 2 : 1);
  console.log(`${name}: ${shown}${unit ? ` ${unit}` : ''}`);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- rebalance time ----

/**
 * What a client does once its heartbeat says REBALANCE_IN_PROGRESS, without its heartbeat timer:
 * heartbeat until the broker says so (1 ms apart), then join and sync.
 */
async function followRebalance(m: RawGroupMember): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const code = await m.heartbeat();
    if (code === 27) break;
    if (code !== 0) throw new Error(`heartbeat: error ${code}`);
    await sleep(1);
  }
  await m.joinAndSync(partitions);
}

function checkStable(members: readonly RawGroupMember[]): void {
  const generation = members[0]!.generation;
  const owned = members.flatMap((m) => m.assignment);
  if (members.some((m) => m.generation !== generation) || owned.length !== partitions) {
    throw new Error(
      `group not settled: generations ${members.map((m) => m.generation)}, ${owned.length} partitions`,
    );
  }
  if (new Set(owned).size !== partitions) throw new Error('a partition is assigned twice');
}

async function rebalanceBench(port: number): Promise<void> {
  const topic = 'bench-groups-rebalance';
  await createTopic(kafkaClient(port), topic, partitions);
  const group = 'bench-rebalance';
  const opts = { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 60_000 };
  const members: RawGroupMember[] = [];
  // Build the group one member at a time: each newcomer is a join the others follow.
  for (let i = 0; i < memberCount; i++) {
    const m = await RawGroupMember.open(port, group, topic, opts);
    await Promise.all([m.joinAndSync(partitions), ...members.map(followRebalance)]);
    members.push(m);
  }
  checkStable(members);
  const joins: number[] = [];
  const leaves: number[] = [];
  for (let r = 0; r < reps; r++) {
    const newcomer = await RawGroupMember.open(port, group, topic, opts);
    let t0 = performance.now();
    await Promise.all([newcomer.joinAndSync(partitions), ...members.map(followRebalance)]);
    joins.push(performance.now() - t0);
    checkStable([...members, newcomer]);
    t0 = performance.now();
    await Promise.all([
      newcomer.leave().then((res) => {
        if (res.errorCode !== 0) throw new Error(`LeaveGroup: error ${res.errorCode}`);
      }),
      ...members.map(followRebalance),
    ]);
    leaves.push(performance.now() - t0);
    checkStable(members);
    newcomer.close();
  }
  for (const m of members) m.close();
  const j = [...joins].sort((a, b) => a - b);
  const l = [...leaves].sort((a, b) => a - b);
  console.log(
    `# rebalance: ${memberCount} members, ${partitions} partitions, ${reps} joins and leaves; load ${load()}`,
  );
  console.log(`# join ms: ${joins.map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`# leave ms: ${leaves.map((x) => x.toFixed(1)).join(' ')}`);
  print('rebalance_join_p50', quantile(j, 0.5), 'ms');
  print('rebalance_join_p99', quantile(j, 0.99), 'ms');
  print('rebalance_leave_p50', quantile(l, 0.5), 'ms');
  print('rebalance_leave_p99', quantile(l, 0.99), 'ms');
}

// ---- OffsetCommit throughput ----

async function commitBench(port: number, brokerPid: number): Promise<number> {
  const topic = 'bench-groups-commits';
  await createTopic(kafkaClient(port), topic, commitPartitions);
  const clients = await Promise.all(Array.from({ length: connections }, () => RawClient.open(port)));
  const version = (await brokerVersions(clients[0]!)).get(API.OffsetCommit)!;
  let offset = 0;
  const body = (group: number) =>
    commitRequest(
      `bench-commit-${group}`,
      -1,
      '',
      Array.from({ length: commitPartitions }, (_, p) => [topic, p, ++offset, null] as const),
    );

  // One at a time on one connection: the latency of a single commit.
  const lat: number[] = [];
  const one = clients[0]!;
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const res = await one.call<OffsetCommitResponse>(API.OffsetCommit, version, i + 1, body(i % groups));
    lat.push(performance.now() - t0);
    if (res.topics.some((t) => t.partitions.some((p) => p.errorCode !== 0))) throw new Error('commit failed');
  }
  lat.sort((a, b) => a - b);

  let done = 0;
  let failed = 0;
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  // The middle of the run: from 1 s in, for all but the last second.
  const countWindow = Math.max(1, seconds - 2);
  let doneAtCountStart = 0;
  const syncs = sleep(1000).then(() => {
    doneAtCountStart = done;
    return countSyncs(brokerPid, countWindow);
  });
  let doneAtCountEnd = 0;
  void sleep(1000 + countWindow * 1000).then(() => (doneAtCountEnd = done));
  await Promise.all(
    clients.map(async (c) => {
      let correlation = 1_000_000;
      let inFlight = 0;
      const send = () => {
        for (const chunk of encodeRequestFrame(
          API.OffsetCommit,
          version,
          correlation++,
          'bench',
          body(next++ % groups),
        )) {
          c.socket.write(chunk);
        }
        inFlight++;
      };
      for (let i = 0; i < windowSize; i++) send();
      while (inFlight > 0) {
        const res = decodeResponse(await c.next(), API.OffsetCommit, version).body as OffsetCommitResponse;
        inFlight--;
        done++;
        if (res.topics.some((t) => t.partitions.some((p) => p.errorCode !== 0))) failed++;
        if (performance.now() < deadline) send();
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const c of clients) c.socket.destroy();
  if (failed > 0) throw new Error(`${failed} commits failed`);
  const rate = done / elapsed;
  console.log(
    `# commit: ${groups} groups, ${commitPartitions} partitions per commit, ${connections} connections x ${windowSize} in flight, ${done} commits in ${elapsed.toFixed(2)} s; load ${load()}`,
  );
  print('offset_commit_single_p50', quantile(lat, 0.5), 'ms');
  print('offset_commit_single_p99', quantile(lat, 0.99), 'ms');
  print('offset_commit_per_s', Math.round(rate), 'commits/s');
  print('offset_commit_partitions_per_s', Math.round(rate * commitPartitions), 'offsets/s');
  const synced = await syncs;
  if (synced === undefined) console.log('# broker fdatasync count: perf stat unavailable, skipped');
  else {
    const commits = doneAtCountEnd - doneAtCountStart;
    console.log(
      `# broker: ${synced} fdatasync+fsync calls for ${commits} commits in ${countWindow} s (perf stat)`,
    );
    print('broker_fsyncs_per_commit', synced / commits, '');
  }
  return rate;
}

// ---- the disk's own limit ----

/**
 * Appends 128 bytes and fdatasyncs, as fast as possible for `ms`, on the broker's file system:
 * `files` files at once, each with one fdatasync in flight through libuv's thread pool (4
 * threads, as in the broker), so the figure is what the disk allows at that concurrency.
 */
async function fdatasyncRate(ms: number, files: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-fsync-'));
  const buf = Buffer.alloc(128, 1);
  let n = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: files }, async (_, i) => {
      const fh = await open(join(dir, `f${i}`), 'a');
      while (performance.now() < end) {
        await fh.write(buf);
        await fh.datasync();
        n++;
      }
      await fh.close();
    }),
  );
  const rate = n / ((performance.now() - started) / 1000);
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

/**
 * Counts the broker's fdatasync/fsync system calls for `seconds` with `perf stat` tracepoints
 * (cheap, no ptrace); undefined when perf is missing or not permitted.
 */
function countSyncs(pid: number, seconds: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const perf = spawn(
      'perf',
      [
        'stat',
        '-x',
        ',',
        '-e',
        'syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync',
        '-p',
        String(pid),
        '--',
        'sleep',
        String(seconds),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    perf.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    perf.on('error', () => resolve(undefined));
    perf.on('close', (code) => {
      const counts = err
        .split('\n')
        .filter((l) => l.includes('syscalls:sys_enter_f'))
        .map((l) => Number(l.split(',')[0]));
      resolve(
        code === 0 && counts.length === 2 && counts.every(Number.isFinite)
          ? counts[0]! + counts[1]!
          : undefined,
      );
    });
  });
}

const logDir = mkdtempSync(join(tmpdir(), 'sluice-bench-groups-'));
const { proc, port } = await startBroker([
  '--override',
  `log.dirs=${logDir}`,
  '--override',
  'group.initial.rebalance.delay.ms=0',
]);
try {
  console.log(`# broker pid ${proc.child.pid} on port ${port}; load ${load()}`);
  if (only.has('rebalance')) await rebalanceBench(port);
  let commits = Number.NaN;
  if (only.has('commit')) commits = await commitBench(port, proc.child.pid!);
  if (only.has('fsync')) {
    const one = await fdatasyncRate(3000, 1);
    const four = await fdatasyncRate(3000, 4);
    print('raw_fdatasync_per_s_1_file', Math.round(one), 'fdatasync/s');
    print('raw_fdatasync_per_s_4_files', Math.round(four), 'fdatasync/s');
    if (!Number.isNaN(commits)) {
      print('offset_commit_ratio_to_fdatasync_1_file', commits / one, '');
      print('offset_commit_ratio_to_fdatasync_4_files', commits / four, '');
    }
  }
} finally {
  await proc.stop();
  rmSync(logDir, { recursive: true, force: true });
}
