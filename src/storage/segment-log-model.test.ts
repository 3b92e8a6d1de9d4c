import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import fc from 'fast-check';
import { batchRecords, buildFillerBatch, buildRecordBatch } from '../../test/support/record-batches.ts';
import { kafkaRecordFormat } from '../kafka/protocol/index.ts';
import { batchBaseOffset, batchLastOffset } from './batch-framing.ts';
import type { LogConfig } from './log-config.ts';
import { readAll, splitBatches } from './log-contract.test.ts';
import { OffsetOutOfRangeError } from './log-errors.ts';
import { SegmentLog } from './segment-log.ts';

// Model-based tests: random sequences of operations on a SegmentLog, checked after each step against
// a plain model (the list of batches the log must serve, byte for byte, and its offsets).

const root = mkdtempSync(join(tmpdir(), 'sluice-model-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface ModelBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
}

interface Model {
  batches: ModelBatch[];
  lso: number;
  leo: number;
  hw: number;
}

interface Real {
  log: SegmentLog;
  dir: string;
  config: Partial<LogConfig>;
}

type Cmd = fc.AsyncCommand<Model, Real>;

const at = (fraction: number, lo: number, hi: number) => lo + Math.floor(fraction * (hi - lo + 1 - 1e-9));

function check(m: Model, r: Real): void {
  assert.equal(r.log.logEndOffset, m.leo, 'logEndOffset');
  assert.equal(r.log.logStartOffset, m.lso, 'logStartOffset');
  assert.equal(r.log.highWatermark, m.hw, 'highWatermark');
}

class Append implements Cmd {
  readonly sizes: number[];
  readonly seed: number;
  constructor(sizes: number[], seed: number) {
    this.sizes = sizes;
    this.seed = seed;
  }
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const parts = this.sizes.map((n, i) =>
      buildFillerBatch(1 + (n % 4), 20 + n * 13, this.seed + i, this.seed + i),
    );
    const buf = Buffer.concat(parts);
    const res = await r.log.append(buf);
    assert.equal(res.baseOffset, m.leo);
    for (const b of splitBatches(buf)) {
      m.batches.push({
        baseOffset: batchBaseOffset(b, 0),
        lastOffset: batchLastOffset(b, 0),
        bytes: Buffer.from(b),
      });
    }
    m.leo = res.lastOffset + 1;
    check(m, r);
  }
  toString = () => `append(${this.sizes})`;
}

class Read implements Cmd {
  readonly where: number;
  readonly maxBytes: number;
  constructor(where: number, maxBytes: number) {
    this.where = where;
    this.maxBytes = maxBytes;
  }
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const offset = at(this.where, m.lso, m.leo);
    const res = await r.log.read(offset, this.maxBytes);
    const got = splitBatches(res.records);
    const first = m.batches.findIndex((b) => b.lastOffset >= offset);
    if (first < 0) {
      assert.equal(got.length, 0);
      return;
    }
    assert.ok(got.length >= 1, `read at ${offset} returned nothing`);
    assert.ok(got.length === 1 || res.records.length <= this.maxBytes, 'maxBytes');
    for (const [i, g] of got.entries()) {
      assert.deepEqual(g, m.batches[first + i]?.bytes, `batch ${i} of read at ${offset}`);
    }
    assert.equal(res.nextOffset, batchLastOffset(got.at(-1)!, 0) + 1);
  }
  toString = () => `read(${this.where.toFixed(2)}, ${this.maxBytes})`;
}

class ReadOutside implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await assert.rejects(r.log.read(m.leo + 1, 100), OffsetOutOfRangeError);
    if (m.lso > 0) await assert.rejects(r.log.read(m.lso - 1, 100), OffsetOutOfRangeError);
  }
  toString = () => 'readOutside';
}

class Roll implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.log.roll();
    check(m, r);
  }
  toString = () => 'roll';
}

class SetHw implements Cmd {
  readonly where: number;
  constructor(where: number) {
    this.where = where;
  }
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    m.hw = at(this.where, m.lso, m.leo);
    r.log.setHighWatermark(m.hw);
    check(m, r);
  }
  toString = () => `setHw(${this.where.toFixed(2)})`;
}

class DeleteRecords implements Cmd {
  readonly where: number;
  constructor(where: number) {
    this.where = where;
  }
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const offset = at(this.where, m.lso, m.hw);
    m.lso = Math.max(m.lso, offset);
    m.batches = m.batches.filter((b) => b.lastOffset >= m.lso);
    assert.equal(await r.log.deleteRecordsBefore(offset), m.lso);
    check(m, r);
  }
  toString = () => `deleteRecords(${this.where.toFixed(2)})`;
}

class Retention implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.log.applyRetention(Date.now());
    const lso = r.log.logStartOffset;
    assert.ok(lso >= m.lso && lso <= Math.max(m.hw, m.lso), `retention moved the start to ${lso}`);
    // Whole segments only: the new start is a batch boundary (or the end).
    if (lso > m.lso) assert.ok(lso === m.leo || m.batches.some((b) => b.baseOffset === lso), `start ${lso}`);
    m.lso = lso;
    m.batches = m.batches.filter((b) => b.lastOffset >= m.lso);
    check(m, r);
  }
  toString = () => 'retention';
}

class Truncate implements Cmd {
  readonly where: number;
  constructor(where: number) {
    this.where = where;
  }
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const offset = at(this.where, 0, m.leo);
    const firstBase = r.log.segmentBaseOffsets[0]!;
    await r.log.truncateTo(offset);
    if (offset >= m.leo) {
      // nothing
    } else if (offset < m.lso || offset <= firstBase) {
      m.batches = [];
      m.lso = m.leo = m.hw = offset;
    } else {
      const cut = m.batches.findIndex((b) => b.lastOffset >= offset);
      m.leo = cut >= 0 ? Math.min(offset, m.batches[cut]!.baseOffset) : offset;
      if (cut >= 0) m.batches.length = cut;
      m.hw = Math.min(m.hw, m.leo);
    }
    check(m, r);
  }
  toString = () => `truncate(${this.where.toFixed(2)})`;
}

class Reopen implements Cmd {
  readonly clean: boolean;
  constructor(clean: boolean) {
    this.clean = clean;
  }
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (this.clean) await r.log.close();
    else await r.log.abandon();
    r.log = await SegmentLog.open(r.dir, { config: r.config, recordFormat: kafkaRecordFormat });
    assert.equal(r.log.recovery.clean, this.clean);
    // After a crash the high watermark is unknown to the log (replication restores it).
    if (!this.clean) m.hw = m.lso;
    check(m, r);
    const all = await readAll(r.log);
    assert.deepEqual(
      all.map((b) => batchBaseOffset(b, 0)),
      m.batches.map((b) => b.baseOffset),
    );
  }
  toString = () => `reopen(${this.clean ? 'clean' : 'crash'})`;
}

const append = fc
  .tuple(fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }), fc.nat(1000))
  .map(([s, seed]) => new Append(s, seed));
const commands = [
  append,
  append,
  append,
  append,
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5000 }))
    .map(([w, b]) => new Read(w, b)),
  fc.constant(new ReadOutside()),
  fc.constant(new Roll()),
  fc.double({ min: 0, max: 1, noNaN: true }).map((w) => new SetHw(w)),
  fc.double({ min: 0, max: 1, noNaN: true }).map((w) => new DeleteRecords(w)),
  fc.constant(new Retention()),
  fc.double({ min: 0, max: 1, noNaN: true }).map((w) => new Truncate(w)),
  fc.boolean().map((c) => new Reopen(c)),
];

let run = 0;

it('matches the model under random appends, reads, rolls, retention, truncation, DeleteRecords, reopen', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.commands(commands, { maxCommands: 60, size: 'large' }),
      fc.constantFrom(1500, 4000, 20000),
      async (cmds, segmentBytes) => {
        const dir = join(root, `m-${run++}`);
        const config: Partial<LogConfig> = { segmentBytes, retentionBytes: 5000, indexIntervalBytes: 700 };
        const real: Real = {
          log: await SegmentLog.open(dir, { config, recordFormat: kafkaRecordFormat }),
          dir,
          config,
        };
        const model: Model = { batches: [], lso: 0, leo: 0, hw: 0 };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
        } finally {
          await real.log.close().catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 40, seed: 424242 },
  );
});

it('compaction keeps the last value of every key and the offsets of what it keeps', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.array(fc.tuple(fc.nat(6), fc.option(fc.nat(99), { freq: 5 })), { minLength: 1, maxLength: 4 }),
          fc.constant('roll' as const),
          fc.constant('compact' as const),
          fc.constant('reopen' as const),
        ),
        { maxLength: 30, size: 'max' },
      ),
      fc.constantFrom(0, 1, 4),
      async (ops, codec) => {
        const dir = join(root, `c-${run++}`);
        const config: Partial<LogConfig> = {
          cleanupPolicy: 'compact',
          segmentBytes: 600,
          deleteRetentionMs: 1e12,
        };
        let log = await SegmentLog.open(dir, { config, recordFormat: kafkaRecordFormat });
        const written = new Map<number, { key: string; value: string | null }>();
        try {
          for (const op of ops) {
            if (op === 'roll') await log.roll();
            else if (op === 'compact') await log.compact(1000);
            else if (op === 'reopen') {
              await log.close();
              log = await SegmentLog.open(dir, { config, recordFormat: kafkaRecordFormat });
            } else {
              const recs = op.map(([k, v]) => ({
                key: `k${k}`,
                value: v === null ? null : `v${v}`,
                timestamp: 1,
              }));
              const res = await log.append(buildRecordBatch(recs, { codec }));
              for (const [i, rec] of recs.entries()) {
                written.set(res.baseOffset + i, { key: rec.key, value: rec.value });
              }
            }
          }
          await log.compact(1000);
          const seen = new Map<string, string | null>();
          let prev = -1;
          for (const b of await readAll(log, 0)) {
            for (const rec of batchRecords(b)) {
              assert.ok(rec.offset > prev, 'offsets increase');
              prev = rec.offset;
              const w = written.get(rec.offset);
              assert.ok(w, `offset ${rec.offset} was written`);
              assert.equal(rec.key?.toString(), w.key);
              assert.equal(rec.valueIsNull, w.value === null);
              seen.set(w.key, w.value);
            }
          }
          const last = new Map<string, string | null>();
          for (const w of [...written.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]))
            last.set(w.key, w.value);
          assert.deepEqual(seen, last);
        } finally {
          await log.close().catch(() => {});
          rmSync(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 40, seed: 77 },
  );
});
