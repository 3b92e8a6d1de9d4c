import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sendLines } from '../support/flume.ts';
import { SLUICE_BIN, startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/** `sluice agent` as a process, with Flume's own files and flume-ng's command-line spelling. */

const TEMPLATE = fileURLToPath(
  new URL('../../fixtures/flume/repo/conf/flume-conf.properties.template', import.meta.url),
);

describe('sluice agent (Flume properties files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs Flume's default template (seq → memory → logger) and stops on SIGTERM", async () => {
    const agent = startSluice([
      'agent',
      '-n',
      'agent',
      '-f',
      TEMPLATE,
      '-c',
      'conf',
      '-Dflume.root.logger=INFO,console',
    ]);
    try {
      // Flume's logger sink format: headers, then a hex dump of at most 16 body bytes.
      await agent.waitForOutput(() => /Event: \{ headers:\{\} body: 30 +0 \}/.test(agent.stderr()));
      assert.match(agent.stderr(), /agent started/);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
  });

  it('netcat → static interceptor → memory → logger: OK per line, Flume JSON counters, SIGINT stops it', async () => {
    const port = await freePort();
    const monitorPort = await freePort();
    const file = join(dir, 'netcat.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.sinks = k1',
        'a1.channels = c1',
        'a1.sources.r1.type = netcat',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.interceptors = i1',
        'a1.sources.r1.interceptors.i1.type = static',
        'a1.sources.r1.interceptors.i1.key = dc',
        'a1.sources.r1.interceptors.i1.value = east',
        'a1.sinks.k1.type = logger',
        'a1.sinks.k1.channel = c1',
        'a1.channels.c1.type = org.apache.flume.channel.MemoryChannel',
        'a1.channels.c1.capacity = 1000',
        'a1.channels.c1.transactionCapacity = 100',
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
      assert.equal(await sendLines(port, ['hello world', 'second']), 'OK\nOK\n');
      await agent.waitForOutput(() => (agent.stderr().match(/headers:\{dc=east\}/g) ?? []).length === 2);
      let counters: Record<string, Record<string, string>> = {};
      for (let i = 0; i < 50; i++) {
        counters = (await (await fetch(`http://127.0.0.1:${monitorPort}/metrics`)).json()) as typeof counters;
        if (counters['SINK.k1']?.EventDrainSuccessCount === '2') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(counters['SOURCE.r1']?.EventAcceptedCount, '2');
      assert.equal(counters['CHANNEL.c1']?.EventPutSuccessCount, '2');
      assert.equal(counters['CHANNEL.c1']?.EventTakeSuccessCount, '2');
      assert.equal(counters['SINK.k1']?.EventDrainSuccessCount, '2');
      assert.equal(counters['CHANNEL.c1']?.ChannelSize, '0');
    } finally {
      agent.child.kill('SIGINT');
      assert.equal(await agent.exited, 0, agent.stderr().slice(-2000));
    }
  });

  it('refuses a file with a sink without a channel, naming the file and the key', async () => {
    const file = join(dir, 'broken.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.sinks = k1',
        'a1.channels = c1',
        'a1.sources.r1.type = seq',
        'a1.sources.r1.channels = c1',
        'a1.sinks.k1.type = logger',
        'a1.channels.c1.type = memory',
        '',
      ].join('\n'),
    );
    const child = spawn(SLUICE_BIN, ['agent', '-n', 'a1', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
    });
    const [code] = await once(child, 'exit');
    assert.notEqual(code, 0);
    assert.ok(err.includes(file), err);
    assert.match(err, /a1\.sinks\.k1\.channel/);
  });
});
