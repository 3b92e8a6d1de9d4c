import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { bodies, channelKit } from '../source-test-kit.ts';
import { STATUS_HEADER } from './syslog-parser.ts';
import { SyslogTcpSource, syslogTcpSourceOptions } from './syslog-tcp-source.ts';
import { SyslogUdpSource, syslogUdpSourceOptions } from './syslog-udp-source.ts';

const tcpOptions = (extra: Record<string, unknown> = {}) =>
  syslogTcpSourceOptions({
    host: '127.0.0.1',
    port: 0,
    eventSize: 2500,
    keepFields: 'none',
    clientIPHeader: null,
    clientHostnameHeader: null,
    ...extra,
  });

async function sendTcp(port: number, pieces: readonly (string | Buffer)[]): Promise<void> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  for (const p of pieces) {
    s.write(p);
    await new Promise((r) => setImmediate(r));
  }
  s.end();
  await once(s, 'close');
}

describe('syslogtcp source', () => {
  it('parses newline-framed messages split across writes; client IP header; bad lines kept as Invalid', async () => {
    const kit = channelKit();
    const src = new SyslogTcpSource('r', tcpOptions({ clientIPHeader: 'ip', eventSize: 40 }), kit.logger);
    await src.start(kit.processor);
    try {
      await sendTcp(src.ports[0]!, [
        '<13>Jun  2 10:04:05 host1 fir',
        'st\n<34>1 2003-10-11T22:14:15Z h2 second\n\ngarbage\n',
        `<13>Jun  2 10:04:05 h3 ${'x'.repeat(40)}\n`,
      ]);
      const got = await kit.drainUntil((all) => all.length >= 5);
      assert.deepEqual(bodies(got), ['first', 'second', 'garbage', 'x'.repeat(17), 'x'.repeat(23)]);
      assert.equal(got[0]!.headers.host, 'host1');
      assert.equal(got[0]!.headers.ip, '127.0.0.1');
      assert.equal(got[2]!.headers[STATUS_HEADER], 'Invalid');
      // The cut: the first 40 bytes are parsed and marked Incomplete, the rest is Invalid.
      assert.equal(got[3]!.headers[STATUS_HEADER], 'Incomplete');
      assert.equal(got[3]!.headers.host, 'h3');
      assert.equal(got[4]!.headers[STATUS_HEADER], 'Invalid');
      assert.equal(src.counters.get('EventAcceptedCount'), 5);
    } finally {
      await src.stop();
    }
  });

  it('reads RFC 6587 octet-counted frames (rsyslog style, back to back) mixed with lines', async () => {
    const kit = channelKit();
    const src = new SyslogTcpSource('r', tcpOptions(), kit.logger);
    await src.start(kit.processor);
    try {
      const framed = (m: string) => `${Buffer.byteLength(m)} ${m}`;
      await sendTcp(src.ports[0]!, [
        framed('<13>Jun  2 10:04:05 h1 one'),
        framed('<13>1 2003-10-11T22:14:15Z h2 app - - first\nsecond'),
        '<13>Jun  2 10:04:05 h3 a line\n',
        framed('<13>Jun  2 10:04:05 h4 split').slice(0, 2),
        framed('<13>Jun  2 10:04:05 h4 split').slice(2),
      ]);
      const got = await kit.drainUntil((all) => all.length >= 4);
      assert.deepEqual(bodies(got), ['one', 'app - - first\nsecond', 'a line', 'split']);
      assert.deepEqual(
        got.map((e) => e.headers.host),
        ['h1', 'h2', 'h3', 'h4'],
      );
    } finally {
      await src.stop();
    }
  });

  it('holds the sender back while the channel is full and loses nothing', async () => {
    const kit = channelKit(20, 10);
    const src = new SyslogTcpSource('r', tcpOptions({ 'sluice.batchSize': 10 }), kit.logger);
    await src.start(kit.processor);
    try {
      const lines = Array.from({ length: 200 }, (_, i) => `<13>Jun  2 10:04:05 h m${i}\n`);
      const sending = sendTcp(src.ports[0]!, [lines.join('')]);
      const got = await kit.drainUntil((all) => all.length >= 200, 5);
      await sending;
      assert.deepEqual(
        bodies(got),
        lines.map((_, i) => `m${i}`),
      );
      assert.ok(src.counters.get('ChannelWriteFail') > 0, 'the channel was full at times');
    } finally {
      await src.stop();
    }
  });

  it('multiport_syslogtcp: every port, with the port header', async () => {
    const kit = channelKit();
    const src = new SyslogTcpSource(
      'r',
      tcpOptions({ port: undefined, ports: '0 0', portHeader: 'port', batchSize: 50 }),
      kit.logger,
      'multiport_syslogtcp',
    );
    await src.start(kit.processor);
    try {
      const [a, b] = src.ports;
      assert.notEqual(a, b);
      await sendTcp(a!, ['<13>Jun  2 10:04:05 h on-a\n']);
      await sendTcp(b!, ['<13>Jun  2 10:04:05 h on-b\n']);
      const got = await kit.drainUntil((all) => all.length >= 2);
      assert.deepEqual(
        got.map((e) => [e.body.toString(), e.headers.port]),
        [
          ['on-a', String(a)],
          ['on-b', String(b)],
        ],
      );
    } finally {
      await src.stop();
    }
  });
});

describe('syslogudp source', () => {
  it('one datagram, one message (up to its first newline); the rest of the datagram is dropped', async () => {
    const kit = channelKit();
    const src = new SyslogUdpSource(
      'r',
      syslogUdpSourceOptions({ host: '127.0.0.1', port: 0, keepFields: 'false', clientIPHeader: 'ip' }),
      kit.logger,
    );
    await src.start(kit.processor);
    const client = createSocket('udp4');
    try {
      for (const m of ['<13>Jun  2 10:04:05 h one', '<13>Jun  2 10:04:05 h two\nignored', 'bad']) {
        await new Promise<void>((resolve, reject) =>
          client.send(m, src.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
        );
      }
      const got = await kit.drainUntil((all) => all.length >= 3);
      assert.deepEqual(bodies(got), ['one', 'two', 'bad']);
      assert.equal(got[0]!.headers.ip, '127.0.0.1');
      assert.equal(got[2]!.headers[STATUS_HEADER], 'Invalid');
    } finally {
      client.close();
      await src.stop();
    }
  });
});
