import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sendLines } from '../support/flume.ts';
import { startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/**
 * Routing inside one `sluice agent` process: interceptors (regex_extractor, regex_filter, uuid,
 * remove_header) feed a multiplexing selector that routes on the extracted header into two
 * channels (plus an optional third), a failover sink group drains the third, and the counters are
 * scraped in the Prometheus format over HTTP.
 */

/** Scrapes until `done` holds for the text (the sinks drain asynchronously). */
async function scrapeUntil(url: string, done: (text: string) => boolean): Promise<string> {
  let text = '';
  for (let i = 0; i < 100; i++) {
    text = await (await fetch(url)).text();
    if (done(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return text;
}

const sample = (text: string, name: string, component: string): number | undefined => {
  const m = new RegExp(`^${name}\\{component="${component}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('sluice agent routing (selectors, interceptors, sink groups, Prometheus)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-routing-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('netcat → extracted header → multiplexing into two channels, failover group on the optional one', async () => {
    const port = await freePort();
    const monitorPort = await freePort();
    const file = join(dir, 'routing.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1 c2 c3',
        'a1.sinks = k1 k2 k3 k4',
        'a1.sinkgroups = g1',
        'a1.sources.r1.type = netcat',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.channels = c1 c2 c3',
        'a1.sources.r1.interceptors = drop dc id strip',
        'a1.sources.r1.interceptors.drop.type = regex_filter',
        'a1.sources.r1.interceptors.drop.regex = ^DEBUG\\\\b',
        'a1.sources.r1.interceptors.drop.excludeEvents = true',
        'a1.sources.r1.interceptors.dc.type = regex_extractor',
        'a1.sources.r1.interceptors.dc.regex = ^(\\\\w+):\\\\s*(\\\\S+)',
        'a1.sources.r1.interceptors.dc.serializers = s1 s2',
        'a1.sources.r1.interceptors.dc.serializers.s1.name = dc',
        'a1.sources.r1.interceptors.dc.serializers.s2.name = word',
        'a1.sources.r1.interceptors.id.type = org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder',
        'a1.sources.r1.interceptors.strip.type = remove_header',
        'a1.sources.r1.interceptors.strip.withName = word',
        'a1.sources.r1.selector.type = multiplexing',
        'a1.sources.r1.selector.header = dc',
        'a1.sources.r1.selector.mapping.east = c1',
        'a1.sources.r1.selector.mapping.west = c2',
        'a1.sources.r1.selector.default = c2',
        'a1.sources.r1.selector.optional.east = c3',
        'a1.channels.c1.type = memory',
        'a1.channels.c2.type = memory',
        'a1.channels.c3.type = memory',
        'a1.sinks.k1.type = logger',
        'a1.sinks.k1.channel = c1',
        'a1.sinks.k2.type = logger',
        'a1.sinks.k2.channel = c2',
        'a1.sinks.k3.type = logger',
        'a1.sinks.k3.channel = c3',
        'a1.sinks.k4.type = logger',
        'a1.sinks.k4.channel = c3',
        'a1.sinkgroups.g1.sinks = k3 k4',
        'a1.sinkgroups.g1.processor.type = failover',
        'a1.sinkgroups.g1.processor.priority.k3 = 5',
        'a1.sinkgroups.g1.processor.priority.k4 = 10',
        'a1.sinkgroups.g1.processor.maxpenalty = 10000',
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
      const lines = [
        'east: one',
        'west: two',
        'east: three',
        'DEBUG noise that is filtered out',
        'north: unmapped goes to the default',
        'no header at all',
        'east: four',
      ];
      assert.equal(await sendLines(port, lines), 'OK\n'.repeat(lines.length));

      const url = `http://127.0.0.1:${monitorPort}/metrics/prometheus`;
      const text = await scrapeUntil(
        url,
        (t) =>
          sample(t, 'flume_sink_event_drain_success_total', 'k1') === 3 &&
          sample(t, 'flume_sink_event_drain_success_total', 'k2') === 3 &&
          sample(t, 'flume_sink_event_drain_success_total', 'k4') === 3,
      );
      // east → c1 (and optional c3), west/unmapped/no header → default c2, DEBUG dropped.
      // The source accepted every line; the filtered one was dropped after it, by the interceptor.
      assert.equal(sample(text, 'flume_source_event_accepted_total', 'r1'), 7, text);
      assert.equal(sample(text, 'flume_channel_event_put_success_total', 'c1'), 3, text);
      assert.equal(sample(text, 'flume_channel_event_put_success_total', 'c2'), 3, text);
      assert.equal(sample(text, 'flume_channel_event_put_success_total', 'c3'), 3, text);
      // The failover group runs only its highest-priority sink while it works.
      assert.equal(sample(text, 'flume_sink_event_drain_success_total', 'k4'), 3, text);
      assert.equal(sample(text, 'flume_sink_event_drain_success_total', 'k3'), 0, text);
      assert.equal(sample(text, 'flume_channel_size', 'c1'), 0, text);
      assert.match(text, /^# TYPE flume_channel_size gauge$/m);

      // Headers as the logger sink printed them: extracted dc, a uuid id, `word` removed.
      const logged = agent.stderr().match(/headers:\{[^}]*\}/g) ?? [];
      assert.ok(
        logged.some((h) => /dc=east/.test(h) && /id=[0-9a-f-]{36}/.test(h)),
        logged.join('\n'),
      );
      assert.ok(
        logged.every((h) => !/word=/.test(h)),
        logged.join('\n'),
      );
      assert.ok(!agent.stderr().includes('DEBUG noise'));

      // Flume's JSON stays at /metrics on the same port.
      const json = (await (await fetch(`http://127.0.0.1:${monitorPort}/metrics`)).json()) as Record<
        string,
        Record<string, string>
      >;
      assert.equal(json['CHANNEL.c1']?.EventPutSuccessCount, '3');
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-2000));
    }
  });

  it('refuses a Java-only regex at startup, naming the key and the value', async () => {
    const file = join(dir, 'bad-regex.properties');
    writeFileSync(
      file,
      [
        'a1.sources = r1',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.r1.type = seq',
        'a1.sources.r1.channels = c1',
        'a1.sources.r1.interceptors = f',
        'a1.sources.r1.interceptors.f.type = regex_filter',
        'a1.sources.r1.interceptors.f.regex = (?>atomic)',
        'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = null',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    const code = await agent.exited;
    assert.notEqual(code, 0);
    assert.match(agent.stderr(), /a1\.sources\.r1\.interceptors\.f\.regex/);
    assert.match(agent.stderr(), /\(\?>atomic\)/);
    assert.match(agent.stderr(), /atomic groups/);
  });
});
