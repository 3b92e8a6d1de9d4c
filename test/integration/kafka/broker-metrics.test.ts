import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

const run = promisify(execFile);

/** The value of one sample line `name{labels} value` in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('broker Prometheus endpoint (sluice.metrics.port)', () => {
  let proc: SluiceProcess;
  let port: number;
  let metricsUrl: string;

  before(async () => {
    ({ proc, port } = await startBroker([
      '--override',
      'sluice.metrics.port=0',
      '--override',
      'sluice.metrics.host=127.0.0.1',
    ]));
    const rec = await proc.waitForLog((r) => r.msg === 'metrics endpoint listening');
    metricsUrl = `http://${String(rec.address)}/metrics`;
  });
  after(async () => {
    await proc?.stop();
  });

  it('counts what kcat produced and fetched, per topic, with request and log-size metrics', async () => {
    const broker = `127.0.0.1:${port}`;
    const producer = execFile('kcat', ['-P', '-b', broker, '-t', 'metered', '-p', '0']);
    producer.stdin!.end('one\ntwo\nthree\n');
    await new Promise((resolve, reject) =>
      producer.on('exit', (code) => (code === 0 ? resolve(code) : reject(code))),
    );
    const { stdout } = await run(
      'kcat',
      ['-C', '-b', broker, '-t', 'metered', '-p', '0', '-o', 'beginning', '-e'],
      {
        timeout: 30_000,
      },
    );
    assert.deepEqual(stdout.trim().split('\n'), ['one', 'two', 'three']);

    const text = await (await fetch(metricsUrl)).text();
    assert.equal(sample(text, 'sluice_broker_topic_records_in_total', 'topic="metered"'), 3);
    assert.equal(sample(text, 'sluice_broker_topic_records_out_total', 'topic="metered"'), 3);
    assert.ok((sample(text, 'sluice_broker_topic_bytes_in_total', 'topic="metered"') ?? 0) > 0);
    assert.ok((sample(text, 'sluice_broker_requests_total', 'api="Produce"') ?? 0) >= 1);
    assert.ok((sample(text, 'sluice_broker_requests_total', 'api="Fetch"') ?? 0) >= 1);
    assert.ok((sample(text, 'sluice_broker_request_duration_seconds_count', 'api="Metadata"') ?? 0) >= 1);
    assert.ok((sample(text, 'sluice_log_size_bytes', 'topic="metered"') ?? 0) > 0);
    assert.match(text, /^sluice_broker_connections \d+$/m);
    assert.match(text, /^process_resident_memory_bytes /m);
  });
});
