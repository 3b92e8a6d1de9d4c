import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { overridesLayer } from '../../config/index.ts';
import { MemoryLogger } from '../../telemetry/index.ts';
import {
  type ApiVersionsResponse,
  decodeResponse,
  defaultMetadataRequest,
  ErrorCode,
  encodeRequestFrame,
  type MetadataResponse,
} from '../protocol/index.ts';
import { Broker, generateClusterId } from './broker.ts';
import { resolveBrokerConfig } from './broker-config.ts';

/** A minimal Kafka client over one socket: sends frames, reads size-prefixed responses. */
class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | null = null;
  readonly closed: Promise<void>;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (c: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, c]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const n = this.buffered.readInt32BE(0);
        this.frames.push(this.buffered.subarray(4, 4 + n));
        this.buffered = this.buffered.subarray(4 + n);
      }
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  async next(): Promise<Buffer> {
    while (this.frames.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed');
      await new Promise<void>((r) => (this.wake = r));
    }
    return this.frames.shift()!;
  }

  async call<T>(apiKey: number, version: number, correlationId: number, body: unknown): Promise<T> {
    for (const chunk of encodeRequestFrame(apiKey, version, correlationId, 'unit-test', body))
      this.socket.write(chunk);
    const res = decodeResponse(await this.next(), apiKey, version);
    assert.equal(res.correlationId, correlationId);
    return res.body as T;
  }
}

describe('Broker (in process)', () => {
  const logger = new MemoryLogger('info');
  let broker: Broker;
  let port: number;

  before(async () => {
    const { config } = resolveBrokerConfig([
      overridesLayer(['listeners=PLAINTEXT://127.0.0.1:0', 'node.id=5', 'cluster.id=AAAAAAAAAAAAAAAAAAAAAA']),
    ]);
    broker = new Broker({ config, logger });
    await broker.start();
    port = broker.address().port;
  });

  after(() => broker.stop(100));

  it('advertises the bound port of a port-0 listener', () => {
    assert.ok(port > 0);
    assert.deepEqual(broker.advertisedAddress(), { host: '127.0.0.1', port });
    assert.ok(
      logger.records.some((r) => r.message === 'listening' && r.fields.address === `127.0.0.1:${port}`),
    );
  });

  it('answers ApiVersions v0-4 with exactly the implemented ranges', async () => {
    const c = await RawClient.open(port);
    for (let v = 0; v <= 4; v++) {
      const body = v >= 3 ? { clientSoftwareName: 'unit-test', clientSoftwareVersion: '1.0' } : {};
      const res = await c.call<ApiVersionsResponse>(18, v, 100 + v, body);
      assert.equal(res.errorCode, 0, `v${v}`);
      assert.deepEqual(res.apiKeys, [
        { apiKey: 3, minVersion: 0, maxVersion: 12 },
        { apiKey: 18, minVersion: 0, maxVersion: 4 },
      ]);
    }
    c.socket.destroy();
  });

  it('rejects malformed client software names with INVALID_REQUEST', async () => {
    const c = await RawClient.open(port);
    const res = await c.call<ApiVersionsResponse>(18, 3, 1, {
      clientSoftwareName: '-bad name',
      clientSoftwareVersion: '1',
    });
    assert.equal(res.errorCode, ErrorCode.INVALID_REQUEST);
    c.socket.destroy();
  });

  it('answers Metadata in every version with this node, the cluster id and no topics', async () => {
    const c = await RawClient.open(port);
    for (let v = 0; v <= 12; v++) {
      const req = { ...defaultMetadataRequest(), topics: v === 0 ? [] : null };
      const res = await c.call<MetadataResponse>(3, v, 200 + v, req);
      assert.deepEqual(res.brokers, [{ nodeId: 5, host: '127.0.0.1', port, rack: null }], `v${v}`);
      assert.deepEqual(res.topics, []);
      if (v >= 1) assert.equal(res.controllerId, 5);
      if (v >= 2) assert.equal(res.clusterId, 'AAAAAAAAAAAAAAAAAAAAAA');
    }
    c.socket.destroy();
  });

  it('reports requested topics as unknown (by name, and by id from v10)', async () => {
    const c = await RawClient.open(port);
    const zero = '00000000-0000-0000-0000-000000000000';
    const byName = await c.call<MetadataResponse>(3, 12, 1, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: zero, name: 'orders' }],
    });
    assert.deepEqual(
      byName.topics.map((t) => [t.name, t.errorCode, t.topicAuthorizedOperations]),
      [['orders', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -2147483648]],
    );
    const id = '0123abcd-0000-4000-8000-000000000001';
    const byId = await c.call<MetadataResponse>(3, 12, 2, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: id, name: null }],
    });
    assert.deepEqual(
      byId.topics.map((t) => [t.name, t.topicId, t.errorCode]),
      [[null, id, ErrorCode.UNKNOWN_TOPIC_ID]],
    );
    const invalid = await c.call<MetadataResponse>(3, 4, 3, {
      ...defaultMetadataRequest(),
      topics: [{ topicId: zero, name: 'bad/name' }],
    });
    assert.equal(
      invalid.topics[0]!.errorCode,
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      'auto-create on: illegal names are reported',
    );
    c.socket.destroy();
  });

  it('reports cluster authorized operations only when asked (v8-10)', async () => {
    const c = await RawClient.open(port);
    const asked = await c.call<MetadataResponse>(3, 10, 1, {
      ...defaultMetadataRequest(),
      topics: null,
      includeClusterAuthorizedOperations: true,
    });
    assert.notEqual(asked.clusterAuthorizedOperations, -2147483648);
    assert.ok(asked.clusterAuthorizedOperations & (1 << 8), 'DESCRIBE allowed');
    const notAsked = await c.call<MetadataResponse>(3, 10, 2, { ...defaultMetadataRequest(), topics: null });
    assert.equal(notAsked.clusterAuthorizedOperations, -2147483648);
    c.socket.destroy();
  });

  it('answers pipelined requests in order', async () => {
    const c = await RawClient.open(port);
    for (let i = 0; i < 10; i++) {
      const [key, v, body] =
        i % 2 === 0 ? [18, 2, {}] : [3, 1, { ...defaultMetadataRequest(), topics: null }];
      for (const chunk of encodeRequestFrame(key, v, 1000 + i, null, body)) c.socket.write(chunk);
    }
    for (let i = 0; i < 10; i++) {
      const frame = await c.next();
      assert.equal(frame.readInt32BE(0), 1000 + i);
    }
    c.socket.destroy();
  });

  it('closes the connection on an API it does not implement, logging one line', async () => {
    const before = logger.atLeast('warn').length;
    const c = await RawClient.open(port);
    for (const chunk of encodeRequestFrame(19, 4, 1, 'unit-test', {
      topics: [],
      timeoutMs: 1000,
      validateOnly: false,
    })) {
      c.socket.write(chunk);
    }
    await c.closed;
    const lines = logger.atLeast('warn').slice(before);
    assert.equal(lines.length, 1);
    assert.match(String(lines[0]!.fields.reason), /CreateTopics \(key 19\) is not supported/);
  });

  it('generates Kafka-style cluster ids', () => {
    for (let i = 0; i < 50; i++) {
      const id = generateClusterId();
      assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      assert.equal(Buffer.from(id, 'base64url').length, 16);
    }
  });
});
