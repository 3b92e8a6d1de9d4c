import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { createMetrics, noopMetrics } from './metrics.ts';
import { MetricsServer } from './metrics-server.ts';

/** GET over real HTTP; resolves with status, content type and body. */
function httpGet(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => {
        body += s;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample line `name{labels} value` in a Prometheus exposition. */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
    if (line.startsWith(prefix)) return Number(line.slice(prefix.length));
  }
  return undefined;
}

describe('Metrics (prom-client, own registry)', () => {
  it('counts bytes and records per topic, requests and latency per API, connections', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.bytesIn('orders', 100);
    m.bytesIn('orders', 23);
    m.bytesOut('orders', 7);
    m.recordsIn('orders', 3);
    m.recordsOut('audit', 5);
    m.request('Produce', 0.002);
    m.request('Produce', 0.004);
    m.request('Fetch', 0.3);
    m.requestError('Produce', 'UNKNOWN_TOPIC_OR_PARTITION');
    m.connectionOpened();
    m.connectionOpened();
    m.connectionClosed();
    const text = await m.render();
    assert.equal(sample(text, 'sluice_broker_topic_bytes_in_total', 'topic="orders"'), 123);
    assert.equal(sample(text, 'sluice_broker_topic_bytes_out_total', 'topic="orders"'), 7);
    assert.equal(sample(text, 'sluice_broker_topic_records_in_total', 'topic="orders"'), 3);
    assert.equal(sample(text, 'sluice_broker_topic_records_out_total', 'topic="audit"'), 5);
    assert.equal(sample(text, 'sluice_broker_requests_total', 'api="Produce"'), 2);
    assert.equal(sample(text, 'sluice_broker_requests_total', 'api="Fetch"'), 1);
    assert.equal(
      sample(text, 'sluice_broker_request_errors_total', 'api="Produce",error="UNKNOWN_TOPIC_OR_PARTITION"'),
      1,
    );
    assert.equal(sample(text, 'sluice_broker_request_duration_seconds_count', 'api="Produce"'), 2);
    assert.ok(
      Math.abs(sample(text, 'sluice_broker_request_duration_seconds_sum', 'api="Produce"')! - 0.006) < 1e-9,
    );
    assert.equal(
      sample(text, 'sluice_broker_request_duration_seconds_bucket', 'le="0.005",api="Produce"'),
      2,
    );
    assert.equal(
      sample(text, 'sluice_broker_request_duration_seconds_bucket', 'le="0.001",api="Produce"'),
      0,
    );
    assert.equal(sample(text, 'sluice_broker_connections'), 1);
    assert.match(text, /# TYPE sluice_broker_request_duration_seconds histogram/);
  });

  it('reads log sizes from the registered source on every scrape', async () => {
    const m = createMetrics({ defaultMetrics: false });
    let sizes = [
      { topic: 'a', partition: 0, bytes: 10 },
      { topic: 'a', partition: 1, bytes: 20 },
    ];
    m.onCollectLogSizes(() => sizes);
    let text = await m.render();
    assert.equal(sample(text, 'sluice_log_size_bytes', 'topic="a",partition="0"'), 10);
    assert.equal(sample(text, 'sluice_log_size_bytes', 'topic="a",partition="1"'), 20);
    sizes = [{ topic: 'a', partition: 0, bytes: 99 }];
    text = await m.render();
    assert.equal(sample(text, 'sluice_log_size_bytes', 'topic="a",partition="0"'), 99);
    assert.equal(
      sample(text, 'sluice_log_size_bytes', 'topic="a",partition="1"'),
      undefined,
      'gone partitions vanish',
    );
  });

  it('keeps separate registries per instance', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.bytesIn('t', 5);
    assert.equal(sample(await a.render(), 'sluice_broker_topic_bytes_in_total', 'topic="t"'), 5);
    assert.equal(sample(await b.render(), 'sluice_broker_topic_bytes_in_total', 'topic="t"'), undefined);
  });

  it('noopMetrics accepts every call and renders nothing', async () => {
    const m = noopMetrics();
    m.bytesIn('t', 1);
    m.request('Produce', 1);
    m.onCollectLogSizes(() => []);
    assert.equal(await m.render(), '');
  });
});

describe('MetricsServer over HTTP', () => {
  it('serves /metrics in Prometheus text format with Sluice and default process metrics', async () => {
    const metrics = createMetrics();
    metrics.recordsIn('orders', 42);
    metrics.request('Metadata', 0.0003);
    const server = new MetricsServer({ metrics, port: 0, host: '127.0.0.1' });
    const { port } = await server.start();
    try {
      const res = await httpGet(port, '/metrics');
      assert.equal(res.status, 200);
      assert.match(res.type, /^text\/plain; version=0\.0\.4/);
      assert.equal(sample(res.body, 'sluice_broker_topic_records_in_total', 'topic="orders"'), 42);
      assert.equal(sample(res.body, 'sluice_broker_requests_total', 'api="Metadata"'), 1);
      assert.match(res.body, /^# HELP sluice_broker_connections /m);
      assert.ok((sample(res.body, 'process_resident_memory_bytes') ?? 0) > 0, 'process_* metrics present');
      assert.match(res.body, /^nodejs_version_info\{/m, 'nodejs_* metrics present');

      metrics.recordsIn('orders', 1);
      const again = await httpGet(port, '/metrics?x=1');
      assert.equal(sample(again.body, 'sluice_broker_topic_records_in_total', 'topic="orders"'), 43);

      assert.equal((await httpGet(port, '/nope')).status, 404);
      assert.equal((await httpGet(port, '/metrics', 'POST')).status, 405);
      const head = await httpGet(port, '/metrics', 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body, '');
    } finally {
      await server.stop();
    }
    await assert.rejects(httpGet(port, '/metrics'), 'closed after stop()');
  });

  it('answers 500 when collection fails, and keeps serving', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let fail = true;
    metrics.onCollectLogSizes(() => {
      if (fail) throw new Error('disk gone');
      return [{ topic: 't', partition: 0, bytes: 1 }];
    });
    const server = new MetricsServer({ metrics, port: 0, host: '127.0.0.1' });
    const { port } = await server.start();
    try {
      assert.equal((await httpGet(port, '/metrics')).status, 500);
      fail = false;
      const ok = await httpGet(port, '/metrics');
      assert.equal(ok.status, 200);
      assert.equal(sample(ok.body, 'sluice_log_size_bytes', 'topic="t",partition="0"'), 1);
    } finally {
      await server.stop();
    }
  });

  it('start() rejects when the port is taken', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const first = new MetricsServer({ metrics, port: 0, host: '127.0.0.1' });
    const { port } = await first.start();
    try {
      await assert.rejects(new MetricsServer({ metrics, port, host: '127.0.0.1' }).start(), /EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });
});
