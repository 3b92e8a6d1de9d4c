import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { crashOptions, crashPayload } from './wal-crash.child.ts';
import { WriteAheadLog } from './write-ahead-log.ts';

const child = join(import.meta.dirname, 'wal-crash.child.ts');
const root = mkdtempSync(join(tmpdir(), 'sluice-wal-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  acked: number[];
  truncatedBelow: number;
}

/** Starts the appending child and SIGKILLs it as soon as it has acknowledged `killAfter` appends. */
function runAndKill(dir: string, killAfter: number, preallocateBytes: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child], { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdin.end(`${dir} ${preallocateBytes}\n`);
    const run: Run = { acked: [], truncatedBelow: 0 };
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (!killed) killed = proc.kill('SIGKILL');
    };
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const [kind, n] = line.split(' ');
      if (kind === 'ack') run.acked.push(Number(n));
      else if (kind === 'trunc') run.truncatedBelow = Math.max(run.truncatedBelow, Number(n));
      if (run.acked.length >= killAfter) kill();
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(run);
      else reject(new Error(`child exited by itself (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

describe('WriteAheadLog under SIGKILL', () => {
  it('replays every acknowledged record intact and nothing that is not a record, across 20 crashes', async () => {
    const dir = join(root, 'log');
    let rng = 0x9e3779b9;
    const random = () => {
      rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
      return rng;
    };
    const acked = new Set<number>();
    let truncatedBelow = 0;
    for (let iteration = 0; iteration < 20; iteration++) {
      // Kill right after open (0 acks) now and then, otherwise after 1 to 2000 acknowledged appends.
      const killAfter = iteration % 5 === 0 ? 0 : 1 + (random() % 2000);
      // Every other child preallocates (zero-filled tails, extensions racing the kill, rolls that
      // cut the zeros), so each kind of tail is also reopened by the other kind of writer.
      const run = await runAndKill(dir, killAfter, iteration % 2 === 1 ? 16 * 1024 : 0);
      for (const seq of run.acked) acked.add(seq);
      truncatedBelow = Math.max(truncatedBelow, run.truncatedBelow);

      const wal = await WriteAheadLog.open(dir, { ...crashOptions, fsync: 'never' });
      const context = `iteration ${iteration}, killed after ${run.acked.length} acks`;
      assert.ok(wal.firstSeq <= Math.max(truncatedBelow, 1), `${context}: kept records from ${wal.firstSeq}`);
      let expected = wal.firstSeq;
      for await (const r of wal.replay()) {
        assert.equal(r.seq, expected, `${context}: dense seqs`);
        assert.ok(r.payload.equals(crashPayload(r.seq)), `${context}: payload of seq ${r.seq} intact`);
        expected++;
      }
      let highest = 0;
      for (const seq of acked) {
        highest = Math.max(highest, seq);
        if (seq >= truncatedBelow) assert.ok(seq < expected, `${context}: acknowledged seq ${seq} replayed`);
      }
      assert.ok(expected > highest || acked.size === 0, `${context}: log reaches the highest ack`);
      await wal.close();
    }
    assert.ok(acked.size > 1000, `the children acknowledged ${acked.size} appends in all`);
  });
});
