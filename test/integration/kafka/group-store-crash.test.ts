import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { DurableGroupStore } from '../../../src/kafka/broker/group/durable-group-store.ts';
import { PartitionManager } from '../../../src/kafka/broker/partition-manager.ts';
import { MemoryLogger } from '../../../src/telemetry/index.ts';

const KILLS = 10;
const PARTITIONS = 6;
const NODE = join(import.meta.dirname, '../../../node_modules/.bin/node');
const WRITER = join(import.meta.dirname, 'clients/group-store-writer.ts');

/** Per key: the last acknowledged value and the values written since without an acknowledgement. */
interface KeyState {
  acked: string | undefined;
  pending: Set<string>;
}

/** Runs the writer until its `killAfter`-th acknowledgement, SIGKILLs it, and folds its lines into `keys`. */
function runAndKill(
  dir: string,
  run: number,
  killAfter: number,
  keys: Map<string, KeyState>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [WRITER, dir, String(run), String(PARTITIONS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let acks = 0;
    let killed = false;
    const state = (key: string) => {
      let s = keys.get(key);
      if (s === undefined) {
        s = { acked: undefined, pending: new Set() };
        keys.set(key, s);
      }
      return s;
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, key, value] = line.split(' ');
      if (key === undefined || value === undefined) return;
      if (kind === 'try') state(key).pending.add(value);
      if (kind === 'ack') {
        // One writer per key, one write at a time: an ack settles everything before it.
        const s = state(key);
        s.acked = value;
        s.pending.clear();
        acks++;
        // Killed on an acknowledgement count, not a timer: the other workers are mid-write.
        if (acks >= killAfter && !killed) {
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

it('kill -9 of a process writing to __consumer_offsets loses no acknowledged write', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-group-crash-'));
  const logger = new MemoryLogger('silent');
  const keys = new Map<string, KeyState>();
  let seed = 4242;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let total = 0;
  try {
    for (let run = 1; run <= KILLS; run++) {
      total += await runAndKill(root, run, 5 + Math.floor(random() * 300), keys);

      const partitions = await PartitionManager.open({ nodeId: 1, logDirs: [root], logger });
      const store = new DurableGroupStore({ partitions, partitionCount: PARTITIONS, logger, now: Date.now });
      await store.open();
      const loaded = await store.load();
      const found = new Map<string, string>();
      for (const [group, offsets] of loaded.offsets) {
        for (const o of offsets) {
          found.set(`o|${group}|${o.topic}|${o.partition}`, String(o.offset));
          assert.equal(o.metadata, `v${o.offset}`);
        }
      }
      for (const [group, g] of loaded.classicGroups) {
        found.set(`c|${group}`, String(g.generationId));
        assert.equal(g.members[0]?.assignment.toString(), String(g.generationId));
      }
      for (const [key, s] of keys) {
        const value = found.get(key) ?? '-';
        const allowed = new Set([s.acked ?? '-', ...s.pending]);
        assert.ok(
          allowed.has(value),
          `run ${run}: ${key} holds ${value}; acknowledged ${s.acked}, in flight [${[...s.pending]}]`,
        );
        // What survived is now the truth the next run builds on.
        s.acked = value;
        s.pending.clear();
      }
      for (const key of found.keys()) assert.ok(keys.has(key), `${key} was never written`);
      await partitions.close();
    }
    assert.ok(total > KILLS * 5, `${total} acknowledged writes`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
