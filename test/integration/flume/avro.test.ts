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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/** Two real `sluice agent` processes joined by Avro RPC (avro sink → avro source), and avro-client. */

describe('avro sink → avro source between two agents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-avro-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Agent B: avro source → memory → file_roll into `out`. */
  function downstream(name: string, port: number, out: string, compression: string) {
    const file = join(dir, `${name}-b.properties`);
    writeFileSync(
      file,
      [
        'b.sources = r1',
        'b.channels = c1',
        'b.sinks = k1',
        'b.sources.r1.type = avro',
        'b.sources.r1.bind = 127.0.0.1',
        `b.sources.r1.port = ${port}`,
        `b.sources.r1.compression-type = ${compression}`,
        'b.sources.r1.channels = c1',
        'b.channels.c1.type = memory',
        'b.channels.c1.capacity = 10000',
        'b.channels.c1.transactionCapacity = 1000',
        'b.sinks.k1.type = file_roll',
        `b.sinks.k1.sink.directory = ${out}`,
        'b.sinks.k1.sink.rollInterval = 0',
        'b.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    return startSluice(['agent', '-n', 'b', '-f', file, '--log-format', 'json']);
  }

  const lines = (out: string) =>
    existsSync(out)
      ? readdirSync(out).flatMap((f) =>
          readFileSync(join(out, f), 'utf8')
            .split('\n')
            .filter((l) => l !== ''),
        )
      : [];

  async function waitForLines(out: string, n: number): Promise<void> {
    for (let i = 0; i < 600 && lines(out).length < n; i++) await new Promise((r) => setTimeout(r, 100));
  }

  for (const compression of ['none', 'deflate']) {
    it(`seq → memory → avro sink ⇒ avro source → memory → file_roll: every event once (compression ${compression})`, async () => {
      const total = 500;
      const port = await freePort();
      const out = join(dir, `out-${compression}`);
      const b = downstream(compression, port, out, compression);
      const fileA = join(dir, `${compression}-a.properties`);
      writeFileSync(
        fileA,
        [
          'a.sources = r1',
          'a.channels = c1',
          'a.sinks = k1',
          'a.sources.r1.type = seq',
          `a.sources.r1.totalEvents = ${total}`,
          'a.sources.r1.batchSize = 50',
          'a.sources.r1.channels = c1',
          'a.channels.c1.type = memory',
          'a.channels.c1.capacity = 10000',
          'a.channels.c1.transactionCapacity = 100',
          'a.sinks.k1.type = avro',
          'a.sinks.k1.hostname = 127.0.0.1',
          `a.sinks.k1.port = ${port}`,
          'a.sinks.k1.batch-size = 40',
          `a.sinks.k1.compression-type = ${compression}`,
          'a.sinks.k1.channel = c1',
          '',
        ].join('\n'),
      );
      let a: ReturnType<typeof startSluice> | undefined;
      try {
        await b.waitForLog((r) => r.msg === 'avro source listening');
        a = startSluice(['agent', '-n', 'a', '-f', fileA, '--log-format', 'json']);
        await waitForLines(out, total);
      } finally {
        if (a) {
          a.child.kill('SIGTERM');
          assert.equal(await a.exited, 0, a.stderr().slice(-2000));
        }
        b.child.kill('SIGTERM');
        assert.equal(await b.exited, 0, b.stderr().slice(-2000));
      }
      const got = lines(out);
      assert.equal(got.length, total);
      assert.deepEqual(
        [...got].sort((x, y) => Number(x) - Number(y)),
        Array.from({ length: total }, (_, i) => String(i)),
      );
    });
  }

  it('sluice avro-client -H -p -F (and --dirname) sends every line and exits 0', async () => {
    const port = await freePort();
    const out = join(dir, 'out-client');
    const b = downstream('client', port, out, 'none');
    const input = join(dir, 'input.txt');
    const sent = Array.from({ length: 23 }, (_, i) => `line ${i}`);
    // Windows and old-Mac line ends count too, as Java's readLine splits them.
    writeFileSync(input, `${sent.slice(0, 20).join('\n')}\r\n${sent[20]}\r${sent[21]}\n${sent[22]}`);
    const headers = join(dir, 'headers.properties');
    writeFileSync(headers, 'source = cli\n');
    try {
      await b.waitForLog((r) => r.msg === 'avro source listening');
      const client = startSluice([
        'avro-client',
        '-H',
        '127.0.0.1',
        '-p',
        String(port),
        '-F',
        input,
        '-R',
        headers,
      ]);
      assert.equal(await client.exited, 0, client.stderr());
      await waitForLines(out, sent.length);
      assert.deepEqual(lines(out), sent);

      // --dirname: every file of the directory, each renamed to .COMPLETED once acknowledged.
      const spool = join(dir, 'spool');
      mkdirSync(spool);
      writeFileSync(join(spool, 'one.log'), 'spooled 1\nspooled 2\n');
      writeFileSync(join(spool, 'two.log'), 'spooled 3\n');
      writeFileSync(join(spool, 'old.log.COMPLETED'), 'already sent\n');
      const dirClient = startSluice([
        'avro-client',
        '-H',
        '127.0.0.1',
        '-p',
        String(port),
        '--dirname',
        spool,
      ]);
      assert.equal(await dirClient.exited, 0, dirClient.stderr());
      assert.deepEqual(readdirSync(spool).sort(), [
        'old.log.COMPLETED',
        'one.log.COMPLETED',
        'two.log.COMPLETED',
      ]);
      await waitForLines(out, sent.length + 3);
      // Missing the port is a usage error.
      const bad = startSluice(['avro-client', '-H', '127.0.0.1', '-F', input]);
      assert.equal(await bad.exited, 2, bad.stderr());
      assert.match(bad.stderr(), /--port/);
    } finally {
      b.child.kill('SIGTERM');
      assert.equal(await b.exited, 0, b.stderr().slice(-2000));
    }
    assert.deepEqual(lines(out).slice(sent.length).sort(), ['spooled 1', 'spooled 2', 'spooled 3']);
  });
});
