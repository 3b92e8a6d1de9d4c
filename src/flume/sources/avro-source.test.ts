import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../config/index.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { ChannelProcessor } from '../api/channel-processor.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import { AvroReader, AvroWriter } from '../avro-rpc/avro-binary.ts';
import { AvroRpcClient } from '../avro-rpc/avro-rpc-client.ts';
import { encodeNettyFrame, NettyFrameDecoder } from '../avro-rpc/netty-frame.ts';
import {
  AVRO_SOURCE_PROTOCOL_JSON,
  readCallResponse,
  readHandshakeResponse,
  writeCallRequest,
  writeHandshakeRequest,
} from '../avro-rpc/protocol.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { ReplicatingChannelSelector } from '../selectors/replicating-channel-selector.ts';
import { AvroSink, avroSinkConfig, avroSinkOptions } from '../sinks/avro-sink.ts';
import {
  AvroSource,
  avroSourceConfig,
  avroSourceOptions,
  ipAllowed,
  parseIpFilterRules,
} from './avro-source.ts';

const layer = (values: Record<string, string>) => [
  { source: 'test', entries: Object.entries(values).map(([key, value]) => ({ key, value })) },
];

async function startSource(
  extra: Record<string, string> = {},
  channel: Channel = new MemoryChannel('c', { keepAliveMs: 0 }),
): Promise<{ source: AvroSource; channel: Channel; logger: MemoryLogger }> {
  const logger = new MemoryLogger();
  const { values } = avroSourceConfig.parse(layer({ bind: '127.0.0.1', port: '0', ...extra }));
  const source = new AvroSource('r1', avroSourceOptions(values), logger);
  await channel.start();
  await source.start(new ChannelProcessor(new ReplicatingChannelSelector([channel], new Set()), [], logger));
  return { source, channel, logger };
}

async function drain(channel: Channel): Promise<FlumeEvent[]> {
  const tx = channel.getTransaction();
  tx.begin();
  const out: FlumeEvent[] = [];
  for (let e = await tx.take(); e !== null; e = await tx.take()) out.push(e);
  await tx.commit();
  tx.close();
  return out;
}

const texts = (events: readonly FlumeEvent[]) => events.map((e) => e.body.toString());

/** A raw connection that sends packs and collects the answers. */
async function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const decoder = new NettyFrameDecoder();
  const frames: { serial: number; payload: Buffer }[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (c: Buffer) => {
    frames.push(...decoder.push(c));
    for (const w of waiters.splice(0)) w();
  });
  const closed = once(socket, 'close');
  return {
    socket,
    closed,
    async next() {
      while (frames.length === 0) await new Promise<void>((r) => waiters.push(r));
      return frames.shift()!;
    },
  };
}

describe('avro source', () => {
  it('appendBatch commits the whole batch, append one event; headers arrive; Flume counters', async () => {
    const { source, channel } = await startSource();
    const client = await AvroRpcClient.connect({ host: '127.0.0.1', port: source.port });
    try {
      const batch = [flumeEvent('a', { h: '1' }), flumeEvent('b'), flumeEvent(Buffer.from([0, 255]))];
      assert.equal(await client.appendBatch(batch), 'OK');
      assert.equal(await client.append(flumeEvent('c', { k: 'v' })), 'OK');
      const got = await drain(channel);
      assert.deepEqual(texts(got).slice(0, 2), ['a', 'b']);
      assert.deepEqual(got[2]!.body, Buffer.from([0, 255]));
      assert.deepEqual({ ...got[0]!.headers }, { h: '1' });
      assert.deepEqual({ ...got[3]!.headers }, { k: 'v' });
      const c = source.counters.snapshot();
      assert.equal(c.AppendBatchReceivedCount, '1');
      assert.equal(c.AppendBatchAcceptedCount, '1');
      assert.equal(c.AppendReceivedCount, '1');
      assert.equal(c.AppendAcceptedCount, '1');
      assert.equal(c.EventReceivedCount, '4');
      assert.equal(c.EventAcceptedCount, '4');
      assert.equal(c.OpenConnectionCount, '1');
    } finally {
      client.close();
      await source.stop();
    }
  });

  it('answers FAILED and stores nothing when the channel cannot take the whole batch', async () => {
    const { source, channel } = await startSource(
      {},
      new MemoryChannel('small', { capacity: 2, transactionCapacity: 2, keepAliveMs: 0 }),
    );
    const client = await AvroRpcClient.connect({ host: '127.0.0.1', port: source.port });
    try {
      assert.equal(await client.appendBatch([flumeEvent('1'), flumeEvent('2'), flumeEvent('3')]), 'FAILED');
      assert.deepEqual(await drain(channel), []);
      assert.equal(source.counters.get('ChannelWriteFail'), 1);
      assert.equal(source.counters.get('AppendBatchAcceptedCount'), 0);
      // The connection stays usable.
      assert.equal(await client.appendBatch([flumeEvent('4')]), 'OK');
    } finally {
      client.close();
      await source.stop();
    }
  });

  it('speaks compression-type deflate with a deflating client', async () => {
    const { source, channel } = await startSource({ 'compression-type': 'deflate' });
    const client = await AvroRpcClient.connect({ host: '127.0.0.1', port: source.port, deflate: true });
    try {
      const many = Array.from({ length: 50 }, (_, i) => flumeEvent(`event ${i} `.repeat(20)));
      assert.equal(await client.appendBatch(many), 'OK');
      assert.equal(await client.appendBatch([flumeEvent('last')]), 'OK');
      assert.equal((await drain(channel)).length, 51);
    } finally {
      client.close();
      await source.stop();
    }
  });

  it('handshake: an unknown client hash gets NONE with the protocol; resent with its protocol, the call is served', async () => {
    const { source, channel } = await startSource();
    const conn = await rawConnection(source.port);
    try {
      const otherHash = Buffer.alloc(16, 7);
      const request = (clientProtocol: string | null) => {
        const w = new AvroWriter();
        writeHandshakeRequest(w, {
          clientHash: otherHash,
          clientProtocol,
          serverHash: otherHash,
          meta: null,
        });
        writeCallRequest(w, { meta: new Map(), message: 'append', events: [flumeEvent('hi')] });
        return w.toBuffer();
      };
      conn.socket.write(encodeNettyFrame(1, request(null)));
      const first = await conn.next();
      assert.equal(first.serial, 1);
      const r1 = new AvroReader(first.payload);
      const h1 = readHandshakeResponse(r1);
      assert.equal(h1.match, 'NONE');
      assert.equal(h1.serverProtocol, AVRO_SOURCE_PROTOCOL_JSON);
      assert.equal(r1.remaining, 0, 'no call response after NONE');
      assert.deepEqual(await drain(channel), []);

      conn.socket.write(encodeNettyFrame(2, request(AVRO_SOURCE_PROTOCOL_JSON)));
      const second = await conn.next();
      assert.equal(second.serial, 2);
      const r2 = new AvroReader(second.payload);
      // Our serverHash was wrong, so the server sends its protocol along (CLIENT).
      assert.equal(readHandshakeResponse(r2).match, 'CLIENT');
      assert.deepEqual({ ...readCallResponse(r2) }, { meta: new Map(), error: false, status: 'OK' });
      assert.deepEqual(texts(await drain(channel)), ['hi']);

      // After the handshake, calls carry no handshake; an unknown message gets an error response.
      const w = new AvroWriter();
      w.bytesMap(new Map()).string('ping');
      conn.socket.write(encodeNettyFrame(3, w.toBuffer()));
      const third = readCallResponse(new AvroReader((await conn.next()).payload));
      assert.equal(third.error, true);
    } finally {
      conn.socket.destroy();
      await source.stop();
    }
  });

  it('fuzz: arbitrary bytes close that connection only; the source keeps serving others', async () => {
    const { source, channel } = await startSource();
    const client = await AvroRpcClient.connect({ host: '127.0.0.1', port: source.port });
    try {
      // A claimed 2^31-1-byte buffer is refused at once (the connection closes without waiting for it).
      const huge = Buffer.alloc(12);
      huge.writeInt32BE(1, 0);
      huge.writeInt32BE(1, 4);
      huge.writeInt32BE(2 ** 31 - 1, 8);
      const hc = await rawConnection(source.port);
      hc.socket.write(huge);
      await hc.closed;

      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), async (bytes) => {
          const conn = await rawConnection(source.port);
          conn.socket.on('error', () => {});
          conn.socket.write(Buffer.from(bytes));
          // Garbage either closes the connection or waits for more bytes; end our side and
          // the source must close too, without answering with anything but packs.
          conn.socket.end();
          await conn.closed;
        }),
        { numRuns: 60 },
      );
      assert.equal(await client.appendBatch([flumeEvent('still here')]), 'OK');
      assert.ok(texts(await drain(channel)).includes('still here'));
      assert.ok(source.counters.get('EventReadFail') >= 1);
    } finally {
      client.close();
      await source.stop();
    }
  });

  it('ipFilterRules: Flume syntax, first match decides, no match allows; a denied client is disconnected', async () => {
    const rules = parseIpFilterRules('allow:ip:10.0.*, deny:name:localhost,allow:ip:*');
    assert.equal(await ipAllowed(rules, '10.0.3.4'), true);
    assert.equal(await ipAllowed(rules, '127.0.0.1'), false);
    assert.equal(await ipAllowed(rules, '::ffff:127.0.0.1'), false);
    assert.equal(await ipAllowed(rules, '192.168.1.1'), true);
    assert.equal(await ipAllowed(parseIpFilterRules('deny:ip:192.*'), '10.1.1.1'), true);
    assert.throws(() => parseIpFilterRules('permit:ip:*'), /allow\|deny/);

    const { source } = await startSource({ ipFilter: 'true', ipFilterRules: 'deny:ip:127.0.0.*' });
    try {
      const conn = await rawConnection(source.port);
      await conn.closed;
      await assert.rejects(
        AvroRpcClient.connect({ host: '127.0.0.1', port: source.port }).then((c) =>
          c.append(flumeEvent('x')),
        ),
      );
    } finally {
      await source.stop();
    }
  });

  it('configuration: defaults, ssl=true and bad rules refused naming the key', () => {
    const { values } = avroSourceConfig.parse(layer({ bind: '0.0.0.0', port: '4141' }));
    assert.equal(values['compression-type'], 'none');
    assert.equal(values.ipFilter, false);
    assert.throws(() => avroSourceConfig.parse(layer({ bind: 'h', port: '1', ssl: 'true' })), /ssl/);
    assert.throws(
      () => avroSourceConfig.parse(layer({ bind: 'h', port: '1', 'compression-type': 'gzip' })),
      /compression-type/,
    );
    assert.throws(
      () => avroSourceConfig.parse(layer({ bind: 'h', port: '1', ipFilterRules: 'x' })),
      /ipFilterRules/,
    );
    const { values: v2 } = avroSourceConfig.parse(layer({ bind: 'h', port: '1', ipFilter: 'true' }));
    assert.throws(() => avroSourceOptions(v2), ConfigError);
  });
});

describe('avro sink', () => {
  const sinkFor = (port: number, channel: Channel, extra: Record<string, string> = {}) => {
    const { values } = avroSinkConfig.parse(layer({ hostname: '127.0.0.1', port: String(port), ...extra }));
    return new AvroSink('k1', channel, avroSinkOptions(values), new MemoryLogger());
  };

  async function fill(channel: Channel, n: number): Promise<void> {
    const tx = channel.getTransaction();
    tx.begin();
    for (let i = 0; i < n; i++) tx.put(flumeEvent(`e${i}`));
    await tx.commit();
    tx.close();
  }

  it('delivers batches of batch-size and commits after OK; deflate end to end', async () => {
    for (const compression of ['none', 'deflate']) {
      const down = await startSource({ 'compression-type': compression });
      const up = new MemoryChannel('up', { keepAliveMs: 0 });
      await up.start();
      await fill(up, 7);
      const sink = sinkFor(down.source.port, up, { 'batch-size': '3', 'compression-type': compression });
      await sink.start();
      try {
        assert.equal(await sink.process(), 'READY');
        assert.equal(await sink.process(), 'READY');
        assert.equal(await sink.process(), 'READY');
        assert.equal(await sink.process(), 'BACKOFF');
        assert.deepEqual(texts(await drain(down.channel)), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
        const c = sink.counters.snapshot();
        assert.equal(c.BatchCompleteCount, '2');
        assert.equal(c.BatchUnderflowCount, '1');
        assert.equal(c.EventDrainSuccessCount, '7');
        assert.equal(c.ConnectionCreatedCount, '1');
        assert.equal(down.source.counters.get('AppendBatchAcceptedCount'), 3);
      } finally {
        await sink.stop();
        await down.source.stop();
      }
    }
  });

  it('rolls back when the next hop answers FAILED or is down; the events stay for the retry', async () => {
    const down = await startSource(
      {},
      new MemoryChannel('tiny', { capacity: 1, transactionCapacity: 1, keepAliveMs: 0 }),
    );
    const up = new MemoryChannel('up', { keepAliveMs: 0 });
    await up.start();
    await fill(up, 2);
    const sink = sinkFor(down.source.port, up, { 'batch-size': '2' });
    await sink.start();
    try {
      await assert.rejects(sink.process(), /answered FAILED/);
      assert.equal(up.size, 2);
      assert.equal(sink.counters.get('ConnectionClosedCount'), 1);
      await down.source.stop();
      await assert.rejects(sink.process(), /failed to send 2 events/);
      assert.equal(up.size, 2);
      assert.ok(sink.counters.get('ConnectionFailedCount') >= 1);
    } finally {
      await sink.stop();
      await down.source.stop();
    }
  });
});
