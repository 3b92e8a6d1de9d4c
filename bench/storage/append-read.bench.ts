// Partition log append and read throughput against the raw limit of Node on the same file system.
//
//   node bench/storage/append-read.bench.ts [--seconds 1.5] [--rounds 3] [--dir /path]
//
// Append: 1 KiB records in 16 KiB and 1 MiB batches (one batch per append call), with and without
// flushBeforeAck (fdatasync before the append resolves). The raw peer writes the same buffers with
// FileHandle.write at increasing positions (+ datasync per write for the flush case): what Node can do
// with the same batching and no framing checks, CRC-32C, offset stamping or indexes. The
// `_4_in_flight` variants run 4 producers (4 writers for raw) at once, as a broker with several
// producer connections does. Appends pass `crcValidated: true`, as the broker does after its own
// Produce validation (the log then checks framing, sizes and magic but not the CRC-32C again).
// Read: a consumer-style sequential read of the whole log with read(offset, 1 MiB) from the page
// cache, against raw FileHandle.read of 1 MiB chunks of the same bytes.
// Rounds alternate log and raw runs so both see the same machine state; the best round counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentLog } from '../../src/storage/index.ts';
import { buildFillerBatch } from '../../test/support/record-batches.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const seconds = Number(arg('seconds', '1.5'));
const rounds = Number(arg('rounds', '3'));
const root = mkdtempSync(join(arg('dir', tmpdir()), 'sluice-log-bench-'));
/** Bound on bytes written per run, so a fast disk does not fill up. */
const MAX_BYTES_PER_RUN = 1536 * 1024 * 1024;
const RECORD_VALUE_BYTES = 1024 - 20;
let runs = 0;

function fresh(): string {
  return join(root, `run-${runs++}`);
}

async function appendLog(
  batch: Buffer,
  flush: boolean,
  inFlight: number,
): Promise<{ bps: number; dir: string }> {
  const dir = fresh();
  const log = await SegmentLog.open(dir, { config: { flushBeforeAck: flush } });
  let bytes = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  // `inFlight` producers, each with its own buffer, appending one batch at a time.
  const producers = Array.from({ length: inFlight }, async (_, i) => {
    const own = i === 0 ? batch : Buffer.from(batch);
    while (performance.now() < end && bytes < MAX_BYTES_PER_RUN) {
      await log.append(own, { crcValidated: true });
      bytes += own.length;
    }
  });
  await Promise.all(producers);
  const elapsed = (performance.now() - start) / 1000;
  await log.close();
  return { bps: bytes / elapsed, dir };
}

async function appendRaw(
  batch: Buffer,
  flush: boolean,
  inFlight: number,
): Promise<{ bps: number; file: string; bytes: number }> {
  const file = `${fresh()}.raw`;
  const fh = await open(file, 'w');
  let bytes = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const writers = Array.from({ length: inFlight }, async () => {
    while (performance.now() < end && bytes < MAX_BYTES_PER_RUN) {
      const position = bytes;
      bytes += batch.length;
      await fh.write(batch, 0, batch.length, position);
      if (flush) await fh.datasync();
    }
  });
  await Promise.all(writers);
  const elapsed = (performance.now() - start) / 1000;
  await fh.close();
  return { bps: bytes / elapsed, file, bytes };
}

async function readLog(dir: string): Promise<number> {
  const log = await SegmentLog.open(dir);
  let offset = log.logStartOffset;
  let bytes = 0;
  const start = performance.now();
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1024 * 1024);
    bytes += r.records.length;
    offset = r.nextOffset;
  }
  const bps = bytes / ((performance.now() - start) / 1000);
  await log.close();
  return bps;
}

async function readRaw(file: string, size: number): Promise<number> {
  const fh = await open(file, 'r');
  const chunk = 1024 * 1024;
  let pos = 0;
  const start = performance.now();
  while (pos < size) {
    // A fresh buffer per read, as the log allocates one per fetch.
    const buf = Buffer.allocUnsafe(chunk);
    const { bytesRead } = await fh.read(buf, 0, chunk, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
  }
  const bps = pos / ((performance.now() - start) / 1000);
  await fh.close();
  return bps;
}

const mb = (bps: number) => (bps / 1e6).toFixed(0);

const variants: Array<[number, boolean, number]> = [
  [16, false, 1],
  [16, true, 1],
  [1024, false, 1],
  [1024, true, 1],
  [16, false, 4],
  [1024, false, 4],
];
for (const [batchKiB, flush, inFlight] of variants) {
  const batch = buildFillerBatch(batchKiB, RECORD_VALUE_BYTES, Date.now());
  const label = `${batchKiB === 1024 ? '1MiB' : `${batchKiB}KiB`}${inFlight > 1 ? `_${inFlight}_in_flight` : ''}`;
  {
    let bestLog = 0;
    let bestRaw = 0;
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first; delete each run's files at once so no dirty pages carry over.
      for (const which of round % 2 === 0 ? ['log', 'raw'] : ['raw', 'log']) {
        if (which === 'log') {
          const l = await appendLog(batch, flush, inFlight);
          bestLog = Math.max(bestLog, l.bps);
          rmSync(l.dir, { recursive: true, force: true });
        } else {
          const r = await appendRaw(batch, flush, inFlight);
          bestRaw = Math.max(bestRaw, r.bps);
          rmSync(r.file, { force: true });
        }
      }
    }
    const mode = flush ? 'flush_before_ack' : 'page_cache';
    console.log(`log_append_${label}_${mode}: ${mb(bestLog)} MB/s`);
    console.log(`raw_append_${label}_${mode}: ${mb(bestRaw)} MB/s`);
    console.log(`ratio_append_${label}_${mode}: ${(bestLog / bestRaw).toFixed(2)}`);
  }
}

// Sequential reads from the page cache: one log of 1 MiB batches (~512 MiB) and a raw copy of it.
{
  const batch = buildFillerBatch(1024, RECORD_VALUE_BYTES, Date.now());
  const dir = fresh();
  const log = await SegmentLog.open(dir);
  const file = `${fresh()}.raw`;
  const fh = await open(file, 'w');
  let bytes = 0;
  for (let i = 0; i < 512; i++) {
    await log.append(batch);
    await fh.write(batch, 0, batch.length, bytes);
    bytes += batch.length;
  }
  await log.close();
  await fh.close();
  let bestLog = 0;
  let bestRaw = 0;
  for (let round = 0; round < rounds; round++) {
    bestLog = Math.max(bestLog, await readLog(dir));
    bestRaw = Math.max(bestRaw, await readRaw(file, bytes));
  }
  console.log(`log_read_sequential_1MiB_fetches: ${mb(bestLog)} MB/s`);
  console.log(`raw_read_sequential_1MiB_chunks: ${mb(bestRaw)} MB/s`);
  console.log(`ratio_read_sequential: ${(bestLog / bestRaw).toFixed(2)}`);
}
rmSync(root, { recursive: true, force: true });
