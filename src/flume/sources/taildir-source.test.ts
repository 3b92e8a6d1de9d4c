import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { bodies, channelKit } from './source-test-kit.ts';
import {
  BYTE_OFFSET_HEADER,
  TaildirSource,
  taildirSourceConfig,
  taildirSourceOptions,
} from './taildir-source.ts';

function options(entries: Record<string, string>) {
  const parsed = taildirSourceConfig.parse([
    { source: 'test', entries: Object.entries(entries).map(([key, value]) => ({ key, value })) },
  ]);
  return taildirSourceOptions(parsed.values as Record<string, unknown>);
}

/** Runs process() until it backs off (nothing new), as the agent's runner would. */
async function pump(src: TaildirSource): Promise<void> {
  while ((await src.process()) === 'READY') {}
}

describe('TAILDIR source', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-taildir-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => {
    const d = join(root, `t${n++}`);
    mkdirSync(d);
    return d;
  };

  it("has Flume's defaults; groups, headers and bad values", () => {
    const o = options({
      filegroups: 'f1 f2',
      'filegroups.f1': '/var/log/test1/example.log',
      'filegroups.f2': '/var/log/test2/.*log.*',
      'headers.f1.headerKey1': 'value1',
      'headers.f2.headerKey1': 'value2',
    });
    assert.equal(o.batchSize, 100);
    assert.equal(o.writePosIntervalMs, 3000);
    assert.equal(o.idleTimeoutMs, 120000);
    assert.match(o.positionFile, /\.flume\/taildir_position\.json$/);
    assert.equal(o.groups[1]!.dir, '/var/log/test2');
    assert.ok(o.groups[1]!.pattern.test('app.log.1'));
    assert.ok(o.groups[0]!.pattern.test('example.log') && !o.groups[0]!.pattern.test('example.log.1'));
    assert.deepEqual(o.groups[1]!.headers, { headerKey1: 'value2' });
    assert.throws(() => options({ filegroups: 'f1' }), /filegroups\.f1/);
    assert.throws(() => options({ filegroups: 'f1', 'filegroups.f1': 'relative/x' }), /filegroups\.f1/);
    assert.throws(
      () => options({ filegroups: 'f1', 'filegroups.f1': '/x/(', batchSize: '1' }),
      /filegroups\.f1/,
    );
  });

  it('reads complete lines only; a partial last line waits for its newline; headers and offsets', async () => {
    const dir = fresh();
    const file = join(dir, 'app.log');
    writeFileSync(file, 'one\r\ntwo\nthr');
    const kit = channelKit();
    const src = new TaildirSource(
      't',
      options({
        filegroups: 'g',
        'filegroups.g': join(dir, 'app\\.log'),
        positionFile: join(dir, 'pos.json'),
        'headers.g.topic': 'logs',
        byteOffsetHeader: 'true',
        fileHeader: 'true',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      await pump(src);
      assert.deepEqual(bodies(await kit.drain()), ['one', 'two']);
      assert.deepEqual(kit.taken[1]!.headers, { topic: 'logs', [BYTE_OFFSET_HEADER]: '5', file });
      appendFileSync(file, 'ee\n');
      await pump(src);
      assert.deepEqual(bodies(await kit.drain()), ['three']);
    } finally {
      await src.stop();
    }
    const pos = JSON.parse(readFileSync(join(dir, 'pos.json'), 'utf8'));
    assert.deepEqual(pos, [{ inode: statSync(file).ino, pos: 15, file }]);
  });

  it('follows a rename rotation (app.log → app.log.1, new app.log) without loss or duplicates', async () => {
    const dir = fresh();
    const file = join(dir, 'app.log');
    const kit = channelKit();
    const src = new TaildirSource(
      't',
      options({
        filegroups: 'g',
        'filegroups.g': join(dir, 'app\\.log'),
        positionFile: join(dir, 'pos.json'),
        batchSize: '3',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    const expected: string[] = [];
    try {
      let k = 0;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 5; i++) {
          appendFileSync(file, `l${k}\n`);
          expected.push(`l${k++}`);
        }
        await pump(src);
        // Written after the last read and then rotated away: only the open descriptor still sees them.
        for (let i = 0; i < 3; i++) {
          appendFileSync(file, `l${k}\n`);
          expected.push(`l${k++}`);
        }
        renameSync(file, join(dir, `app.log.${round}`));
      }
      appendFileSync(file, 'last\n');
      expected.push('last');
      await pump(src);
      await pump(src);
    } finally {
      await src.stop();
    }
    const got = bodies(await kit.drain());
    assert.deepEqual([...got].sort(), [...expected].sort());
    assert.equal(new Set(got).size, got.length, 'duplicates');
  });

  it('resumes from the position file after a restart, without duplicates', async () => {
    const dir = fresh();
    const file = join(dir, 'a.log');
    writeFileSync(file, 'a\nb\nc\n');
    const opts = options({
      filegroups: 'g',
      'filegroups.g': join(dir, '.*\\.log'),
      positionFile: join(dir, 'state', 'pos.json'),
      batchSize: '2',
    });
    // A channel of 2: the first run commits a and b, then c is refused.
    const kit1 = channelKit(2, 2);
    const s1 = new TaildirSource('t', opts, kit1.logger);
    await s1.start(kit1.processor);
    assert.equal(await s1.process(), 'BACKOFF');
    await s1.stop();
    assert.deepEqual(bodies(await kit1.drain()), ['a', 'b']);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'state', 'pos.json'), 'utf8')), [
      { inode: statSync(file).ino, pos: 4, file },
    ]);

    appendFileSync(file, 'd\n');
    const kit2 = channelKit();
    const s2 = new TaildirSource('t', opts, kit2.logger);
    await s2.start(kit2.processor);
    await pump(s2);
    await s2.stop();
    assert.deepEqual(bodies(await kit2.drain()), ['c', 'd']);
  });

  it('skipToEnd starts files unknown to the position file at their end', async () => {
    const dir = fresh();
    const file = join(dir, 'x.log');
    writeFileSync(file, 'old\n');
    const kit = channelKit();
    const src = new TaildirSource(
      't',
      options({
        filegroups: 'g',
        'filegroups.g': file,
        positionFile: join(dir, 'p.json'),
        skipToEnd: 'true',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    appendFileSync(file, 'new\n');
    await pump(src);
    await src.stop();
    assert.deepEqual(bodies(await kit.drain()), ['new']);
  });
  it('reads a file renamed while its descriptor was closed (idleTimeout) to its end', async () => {
    const dir = fresh();
    const file = join(dir, 'app.log');
    const kit = channelKit();
    const src = new TaildirSource(
      't',
      options({
        filegroups: 'g',
        'filegroups.g': join(dir, 'app\\.log'),
        positionFile: join(dir, 'pos.json'),
        idleTimeout: '0',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      appendFileSync(file, 'a\nb\n');
      await pump(src);
      // idleTimeout 0 closed the descriptor; these lines are only reachable through the new name.
      appendFileSync(file, 'c\nd\n');
      renameSync(file, `${file}.1`);
      appendFileSync(file, 'e\n');
      await pump(src);
      await pump(src);
    } finally {
      await src.stop();
    }
    assert.deepEqual(bodies(await kit.drain()), ['a', 'b', 'c', 'd', 'e']);
  });

  it('a rotation while the agent is down: the renamed file is finished, then the new one', async () => {
    const dir = fresh();
    const file = join(dir, 'app.log');
    const opts = options({
      filegroups: 'g',
      'filegroups.g': join(dir, 'app\\.log'),
      positionFile: join(dir, 'pos.json'),
    });
    writeFileSync(file, 'a\nb\n');
    const kit1 = channelKit();
    const s1 = new TaildirSource('t', opts, kit1.logger);
    await s1.start(kit1.processor);
    await pump(s1);
    await s1.stop();
    appendFileSync(file, 'c\n');
    renameSync(file, `${file}.1`);
    writeFileSync(file, 'd\n');
    const kit2 = channelKit();
    const s2 = new TaildirSource('t', opts, kit2.logger);
    await s2.start(kit2.processor);
    await pump(s2);
    await s2.stop();
    assert.deepEqual(bodies(await kit1.drain()), ['a', 'b']);
    assert.deepEqual(bodies(await kit2.drain()).sort(), ['c', 'd']);
  });

  it('property: any mix of appends, split lines, rotations, deletions of old files and restarts loses and repeats nothing', async () => {
    type Op =
      | { op: 'append'; n: number }
      | { op: 'split' }
      | { op: 'rotate' }
      | { op: 'dropOld' }
      | { op: 'pump' }
      | { op: 'restart' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 7 }) }),
      fc.constant({ op: 'split' as const }),
      fc.constant({ op: 'rotate' as const }),
      fc.constant({ op: 'dropOld' as const }),
      fc.constant({ op: 'pump' as const }),
      fc.constant({ op: 'restart' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (ops, batchSize, idle) => {
          const dir = fresh();
          const file = join(dir, 'app.log');
          const opts = options({
            filegroups: 'g',
            'filegroups.g': join(dir, 'app\\.log'),
            positionFile: join(dir, 'pos.json'),
            batchSize: String(batchSize),
            idleTimeout: idle ? '0' : '120000',
          });
          const kit = channelKit();
          let src = new TaildirSource('t', opts, kit.logger);
          await src.start(kit.processor);
          const expected: string[] = [];
          let k = 0;
          let rotations = 0;
          let unseen = false;
          // Rotated files the source has read to their end may be deleted (as logrotate does).
          const finished: string[] = [];
          try {
            for (const o of ops) {
              if (o.op === 'append') {
                if (!existsSync(file)) unseen = true;
                for (let i = 0; i < o.n; i++) {
                  appendFileSync(file, `l${k}\n`);
                  expected.push(`l${k++}`);
                }
              } else if (o.op === 'split') {
                appendFileSync(file, `l${k}-`);
                await pump(src);
                unseen = false;
                appendFileSync(file, 'x\n');
                expected.push(`l${k++}-x`);
              } else if (o.op === 'rotate') {
                // A file created and renamed away between two scans is never seen (as in Flume):
                // rotations come after the source has listed the file at least once.
                if (unseen) {
                  await pump(src);
                  appendFileSync(file, `l${k}\n`);
                  expected.push(`l${k++}`);
                  unseen = false;
                }
                try {
                  renameSync(file, `${file}.${rotations}`);
                  finished.push(`${file}.${rotations++}`);
                } catch {
                  // no app.log yet
                }
              } else if (o.op === 'dropOld') {
                await pump(src);
                unseen = false;
                for (const f of finished.splice(0)) unlinkSync(f);
              } else if (o.op === 'pump') {
                await pump(src);
                unseen = false;
              } else {
                await src.stop();
                src = new TaildirSource('t', opts, kit.logger);
                await src.start(kit.processor);
                unseen = false;
              }
            }
            await pump(src);
            await pump(src);
          } finally {
            await src.stop();
          }
          const got = bodies(await kit.drain());
          assert.deepEqual([...got].sort(), [...expected].sort());
        },
      ),
      { numRuns: 150 },
    );
  });
});
