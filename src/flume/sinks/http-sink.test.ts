import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { flumeEvent } from '../api/event.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { HttpSink, httpSinkConfig, httpSinkOptions } from './http-sink.ts';

const layer = (values: Record<string, string>) => [
  { source: 'test', entries: Object.entries(values).map(([key, value]) => ({ key, value })) },
];

describe('HttpSink against a real HTTP server', () => {
  let server: Server;
  let url = '';
  /** Status per body; bodies received in order with their headers. */
  const statusOf = new Map<string, number>();
  const received: { body: string; contentType: string | undefined; accept: string | undefined }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        received.push({ body, contentType: req.headers['content-type'], accept: req.headers.accept });
        if (body === 'hang') return; // never answers: the request timeout must fire
        res.writeHead(statusOf.get(body) ?? 200);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function setup(keys: Record<string, string>) {
    const parsed = httpSinkConfig.parse(layer({ endpoint: url, ...keys }));
    const channel = new MemoryChannel('c', { capacity: 100, transactionCapacity: 100, keepAliveMs: 0 });
    await channel.start();
    const sink = new HttpSink(
      'k',
      channel,
      httpSinkOptions(parsed.values as Record<string, unknown>),
      new MemoryLogger(),
    );
    await sink.start();
    const put = async (...bodies: string[]) => {
      const tx = channel.getTransaction();
      tx.begin();
      for (const b of bodies) tx.put(flumeEvent(b));
      await tx.commit();
      tx.close();
    };
    return { sink, channel, put };
  }

  it('POSTs one body per transaction with the configured headers; 2XX commits with the example policy', async () => {
    received.length = 0;
    const { sink, channel, put } = await setup({
      contentTypeHeader: 'application/json',
      acceptHeader: 'application/json',
      'rollback.2XX': 'false',
      'backoff.2XX': 'false',
      'incrementMetrics.2XX': 'true',
    });
    await put('{"a":1}', '{"a":2}');
    assert.equal(await sink.process(), 'READY');
    assert.equal(await sink.process(), 'READY');
    assert.equal(await sink.process(), 'BACKOFF', 'empty channel');
    assert.deepEqual(
      received.map((r) => [r.body, r.contentType, r.accept]),
      [
        ['{"a":1}', 'application/json', 'application/json'],
        ['{"a":2}', 'application/json', 'application/json'],
      ],
    );
    assert.equal(channel.counters.get('ChannelSize'), 0);
    assert.equal(sink.counters.get('EventDrainSuccessCount'), 2);
    assert.equal(sink.counters.get('EventDrainAttemptCount'), 2);
    assert.equal(sink.counters.get('BatchEmptyCount'), 1);
    await sink.stop();
  });

  it("Flume's defaults roll back and back off on every status, even 200", async () => {
    received.length = 0;
    const { sink, channel, put } = await setup({});
    await put('plain');
    assert.equal(await sink.process(), 'BACKOFF');
    assert.equal(await sink.process(), 'BACKOFF');
    assert.deepEqual(
      received.map((r) => [r.body, r.contentType, r.accept]),
      [
        ['plain', 'text/plain', 'text/plain'],
        ['plain', 'text/plain', 'text/plain'],
      ],
    );
    assert.equal(channel.counters.get('ChannelSize'), 1, 'still in the channel');
    assert.equal(sink.counters.get('EventDrainSuccessCount'), 0);
    await sink.stop();
  });

  it('the most specific code wins: 400 dropped, other 4XX retried, 503 retried with backoff', async () => {
    received.length = 0;
    statusOf.set('bad', 400).set('gone', 410).set('busy', 503).set('fine', 201);
    const { sink, channel, put } = await setup({
      defaultRollback: 'false',
      defaultBackoff: 'false',
      'rollback.4XX': 'true',
      'rollback.400': 'false',
      'backoff.5XX': 'true',
      'rollback.5XX': 'true',
      'incrementMetrics.201': 'true',
    });
    await put('bad');
    assert.equal(await sink.process(), 'READY');
    assert.equal(channel.counters.get('ChannelSize'), 0, '400: committed (dropped)');
    await put('gone');
    assert.equal(await sink.process(), 'READY');
    assert.equal(channel.counters.get('ChannelSize'), 1, '410: rolled back by 4XX');
    const tx = channel.getTransaction();
    tx.begin();
    await tx.take();
    await tx.commit();
    tx.close();
    await put('busy');
    assert.equal(await sink.process(), 'BACKOFF');
    assert.equal(channel.counters.get('ChannelSize'), 1, '503: rolled back');
    statusOf.set('busy', 201);
    assert.equal(await sink.process(), 'READY');
    assert.equal(channel.counters.get('ChannelSize'), 0);
    assert.equal(sink.counters.get('EventDrainSuccessCount'), 1, 'only the 201 counts');
    await sink.stop();
  });

  it('a refused connection or a silent server rolls back and backs off; empty bodies are consumed unsent', async () => {
    received.length = 0;
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    const parsed = httpSinkConfig.parse(
      layer({ endpoint: `http://127.0.0.1:${deadPort}/x`, requestTimeout: '200' }),
    );
    const channel = new MemoryChannel('c', { capacity: 10, transactionCapacity: 10, keepAliveMs: 0 });
    await channel.start();
    const opts = httpSinkOptions(parsed.values as Record<string, unknown>);
    const refused = new HttpSink('k', channel, opts, new MemoryLogger());
    const tx = channel.getTransaction();
    tx.begin();
    tx.put(flumeEvent(''));
    tx.put(flumeEvent('x'));
    await tx.commit();
    tx.close();
    assert.equal(await refused.process(), 'BACKOFF');
    assert.equal(channel.counters.get('ChannelSize'), 1, 'the empty event was consumed');
    assert.equal(await refused.process(), 'BACKOFF');
    assert.equal(channel.counters.get('ChannelSize'), 1);
    assert.equal(refused.counters.get('EventWriteFail'), 1);
    await refused.stop();

    const { sink, channel: c2, put } = await setup({ requestTimeout: '200', 'rollback.2XX': 'false' });
    await put('hang');
    assert.equal(await sink.process(), 'BACKOFF');
    assert.equal(c2.counters.get('ChannelSize'), 1);
    assert.equal(sink.counters.get('EventWriteFail'), 1);
    await sink.stop();
  });

  it('refuses bad endpoints, codes and values at configuration time, naming the key', () => {
    assert.throws(() => httpSinkConfig.parse(layer({ endpoint: 'ftp://x' })), /endpoint/);
    assert.throws(() => httpSinkConfig.parse(layer({ endpoint: url, 'backoff.2X': 'true' })), /backoff\.2X/);
    assert.throws(
      () => httpSinkConfig.parse(layer({ endpoint: url, 'rollback.500': 'maybe' })),
      /rollback\.500/,
    );
    assert.throws(
      () => httpSinkConfig.parse(layer({ endpoint: url, connectTimeout: '0' })),
      /connectTimeout/,
    );
  });
});
