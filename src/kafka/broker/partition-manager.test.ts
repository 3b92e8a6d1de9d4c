import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { ErrorCode, encodeRecordBatch } from '../protocol/index.ts';
import { PRODUCER_STATE_FILE } from './partition.ts';
import { PartitionManager } from './partition-manager.ts';
import { TOPICS_FILE } from './topic-registry.ts';

const logger = new MemoryLogger('warn');

function idempotent(producerId: number, seq: number, value: string): Buffer {
  return encodeRecordBatch({
    baseTimestamp: 1,
    producerId,
    producerEpoch: 0,
    baseSequence: seq,
    records: [{ value: Buffer.from(value) }],
  });
}

describe('PartitionManager', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-pm-'));
  const dirs = [join(root, 'a'), join(root, 'b')];
  after(() => rmSync(root, { recursive: true, force: true }));
  const open = () => PartitionManager.open({ nodeId: 1, logDirs: dirs, logger });

  it('persists topics with stable ids and spreads partitions over the log dirs', async () => {
    const pm = await open();
    const t = await pm.createTopic('orders', 4, { 'retention.ms': '1000' });
    assert.match(t.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(existsSync(join(dirs[0]!, TOPICS_FILE)));
    assert.equal(pm.partition('orders', 0)!.log.config.retentionMs, 1000, 'override applied to the log');
    const used = new Set([0, 1, 2, 3].map((p) => pm.logs.dirOf('orders', p)));
    assert.equal(used.size, 2, 'both log dirs hold partitions');
    await pm.close();

    const again = await open();
    assert.equal(again.topic('orders')?.id, t.id);
    assert.equal(again.topicById(t.id)?.name, 'orders');
    assert.equal(again.partitionsOf('orders').length, 4);
    assert.equal(again.partition('orders', 3)!.log.config.retentionMs, 1000);
    await again.close();
  });

  it('publishes a topic, or its new partitions, only once they are open', async () => {
    const pm = await open();
    const creating = pm.createTopic('visible-late', 3, {});
    assert.equal(pm.topic('visible-late'), undefined, 'not visible while its partitions open');
    const t = await creating;
    assert.equal(pm.topic('visible-late'), t);
    assert.equal(pm.topicById(t.id), t);
    assert.equal(pm.partitionsOf('visible-late').length, 3);

    const growing = pm.addPartitions('visible-late', 5);
    assert.equal(pm.topic('visible-late')?.partitionCount, 3, 'the old count until the new partitions open');
    await growing;
    assert.equal(pm.topic('visible-late')?.partitionCount, 5);
    assert.equal(pm.partitionsOf('visible-late').length, 5);

    const deleting = pm.deleteTopic('visible-late');
    assert.equal(pm.topic('visible-late'), undefined, 'hidden as soon as its deletion starts');
    await deleting;
    await pm.close();
  });

  it('rebuilds producer state from the log when the snapshot is missing', async () => {
    const pm = await open();
    const p = pm.partition('orders', 0)!;
    const first = await p.append(idempotent(9, 0, 'a'), { maxMessageBytes: 1 << 20 });
    assert.equal(first.errorCode, 0);
    await pm.close();
    for (const d of dirs) rmSync(join(d, 'orders-0', PRODUCER_STATE_FILE), { force: true });

    const again = await open();
    const q = again.partition('orders', 0)!;
    const dup = await q.append(idempotent(9, 0, 'a'), { maxMessageBytes: 1 << 20 });
    assert.deepEqual(dup, { ...first, duplicate: true }, 'the retry is recognized after the rebuild');
    const gap = await q.append(idempotent(9, 3, 'b'), { maxMessageBytes: 1 << 20 });
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await again.close();
  });

  it('replays the log after a stale snapshot (the state of a crash between snapshots)', async () => {
    const pm = await open();
    const p = pm.partition('orders', 1)!;
    const limits = { maxMessageBytes: 1 << 20 };
    assert.equal((await p.append(idempotent(11, 0, 'x'), limits)).errorCode, 0);
    await p.saveProducerState();
    const snapshotPath = join(p.log.dir, PRODUCER_STATE_FILE);
    const stale = readFileSync(snapshotPath);
    const second = await p.append(idempotent(11, 1, 'y'), limits);
    await pm.close();
    writeFileSync(snapshotPath, stale);

    const again = await open();
    const q = again.partition('orders', 1)!;
    assert.deepEqual(await q.append(idempotent(11, 1, 'y'), limits), { ...second, duplicate: true });
    assert.equal((await q.append(idempotent(11, 2, 'z'), limits)).errorCode, 0);
    await again.close();
  });

  it('never hands out a producer id twice, across restarts', async () => {
    const pm = await open();
    const a = await pm.allocateProducerId();
    const b = await pm.allocateProducerId();
    await pm.close();
    const again = await open();
    const c = await again.allocateProducerId();
    assert.equal(new Set([a, b, c]).size, 3);
    await again.close();
  });

  it('deletes topics and finishes a deletion interrupted before the logs were removed', async () => {
    const pm = await open();
    await pm.createTopic('gone', 1, {});
    await pm.deleteTopic('gone');
    assert.equal(pm.topic('gone'), undefined);
    await pm.close();
    // A partition directory the registry does not know (a crash between registry and log deletion).
    mkdirSync(join(dirs[1]!, 'stray-0'), { recursive: true });
    const again = await open();
    assert.equal(again.logs.get('stray', 0), undefined);
    assert.ok(!existsSync(join(dirs[1]!, 'stray-0')));
    assert.deepEqual(
      again.topics().map((t) => t.name),
      ['orders'],
    );
    await again.close();
  });
});
