// Write-ahead-log throughput with fsync, against the raw disk limit measured in the same run.
//
//   node bench/storage/wal.bench.ts [--seconds 2] [--rounds 4] [--dir /path/on/the/disk/to/test]
//
// For 200-byte and 4 KiB records and 1, 16 and 256 concurrent appenders it measures
// WriteAheadLog.append (group commit, fdatasync) and two raw loops on a plain file:
//   raw per record: writeSync + fdatasyncSync for every record (what a WAL without group commit
//                   could reach at best);
//   raw batched:    writevSync of <concurrency> records + one fdatasyncSync (the same batching that
//                   group commit achieves when every appender is waiting, with no framing, CRC,
//                   promises or thread-pool hops).
// and prints `name: value unit` lines plus the WAL / raw ratios.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriteAheadLog } from '../../src/storage/wal/write-ahead-log.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const seconds = Number(arg('seconds', '2'));
const rounds = Number(arg('rounds', '4'));
const root = mkdtempSync(join(arg('dir', tmpdir()), 'sluice-wal-bench-'));
const sizes = [200, 4096];
const concurrencies = [1, 16, 256];
let runs = 0;

/** Appends and syncs over some seconds, summed over rounds. */
interface Tally {
  appends: number;
  syncs: number;
  seconds: number;
}

const tally = (): Tally => ({ appends: 0, syncs: 0, seconds: 0 });

function line(name: string, value: number, unit: string): void {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  console.log(`${name}: ${value.toFixed(digits)} ${unit}`);
}

async function benchWal(size: number, concurrency: number, slice: number, into: Tally): Promise<void> {
  const dir = join(root, `wal-${runs++}`);
  const wal = await WriteAheadLog.open(dir, { recordBytesMax: 64 * 1024 });
  const payload = Buffer.alloc(size, 0x61);
  const syncsBefore = wal.stats.syncs;
  let appends = 0;
  let stop = false;
  const start = performance.now();
  const appender = async () => {
    while (!stop) {
      await wal.append(payload);
      appends++;
      if (performance.now() - start >= slice * 1000) stop = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, appender));
  into.seconds += (performance.now() - start) / 1000;
  into.appends += appends;
  into.syncs += wal.stats.syncs - syncsBefore;
  await wal.close();
  rmSync(dir, { recursive: true, force: true });
}

function benchRaw(size: number, batch: number, slice: number, into: Tally): void {
  const path = join(root, `raw-${runs++}`);
  const fd = openSync(path, 'w');
  const records = Array.from({ length: batch }, () => Buffer.alloc(size, 0x61));
  let appends = 0;
  let syncs = 0;
  const start = performance.now();
  while (performance.now() - start < slice * 1000) {
    if (batch === 1) writeSync(fd, records[0]!);
    else writevSync(fd, records);
    fdatasyncSync(fd);
    syncs++;
    appends += batch;
  }
  into.seconds += (performance.now() - start) / 1000;
  into.appends += appends;
  into.syncs += syncs;
  closeSync(fd);
  rmSync(path);
}

console.log(
  `# write-ahead log, fsync always; ${seconds} s per measurement in ${rounds} interleaved rounds; files in ${root}`,
);
try {
  for (const size of sizes) {
    const label = size >= 1024 ? `${size / 1024}KiB` : `${size}B`;
    const wal = new Map(concurrencies.map((c) => [c, tally()]));
    const raw = new Map(concurrencies.map((c) => [c, tally()]));
    // Interleaved slices: this disk's sync latency drifts, and both sides should see the same drift.
    for (let round = 0; round < rounds; round++) {
      for (const c of concurrencies) {
        await benchWal(size, c, seconds / rounds, wal.get(c)!);
        benchRaw(size, c, seconds / rounds, raw.get(c)!);
      }
    }
    const perRecord = raw.get(1)!;
    const perRecordRate = perRecord.appends / perRecord.seconds;
    line(`raw.write+fdatasync.${label}.per_record`, perRecordRate, 'appends/s');
    line(`raw.write+fdatasync.${label}.per_record.throughput`, (perRecordRate * size) / 1e6, 'MB/s');
    for (const c of concurrencies) {
      const name = `${label}.c${c}`;
      const w = wal.get(c)!;
      const r = raw.get(c)!;
      const walRate = w.appends / w.seconds;
      const rawRate = r.appends / r.seconds;
      line(`wal.append.${name}`, walRate, 'appends/s');
      line(`wal.append.${name}.throughput`, (walRate * size) / 1e6, 'MB/s');
      line(`wal.append.${name}.records_per_sync`, w.appends / Math.max(w.syncs, 1), 'records');
      if (c > 1) {
        line(`raw.writev+fdatasync.${label}.batch${c}`, rawRate, 'appends/s');
        line(`raw.writev+fdatasync.${label}.batch${c}.throughput`, (rawRate * size) / 1e6, 'MB/s');
      }
      line(`ratio.wal_vs_raw_same_batching.${name}`, walRate / rawRate, 'x');
      line(`ratio.wal_vs_raw_per_record.${name}`, walRate / perRecordRate, 'x');
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
