import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/**
 * A real `sluice agent` with syslogtcp and syslogudp sources → memory channel → file_roll (header
 * and text): well-formed and malformed messages (no PRI, a bad PRI, binary garbage, a line longer
 * than eventSize) and RFC 6587 octet-counted frames all arrive, the bad ones marked, the agent keeps
 * serving, and a burst far larger than the channel arrives whole and in order.
 */
describe('sluice agent: syslog sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-syslog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts good and bad messages over TCP and UDP, marks the bad ones, keeps running', async () => {
    const [tcp, udp] = [await freePort(), await freePort()];
    const out = join(dir, 'out');
    const file = join(dir, 'agent.properties');
    writeFileSync(
      file,
      [
        'a1.sources = t u',
        'a1.channels = c1',
        'a1.sinks = k1',
        'a1.sources.t.type = syslogtcp',
        'a1.sources.t.host = 127.0.0.1',
        `a1.sources.t.port = ${tcp}`,
        'a1.sources.t.eventSize = 64',
        'a1.sources.t.channels = c1',
        'a1.sources.u.type = syslogudp',
        'a1.sources.u.host = 127.0.0.1',
        `a1.sources.u.port = ${udp}`,
        'a1.sources.u.channels = c1',
        'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = file_roll',
        `a1.sinks.k1.sink.directory = ${out}`,
        'a1.sinks.k1.sink.rollInterval = 0',
        'a1.sinks.k1.sink.serializer = header_and_text',
        'a1.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    const agent = startSluice(['agent', '-n', 'a1', '-f', file]);
    const written = () =>
      existsSync(out)
        ? readdirSync(out).flatMap((f) =>
            readFileSync(join(out, f), 'latin1')
              .split('\n')
              .filter((l) => l !== ''),
          )
        : [];
    try {
      await agent.waitForOutput(() => /syslogudp source listening/.test(agent.stderr()));
      await agent.waitForOutput(() => /syslogtcp source listening/.test(agent.stderr()));
      const s = connect(tcp, '127.0.0.1');
      await once(s, 'connect');
      s.write('<13>Jun  2 10:04:05 good-host tcp ok\n');
      s.write('no priority here\n');
      s.write('<1234>too many digits\n');
      s.write(Buffer.from([0x00, 0xff, 0xfe, 0x3c, 0x3e, 0x0a]));
      s.write(`<13>Jun  2 10:04:05 long-host ${'L'.repeat(100)}\n`);
      s.write('<13>Jun  2 10:04:05 good-host still served\n');
      // Three PRI digits are valid in Flume, even above 191 (Facility 124, Severity 7, no status);
      // matching neither format, the line is kept whole.
      s.write('<999>three digits\n');
      // RFC 6587 octet-counted frames, back to back without newlines (rsyslog's octet counting).
      const framed = (m: string) => `${Buffer.byteLength(m)} ${m}`;
      s.write(
        framed('<13>Jun  2 10:04:05 framed-host counted one') +
          framed('<13>Jun  2 10:04:05 framed-host counted two'),
      );
      s.write('\n');
      s.end();
      await once(s, 'close');
      const u = createSocket('udp4');
      await new Promise<void>((resolve, reject) =>
        u.send('<14>Jun  2 10:04:05 udp-host via udp', udp, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
      await new Promise<void>((resolve, reject) =>
        u.send('garbage over udp', udp, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
      u.close();
      for (let i = 0; i < 200 && written().length < 13; i++) await new Promise((r) => setTimeout(r, 50));
      const lines = written();
      const find = (re: RegExp) => lines.filter((l) => re.test(l));
      assert.equal(find(/host=good-host.* tcp ok$/).length, 1, lines.join('\n'));
      assert.equal(find(/flume\.syslog\.status=Invalid.* no priority here$/).length, 1, lines.join('\n'));
      assert.equal(find(/flume\.syslog\.status=Invalid.* <1234>too many digits$/).length, 1);
      const binary = `${String.fromCharCode(0, 0xff, 0xfe)}<>`;
      assert.equal(lines.filter((l) => l.includes('status=Invalid') && l.endsWith(binary)).length, 1);
      // 100 Ls after a 30-byte prefix with eventSize 64: 64 bytes parsed and marked Incomplete, then
      // the rest of the line in 64-byte pieces, Invalid as they have no PRI (as in Flume).
      assert.equal(find(/host=long-host, flume\.syslog\.status=Incomplete}/).length, 1, lines.join('\n'));
      assert.equal(
        lines
          .filter((l) => /L+$/.test(l))
          .map((l) => /L+$/.exec(l)![0])
          .join('').length,
        100,
      );
      assert.equal(find(/still served$/).length, 1);
      assert.equal(find(/host=udp-host.* via udp$/).length, 1, lines.join('\n'));
      assert.equal(find(/flume\.syslog\.status=Invalid.* garbage over udp$/).length, 1);
      assert.equal(find(/^\{Facility=124, Severity=7} <999>three digits$/).length, 1, lines.join('\n'));
      assert.equal(find(/host=framed-host} counted (one|two)$/).length, 2, lines.join('\n'));
      assert.equal(lines.length, 13, lines.join('\n'));

      // Far more lines than the memory channel holds (100): the source waits for room, none is lost.
      const n = 20_000;
      const bulk = connect(tcp, '127.0.0.1');
      await once(bulk, 'connect');
      bulk.end(Array.from({ length: n }, (_, i) => `<13>Jun  2 10:04:05 bulk-host n${i}\n`).join(''));
      await once(bulk, 'close');
      const seen = () => written().filter((l) => l.includes('host=bulk-host'));
      for (let i = 0; i < 400 && seen().length < n; i++) await new Promise((r) => setTimeout(r, 50));
      const numbers = seen().map((l) => Number(/ n(\d+)$/.exec(l)?.[1]));
      assert.equal(numbers.length, n);
      assert.deepEqual(
        numbers,
        Array.from({ length: n }, (_, i) => i),
      );
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr().slice(-3000));
    }
  });
});
