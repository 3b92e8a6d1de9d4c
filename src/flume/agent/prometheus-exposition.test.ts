import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { HttpMonitor } from './http-monitor.ts';
import { prometheusName, renderPrometheus } from './prometheus-exposition.ts';

const SNAPSHOT = {
  'CHANNEL.c1': {
    ChannelSize: '3',
    ChannelCapacity: '100',
    ChannelFillPercentage: '3.0',
    EventPutSuccessCount: '10',
    Type: 'CHANNEL',
    StartTime: '1700000000000',
    StopTime: '0',
  },
  'SOURCE.r"1': { EventAcceptedCount: '7', OpenConnectionCount: '1', Type: 'SOURCE' },
  'SINK.k1': { EventDrainSuccessCount: '7', EventWriteFail: '0', Type: 'SINK', Note: 'text' },
};

describe('Prometheus exposition of Flume counters', () => {
  it('names metrics after the group type and counter', () => {
    assert.deepEqual(prometheusName('CHANNEL', 'ChannelSize'), { name: 'flume_channel_size', type: 'gauge' });
    assert.deepEqual(prometheusName('CHANNEL', 'EventPutSuccessCount'), {
      name: 'flume_channel_event_put_success_total',
      type: 'counter',
    });
    assert.deepEqual(prometheusName('SOURCE', 'OpenConnectionCount'), {
      name: 'flume_source_open_connection_count',
      type: 'gauge',
    });
    assert.deepEqual(prometheusName('SINK', 'EventWriteFail'), {
      name: 'flume_sink_event_write_fail_total',
      type: 'counter',
    });
    assert.deepEqual(prometheusName('CHANNEL_PROCESSOR', 'KafkaEventGetTimer'), {
      name: 'flume_channel_processor_kafka_event_get_timer_total',
      type: 'counter',
    });
  });

  it('renders every numeric counter with HELP/TYPE lines and escaped labels', () => {
    const text = renderPrometheus(SNAPSHOT);
    assert.match(text, /^# TYPE flume_channel_size gauge\nflume_channel_size\{component="c1"\} 3$/m);
    assert.match(text, /^flume_channel_fill_percentage\{component="c1"\} 3$/m);
    assert.match(text, /^# TYPE flume_channel_event_put_success_total counter$/m);
    assert.match(text, /^flume_channel_start_time_seconds\{component="c1"\} 1700000000$/m);
    assert.match(text, /^flume_source_event_accepted_total\{component="r\\"1"\} 7$/m);
    assert.doesNotMatch(text, /note|flume_\w*_type\b/i);
    // Every sample line is `name{labels} value`, every family announced once.
    const lines = text.trim().split('\n');
    for (const l of lines)
      assert.match(l, /^(# (HELP|TYPE) flume_\w+ .+|flume_\w+\{component="(?:[^"\\]|\\.)*"\} -?[\d.e+]+)$/);
    const types = lines.filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]);
    assert.equal(new Set(types).size, types.length);
  });

  it('is served at /metrics/prometheus next to the JSON at /metrics, and at /metrics in prometheus mode', async () => {
    for (const format of ['flume', 'prometheus'] as const) {
      const monitor = new HttpMonitor({
        port: 0,
        host: '127.0.0.1',
        snapshot: () => SNAPSHOT,
        logger: new MemoryLogger(),
        format,
      });
      const { port } = await monitor.start();
      try {
        const prom = await fetch(`http://127.0.0.1:${port}/metrics/prometheus`);
        assert.equal(prom.status, 200);
        assert.match(prom.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        assert.match(await prom.text(), /flume_sink_event_drain_success_total\{component="k1"\} 7/);
        const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (format === 'flume')
          assert.equal(((await metrics.json()) as Record<string, unknown>)['SINK.k1'] !== undefined, true);
        else assert.match(await metrics.text(), /^# HELP/);
      } finally {
        await monitor.stop();
      }
    }
  });
});
