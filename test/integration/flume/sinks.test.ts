import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import avro from 'avsc';
import { uncompressSync } from 'snappy';
import { startSluice } from '../support/sluice-process.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `sluice agent` on `lines` until `done()` holds (or ~30 s), then stops it with SIGTERM. */
async function runAgent(
  dir: string,
  config: string[],
  done: () => boolean | Promise<boolean>,
): Promise<void> {
  const file = join(dir, 'flume.properties');
  writeFileSync(file, [...config, ''].join('\n'));
  const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
  try {
    for (let i = 0; i < 300 && !(await done()); i++) await sleep(100);
  } finally {
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr().slice(-2000));
  }
}

const seqToMemory = (n: number) => [
  'a1.sources = r1',
  'a1.channels = c1',
  'a1.sinks = k1',
  'a1.sources.r1.type = seq',
  `a1.sources.r1.totalEvents = ${n}`,
  'a1.sources.r1.batchSize = 10',
  'a1.sources.r1.channels = c1',
  'a1.channels.c1.type = memory',
  'a1.sinks.k1.channel = c1',
];

describe('sinks in a real agent', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-flume-sinks-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('seq → memory → file_roll with avro_event (snappy): an Avro file avsc reads back', async () => {
    const dir = join(root, 'roll');
    const out = join(dir, 'out');
    mkdirSync(dir, { recursive: true });
    await runAgent(
      dir,
      [
        ...seqToMemory(50),
        'a1.sinks.k1.type = file_roll',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.sink.serializer = avro_event',
        'a1.sinks.k1.sink.serializer.compressionCodec = snappy',
        'a1.sinks.k1.sink.pathManager.extension = avro',
      ],
      async () => (await collectAvro(out)).length >= 50,
    );
    assert.deepEqual(
      await collectAvro(out),
      Array.from({ length: 50 }, (_, i) => String(i)),
    );
    assert.match(readdirSync(out)[0]!, /^\d+-1\.avro$/);
  });

  it('seq → timestamp → memory → hdfs (file://, DataStream, rollInterval) under a dated path', async () => {
    const dir = join(root, 'hdfs');
    mkdirSync(dir, { recursive: true });
    const base = join(dir, 'flume');
    const dated = (): string[] =>
      existsSync(base)
        ? readdirSync(base).flatMap((d) => readdirSync(join(base, d)).map((f) => join(d, f)))
        : [];
    const finished = () => dated().filter((f) => !f.endsWith('.tmp'));
    await runAgent(
      dir,
      [
        ...seqToMemory(40),
        'a1.sources.r1.interceptors = ts',
        'a1.sources.r1.interceptors.ts.type = timestamp',
        'a1.sinks.k1.type = hdfs',
        `a1.sinks.k1.hdfs.path = file://${base}/%Y-%m-%d`,
        'a1.sinks.k1.hdfs.fileType = DataStream',
        'a1.sinks.k1.hdfs.rollInterval = 1',
        'a1.sinks.k1.hdfs.rollCount = 0',
        'a1.sinks.k1.hdfs.rollSize = 0',
        'a1.sinks.k1.hdfs.filePrefix = events',
      ],
      () => finished().length > 0 && finished().flatMap((f) => lines(join(base, f))).length >= 40,
    );
    const files = dated();
    assert.ok(files.length >= 1);
    for (const f of files)
      assert.match(f, /^\d{4}-\d{2}-\d{2}\/events\.\d+$/, 'renamed, in a dated directory');
    const all = files.flatMap((f) => lines(join(base, f))).map(Number);
    assert.deepEqual(
      all.sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it('seq → memory → http: every event POSTed once with the example status policy', async () => {
    const dir = join(root, 'http');
    mkdirSync(dir, { recursive: true });
    const got: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        // The first delivery of every 7th event is refused with a 503: it must come back.
        if (Number(body) % 7 === 0 && !got.includes(`503:${body}`)) {
          got.push(`503:${body}`);
          res.writeHead(503);
        } else {
          got.push(body);
          res.writeHead(200);
        }
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await runAgent(
        dir,
        [
          ...seqToMemory(20),
          'a1.sinks.k1.type = http',
          `a1.sinks.k1.endpoint = http://127.0.0.1:${port}/in`,
          'a1.sinks.k1.backoff.200 = false',
          'a1.sinks.k1.rollback.200 = false',
          'a1.sinks.k1.incrementMetrics.200 = true',
          'a1.sinks.k1.backoff.5XX = false',
        ],
        () => got.filter((g) => !g.startsWith('503')).length >= 20,
      );
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    const delivered = got.filter((g) => !g.startsWith('503'));
    assert.deepEqual(
      delivered.map(Number).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(got.filter((g) => g.startsWith('503')).length, 3, '0, 7 and 14 were refused once');
  });
});

/** The bodies of every Avro container file in `dir` (a file still being written may end mid-block). */
async function collectAvro(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const bodies: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const decoder = new avro.streams.BlockDecoder({
      codecs: {
        snappy: (b: Buffer, cb: (err: Error | null, out?: Buffer) => void) =>
          cb(null, uncompressSync(b.subarray(0, b.length - 4)) as Buffer),
      },
    });
    decoder.on('data', (r: { body: Buffer }) => bodies.push(r.body.toString()));
    const done = new Promise<void>((resolve) => {
      decoder.on('end', resolve);
      decoder.on('error', () => resolve());
    });
    decoder.end(readFileSync(join(dir, f)));
    await done;
  }
  return bodies;
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}
