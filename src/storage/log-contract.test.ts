import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchRecords, buildFillerBatch, buildRecordBatch } from '../../test/support/record-batches.ts';
import {
  BASE_OFFSET_AT,
  batchAttributes,
  batchBaseOffset,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchSize,
  CRC_AT,
  crcMatches,
  MAGIC_AT,
  TIMESTAMP_TYPE_BIT,
} from './batch-framing.ts';
import type { Log } from './log.ts';
import { KEY_ENTRY_BYTES } from './log-cleaner.ts';
import type { LogConfig } from './log-config.ts';
import {
  CorruptRecordError,
  InvalidRecordError,
  LogStorageError,
  OffsetOutOfRangeError,
} from './log-errors.ts';

/**
 * The Log contract: one suite, run against every implementation (segment-log.test.ts,
 * memory-log.test.ts). `factory` makes a fresh, empty log.
 */
export interface LogFactoryOptions {
  config?: Partial<LogConfig>;
  now?: () => number;
  /** Open the log without a RecordFormat (factories pass kafka/protocol's otherwise). */
  noRecordFormat?: boolean;
  dedupeBufferBytes?: number;
}
export type LogFactory = (options?: LogFactoryOptions) => Promise<{ log: Log; cleanup(): Promise<void> }>;

/** Splits a read result into its batches. */
export function splitBatches(records: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < records.length; ) {
    const size = batchSize(records, at);
    out.push(records.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** Every batch from `from` to the log end, following nextOffset across segments. */
export async function readAll(log: Log, from = log.logStartOffset): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20);
    if (r.records.length === 0) break;
    out.push(...splitBatches(r.records));
    offset = r.nextOffset;
  }
  return out;
}

/** A batch with its offset field ignored, for byte comparisons. */
function withoutOffset(batch: Buffer): Buffer {
  const copy = Buffer.from(batch);
  copy.fill(0, BASE_OFFSET_AT, BASE_OFFSET_AT + 8);
  return copy;
}

async function withLog(factory: LogFactory, options: LogFactoryOptions, fn: (log: Log) => Promise<void>) {
  const { log, cleanup } = await factory(options);
  try {
    await fn(log);
  } finally {
    await log.close().catch(() => {});
    await cleanup();
  }
}

export function runLogContract(name: string, factory: LogFactory): void {
  describe(`Log contract: ${name}`, () => {
    it('starts empty at offset 0', async () => {
      await withLog(factory, {}, async (log) => {
        assert.equal(log.logStartOffset, 0);
        assert.equal(log.logEndOffset, 0);
        assert.equal(log.highWatermark, 0);
        const r = await log.read(0, 1024);
        assert.equal(r.records.length, 0);
        assert.equal(r.nextOffset, 0);
        await assert.rejects(log.read(1, 1024), OffsetOutOfRangeError);
        assert.equal(await log.offsetForTimestamp(0), null);
        assert.equal(await log.maxTimestamp(), null);
      });
    });

    it('assigns consecutive offsets and keeps every other byte as appended', async () => {
      await withLog(factory, {}, async (log) => {
        const a = buildFillerBatch(3, 10, 1000, 1);
        const b = buildFillerBatch(2, 10, 1001, 2);
        const originals = [Buffer.from(a), Buffer.from(b)];
        const ra = await log.append(a);
        const rb = await log.append(b);
        assert.deepEqual([ra.baseOffset, ra.lastOffset, rb.baseOffset, rb.lastOffset], [0, 2, 3, 4]);
        assert.equal(ra.recordCount, 3);
        assert.equal(ra.logAppendTime, -1);
        assert.equal(log.logEndOffset, 5);
        const got = splitBatches((await log.read(0, 1 << 20)).records);
        assert.equal(got.length, 2);
        assert.deepEqual(
          got.map((g) => batchBaseOffset(g, 0)),
          [0, 3],
        );
        got.forEach((g, i) => {
          assert.deepEqual(withoutOffset(g), withoutOffset(originals[i]!));
          assert.ok(crcMatches(g, 0, g.length));
        });
      });
    });

    it('appends several concatenated batches in one call', async () => {
      await withLog(factory, {}, async (log) => {
        const buf = Buffer.concat([buildFillerBatch(2, 5), buildFillerBatch(4, 5), buildFillerBatch(1, 5)]);
        const r = await log.append(buf);
        assert.deepEqual([r.baseOffset, r.lastOffset, r.batchCount, r.recordCount], [0, 6, 3, 7]);
        const got = splitBatches((await log.read(0, 1 << 20)).records);
        assert.deepEqual(
          got.map((g) => batchBaseOffset(g, 0)),
          [0, 2, 6],
        );
      });
    });

    it('rejects bad framing and CRC without changing the log', async () => {
      await withLog(factory, {}, async (log) => {
        await log.append(buildFillerBatch(1, 5));
        const badCrc = buildFillerBatch(1, 5);
        badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC_AT) + 1) >>> 0, CRC_AT);
        const badMagic = buildFillerBatch(1, 5);
        badMagic.writeInt8(1, MAGIC_AT);
        const good = buildFillerBatch(1, 5);
        const torn = good.subarray(0, good.length - 3);
        const flipped = buildFillerBatch(2, 20);
        flipped[flipped.length - 5]! ^= 0x40;
        for (const bad of [badCrc, badMagic, torn, flipped, Buffer.concat([good, torn]), Buffer.alloc(0)]) {
          await assert.rejects(log.append(bad), CorruptRecordError);
        }
        assert.equal(log.logEndOffset, 1);
        assert.equal(splitBatches((await log.read(0, 1 << 20)).records).length, 1);
      });
    });

    it('skips only the CRC-32C check when the caller validated it (crcValidated)', async () => {
      await withLog(factory, {}, async (log) => {
        const badCrc = buildFillerBatch(1, 5);
        badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC_AT) + 1) >>> 0, CRC_AT);
        await assert.rejects(log.append(Buffer.from(badCrc)), CorruptRecordError);
        assert.equal((await log.append(badCrc, { crcValidated: true })).baseOffset, 0);
        const badMagic = buildFillerBatch(1, 5);
        badMagic.writeInt8(1, MAGIC_AT);
        const good = buildFillerBatch(1, 5);
        for (const bad of [badMagic, good.subarray(0, good.length - 3), Buffer.alloc(0)]) {
          await assert.rejects(log.append(bad, { crcValidated: true }), CorruptRecordError);
        }
        assert.equal(log.logEndOffset, 1);
      });
    });

    it('reads whole batches from the one holding the offset, bounded by maxBytes and maxOffset', async () => {
      await withLog(factory, {}, async (log) => {
        for (let i = 0; i < 10; i++) await log.append(buildFillerBatch(5, 100, 0, i));
        const size = buildFillerBatch(5, 100, 0, 0).length;
        // Offset 7 lies inside the second batch [5, 9]: the whole batch comes back.
        const r = await log.read(7, size * 3);
        const got = splitBatches(r.records);
        assert.deepEqual(
          got.map((g) => batchBaseOffset(g, 0)),
          [5, 10, 15],
        );
        assert.equal(r.firstOffset, 5);
        assert.equal(r.nextOffset, 20);
        // A maxBytes smaller than one batch still returns that whole batch.
        const one = await log.read(20, 10);
        assert.equal(splitBatches(one.records).length, 1);
        assert.equal(one.records.length, size);
        // No partial trailing batch.
        const partial = await log.read(0, size * 2 + size / 2);
        assert.equal(partial.records.length, size * 2);
        // maxOffset (the HW for consumers) excludes batches reaching it.
        const bounded = await log.read(0, 1 << 20, { maxOffset: 12 });
        assert.deepEqual(
          splitBatches(bounded.records).map((g) => batchBaseOffset(g, 0)),
          [0, 5],
        );
        const nothing = await log.read(10, 1 << 20, { maxOffset: 12 });
        assert.equal(nothing.records.length, 0);
        assert.equal(nothing.nextOffset, 10);
        // At the log end: empty; past it: out of range.
        assert.equal((await log.read(50, 100)).records.length, 0);
        await assert.rejects(log.read(51, 100), OffsetOutOfRangeError);
        await assert.rejects(log.read(-1, 100), OffsetOutOfRangeError);
      });
    });

    it('follows a consumer reading sequentially to the end', async () => {
      await withLog(factory, { config: { segmentBytes: 4096 } }, async (log) => {
        const sent: Buffer[] = [];
        for (let i = 0; i < 40; i++) {
          const b = buildFillerBatch(1 + (i % 4), 50 + i * 7, i, i);
          sent.push(Buffer.from(b));
          await log.append(b);
        }
        const got: Buffer[] = [];
        let offset = 0;
        while (offset < log.logEndOffset) {
          const r = await log.read(offset, 1000);
          assert.ok(r.records.length > 0, `progress at ${offset}`);
          got.push(...splitBatches(r.records).map((b) => Buffer.from(b)));
          offset = r.nextOffset;
        }
        assert.equal(got.length, sent.length);
        for (const [i, g] of got.entries()) assert.deepEqual(withoutOffset(g), withoutOffset(sent[i]!));
      });
    });

    it('clamps the high watermark into [logStartOffset, logEndOffset]', async () => {
      await withLog(factory, {}, async (log) => {
        await log.append(buildFillerBatch(4, 5));
        log.setHighWatermark(2);
        assert.equal(log.highWatermark, 2);
        log.setHighWatermark(100);
        assert.equal(log.highWatermark, 4);
        log.setHighWatermark(-5);
        assert.equal(log.highWatermark, 0);
      });
    });

    it('finds offsets by timestamp to the record, and the max timestamp', async () => {
      await withLog(factory, {}, async (log) => {
        await log.append(
          buildRecordBatch([
            { key: 'a', value: '1', timestamp: 100 },
            { key: 'b', value: '2', timestamp: 300 },
            { key: 'c', value: '3', timestamp: 200 },
          ]),
        );
        await log.append(
          buildRecordBatch([
            { key: 'd', value: '4', timestamp: 250 },
            { key: 'e', value: '5', timestamp: 400 },
          ]),
        );
        assert.deepEqual(await log.offsetForTimestamp(0), { timestamp: 100, offset: 0, leaderEpoch: -1 });
        assert.equal((await log.offsetForTimestamp(150))?.offset, 1);
        assert.equal((await log.offsetForTimestamp(300))?.offset, 1);
        assert.equal((await log.offsetForTimestamp(301))?.offset, 4);
        assert.equal(await log.offsetForTimestamp(401), null);
        assert.deepEqual(await log.maxTimestamp(), { timestamp: 400, offset: 4, leaderEpoch: -1 });
      });
    });

    it('stamps LogAppendTime with the injected clock and a valid CRC', async () => {
      await withLog(
        factory,
        { config: { messageTimestampType: 'LogAppendTime' }, now: () => 777_000 },
        async (log) => {
          const r = await log.append(buildRecordBatch([{ value: 'x', timestamp: 5 }]));
          assert.equal(r.logAppendTime, 777_000);
          const [b] = splitBatches((await log.read(0, 1024)).records);
          assert.ok(b);
          assert.ok(crcMatches(b, 0, b.length));
          assert.ok((batchAttributes(b, 0) & TIMESTAMP_TYPE_BIT) !== 0);
          assert.equal(batchMaxTimestamp(b, 0), 777_000);
          assert.equal(batchRecords(b)[0]!.timestamp, 777_000);
        },
      );
    });

    it('moves the log start with DeleteRecords, never past the high watermark', async () => {
      await withLog(factory, {}, async (log) => {
        for (let i = 0; i < 5; i++) await log.append(buildFillerBatch(2, 5));
        await assert.rejects(log.deleteRecordsBefore(3), OffsetOutOfRangeError);
        log.setHighWatermark(10);
        assert.equal(await log.deleteRecordsBefore(3), 3);
        assert.equal(log.logStartOffset, 3);
        assert.equal(await log.deleteRecordsBefore(1), 3);
        await assert.rejects(log.read(2, 1024), OffsetOutOfRangeError);
        // Reading at the start returns its whole batch [2, 3].
        const r = await log.read(3, 1 << 20);
        assert.equal(r.firstOffset, 2);
        assert.equal(r.logStartOffset, 3);
        assert.equal((await log.offsetForTimestamp(0))?.offset, 3);
      });
    });

    it('truncates to an offset and appends from there', async () => {
      await withLog(factory, {}, async (log) => {
        for (let i = 0; i < 5; i++) await log.append(buildFillerBatch(2, 5), { leaderEpoch: i });
        log.setHighWatermark(10);
        await log.truncateTo(6);
        assert.equal(log.logEndOffset, 6);
        assert.equal(log.highWatermark, 6);
        await assert.rejects(log.read(7, 1024), OffsetOutOfRangeError);
        assert.equal(log.latestEpoch, 2);
        // Mid-batch: the batch holding the offset goes whole.
        await log.truncateTo(3);
        assert.equal(log.logEndOffset, 2);
        const r = await log.append(buildFillerBatch(1, 5));
        assert.equal(r.baseOffset, 2);
        assert.deepEqual(
          splitBatches((await log.read(0, 1 << 20)).records).map((g) => batchBaseOffset(g, 0)),
          [0, 2],
        );
        await log.truncateFullyAndStartAt(100);
        assert.deepEqual([log.logStartOffset, log.logEndOffset, log.latestEpoch], [100, 100, -1]);
        assert.equal((await log.append(buildFillerBatch(1, 5))).baseOffset, 100);
        await assert.rejects(log.read(0, 1024), OffsetOutOfRangeError);
      });
    });

    it('records leader epochs and answers OffsetForLeaderEpoch', async () => {
      await withLog(factory, {}, async (log) => {
        await log.append(buildFillerBatch(3, 5), { leaderEpoch: 1 });
        await log.append(buildFillerBatch(2, 5), { leaderEpoch: 1 });
        await log.append(buildFillerBatch(2, 5), { leaderEpoch: 3 });
        const [b] = splitBatches((await log.read(5, 1024)).records);
        assert.equal(batchLeaderEpoch(b!, 0), 3);
        assert.equal(log.latestEpoch, 3);
        assert.deepEqual(log.endOffsetForEpoch(3), { leaderEpoch: 3, endOffset: 7 });
        assert.deepEqual(log.endOffsetForEpoch(1), { leaderEpoch: 1, endOffset: 5 });
        assert.deepEqual(log.endOffsetForEpoch(2), { leaderEpoch: 1, endOffset: 5 });
        assert.deepEqual(log.endOffsetForEpoch(0), { leaderEpoch: 0, endOffset: 0 });
        assert.deepEqual(log.endOffsetForEpoch(4), { leaderEpoch: -1, endOffset: -1 });
      });
    });

    it('accepts replica appends keeping their offsets, and refuses going backwards', async () => {
      await withLog(factory, {}, async (log) => {
        const a = buildFillerBatch(3, 5, 0, 0);
        a.writeBigInt64BE(10n, 0);
        await log.append(a, { assignOffsets: false });
        assert.equal(log.logEndOffset, 13);
        const back = buildFillerBatch(1, 5);
        back.writeBigInt64BE(12n, 0);
        await assert.rejects(log.append(back, { assignOffsets: false }), InvalidRecordError);
        assert.equal((await log.read(log.logStartOffset, 1024)).firstOffset, 10);
      });
    });

    it('deletes whole old segments by size and time, never above the high watermark', async () => {
      let now = 1_000_000;
      await withLog(
        factory,
        { config: { segmentBytes: 600, retentionBytes: 1200, retentionMs: 60_000 }, now: () => now },
        async (log) => {
          for (let i = 0; i < 12; i++) await log.append(buildFillerBatch(1, 200, now - 1000, i));
          const before = log.sizeBytes;
          assert.equal(await log.applyRetention(now), 0, 'nothing below the HW yet');
          log.setHighWatermark(log.logEndOffset);
          const deleted = await log.applyRetention(now);
          assert.ok(deleted > 0);
          assert.ok(log.sizeBytes <= 1200 + 600);
          assert.equal(log.sizeBytes, before - deleted);
          assert.ok(log.logStartOffset > 0);
          await assert.rejects(log.read(0, 10), OffsetOutOfRangeError);
          assert.ok((await log.read(log.logStartOffset, 1 << 20)).records.length > 0);
          now += 120_000;
          await log.applyRetention(now);
          assert.equal(log.sizeBytes, 0, 'all expired: the active segment is rolled and deleted too');
          assert.equal(log.logStartOffset, 12);
          assert.equal(log.logEndOffset, 12);
          assert.equal((await log.append(buildFillerBatch(1, 5, now))).baseOffset, 12);
        },
      );
    });

    it('without a RecordFormat, answers timestamps per batch and refuses to compact', async () => {
      await withLog(factory, { noRecordFormat: true, config: { cleanupPolicy: 'compact' } }, async (log) => {
        await log.append(
          buildRecordBatch([
            { key: 'a', value: '1', timestamp: 100 },
            { key: 'b', value: '2', timestamp: 300 },
            { key: 'c', value: '3', timestamp: 200 },
          ]),
        );
        await log.append(
          buildRecordBatch([
            { key: 'd', value: '4', timestamp: 250 },
            { key: 'e', value: '5', timestamp: 400 },
          ]),
        );
        // The first batch whose maxTimestamp is late enough, at its base offset, with that maxTimestamp.
        assert.deepEqual(await log.offsetForTimestamp(150), { timestamp: 300, offset: 0, leaderEpoch: -1 });
        assert.deepEqual(await log.offsetForTimestamp(301), { timestamp: 400, offset: 3, leaderEpoch: -1 });
        assert.equal(await log.offsetForTimestamp(401), null);
        await log.roll();
        await log.append(buildRecordBatch([{ key: 'a', value: '6', timestamp: 500 }]));
        await assert.rejects(log.compact(1000), LogStorageError);
      });
    });

    it('bounds the compaction key map, cleaning only the prefix whose keys fit', async () => {
      // Room for two one-byte keys: mapping stops at the third distinct key (c, offset 3).
      const dedupeBufferBytes = 2 * (1 + KEY_ENTRY_BYTES);
      await withLog(factory, { config: { cleanupPolicy: 'compact' }, dedupeBufferBytes }, async (log) => {
        for (const key of ['a', 'b', 'a', 'c', 'a', 'b']) {
          await log.append(buildRecordBatch([{ key, value: `${key}-value`, timestamp: 1 }]));
          await log.roll();
        }
        await log.append(buildRecordBatch([{ key: 'z', value: 'active', timestamp: 1 }]));
        const stats = await log.compact(1000);
        // Only a@0 goes (a@2 is the latest a the map knows); b@1 and everything from offset 3 stay.
        assert.equal(stats.recordsRemoved, 1, JSON.stringify(stats));
        const offsets = (await readAll(log, 0)).flatMap((b) => batchRecords(b).map((r) => r.offset));
        assert.deepEqual(offsets, [1, 2, 3, 4, 5, 6]);
      });
    });

    it('compacts inactive segments to the latest value per key, keeping offsets', async () => {
      await withLog(
        factory,
        { config: { cleanupPolicy: 'compact', deleteRetentionMs: 1000 } },
        async (log) => {
          const now = 10_000_000;
          const rec = (key: string, value: string | null) => ({ key, value, timestamp: now });
          await log.append(buildRecordBatch([rec('a', 'a1'), rec('b', 'b1')]));
          await log.append(buildRecordBatch([rec('a', 'a2')]));
          await log.append(buildRecordBatch([rec('b', null), rec('c', 'c1')]));
          await log.append(buildRecordBatch([rec('c', 'c2'), rec('d', 'd1')], { codec: 1 }));
          await log.append(buildRecordBatch([rec('d', 'd2')], { codec: 1 }));
          await log.roll();
          await log.append(buildRecordBatch([rec('a', 'a3')]));
          const stats = await log.compact(now);
          assert.equal(stats.recordsRemoved, 4, JSON.stringify(stats));
          const records = (await readAll(log, 0)).flatMap((b) => {
            assert.ok(crcMatches(b, 0, b.length));
            return batchRecords(b).map(
              (r) => `${r.offset}:${r.key?.toString()}:${r.valueIsNull ? 'null' : ''}`,
            );
          });
          // a2 is the latest a of the inactive part (a3 is in the active segment); b's tombstone is recent.
          assert.deepEqual(records, ['2:a:', '3:b:null', '5:c:', '7:d:', '8:a:']);
          const later = await log.compact(now + 5000);
          assert.equal(later.recordsRemoved, 1, 'the tombstone expires after delete.retention.ms');
          const all = await readAll(log, 0);
          assert.deepEqual(
            all.flatMap((b) => batchRecords(b).map((r) => r.offset)),
            [2, 5, 7, 8],
          );
          assert.equal(log.logEndOffset, 9);
          // The rewritten compressed batch still spans [5, 6]: offset 6 is served by it.
          assert.equal((await log.read(6, 1024)).firstOffset, 5);
        },
      );
    });
  });
}
