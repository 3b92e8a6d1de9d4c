import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildFillerBatch, buildRecordBatch } from '../../test/support/record-batches.ts';
import { kafkaRecordFormat } from '../kafka/protocol/index.ts';
import { readAll } from './log-contract.test.ts';
import { LogManager, parsePartitionDirName } from './log-manager.ts';

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-logmgr-'));
  try {
    await fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describe('LogManager', () => {
  it('parses partition directory names', () => {
    assert.deepEqual(parsePartitionDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
    assert.equal(parsePartitionDirName('no_partition'), null);
    assert.equal(parsePartitionDirName('t-x'), null);
  });

  it('spreads partitions over log dirs, reloads them, and deletes them', async () => {
    await withRoot(async (root) => {
      const dirs = [join(root, 'd1'), join(root, 'd2')];
      const manager = await LogManager.open({ logDirs: dirs });
      for (let p = 0; p < 6; p++) {
        const log = await manager.getOrCreate('orders', p);
        await log.append(buildFillerBatch(p + 1, 10));
      }
      assert.equal(readdirSync(dirs[0]!).length, 3);
      assert.equal(readdirSync(dirs[1]!).length, 3);
      assert.equal(await manager.getOrCreate('orders', 2), manager.get('orders', 2));
      await manager.close();

      const again = await LogManager.open({ logDirs: dirs });
      assert.equal(again.size, 6);
      for (let p = 0; p < 6; p++) {
        const log = again.get('orders', p)!;
        assert.equal(log.logEndOffset, p + 1);
        assert.equal(log.recovery.clean, true);
        assert.equal((await readAll(log)).length, 1);
      }
      const dir = again.dirOf('orders', 4)!;
      assert.equal(await again.delete('orders', 4), true);
      assert.equal(again.get('orders', 4), undefined);
      assert.ok(!existsSync(join(dir, 'orders-4')));
      await again.close();
      // An interrupted deletion is finished on open.
      mkdirSync(join(dirs[0]!, 'orders-9.123-delete'));
      const third = await LogManager.open({ logDirs: dirs });
      assert.equal(third.size, 5);
      assert.ok(!existsSync(join(dirs[0]!, 'orders-9.123-delete')));
      await third.close();
    });
  });

  it('applies per-topic configs and runs retention and compaction in maintain', async () => {
    await withRoot(async (root) => {
      let now = 1_000_000;
      const manager = await LogManager.open({
        logDirs: [root],
        defaultConfig: { segmentBytes: 500, retentionMs: 10_000 },
        topicConfig: (topic) => (topic === 'compacted' ? { cleanupPolicy: 'compact' } : undefined),
        retentionCheckIntervalMs: 1000,
        maxOpenFiles: 4,
        now: () => now,
        recordFormat: kafkaRecordFormat,
      });
      const plain = await manager.getOrCreate('plain', 0);
      const compacted = await manager.getOrCreate('compacted', 0);
      assert.equal(compacted.config.cleanupPolicy, 'compact');
      assert.equal(compacted.config.segmentBytes, 500);
      for (let i = 0; i < 20; i++) {
        await plain.append(buildFillerBatch(1, 100, now, i));
        await compacted.append(buildRecordBatch([{ key: `k${i % 2}`, value: `v${i}`, timestamp: now }]));
      }
      plain.setHighWatermark(plain.logEndOffset);
      compacted.setHighWatermark(compacted.logEndOffset);
      now += 60_000;
      const report = await manager.maintain(now);
      assert.ok(report.retentionBytesDeleted > 0);
      assert.equal(plain.sizeBytes, 0);
      assert.ok(report.compactedRecords > 0);
      assert.ok(manager.handles.openCount <= 4);
      await manager.close();
    });
  });
});
