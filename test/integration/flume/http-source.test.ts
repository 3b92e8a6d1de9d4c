import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
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

/** `sluice agent` processes with the http and netcatudp sources, checked through file_roll output. */

function rolled(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .flatMap((f) =>
          readFileSync(join(dir, f), 'utf8')
            .split('\n')
            .filter((l) => l !== ''),
        )
    : [];
}

async function post(
  port: number,
  body: string,
  contentType = 'application/json',
): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
  return { status: res.status, text: await res.text() };
}

/** Polls until `condition` holds (file_roll writes without logging anything to wait on). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function metrics(port: number): Promise<Record<string, Record<string, string>>> {
  return (await (await fetch(`http://127.0.0.1:${port}/metrics`)).json()) as Record<
    string,
    Record<string, string>
  >;
}

describe('sluice agent: http and netcatudp sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-http-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('http → memory → file_roll: 200 events arrive with headers; 400 on bad bodies; 503 on a full channel', async () => {
    const port = await freePort();
    const fullPort = await freePort();
    const monitorPort = await freePort();
    const out = join(dir, 'http-out');
    mkdirSync(out);
    const file = join(dir, 'http.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1 r2',
        'a1.sinks = k1',
        'a1.channels = c1 c2',
        'a1.sources.r1.type = http',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.HttpConfiguration.sendServerVersion = false',
        // r2 feeds a channel no sink drains, to fill it.
        'a1.sources.r2.type = org.apache.flume.source.http.HTTPSource',
        'a1.sources.r2.bind = 127.0.0.1',
        `a1.sources.r2.port = ${fullPort}`,
        'a1.sources.r2.channels = c2',
        'a1.channels.c1.type = memory',
        'a1.channels.c2.type = memory',
        'a1.channels.c2.capacity = 3',
        'a1.channels.c2.transactionCapacity = 3',
        'a1.channels.c2.keep-alive = 0',
        'a1.sinks.k1.type = file_roll',
        'a1.sinks.k1.channel = c1',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.sink.serializer = header_and_text',
        '',
      ].join('\n'),
    );
    const agent = startSluice([
      'agent',
      '-n',
      'a1',
      '-f',
      file,
      '-Dflume.monitoring.type=http',
      `-Dflume.monitoring.port=${monitorPort}`,
    ]);
    try {
      await agent.waitForOutput(() => /agent started/.test(agent.stderr()));
      assert.match(agent.stderr(), /Jetty tuning keys/);
      const first = await post(
        port,
        JSON.stringify([
          { headers: { host: 'web1', level: 'INFO' }, body: 'first event' },
          { headers: { host: 'web2' }, body: 'second event' },
        ]),
      );
      assert.equal(first.status, 200, first.text);

      const notJson = await post(port, 'definitely not json');
      assert.equal(notJson.status, 400);
      assert.match(notJson.text, /expected a JSON array of events/);
      const wrongShape = await post(port, '{"body":"x"}');
      assert.equal(wrongShape.status, 400);

      const later = await post(port, JSON.stringify([{ headers: { n: '3' }, body: 'after the bad ones' }]));
      assert.equal(later.status, 200);
      await until(() => rolled(out).length === 3);
      assert.deepEqual(rolled(out), [
        '{host=web1, level=INFO} first event',
        '{host=web2} second event',
        '{n=3} after the bad ones',
      ]);

      assert.equal((await post(fullPort, JSON.stringify([{ body: 'a' }, { body: 'b' }]))).status, 200);
      const full = await post(fullPort, JSON.stringify([{ body: 'c' }, { body: 'd' }]));
      assert.equal(full.status, 503, full.text);
      const m = await metrics(monitorPort);
      assert.equal(m['CHANNEL.c2']?.ChannelSize, '2');
      assert.equal(m['CHANNEL.c2']?.EventPutSuccessCount, '2');
      assert.equal(m['SOURCE.r2']?.ChannelWriteFail, '1');
      assert.equal(m['SOURCE.r1']?.EventAcceptedCount, '3');
      assert.equal(m['SOURCE.r1']?.EventReadFail, '2');
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
  });

  it('refuses ssl=true at startup, naming the key', async () => {
    const file = join(dir, 'ssl.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sources.r1.type = http',
        `a1.sources.r1.port = ${await freePort()}`,
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.ssl = true',
        'a1.sources.r1.keystore = /tmp/none.jks',
        'a1.sources.r1.keystore-password = x',
        'a1.channels.c1.type = memory',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    const code = await agent.exited;
    assert.notEqual(code, 0);
    assert.match(agent.stderr(), /a1\.sources\.r1\.ssl/);
  });

  it('netcatudp → memory → file_roll: one datagram is one event, cut at the first newline', async () => {
    const port = await freePort();
    const out = join(dir, 'udp-out');
    mkdirSync(out);
    const file = join(dir, 'udp.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.sinks = k1',
        'a1.channels = c1',
        'a1.sources.r1.type = netcatudp',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.remoteAddressHeader = from',
        'a1.sources.r1.channels = c1',
        'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = file_roll',
        'a1.sinks.k1.channel = c1',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.sink.serializer = header_and_text',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    const client = createSocket('udp4');
    try {
      await agent.waitForOutput(() => /agent started/.test(agent.stderr()));
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
      const from = `/127.0.0.1:${client.address().port}`;
      const send = (text: string) =>
        new Promise<void>((resolve, reject) =>
          client.send(Buffer.from(text), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
        );
      // UDP is best effort: wait for each datagram before sending the next so none is lost.
      await send('hello udp\n');
      await until(() => rolled(out).length === 1);
      await send('two\nignored rest');
      await until(() => rolled(out).length === 2);
      assert.deepEqual(rolled(out), [`{from=${from}} hello udp`, `{from=${from}} two`]);
    } finally {
      client.close();
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
  });
});
