import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { DecodeError } from '../base/index.ts';
import { MemoryLogger } from '../telemetry/index.ts';
import { CloseConnectionError, type FrameHandler } from './framed-connection.ts';
import { TcpServer, type TcpServerOptions } from './tcp-server.ts';

function frame(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** A test client: sends raw bytes, reads size-prefixed frames, knows when it was closed. */
class Client {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  private buffered = Buffer.alloc(0);
  private readonly frames: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        const n = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + n) break;
        this.frames.push(this.buffered.subarray(4, 4 + n).toString());
        this.buffered = this.buffered.subarray(4 + n);
      }
      this.wake();
    });
    socket.on('close', () => this.wake());
  }

  static open(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with the first `n` frames received; rejects if the connection closes first. */
  async read(n: number): Promise<string[]> {
    while (this.frames.length < n) {
      if (this.socket.destroyed || this.socket.readableEnded) {
        throw new Error(`connection closed after ${this.frames.length} of ${n} frames`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.frames.splice(0, n);
  }

  get received(): readonly string[] {
    return this.frames;
  }

  end(): void {
    this.socket.destroy();
  }
}

const servers: TcpServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close(100)));
});

async function startServer(
  handler: FrameHandler,
  extra: Partial<Omit<TcpServerOptions, 'logger'>> = {},
): Promise<{ server: TcpServer; port: number; logger: MemoryLogger }> {
  const logger = new MemoryLogger('debug');
  const server = new TcpServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    connectionHandler: () => handler,
    ...extra,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, logger };
}

const echo: FrameHandler = (f) => [frame(`echo:${f.toString()}`)];

interface Deferred {
  readonly payload: string;
  resolve(chunks: Buffer[] | null): void;
  reject(err: unknown): void;
}

/** A handler that parks every request until the test settles it. */
function parkingHandler() {
  const parked: Deferred[] = [];
  let notify: (() => void) | null = null;
  const handler: FrameHandler = (f) =>
    new Promise((resolve, reject) => {
      parked.push({ payload: f.toString(), resolve, reject });
      notify?.();
    });
  async function waitFor(n: number): Promise<Deferred[]> {
    while (parked.length < n) await new Promise<void>((r) => (notify = r));
    return parked;
  }
  return { handler, parked, waitFor };
}

describe('TcpServer', () => {
  it('answers pipelined requests in request order even when handlers finish out of order', async () => {
    const { handler, waitFor } = parkingHandler();
    const { port } = await startServer(handler);
    const c = await Client.open(port);
    c.send(Buffer.concat(['r0', 'r1', 'r2', 'r3', 'r4'].map(frame)));
    const parked = await waitFor(5);
    assert.deepEqual(
      parked.map((p) => p.payload),
      ['r0', 'r1', 'r2', 'r3', 'r4'],
      'handlers start in arrival order',
    );
    for (const p of [...parked].reverse()) {
      p.resolve([frame(`done:${p.payload}`)]);
      await tick();
    }
    assert.deepEqual(await c.read(5), ['done:r0', 'done:r1', 'done:r2', 'done:r3', 'done:r4']);
    c.end();
  });

  it('keeps the order around requests that get no response', async () => {
    const { port } = await startServer((f) =>
      f.toString().startsWith('quiet') ? null : [frame(f.toString())],
    );
    const c = await Client.open(port);
    c.send(Buffer.concat([frame('a'), frame('quiet1'), frame('b'), frame('quiet2'), frame('c')]));
    assert.deepEqual(await c.read(3), ['a', 'b', 'c']);
    c.end();
  });

  it('writes a response made of several chunks contiguously', async () => {
    const { port } = await startServer((f) => {
      const body = Buffer.from(`multi:${f.toString()}`);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      return [size, body.subarray(0, 3), body.subarray(3)];
    });
    const c = await Client.open(port);
    c.send(Buffer.concat([frame('x'), frame('y')]));
    assert.deepEqual(await c.read(2), ['multi:x', 'multi:y']);
    c.end();
  });

  it('closes only the connection that sends an oversized frame; other clients keep working', async () => {
    const { port, logger } = await startServer(echo, { frameBytesMax: 1024 });
    const good = await Client.open(port);
    good.send(frame('before'));
    assert.deepEqual(await good.read(1), ['echo:before']);

    const bad = await Client.open(port);
    const header = Buffer.alloc(4);
    header.writeInt32BE(1025);
    bad.send(header);
    await bad.closed;

    good.send(frame('after'));
    assert.deepEqual(await good.read(1), ['echo:after']);
    const warnings = logger.atLeast('warn');
    assert.equal(warnings.length, 1, 'exactly one log line for the bad connection');
    assert.equal(warnings[0]!.message, 'closing connection: invalid frame size');
    assert.match(String(warnings[0]!.fields.remote), /^127\.0\.0\.1:\d+$/);
    assert.match(String(warnings[0]!.fields.error), /1025 exceeds the maximum of 1024/);
    good.end();
  });

  it('closes a connection sending garbage (negative size); a new client then works', async () => {
    const { port, logger } = await startServer(echo);
    const bad = await Client.open(port);
    bad.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01, 0x02]));
    await bad.closed;
    const good = await Client.open(port);
    good.send(frame('hi'));
    assert.deepEqual(await good.read(1), ['echo:hi']);
    assert.match(String(logger.atLeast('warn')[0]?.fields.error), /negative/);
    good.end();
  });

  it('closes only the connection whose handler throws DecodeError, with one clear log line', async () => {
    const { port, logger } = await startServer((f) => {
      if (f.toString() === 'garbage') throw new DecodeError('request header: need 2 bytes, 1 remain', 7);
      return [frame(`ok:${f.toString()}`)];
    });
    const other = await Client.open(port);
    const bad = await Client.open(port);
    bad.send(Buffer.concat([frame('first'), frame('garbage'), frame('never')]));
    await bad.closed;
    assert.deepEqual(bad.received, ['ok:first'], 'responses before the bad request are still sent');
    other.send(frame('still'));
    assert.deepEqual(await other.read(1), ['ok:still']);
    const lines = logger.atLeast('warn');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.message, 'closing connection: malformed request');
    assert.match(String(lines[0]!.fields.error), /need 2 bytes/);
    assert.ok(lines[0]!.fields.remote);
    other.end();
  });

  it('closes on CloseConnectionError and logs the reason', async () => {
    const { port, logger } = await startServer(() => {
      throw new CloseConnectionError('unsupported API key 999');
    });
    const c = await Client.open(port);
    c.send(frame('x'));
    await c.closed;
    assert.equal(logger.atLeast('warn')[0]?.fields.reason, 'unsupported API key 999');
  });

  it('logs unexpected handler failures as errors and closes', async () => {
    const { port, logger } = await startServer(async () => {
      throw new TypeError('bug');
    });
    const c = await Client.open(port);
    c.send(frame('x'));
    await c.closed;
    const errors = logger.atLeast('error');
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.fields.err instanceof TypeError);
  });

  it('stops dispatching when too many requests are in flight, and resumes as they complete', async () => {
    const { handler, parked, waitFor } = parkingHandler();
    const { port } = await startServer(handler, { inFlightMax: 2 });
    const c = await Client.open(port);
    // One write: all five frames reach the server together, so without the limit all five
    // handlers would start in the same turn.
    c.send(Buffer.concat(['a', 'b', 'c', 'd', 'e'].map(frame)));
    await waitFor(2);
    await tick();
    await tick();
    assert.equal(parked.length, 2);
    parked[0]!.resolve([frame('A')]);
    await waitFor(3);
    assert.equal(parked.length, 3);
    for (const p of parked.slice(1)) p.resolve([frame(p.payload.toUpperCase())]);
    await waitFor(5);
    for (const p of parked.slice(3)) p.resolve([frame(p.payload.toUpperCase())]);
    assert.deepEqual(await c.read(5), ['A', 'B', 'C', 'D', 'E']);
    c.end();
  });

  it('pauses reading while the unsent response bytes exceed the high-water mark', async () => {
    const big = Buffer.alloc(256 * 1024, 1);
    let calls = 0;
    const { port } = await startServer(
      () => {
        calls++;
        return [frame(big)];
      },
      { writeBufferBytesHigh: 1024 },
    );
    const c = await Client.open(port);
    c.socket.pause(); // do not read: the server's socket buffer fills up
    c.send(Buffer.concat(Array.from({ length: 200 }, () => frame('q'))));
    // Each response is far above the mark, and the client reads nothing: the server must stop
    // dispatching long before all 200 requests have been handled.
    await new Promise<void>((resolve) => {
      const check = () => (calls > 0 ? resolve() : setImmediate(check));
      check();
    });
    for (let i = 0; i < 20; i++) await tick();
    assert.ok(calls < 200, `dispatched ${calls} requests while the client was not reading`);
    c.socket.resume();
    await c.read(200);
    assert.equal(calls, 200);
    c.end();
  });

  it('closes idle connections', async () => {
    const { port } = await startServer(echo, { idleTimeoutMs: 30 });
    const c = await Client.open(port);
    c.send(frame('once'));
    assert.deepEqual(await c.read(1), ['echo:once']);
    await c.closed; // closed by the server, not by the client
  });

  it('limits connections per IP address', async () => {
    const { port, logger } = await startServer(echo, { connectionsPerIpMax: 1 });
    const first = await Client.open(port);
    first.send(frame('1'));
    assert.deepEqual(await first.read(1), ['echo:1']);
    const second = await Client.open(port);
    await second.closed;
    assert.match(logger.atLeast('warn')[0]!.message, /too many connections/);
    first.send(frame('2'));
    assert.deepEqual(await first.read(1), ['echo:2']);
    first.end();
    await first.closed;
  });

  it('closes gracefully: in-flight requests are answered, new connections refused', async () => {
    const { handler, waitFor } = parkingHandler();
    const { server, port } = await startServer(handler);
    const c = await Client.open(port);
    c.send(frame('slow'));
    const [p] = await waitFor(1);
    const closing = server.close();
    await assert.rejects(Client.open(port), /ECONNREFUSED/);
    p!.resolve([frame('finished')]);
    assert.deepEqual(await c.read(1), ['finished']);
    await c.closed;
    await closing;
    assert.equal(server.connectionCount, 0);
  });

  it('finishes closing although the client keeps sending after the close began', async () => {
    const { handler, waitFor } = parkingHandler();
    const { server, port, logger } = await startServer(handler);
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.write(frame('slow'));
    const [p] = await waitFor(1);
    const closing = server.close(30_000);
    // Bytes the server will never read: while they sit unread, the client's FIN cannot be seen.
    socket.write(Buffer.concat(Array.from({ length: 64 }, () => frame('x'.repeat(1000)))));
    await tick();
    p!.resolve([frame('finished')]);
    await closing;
    assert.equal(server.connectionCount, 0);
    assert.ok(
      !logger.records.some((r) => r.message.includes('still busy')),
      'closed without waiting for the grace period',
    );
  });

  it('answers requests sent before the client half-closes its side', async () => {
    const { port } = await startServer(async (f) => [frame(`late:${f.toString()}`)]);
    const c = await Client.open(port);
    c.socket.end(Buffer.concat([frame('1'), frame('2')]));
    assert.deepEqual(await c.read(2), ['late:1', 'late:2']);
    await c.closed;
  });

  it('stops reading while unfinished requests hold more than inFlightBytesMax bytes', async () => {
    const { handler, parked, waitFor } = parkingHandler();
    const { port } = await startServer(handler, { inFlightBytesMax: 2500 });
    const c = await Client.open(port);
    c.send(Buffer.concat(['a', 'b', 'c', 'd'].map((p) => frame(p.repeat(1000)))));
    await waitFor(3);
    await tick();
    await tick();
    assert.equal(parked.length, 3, 'the third request passes the bound; the fourth waits');
    parked[0]!.resolve([frame('A')]);
    await waitFor(4);
    for (const p of parked.slice(1)) p.resolve([frame(p.payload[0]!.toUpperCase())]);
    assert.deepEqual(await c.read(4), ['A', 'B', 'C', 'D']);
    c.end();
  });

  for (const ownReadBuffers of [true, false]) {
    const mode = ownReadBuffers ? 'own read buffers' : 'plain sockets';
    it(`${mode}: large pipelined frames from concurrent connections arrive intact; kept frames stay intact`, async () => {
      const kept: Buffer[] = [];
      const { port } = await startServer(
        async (f) => {
          kept.push(f); // no releaseFrameWhenSettled: this memory must never be reused
          await tick();
          return [frame(`${f.length}:${f[0]}:${f.at(-1)}`)];
        },
        { ownReadBuffers },
      );
      const sizes = [3, 70_000, 16_384, 250_000, 10, 40_000, 1_000_000, 17_000, 5];
      const payload = (client: number, i: number, n: number) =>
        Buffer.alloc(n, (client * 31 + i * 7 + 1) % 256);
      const clients = await Promise.all([Client.open(port), Client.open(port)]);
      clients.forEach((c, k) => {
        c.send(Buffer.concat(sizes.map((n, i) => frame(payload(k, i, n)))));
      });
      const answers = await Promise.all(clients.map((c) => c.read(sizes.length)));
      answers.forEach((got, k) => {
        assert.deepEqual(
          got,
          sizes.map((n, i) => `${n}:${payload(k, i, n)[0]}:${payload(k, i, n)[0]}`),
        );
      });
      const expected = clients.flatMap((_, k) => sizes.map((n, i) => payload(k, i, n)));
      const sortKey = (b: Buffer) => `${b.length}:${b[0]}`;
      assert.deepEqual(
        kept.map((b) => Buffer.from(b)).sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
        expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
      );
      for (const c of clients) c.end();
    });

    it(`${mode}: reuses the memory of large frames whose handler released them`, async () => {
      const seen = new Set<ArrayBufferLike>();
      let reused = 0;
      const { port } = await startServer(echo, {
        connectionHandler: (info) => async (f) => {
          info.releaseFrameWhenSettled?.();
          if (seen.has(f.buffer)) reused++;
          seen.add(f.buffer);
          const sum = f.reduce((a, b) => a + b, 0);
          await tick();
          return [frame(`${f.length}:${sum}`)];
        },
        ownReadBuffers,
      });
      const c = await Client.open(port);
      for (let i = 0; i < 6; i++) {
        const body = Buffer.alloc(200_000 + i, i + 1);
        c.send(frame(body));
        assert.deepEqual(await c.read(1), [`${body.length}:${body.length * (i + 1)}`]);
      }
      assert.ok(reused >= 4, `frame memory reused ${reused} times`);
      c.end();
    });

    it(`${mode}: answers requests sent before the client half-closes its side`, async () => {
      const { port } = await startServer(async (f) => [frame(`late:${f.toString()}`)], { ownReadBuffers });
      const c = await Client.open(port);
      c.socket.end(Buffer.concat([frame('1'), frame(Buffer.alloc(100_000, 65))]));
      const got = await c.read(2);
      assert.deepEqual([got[0], got[1]!.length], ['late:1', 5 + 100_000]);
      await c.closed;
    });
  }

  it('never reuses frame memory with framePoolBytes 0', async () => {
    const seen = new Set<ArrayBufferLike>();
    const { port } = await startServer(echo, {
      framePoolBytes: 0,
      connectionHandler: (info) => (f) => {
        assert.equal(info.releaseFrameWhenSettled, undefined);
        assert.ok(!seen.has(f.buffer));
        seen.add(f.buffer);
        return [frame(String(f.length))];
      },
    });
    const c = await Client.open(port);
    for (let i = 0; i < 3; i++) {
      c.send(frame(Buffer.alloc(100_000)));
      assert.deepEqual(await c.read(1), ['100000']);
    }
    c.end();
  });
});
