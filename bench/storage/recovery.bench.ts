// Partition log recovery and restart times, through LogManager.open.
//
//   node bench/storage/recovery.bench.ts [--partitions 100] [--mib 8] [--restart-partitions 10000] [--dir /path]
//
// 1. Recovery after kill -9: a child process appends 64 KiB batches to <partitions> partitions
//    (<mib> MiB each) and is SIGKILLed; the parent then times LogManager.open, which finds no
//    clean-shutdown markers and validates every batch (CRC-32C) from each partition's recovery point.
//    Run twice: with the default 1 GiB segments (all data is in the active segment: the worst case,
//    everything is rescanned) and with 1 MiB segments (rolled segments were fsynced and are behind the
//    recovery point: only the active segment is rescanned).
// 2. Clean restart: the same logs closed cleanly, then timed LogManager.open.
// 3. Clean restart with <restart-partitions> partitions (one small batch each).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LogManager } from '../../src/storage/index.ts';
import { buildFillerBatch } from '../../test/support/record-batches.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const partitions = Number(arg('partitions', '100'));
const mib = Number(arg('mib', '8'));
const restartPartitions = Number(arg('restart-partitions', '10000'));

if (process.argv[2] === '--writer') {
  // Child: write, report, then wait to be killed.
  const [, , , dir, segmentBytesText] = process.argv;
  const manager = await LogManager.open({
    logDirs: [dir!],
    defaultConfig: { segmentBytes: Number(segmentBytesText) },
  });
  const batch = buildFillerBatch(64, 1000, Date.now());
  const perPartition = Math.ceil((mib * 1024 * 1024) / batch.length);
  for (let p = 0; p < partitions; p++) {
    const log = await manager.getOrCreate('bench', p);
    for (let i = 0; i < perPartition; i++) await log.append(batch);
  }
  process.stdout.write('written\n');
  setInterval(() => {}, 1 << 30);
} else {
  const root = mkdtempSync(join(arg('dir', tmpdir()), 'sluice-recovery-bench-'));
  try {
    for (const segmentBytes of [1024 * 1024 * 1024, 1024 * 1024]) {
      const dir = join(root, `seg-${segmentBytes}`);
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            import.meta.filename,
            '--writer',
            dir,
            String(segmentBytes),
            '--partitions',
            String(partitions),
            '--mib',
            String(mib),
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        createInterface({ input: child.stdout }).on('line', (line) => {
          if (line === 'written') child.kill('SIGKILL');
        });
        child.on('close', (_code, signal) =>
          signal === 'SIGKILL' ? resolve() : reject(new Error('writer did not run to the kill')),
        );
      });
      const label = segmentBytes >= 1024 * 1024 * 1024 ? 'active_segments_only' : 'segments_1MiB';
      let start = performance.now();
      const manager = await LogManager.open({ logDirs: [dir], defaultConfig: { segmentBytes } });
      const recoverMs = performance.now() - start;
      let recovered = 0;
      let bytes = 0;
      for (const [, log] of manager.entries()) {
        if (!log.recovery.clean) recovered++;
        bytes += log.sizeBytes;
      }
      console.log(
        `recovery_after_kill9_${partitions}p_${mib}MiB_each_${label}: ${recoverMs.toFixed(0)} ms (${recovered} logs recovered, ${(bytes / 1048576).toFixed(0)} MiB on disk)`,
      );
      await manager.close();
      start = performance.now();
      const again = await LogManager.open({ logDirs: [dir], defaultConfig: { segmentBytes } });
      console.log(`clean_restart_${partitions}p_${label}: ${(performance.now() - start).toFixed(0)} ms`);
      await again.close();
      rmSync(dir, { recursive: true, force: true });
    }

    const many = join(root, 'many');
    const setup = await LogManager.open({ logDirs: [many] });
    const small = buildFillerBatch(2, 100, Date.now());
    for (let p = 0; p < restartPartitions; p++) await (await setup.getOrCreate('wide', p)).append(small);
    await setup.close();
    const start = performance.now();
    const manager = await LogManager.open({ logDirs: [many] });
    const ms = performance.now() - start;
    console.log(`clean_restart_${manager.size}_partitions: ${ms.toFixed(0)} ms`);
    console.log(`clean_restart_per_partition: ${((ms * 1000) / manager.size).toFixed(0)} us`);
    await manager.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
