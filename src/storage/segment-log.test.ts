import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { batchRecords, buildFillerBatch, buildRecordBatch } from '../../test/support/record-batches.ts';
import { kafkaRecordFormat } from '../kafka/protocol/index.ts';
import { batchBaseOffset, crcMatches } from './batch-framing.ts';
import { FileHandleCache } from './file-handle-cache.ts';
import { LEADER_EPOCH_CHECKPOINT_FILE } from './leader-epoch-cache.ts';
import { readAll, runLogContract, splitBatches } from './log-contract.test.ts';
import { CLEAN_SHUTDOWN_FILE, SegmentLog, type SegmentLogOptions } from './segment-log.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sluice-seglog-'));
}

runLogContract('SegmentLog', async (options = {}) => {
  const dir = tempDir();
  const log = await SegmentLog.open(join(dir, 'topic-0'), {
    ...(options.noRecordFormat ? {} : { recordFormat: kafkaRecordFormat }),
    ...(options.dedupeBufferBytes ? { dedupeBufferBytes: options.dedupeBufferBytes } : {}),
    ...(options.config ? { config: options.config } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return { log, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const root = tempDir();
  try {
    await fn(join(root, 'topic-0'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function fill(log: SegmentLog, batches: number, valueBytes = 100, records = 3): Promise<Buffer[]> {
  const sent: Buffer[] = [];
  for (let i = 0; i < batches; i++) {
    const b = buildFillerBatch(records, valueBytes, 1000 + i, i);
    await log.append(b);
    sent.push(Buffer.from(b));
  }
  return sent;
}

function logFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort();
}

describe('SegmentLog files', () => {
  it('names segments by base offset and rolls by segment.bytes', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, { config: { segmentBytes: 2000 } });
      await fill(log, 20);
      const files = logFiles(dir);
      assert.ok(files.length > 3);
      assert.equal(files[0], '00000000000000000000.log');
      for (const f of files) {
        assert.match(f, /^\d{20}\.log$/);
        assert.ok(statSync(join(dir, f)).size <= 2000);
      }
      assert.deepEqual(
        files.map((f) => Number(f.slice(0, 20))),
        log.segmentBaseOffsets,
      );
      await log.close();
      assert.ok(existsSync(join(dir, files[0]!.replace('.log', '.index'))));
      assert.ok(existsSync(join(dir, files[0]!.replace('.log', '.timeindex'))));
    });
  });

  it('rolls by segment.ms with an injected clock', async () => {
    await withDir(async (dir) => {
      let now = 0;
      const log = await SegmentLog.open(dir, { config: { segmentMs: 1000 }, now: () => now });
      await fill(log, 3);
      assert.equal(log.segmentCount, 1);
      now = 1001;
      await fill(log, 1);
      assert.equal(log.segmentCount, 2);
      await log.close();
    });
  });

  it('rolls when the offset index is full', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, { config: { indexIntervalBytes: 1, segmentIndexBytes: 8 * 4 } });
      await fill(log, 12, 10, 1);
      assert.ok(log.segmentCount >= 3, `segments: ${log.segmentCount}`);
      await log.close();
    });
  });

  it('reopens after a clean close with everything in place, and removes the marker', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, {
        config: { segmentBytes: 3000 },
        recordFormat: kafkaRecordFormat,
      });
      const sent = await fill(log, 25);
      await log.append(buildFillerBatch(1, 10), { leaderEpoch: 4 });
      log.setHighWatermark(40);
      await log.deleteRecordsBefore(7);
      const before = {
        lso: log.logStartOffset,
        leo: log.logEndOffset,
        hw: log.highWatermark,
        segs: log.segmentBaseOffsets,
        ts: await log.offsetForTimestamp(1010),
      };
      await log.close();
      assert.ok(existsSync(join(dir, CLEAN_SHUTDOWN_FILE)));
      assert.equal(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8'), '0\n1\n4 75\n');

      const again = await SegmentLog.open(dir, {
        config: { segmentBytes: 3000 },
        recordFormat: kafkaRecordFormat,
      });
      assert.equal(again.recovery.clean, true);
      assert.ok(!existsSync(join(dir, CLEAN_SHUTDOWN_FILE)));
      assert.deepEqual(
        {
          lso: again.logStartOffset,
          leo: again.logEndOffset,
          hw: again.highWatermark,
          segs: again.segmentBaseOffsets,
          ts: await again.offsetForTimestamp(1010),
        },
        before,
      );
      assert.deepEqual(again.endOffsetForEpoch(4), { leaderEpoch: 4, endOffset: 76 });
      const got = await readAll(again);
      assert.equal(got.length, sent.length + 1 - 2);
      assert.equal(batchBaseOffset(got[0]!, 0), 6);
      assert.equal((await again.append(buildFillerBatch(1, 10))).baseOffset, 76);
      await again.close();
    });
  });

  it('recovers a torn tail after a crash, never serving it', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir);
      const sent = await fill(log, 10);
      await log.flush();
      await log.abandon();
      const file = join(dir, logFiles(dir).at(-1)!);
      const size = statSync(file).size;
      truncateSync(file, size - 17);
      const again = await SegmentLog.open(dir);
      assert.equal(again.recovery.clean, false);
      assert.equal(again.recovery.bytesTruncated, sent.at(-1)!.length - 17);
      assert.equal(again.logEndOffset, 27);
      const got = await readAll(again);
      assert.equal(got.length, 9);
      for (const b of got) assert.ok(crcMatches(b, 0, b.length));
      assert.equal((await again.append(buildFillerBatch(1, 10))).baseOffset, 27);
      await again.close();
    });
  });

  it('truncates at the first corrupt batch and drops the segments after it', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, { config: { segmentBytes: 1500 } });
      await fill(log, 20);
      await log.abandon();
      const files = logFiles(dir);
      assert.ok(files.length >= 3);
      // Without any recovery checkpoint, every segment is checked; corrupt the middle one.
      rmSync(join(dir, 'recovery-point-offset-checkpoint'), { force: true });
      const middle = join(dir, files[1]!);
      const bytes = readFileSync(middle);
      bytes[200]! ^= 0xff;
      writeFileSync(middle, bytes);
      const again = await SegmentLog.open(dir, { config: { segmentBytes: 1500 } });
      assert.equal(again.segmentCount, 2);
      assert.ok(again.recovery.segmentsDeleted >= 1);
      for (const b of await readAll(again)) assert.ok(crcMatches(b, 0, b.length));
      await again.close();
    });
  });

  it('rebuilds missing or corrupt indexes', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, {
        config: { segmentBytes: 5000, indexIntervalBytes: 300 },
        recordFormat: kafkaRecordFormat,
      });
      await fill(log, 40);
      await log.close();
      const idx = readdirSync(dir).filter((f) => f.endsWith('.index'));
      rmSync(join(dir, idx[0]!));
      writeFileSync(join(dir, idx[1]!), Buffer.from([1, 2, 3]));
      const tidx = readdirSync(dir).filter((f) => f.endsWith('.timeindex'));
      writeFileSync(join(dir, tidx[0]!), Buffer.alloc(24, 0xff));
      const again = await SegmentLog.open(dir, {
        config: { segmentBytes: 5000, indexIntervalBytes: 300 },
        recordFormat: kafkaRecordFormat,
      });
      for (let offset = 0; offset < again.logEndOffset; offset += 7) {
        const r = await again.read(offset, 1);
        assert.ok(r.firstOffset <= offset && r.nextOffset > offset, `offset ${offset}`);
      }
      assert.equal((await again.offsetForTimestamp(1005))?.offset, 15);
      await again.close();
    });
  });

  it('fsyncs before acking with flushBeforeAck, and by flush.messages otherwise', async () => {
    await withDir(async (dir) => {
      const acked = await SegmentLog.open(join(dir, 'a'), { config: { flushBeforeAck: true } });
      await acked.append(buildFillerBatch(2, 10));
      assert.equal(acked.flushedOffset, 2);
      await acked.close();
      const counted = await SegmentLog.open(join(dir, 'b'), { config: { flushMessages: 5 } });
      await counted.append(buildFillerBatch(3, 10));
      assert.equal(counted.flushedOffset, 0);
      await counted.append(buildFillerBatch(3, 10));
      assert.equal(counted.flushedOffset, 6);
      await counted.append(buildFillerBatch(1, 10));
      assert.equal(counted.flushedOffset, 6);
      await counted.flush();
      assert.equal(counted.flushedOffset, 7);
      await counted.close();
      let now = 0;
      const timed = await SegmentLog.open(join(dir, 'c'), { config: { flushMs: 1000 }, now: () => now });
      await timed.append(buildFillerBatch(1, 10));
      assert.equal(await timed.maintain(500), false);
      assert.equal(timed.flushedOffset, 0);
      now = 1000;
      assert.equal(await timed.maintain(1000), true);
      assert.equal(timed.flushedOffset, 1);
      await timed.close();
    });
  });

  it('keeps open files within the shared LRU bound', async () => {
    await withDir(async (dir) => {
      const handles = new FileHandleCache(3);
      const options: SegmentLogOptions = {
        config: { segmentBytes: 700 },
        handles,
        recordFormat: kafkaRecordFormat,
      };
      const log = await SegmentLog.open(dir, options);
      await fill(log, 30);
      assert.ok(log.segmentCount > 5);
      // A rolled segment is fsynced in the background, and its lease may still pin one handle above
      // the bound (documented: maxOpen plus the handles lent out); at rest the bound holds.
      for (let i = 0; i < 100 && handles.openCount > 3; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(handles.openCount <= 3, `open handles: ${handles.openCount}`);
      // Reading everything touches every segment; the bound holds and the data is intact.
      const got = await readAll(log);
      assert.equal(got.length, 30);
      assert.ok(handles.openCount <= 3);
      // Index memory follows the handles: only segments with open files (and the active one) keep it.
      assert.ok(log.segmentsWithIndexesLoaded <= 4, `indexes loaded: ${log.segmentsWithIndexesLoaded}`);
      assert.equal((await log.offsetForTimestamp(1003))?.offset, 9);
      await log.close();
      assert.equal(handles.openCount, 0);
    });
  });

  it('compacts on disk and survives a reopen; finishes an interrupted swap', async () => {
    await withDir(async (dir) => {
      const config = { cleanupPolicy: 'compact' as const, segmentBytes: 400 };
      const log = await SegmentLog.open(dir, { config, recordFormat: kafkaRecordFormat });
      for (let i = 0; i < 30; i++) {
        await log.append(buildRecordBatch([{ key: `k${i % 3}`, value: `v${i}`, timestamp: 1 }]));
      }
      const segsBefore = log.segmentCount;
      const stats = await log.compact(10);
      assert.ok(stats.recordsRemoved > 20 && stats.segmentsCleaned > 0, JSON.stringify(stats));
      assert.equal(log.segmentCount, segsBefore);
      const values = (await readAll(log, 0)).flatMap((b) => batchRecords(b).map((r) => r.offset));
      assert.ok(values.length < 10);
      await log.close();
      const again = await SegmentLog.open(dir, { config, recordFormat: kafkaRecordFormat });
      assert.deepEqual(
        (await readAll(again, 0)).flatMap((b) => batchRecords(b).map((r) => r.offset)),
        values,
      );
      await again.close();

      // A crash after the cleaned file became `.swap`: open completes the replacement.
      const files = logFiles(dir);
      const target = join(dir, files[0]!);
      const replacement = buildRecordBatch([{ key: 'z', value: 'swapped', timestamp: 1 }]);
      replacement.writeBigInt64BE(BigInt(Number(files[0]!.slice(0, 20))), 0);
      writeFileSync(`${target}.swap`, replacement);
      writeFileSync(`${join(dir, files[1]!)}.cleaned`, Buffer.from('partial garbage'));
      rmSync(join(dir, CLEAN_SHUTDOWN_FILE));
      const third = await SegmentLog.open(dir, { config, recordFormat: kafkaRecordFormat });
      const first = (await third.read(third.logStartOffset, 1 << 20)).records;
      assert.equal(batchRecords(splitBatches(first)[0]!)[0]!.key?.toString(), 'z');
      assert.ok(!readdirSync(dir).some((f) => f.endsWith('.swap') || f.endsWith('.cleaned')));
      await third.close();
    });
  });

  it('reads concurrently with appends without serving uncommitted bytes', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, { config: { segmentBytes: 10_000 } });
      const appends: Promise<unknown>[] = [];
      const reads: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        appends.push(log.append(buildFillerBatch(2, 100, i, i)));
        reads.push(
          (async () => {
            const leo = log.logEndOffset;
            const r = await log.read(Math.floor(leo / 2), 5000);
            for (const b of splitBatches(r.records)) assert.ok(crcMatches(b, 0, b.length));
          })(),
        );
      }
      await Promise.all([...appends, ...reads]);
      assert.equal(log.logEndOffset, 100);
      await log.close();
    });
  });

  it('commits concurrent appends in groups, in call order, failing a bad one alone', async () => {
    await withDir(async (dir) => {
      const log = await SegmentLog.open(dir, { config: { flushBeforeAck: true, segmentBytes: 5000 } });
      const calls: Promise<{ baseOffset: number; lastOffset: number } | Error>[] = [];
      for (let i = 0; i < 60; i++) {
        if (i === 30) {
          const stale = buildFillerBatch(1, 5);
          calls.push(log.append(stale, { assignOffsets: false }).catch((err: Error) => err));
        } else calls.push(log.append(buildFillerBatch(1 + (i % 3), 50, i, i)));
      }
      const results = await Promise.all(calls);
      let expected = 0;
      for (const [i, r] of results.entries()) {
        if (i === 30) {
          assert.ok(r instanceof Error && r.name === 'InvalidRecordError');
          continue;
        }
        assert.ok(!(r instanceof Error));
        assert.equal(r.baseOffset, expected);
        expected = r.lastOffset + 1;
      }
      assert.equal(log.logEndOffset, expected);
      assert.equal(log.flushedOffset, expected);
      assert.ok(log.segmentCount > 1);
      assert.equal((await readAll(log)).length, 59);
      await log.close();
    });
  });
});
