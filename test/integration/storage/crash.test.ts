import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { batchBaseOffset, batchLastOffset, crcMatches, SegmentLog } from '../../../src/storage/index.ts';
import { crashBatch } from './crash-batches.ts';

const KILLS = 24;
const writer = join(import.meta.dirname, 'crash-writer.ts');

interface Ack {
  id: number;
  baseOffset: number;
  lastOffset: number;
}

/** Runs the writer until a random moment after it is ready, SIGKILLs it, returns its acks. */
function runAndKill(dir: string, firstId: number, killAfterAcks: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir, String(firstId)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acks: Ack[] = [];
    let killed = false;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'ack') {
        acks.push({ id: Number(a), baseOffset: Number(b), lastOffset: Number(c) });
        // Kill on the n-th ack: a moment chosen by data, not by a timer; the child is mid-append.
        if (acks.length >= killAfterAcks && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('error', reject);
    // 'close' comes after the exit and after stdout ended, so every line has been seen.
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}`));
      else resolve(acks);
    });
  });
}

function expectedBatches(id: number): Buffer[] {
  return id % 4 === 0 ? [crashBatch(id), crashBatch(id + 0.5)] : [crashBatch(id)];
}

it('keeps every fsynced batch byte for byte across SIGKILLs and serves nothing past the tail', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
  const dir = join(root, 'crash-0');
  const acked = new Map<number, Buffer>();
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  try {
    let nextId = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const acks = await runAndKill(dir, nextId, 1 + Math.floor(random() * 60));
      for (const ack of acks) {
        let offset = ack.baseOffset;
        for (const b of expectedBatches(ack.id)) {
          const copy = Buffer.from(b);
          copy.writeBigInt64BE(BigInt(offset), 0);
          acked.set(offset, copy);
          offset = batchLastOffset(copy, 0) + 1;
        }
        assert.equal(offset - 1, ack.lastOffset);
        nextId = Math.max(nextId, ack.id + 1);
      }
      nextId += 1000;

      const log = await SegmentLog.open(dir, { config: { segmentBytes: 48 * 1024 } });
      assert.equal(log.recovery.clean, false);
      // Every acked batch is there, identical.
      for (const [offset, bytes] of acked) {
        const r = await log.read(offset, 1);
        assert.equal(r.firstOffset, offset);
        assert.deepEqual(r.records, bytes, `batch at ${offset} after kill ${kill}`);
      }
      // The whole log reads back as valid, contiguous batches up to the end, nothing beyond.
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const r = await log.read(offset, 256 * 1024);
        assert.ok(r.records.length > 0);
        for (let at = 0; at < r.records.length; ) {
          const size = 12 + r.records.readInt32BE(at + 8);
          assert.ok(crcMatches(r.records, at, size));
          assert.equal(batchBaseOffset(r.records, at), offset);
          offset = batchLastOffset(r.records, at) + 1;
          at += size;
        }
      }
      assert.equal(offset, log.logEndOffset);
      await assert.rejects(log.read(log.logEndOffset + 1, 1));
      // Alternate: half the time the next writer starts from a clean shutdown.
      if (kill % 2 === 0) await log.close();
      else await log.abandon();
    }
    assert.ok(acked.size > KILLS, `acked ${acked.size} batches`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
