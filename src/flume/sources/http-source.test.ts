import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../config/index.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import { BlobHandler, type HttpSourceHandler, JsonHandler } from './http-handlers.ts';
import { HttpSource, httpSourceConfig, httpSourceOptions } from './http-source.ts';
import { bodies, channelKit } from './source-test-kit.ts';

interface Reply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

function send(
  port: number,
  body: string | Buffer,
  opts: { method?: string; path?: string; contentType?: string; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/',
        headers: {
          'content-type': opts.contentType ?? 'application/json',
          ...(opts.chunked
            ? { 'transfer-encoding': 'chunked' }
            : { 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sources: HttpSource[] = [];
after(async () => {
  for (const s of sources) await s.stop();
});

async function startSource(handler: HttpSourceHandler = new JsonHandler(1 << 20), capacity = 100) {
  const kit = channelKit(capacity);
  const source = new HttpSource('r1', { bind: '127.0.0.1', port: 0, handler }, kit.logger);
  await source.start(kit.processor);
  sources.push(source);
  return { ...kit, source };
}

const json = (events: { headers?: Record<string, string>; body: string }[]) => JSON.stringify(events);
const parse = (settings: Record<string, string>, strict = true) =>
  httpSourceConfig.parse(
    [{ source: 'test', entries: Object.entries(settings).map(([key, value]) => ({ key, value })) }],
    { strict },
  );

describe('HTTP source', () => {
  it('a POST of JSON events is one batch: 200, every event with its headers in the channel', async () => {
    const { source, drain, logger } = await startSource();
    const r = await send(
      source.port,
      json([
        { headers: { a: 'b' }, body: 'one' },
        { headers: { c: 'd', e: 'f' }, body: 'two' },
      ]),
    );
    assert.equal(r.status, 200);
    const got = await drain();
    assert.deepEqual(
      got.map((e) => [e.headers, e.body.toString()]),
      [
        [{ a: 'b' }, 'one'],
        [{ c: 'd', e: 'f' }, 'two'],
      ],
    );
    const c = source.counters.snapshot();
    assert.equal(c.AppendBatchAcceptedCount, '1');
    assert.equal(c.EventAcceptedCount, '2');
    assert.ok(logger.records.some((l) => l.message === 'http source listening'));
  });

  it('answers 200 only after the channel commit', async () => {
    const { source, processor } = await startSource();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inBatch = new Promise<void>((r) => {
      entered = r;
    });
    const original = processor.processEventBatch.bind(processor);
    processor.processEventBatch = async (events: readonly FlumeEvent[]) => {
      entered();
      await gate;
      await original(events);
    };
    let answered = false;
    const reply = send(source.port, json([{ body: 'x' }])).then((r) => {
      answered = true;
      return r;
    });
    await inBatch;
    // The batch is held before its commit: the client must not have its answer yet.
    await new Promise((r) => setImmediate(r));
    assert.equal(answered, false);
    release();
    assert.equal((await reply).status, 200);
    processor.processEventBatch = original;
  });

  it('400 for a body that is not JSON or has the wrong shape, and keeps serving', async () => {
    const { source, drain } = await startSource();
    const bad = await send(source.port, 'this is not json');
    assert.equal(bad.status, 400);
    assert.match(bad.text, /expected a JSON array of events/);
    const shape = await send(source.port, '{"headers":{},"body":"x"}');
    assert.equal(shape.status, 400);
    assert.match(shape.text, /got an object/);
    assert.equal((await drain()).length, 0);
    assert.equal((await send(source.port, json([{ body: 'later' }]))).status, 200);
    assert.deepEqual(bodies(await drain()), ['later']);
    assert.equal(source.counters.snapshot().EventReadFail, '2');
  });

  it('503 when the channel is full; the refused batch is not in the channel', async () => {
    const { source, drain } = await startSource(new JsonHandler(1 << 20), 3);
    assert.equal((await send(source.port, json([{ body: 'a' }, { body: 'b' }]))).status, 200);
    const full = await send(source.port, json([{ body: 'c' }, { body: 'd' }]));
    assert.equal(full.status, 503);
    assert.deepEqual(bodies(await drain()), ['a', 'b']);
    assert.equal(source.counters.snapshot().ChannelWriteFail, '1');
    // Retrying once there is room delivers the batch.
    assert.equal((await send(source.port, json([{ body: 'c' }, { body: 'd' }]))).status, 200);
    assert.deepEqual(bodies(await drain()), ['c', 'd']);
  });

  it('413 past the body limit (declared or streamed), then keeps serving', async () => {
    const { source, drain } = await startSource(new JsonHandler(64));
    const big = json([{ body: 'x'.repeat(200) }]);
    assert.equal((await send(source.port, big)).status, 413);
    assert.equal((await send(source.port, big, { chunked: true })).status, 413);
    assert.equal((await send(source.port, json([{ body: 'ok' }]))).status, 200);
    assert.deepEqual(bodies(await drain()), ['ok']);
  });

  it('GET is handled like POST (as Flume); TRACE/OPTIONS 403; PUT 405', async () => {
    const { source, drain } = await startSource();
    assert.equal((await send(source.port, json([{ body: 'g' }]), { method: 'GET' })).status, 200);
    assert.deepEqual(bodies(await drain()), ['g']);
    assert.equal((await send(source.port, '', { method: 'OPTIONS' })).status, 403);
    const put = await send(source.port, json([{ body: 'p' }]), { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, HEAD, POST');
    assert.equal((await drain()).length, 0);
  });

  it('BlobHandler: whole body as one event, cut at maxBlobLength; query parameters as headers', async () => {
    const { source, drain } = await startSource(new BlobHandler(5));
    const r = await send(source.port, Buffer.from('0123456789'), {
      path: '/upload?resourceName=f.bin&x=1',
      contentType: 'application/octet-stream',
    });
    assert.equal(r.status, 200);
    const [e, ...rest] = await drain();
    assert.equal(rest.length, 0);
    assert.equal(e!.body.toString(), '01234');
    assert.deepEqual(e!.headers, {
      'Content-Type': 'application/octet-stream',
      resourceName: 'f.bin',
      x: '1',
    });
  });

  it('stop answers the request in flight before closing', async () => {
    const kit = channelKit();
    const source = new HttpSource(
      'r2',
      { bind: '127.0.0.1', port: 0, handler: new JsonHandler(1024) },
      kit.logger,
    );
    await source.start(kit.processor);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inBatch = new Promise<void>((r) => {
      entered = r;
    });
    const original = kit.processor.processEventBatch.bind(kit.processor);
    kit.processor.processEventBatch = async (events: readonly FlumeEvent[]) => {
      entered();
      await gate;
      await original(events);
    };
    const reply = send(source.port, json([{ body: 'late' }]));
    await inBatch;
    const stopped = source.stop();
    release();
    assert.equal((await reply).status, 200);
    await stopped;
    assert.deepEqual(bodies(await kit.drain()), ['late']);
  });
});

describe('HTTP source configuration', () => {
  it('Flume defaults: bind 0.0.0.0, JSONHandler', () => {
    const { values } = parse({ port: '5140' });
    const o = httpSourceOptions(values as Record<string, unknown>);
    assert.equal(o.bind, '0.0.0.0');
    assert.equal(o.handler.className, 'org.apache.flume.source.http.JSONHandler');
  });

  it('BlobHandler by class name or alias, with handler.maxBlobLength (default 100000000)', () => {
    const byName = httpSourceOptions(
      parse({ port: '1', handler: 'org.apache.flume.sink.solr.morphline.BlobHandler' }).values as Record<
        string,
        unknown
      >,
    );
    assert.equal(byName.handler.limitBytes, 100_000_000);
    const alias = httpSourceOptions(
      parse({ port: '1', handler: 'blob', 'handler.maxBlobLength': '2000' }).values as Record<
        string,
        unknown
      >,
    );
    assert.equal(alias.handler.className, 'org.apache.flume.sink.solr.morphline.BlobHandler');
    assert.equal(alias.handler.limitBytes, 2000);
  });

  it('fails startup on ssl=true, an unknown handler class and a bad maxBlobLength, naming the key', () => {
    const fails = (settings: Record<string, string>, key: string) =>
      assert.throws(
        () => parse(settings),
        (err: unknown) => err instanceof ConfigError && err.message.includes(key),
      );
    fails({ port: '1', ssl: 'true', keystore: 'k.jks', 'keystore-password': 'p' }, 'ssl');
    fails({ port: '1', handler: 'org.example.rest.RestHandler' }, 'handler');
    fails({ port: '1', handler: 'blob', 'handler.maxBlobLength': '0' }, 'handler.maxBlobLength');
    fails({ port: '1', 'handler.nickname': 'x' }, 'handler.nickname');
    fails({}, 'port');
  });

  it('accepts the ssl keys with ssl=false, and Jetty tuning keys (logged once as ignored)', async () => {
    const { values } = parse({
      port: '0',
      bind: '127.0.0.1',
      ssl: 'false',
      keystore: '/k.jks',
      'keystore-password': 'secret',
      'keystore-type': 'PKCS12',
      'exclude-protocols': 'SSLv3 TLSv1',
      'include-cipher-suites': 'TLS_AES_128_GCM_SHA256',
      'HttpConfiguration.sendServerVersion': 'false',
      'ServerConnector.idleTimeout': '300',
      'QueuedThreadPool.maxThreads': '50',
    });
    const options = httpSourceOptions(values as Record<string, unknown>);
    const logger = new MemoryLogger();
    const source = new HttpSource('r', options, logger);
    await source.start(channelKit().processor);
    await source.stop();
    const ignored = logger.records.filter((r) => /Jetty/.test(r.message));
    assert.equal(ignored.length, 1);
    assert.deepEqual(ignored[0]!.fields.keys, [
      'HttpConfiguration.sendServerVersion',
      'ServerConnector.idleTimeout',
      'QueuedThreadPool.maxThreads',
    ]);
  });
});
