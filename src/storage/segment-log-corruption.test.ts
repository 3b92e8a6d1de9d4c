import assert from 'node:assert/strict';
import {
  cpSync,
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
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { buildFillerBatch } from '../../test/support/record-batches.ts';
import { kafkaRecordFormat } from '../kafka/protocol/index.ts';
import { batchLastOffset, batchSize, crcMatches } from './batch-framing.ts';
import { CorruptRecordError, OffsetOutOfRangeError } from './log-errors.ts';
import { CLEAN_SHUTDOWN_FILE, SegmentLog } from './segment-log.ts';

// Damages a closed log at random places (flipped bytes, truncations, in .log, .index and .timeindex
// files) and checks that opening never crashes and reads never serve a batch failing its CRC-32C:
// they return valid batches or raise a typed error.

const CONFIG = { segmentBytes: 6000, indexIntervalBytes: 512 };
let root = '';
let template = '';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'sluice-corrupt-'));
  template = join(root, 'template');
  const log = await SegmentLog.open(template, { config: CONFIG });
  for (let i = 0; i < 60; i++)
    await log.append(buildFillerBatch(1 + (i % 3), 80 + ((i * 53) % 300), 5000 + i, i));
  await log.close();
});

after(() => rmSync(root, { recursive: true, force: true }));

const damage = fc.record({
  file: fc.nat(),
  kind: fc.constantFrom('flip', 'truncate', 'zero-tail'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  flips: fc.integer({ min: 1, max: 4 }),
  clean: fc.boolean(),
});

let run = 0;

it('recovers from damaged files without crashing or serving a batch that fails its CRC', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 3 }), async (damages) => {
      const dir = join(root, `run-${run++}`);
      cpSync(template, dir, { recursive: true });
      const files = readdirSync(dir).filter((f) => /\.(log|index|timeindex)$/.test(f));
      let keepMarker = true;
      for (const d of damages) {
        const path = join(dir, files[d.file % files.length]!);
        const size = statSync(path).size;
        const at = Math.floor(d.at * Math.max(size - 1, 0));
        if (d.kind === 'truncate') truncateSync(path, at);
        else if (d.kind === 'zero-tail') {
          const bytes = readFileSync(path);
          bytes.fill(0, at);
          writeFileSync(path, bytes);
        } else if (size > 0) {
          const bytes = readFileSync(path);
          for (let i = 0; i < d.flips; i++) bytes[(at + i * 7919) % size]! ^= 1 << (i % 8);
          writeFileSync(path, bytes);
        }
        keepMarker &&= d.clean;
      }
      // Damage found after a crash (no marker), or found under a clean marker with verifyReads on.
      if (!keepMarker) rmSync(join(dir, CLEAN_SHUTDOWN_FILE), { force: true });
      const log = await SegmentLog.open(dir, {
        config: { ...CONFIG, verifyReads: keepMarker },
        recordFormat: kafkaRecordFormat,
      });
      try {
        let offset = log.logStartOffset;
        let reads = 0;
        while (offset < log.logEndOffset && reads++ < 500) {
          try {
            const r = await log.read(offset, 4000);
            if (r.records.length === 0) {
              offset++;
              continue;
            }
            for (let at = 0; at < r.records.length; ) {
              const size = batchSize(r.records, at);
              assert.ok(crcMatches(r.records, at, size), `served a corrupt batch at offset ${offset}`);
              at += size;
            }
            assert.ok(r.nextOffset > offset);
            offset = r.nextOffset;
          } catch (err) {
            assert.ok(err instanceof CorruptRecordError || err instanceof OffsetOutOfRangeError, String(err));
            offset++;
          }
        }
        await log
          .offsetForTimestamp(5030)
          .catch((err) => assert.ok(err instanceof CorruptRecordError, String(err)));
        // The log stays writable after recovery.
        const appended = await log.append(buildFillerBatch(1, 10));
        const r = await log.read(appended.baseOffset, 100);
        assert.equal(batchLastOffset(r.records, 0), appended.lastOffset);
      } finally {
        await log.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: 60, seed: 20261122 },
  );
});
