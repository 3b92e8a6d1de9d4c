import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../config/index.ts';
import {
  datagramBody,
  javaSocketAddress,
  NetcatUdpSource,
  netcatUdpSourceConfig,
  netcatUdpSourceOptions,
} from './netcat-udp-source.ts';
import { bodies, channelKit, waitFor } from './source-test-kit.ts';

const clients: Socket[] = [];
const sources: NetcatUdpSource[] = [];
after(async () => {
  for (const c of clients) c.close();
  for (const s of sources) await s.stop();
});

async function client(): Promise<Socket> {
  const c = createSocket('udp4');
  clients.push(c);
  await new Promise<void>((resolve) => c.bind(0, '127.0.0.1', () => resolve()));
  return c;
}

function send(c: Socket, port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    c.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
}

describe('netcatudp source', () => {
  it('each datagram is one event: bytes before the first newline, remote address header as Java prints it', async () => {
    const kit = channelKit();
    const source = new NetcatUdpSource(
      'r1',
      { bind: '127.0.0.1', port: 0, remoteAddressHeader: 'from' },
      kit.logger,
    );
    await source.start(kit.processor);
    sources.push(source);
    const c = await client();
    // One datagram at a time: UDP is best effort even on loopback under load.
    await send(c, source.port, 'hello\n');
    await kit.drainUntil((all) => all.length === 1);
    await send(c, source.port, 'a\nb\nc');
    await kit.drainUntil((all) => all.length === 2);
    await send(c, source.port, 'no newline');
    await kit.drainUntil((all) => all.length === 3);
    assert.deepEqual(bodies(kit.taken), ['hello', 'a', 'no newline']);
    for (const e of kit.taken) assert.deepEqual(e.headers, { from: `/127.0.0.1:${c.address().port}` });
    assert.equal(source.counters.snapshot().EventAcceptedCount, '3');
  });

  it('no remoteAddressHeader: no headers; a full channel drops the event and keeps receiving', async () => {
    const kit = channelKit(1);
    const source = new NetcatUdpSource(
      'r2',
      { bind: '127.0.0.1', port: 0, remoteAddressHeader: null },
      kit.logger,
    );
    await source.start(kit.processor);
    sources.push(source);
    const c = await client();
    await send(c, source.port, 'kept');
    await waitFor(() => source.counters.get('EventAcceptedCount') === 1);
    await send(c, source.port, 'dropped');
    await waitFor(() => source.counters.get('ChannelWriteFail') === 1);
    assert.deepEqual(bodies(await kit.drain()), ['kept']);
    assert.deepEqual(kit.taken[0]!.headers, {});
    await send(c, source.port, 'after');
    await kit.drainUntil((all) => all.length === 2);
    assert.deepEqual(bodies(kit.taken), ['kept', 'after']);
  });

  it('the body is always the prefix before the first newline (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const msg = Buffer.from(bytes);
        const body = datagramBody(msg);
        assert.ok(!body.includes(0x0a));
        assert.ok(msg.subarray(0, body.length).equals(body));
        assert.ok(body.length === msg.length || msg[body.length] === 0x0a);
      }),
    );
  });

  it('configuration: port required, bind and remoteAddressHeader optional', () => {
    const parse = (entries: Record<string, string>) =>
      netcatUdpSourceConfig.parse(
        [{ source: 't', entries: Object.entries(entries).map(([key, value]) => ({ key, value })) }],
        { strict: true },
      );
    assert.deepEqual(netcatUdpSourceOptions(parse({ port: '5140' }).values), {
      bind: null,
      port: 5140,
      remoteAddressHeader: null,
    });
    assert.throws(
      () => parse({}),
      (err: unknown) => err instanceof ConfigError && /port/.test(err.message),
    );
    assert.equal(javaSocketAddress({ address: '10.0.0.1', port: 9 }), '/10.0.0.1:9');
  });
});
