import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import avro from 'avsc';
import fc from 'fast-check';
import {
  AVRO_SCHEMA_HASH_HEADER,
  AVRO_SCHEMA_LITERAL_HEADER,
  AvroDeserializer,
  avroSchemaHash,
} from './avro-deserializer.ts';
import { LineDeserializer } from './line-deserializer.ts';
import { bodies, channelKit, waitFor } from './source-test-kit.ts';
import { META_FILE, SpoolDirSource, spoolDirSourceConfig, spoolDirSourceOptions } from './spooldir-source.ts';

function options(entries: Record<string, string>) {
  const parsed = spoolDirSourceConfig.parse([
    { source: 'test', entries: Object.entries(entries).map(([key, value]) => ({ key, value })) },
  ]);
  return spoolDirSourceOptions(parsed.values as Record<string, unknown>);
}

/** Writes an Avro container file of `records` with avsc's own encoder. */
async function writeAvro(
  path: string,
  schema: avro.Schema,
  records: unknown[],
  blockSize = 64,
): Promise<void> {
  const enc = new avro.streams.BlockEncoder(schema, { blockSize });
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    enc.on('data', (c: Buffer) => chunks.push(c));
    enc.on('end', () => resolve());
    enc.on('error', reject);
  });
  for (const r of records) enc.write(r);
  enc.end();
  await done;
  writeFileSync(path, Buffer.concat(chunks));
}

async function readAll(d: { readEvents(n: number): Promise<unknown[]> }, n = 7): Promise<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    const batch = await d.readEvents(n);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

describe('spooldir source', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-spool-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const freshDir = () => {
    const d = join(root, `s${n++}`);
    mkdirSync(d);
    return d;
  };

  it("has Flume's defaults and rejects bad values naming the key", () => {
    const o = options({ spoolDir: '/x' });
    assert.equal(o.fileSuffix, '.COMPLETED');
    assert.equal(o.deletePolicy, 'never');
    assert.equal(o.batchSize, 100);
    assert.equal(o.maxLineLength, 2048);
    assert.equal(o.trackerDir, '.flumespool');
    assert.equal(o.consumeOrder, 'oldest');
    assert.equal(o.deserializer, 'LINE');
    assert.equal(o.pollDelayMs, 500);
    assert.equal(o.maxBackoffMs, 4000);
    assert.throws(() => options({ spoolDir: '/x', deletePolicy: 'sometimes' }), /deletePolicy/);
    assert.throws(() => options({ spoolDir: '/x', deserializer: 'BLOB' }), /deserializer/);
    assert.throws(() => options({ spoolDir: '/x', includePattern: '(' }), /includePattern/);
    assert.throws(() => options({ spoolDir: '/x', inputCharset: 'UTF-16' }), /inputCharset/);
  });

  it('ingests files oldest first, adds headers, renames them .COMPLETED after the last commit', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'b.log'), 'b1\nb2\n');
    writeFileSync(join(dir, 'a.log'), 'a1\na2\na3');
    writeFileSync(join(dir, 'skip.tmp'), 'no\n');
    writeFileSync(join(dir, '.hidden'), 'no\n');
    utimesSync(join(dir, 'b.log'), 1000, 1000);
    utimesSync(join(dir, 'a.log'), 2000, 2000);
    const kit = channelKit();
    const src = new SpoolDirSource(
      's',
      options({
        spoolDir: dir,
        pollDelay: '10',
        batchSize: '2',
        fileHeader: 'true',
        basenameHeader: 'true',
        ignorePattern: '.*\\.tmp',
      }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      await waitFor(() => existsSync(join(dir, 'a.log.COMPLETED')));
      await kit.drain();
    } finally {
      await src.stop();
    }
    assert.deepEqual(bodies(kit.taken), ['b1', 'b2', 'a1', 'a2', 'a3']);
    assert.equal(kit.taken[0]!.headers.file, join(dir, 'b.log'));
    assert.equal(kit.taken[0]!.headers.basename, 'b.log');
    assert.deepEqual(readdirSync(dir).sort(), [
      '.flumespool',
      '.hidden',
      'a.log.COMPLETED',
      'b.log.COMPLETED',
      'skip.tmp',
    ]);
    assert.equal(existsSync(join(dir, '.flumespool', META_FILE)), false);
  });

  it('deletePolicy immediate deletes; trackingPolicy tracker_dir leaves the file and writes a marker', async () => {
    const dir1 = freshDir();
    writeFileSync(join(dir1, 'x'), 'x\n');
    const kit1 = channelKit();
    const s1 = new SpoolDirSource(
      's',
      options({ spoolDir: dir1, pollDelay: '10', deletePolicy: 'immediate' }),
      kit1.logger,
    );
    await s1.start(kit1.processor);
    await waitFor(() => !existsSync(join(dir1, 'x')));
    await s1.stop();
    assert.deepEqual(bodies(await kit1.drain()), ['x']);

    const dir2 = freshDir();
    mkdirSync(join(dir2, 'sub'));
    writeFileSync(join(dir2, 'sub', 'y'), 'y\n');
    const kit2 = channelKit();
    const s2 = new SpoolDirSource(
      's',
      options({
        spoolDir: dir2,
        pollDelay: '10',
        trackingPolicy: 'tracker_dir',
        recursiveDirectorySearch: 'true',
      }),
      kit2.logger,
    );
    await s2.start(kit2.processor);
    await waitFor(() => existsSync(join(dir2, '.flumespool', 'sub', 'y.COMPLETED')));
    await new Promise((r) => setTimeout(r, 100));
    await s2.stop();
    assert.deepEqual(bodies(await kit2.drain()), ['y'], 'the tracked file must not be read twice');
    assert.equal(readFileSync(join(dir2, 'sub', 'y'), 'utf8'), 'y\n');
  });

  it('resumes mid-file after a restart without repeating committed lines', async () => {
    const dir = freshDir();
    const lines = Array.from({ length: 10 }, (_, i) => `line${i}`);
    writeFileSync(join(dir, 'f'), `${lines.join('\n')}\n`);
    // Channel of 4: the first run commits one batch of 4, then the channel is full.
    const kit1 = channelKit(4, 4);
    const s1 = new SpoolDirSource(
      's',
      options({ spoolDir: dir, pollDelay: '10', batchSize: '4', maxBackoff: '20' }),
      kit1.logger,
    );
    await s1.start(kit1.processor);
    await waitFor(() => s1.counters.get('ChannelWriteFail') > 0);
    await s1.stop();
    const first = bodies(await kit1.drain());
    assert.deepEqual(first, lines.slice(0, 4));
    const meta = JSON.parse(readFileSync(join(dir, '.flumespool', META_FILE), 'utf8'));
    assert.deepEqual(meta, { file: join(dir, 'f'), offset: 24 });

    const kit2 = channelKit();
    const s2 = new SpoolDirSource(
      's',
      options({ spoolDir: dir, pollDelay: '10', batchSize: '4' }),
      kit2.logger,
    );
    await s2.start(kit2.processor);
    await waitFor(() => existsSync(join(dir, 'f.COMPLETED')));
    await s2.stop();
    assert.deepEqual([...first, ...bodies(await kit2.drain())], lines);
  });

  it('stops a file that changes while being read, with an error naming it, and goes on', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'grow'), Array.from({ length: 50 }, (_, i) => `g${i}`).join('\n'));
    const kit = channelKit(2, 2);
    const src = new SpoolDirSource(
      's',
      options({ spoolDir: dir, pollDelay: '10', batchSize: '2', maxBackoff: '10' }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      await waitFor(() => src.counters.get('EventAcceptedCount') >= 2);
      writeFileSync(join(dir, 'grow'), 'changed\n', { flag: 'a' });
      await kit.drainUntil(() =>
        kit.logger.records.some(
          (r) => r.level === 'error' && String(r.fields.err).includes(join(dir, 'grow')),
        ),
      );
      writeFileSync(join(dir, 'next'), 'n\n');
      await waitFor(async () => {
        await kit.drain();
        return existsSync(join(dir, 'next.COMPLETED'));
      });
    } finally {
      await src.stop();
    }
    assert.ok(existsSync(join(dir, 'grow')), 'a changed file is not completed');
    assert.ok(bodies(kit.taken).includes('n'));
  });

  it('fails a file with bad UTF-8 under FAIL, replaces or drops the bytes under REPLACE / IGNORE', async () => {
    const dir = freshDir();
    const bad = Buffer.concat([Buffer.from('ok\nb'), Buffer.from([0xff]), Buffer.from('d\n')]);
    writeFileSync(join(dir, 'f'), bad);
    const read = async (policy: string) => {
      const d = await LineDeserializer.open(join(dir, 'f'), {
        maxLineLength: 100,
        inputCharset: 'UTF-8',
        outputCharset: 'UTF-8',
        decodeErrorPolicy: policy as 'FAIL',
      });
      try {
        return bodies((await readAll(d)) as never);
      } finally {
        await d.close();
      }
    };
    await assert.rejects(
      read('FAIL'),
      (err: Error) => err.message.includes(join(dir, 'f')) && /UTF-8/.test(err.message),
    );
    assert.deepEqual(await read('REPLACE'), ['ok', 'b\uFFFDd']);
    assert.deepEqual(await read('IGNORE'), ['ok', 'bd']);
  });

  it('cuts lines at maxLineLength characters; the rest comes as the next event', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'f'), 'abcdefgh\nxy\r\né€z');
    const d = await LineDeserializer.open(join(dir, 'f'), {
      maxLineLength: 3,
      inputCharset: 'UTF-8',
      outputCharset: 'UTF-8',
      decodeErrorPolicy: 'FAIL',
    });
    assert.deepEqual(bodies((await readAll(d, 2)) as never), ['abc', 'def', 'gh', 'xy\r', '', 'é€z']);
    await d.close();
  });

  it('AVRO: random records written with avsc come back as events (property)', async () => {
    const dir = freshDir();
    const schema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'id', type: 'long' },
        { name: 's', type: 'string' },
        { name: 'b', type: ['null', 'bytes'] },
      ],
    } as const;
    const type = avro.Type.forSchema(schema as unknown as avro.Schema);
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.integer({ min: -1e9, max: 1e9 }),
            s: fc.string(),
            b: fc.option(
              fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
              { nil: null },
            ),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 9 }),
        async (records, batch) => {
          const path = join(dir, `r${i++}.avro`);
          await writeAvro(path, schema as unknown as avro.Schema, records, 128);
          const d = await AvroDeserializer.open(path, 'HASH');
          try {
            const events = (await readAll(d, batch)) as { body: Buffer; headers: Record<string, string> }[];
            assert.equal(events.length, records.length);
            for (let k = 0; k < records.length; k++) {
              assert.deepEqual({ ...type.fromBuffer(events[k]!.body) }, { ...records[k] });
              assert.deepEqual(events[k]!.body, type.toBuffer(records[k]));
              assert.equal(events[k]!.headers[AVRO_SCHEMA_HASH_HEADER], avroSchemaHash(type));
            }
          } finally {
            await d.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('AVRO: LITERAL puts the schema in the header; resume position is exact within a block', async () => {
    const dir = freshDir();
    const path = join(dir, 'l.avro');
    await writeAvro(path, 'int', [1, 2, 3, 4, 5], 1 << 20);
    const d1 = await AvroDeserializer.open(path, 'LITERAL');
    const first = await d1.readEvents(2);
    assert.equal(first[0]!.headers[AVRO_SCHEMA_LITERAL_HEADER], '"int"');
    d1.mark();
    await d1.readEvents(2);
    d1.reset();
    const pos = d1.markPosition;
    await d1.close();
    const d2 = await AvroDeserializer.open(path, 'LITERAL', pos);
    const rest = (await readAll(d2)) as { body: Buffer }[];
    await d2.close();
    assert.deepEqual(
      rest.map((e) => avro.Type.forSchema('int').fromBuffer(e.body)),
      [3, 4, 5],
    );
    // "int" has the CRC-64-AVRO fingerprint 0x7275d51a3f395c8f; Flume prints its little-endian bytes.
    assert.equal(avroSchemaHash(avro.Type.forSchema('int')), '8f5c393f1ad57572');
  });

  it('AVRO fuzz: garbage files give a clean error naming the file', async () => {
    const dir = freshDir();
    const good = join(dir, 'good.avro');
    await writeAvro(good, 'string', ['a', 'bb', 'ccc'], 16);
    const goodBytes = readFileSync(good);
    let i = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
          fc
            .tuple(fc.nat(goodBytes.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 }))
            .map(([at, junk]) => {
              const b = Buffer.from(goodBytes);
              Buffer.from(junk).copy(b, at);
              return b;
            }),
          fc.nat(goodBytes.length).map((cut) => goodBytes.subarray(0, cut)),
        ),
        async (bytes) => {
          const path = join(dir, `g${i++}.avro`);
          writeFileSync(path, bytes);
          try {
            const d = await AvroDeserializer.open(path, 'HASH');
            try {
              await readAll(d);
            } finally {
              await d.close();
            }
          } catch (err) {
            assert.ok((err as Error).message.includes(path), (err as Error).message);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('AVRO through the source: a garbage file is logged and skipped, the agent keeps reading', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'bad.avro'), 'not avro at all');
    utimesSync(join(dir, 'bad.avro'), 1000, 1000);
    await writeAvro(join(dir, 'good.avro'), 'string', ['x', 'y']);
    const kit = channelKit();
    const src = new SpoolDirSource(
      's',
      options({ spoolDir: dir, pollDelay: '10', deserializer: 'avro' }),
      kit.logger,
    );
    await src.start(kit.processor);
    try {
      await waitFor(() => existsSync(join(dir, 'good.avro.COMPLETED')));
    } finally {
      await src.stop();
    }
    const events = await kit.drain();
    assert.deepEqual(
      events.map((e) => avro.Type.forSchema('string').fromBuffer(e.body)),
      ['x', 'y'],
    );
    assert.ok(existsSync(join(dir, 'bad.avro')));
    assert.ok(
      kit.logger.records.some((r) => r.level === 'error' && r.fields.file === join(dir, 'bad.avro')),
      'the bad file is named in an error',
    );
  });
});
