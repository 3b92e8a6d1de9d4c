/**
 * Bad clients against an in-process server over real sockets: garbage handshakes, a valid
 * handshake followed by garbage, mutated valid requests, huge and negative lengths, truncated
 * frames. None may crash the server, and after each bad connection a good client still works.
 * Then the limits that keep a bad client from exhausting memory: the per-session watch cap
 * (THROTTLEDOP, or a close for setWatches), the outstanding-request limit (reading pauses),
 * maxClientCnxns per address, and jute.maxbuffer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { requestBodies } from '../../../test/support/zookeeper/frame-arbitrary.ts';
import { silentLogger } from '../../telemetry/index.ts';
import {
  decodeConnectResponse,
  decodeResponse,
  encodeConnectRequest,
  encodeRequest,
  OpCode,
  REQUEST_TYPES,
  type RequestBodies,
  type ResponseType,
  ZooErrorCode,
} from '../protocol/index.ts';
import { zooConfigFor } from './zoo-config.ts';
import type { Connection } from './zoo-server.ts';
import { ZooKeeperServer } from './zookeeper-server.ts';

const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const WATCH_CAP = 500;
const OUTSTANDING_LIMIT = 64;
const MAX_PER_IP = 12;

/** xorshift32: reproducible random bytes without a dependency. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomBytes(next: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = next() & 0xff;
  return b;
}

function handshake(): Buffer {
  return Buffer.concat(
    encodeConnectRequest(
      {
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: 30000,
        sessionId: 0n,
        passwd: Buffer.alloc(16),
        readOnly: false,
      },
      true,
    ),
  );
}

function frame(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(payload.length);
  return Buffer.concat([len, payload]);
}

/** Sends `bytes` on a fresh connection, half-closes, and resolves once the server has closed it. */
function badConnection(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.write(bytes);
      s.end();
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

/** A minimal well-behaved client: one session, replies matched in order. */
class GoodClient {
  private readonly waiting: { type: number; resolve: (r: { err: number; body: unknown }) => void }[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private xid = 1;
  private handshook: ((f: Buffer) => void) | null = null;
  readonly closed: Promise<void>;
  sessionId = 0n;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const f = this.buf.subarray(4, 4 + this.buf.readInt32BE(0));
        this.buf = this.buf.subarray(4 + f.length);
        if (this.handshook !== null) {
          const h = this.handshook;
          this.handshook = null;
          h(f);
          continue;
        }
        if (f.readInt32BE(0) < 0) continue;
        const w = this.waiting.shift()!;
        const r = decodeResponse(f, w.type as ResponseType);
        w.resolve({ err: r.err, body: r.body });
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async open(port: number): Promise<GoodClient> {
    const s = connect({ host: '127.0.0.1', port });
    const c = new GoodClient(s);
    const f = await new Promise<Buffer>((resolve) => {
      c.handshook = resolve;
      s.write(handshake());
    });
    c.sessionId = decodeConnectResponse(f).message.sessionId;
    return c;
  }

  call<K extends keyof RequestBodies>(
    type: K,
    body: RequestBodies[K],
  ): Promise<{ err: number; body: unknown }> {
    return new Promise((resolve) => {
      this.waiting.push({ type, resolve });
      this.socket.write(Buffer.concat(encodeRequest(this.xid++, type, body)));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

let dir = '';
let zk: ZooKeeperServer;
let goodRuns = 0;

async function goodClientWorks(): Promise<void> {
  const c = await GoodClient.open(zk.port);
  try {
    const path = `/good-${goodRuns++}`;
    const created = await c.call(OpCode.create, { path, data: Buffer.from('ok'), acl: OPEN_ACL, flags: 0 });
    assert.equal(created.err, 0);
    const got = await c.call(OpCode.getData, { path, watch: false });
    assert.equal(got.err, 0);
    assert.equal((got.body as { data: Buffer }).data.toString(), 'ok');
    assert.equal((await c.call(OpCode.delete, { path, version: -1 })).err, 0);
  } finally {
    c.close();
    await c.closed;
  }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-zk-fuzz-'));
  const config = zooConfigFor(dir, {
    clientPortAddress: '127.0.0.1',
    'sluice.maxWatchesPerSession': String(WATCH_CAP),
    globalOutstandingLimit: String(OUTSTANDING_LIMIT),
    maxClientCnxns: String(MAX_PER_IP),
    '4lw.commands.whitelist': '*',
  });
  zk = await ZooKeeperServer.start({ config, logger: silentLogger() });
});

after(async () => {
  await zk.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('bad frames never crash the server', () => {
  test('garbage handshakes (random bytes, random lengths)', async () => {
    const next = rng(0x5eed1);
    for (let i = 0; i < 60; i++) {
      const n = 1 + (next() % 200);
      await badConnection(zk.port, randomBytes(next, n));
    }
    await goodClientWorks();
  });

  test('a framed random handshake body of every small size', async () => {
    const next = rng(0x5eed2);
    for (let n = 0; n < 60; n++) await badConnection(zk.port, frame(randomBytes(next, n)));
    await goodClientWorks();
  });

  test('a valid handshake followed by garbage', async () => {
    const next = rng(0x5eed3);
    for (let i = 0; i < 60; i++) {
      const raw = i % 2 === 0;
      const junk = randomBytes(next, 1 + (next() % 300));
      await badConnection(zk.port, Buffer.concat([handshake(), raw ? junk : frame(junk)]));
      if (i % 10 === 9) await goodClientWorks();
    }
  });

  test('valid requests, mutated (bit flips, cuts, inserted bytes) after a valid handshake', async () => {
    const next = rng(0x5eed4);
    const types = REQUEST_TYPES.filter((t) => t !== OpCode.closeSession);
    for (let i = 0; i < 120; i++) {
      const type = types[next() % types.length]!;
      const [body] = fc.sample(requestBodies[type]!, { numRuns: 1, seed: next() | 0 });
      let bytes = Buffer.concat(encodeRequest(i + 1, type, body as never)).subarray(4);
      switch (next() % 3) {
        case 0: {
          bytes = Buffer.from(bytes);
          for (let k = 0; k < 1 + (next() % 4); k++) {
            const at = next() % bytes.length;
            bytes[at] = bytes[at]! ^ (1 << (next() % 8));
          }
          break;
        }
        case 1:
          bytes = bytes.subarray(0, next() % bytes.length);
          break;
        default: {
          const at = next() % (bytes.length + 1);
          bytes = Buffer.concat([
            bytes.subarray(0, at),
            randomBytes(next, 1 + (next() % 8)),
            bytes.subarray(at),
          ]);
        }
      }
      await badConnection(zk.port, Buffer.concat([handshake(), frame(bytes)]));
      if (i % 20 === 19) await goodClientWorks();
    }
  });

  test('huge, negative and over-limit lengths, in the handshake and after it', async () => {
    const lengths = [0x7fffffff, -1, -0x80000000, 0xfffff + 1, 0x10000000, 0x7ffffff0];
    for (const len of lengths) {
      const head = Buffer.alloc(4);
      head.writeInt32BE(len | 0);
      await badConnection(zk.port, Buffer.concat([head, Buffer.alloc(64, 1)]));
      await badConnection(zk.port, Buffer.concat([handshake(), head, Buffer.alloc(64, 2)]));
    }
    await goodClientWorks();
  });

  test('truncated frames: the length promises more than ever arrives', async () => {
    const next = rng(0x5eed5);
    for (let i = 0; i < 30; i++) {
      const promised = 20 + (next() % 5000);
      const head = Buffer.alloc(4);
      head.writeInt32BE(promised);
      const part = randomBytes(next, next() % promised);
      await badConnection(zk.port, Buffer.concat(i % 2 === 0 ? [head, part] : [handshake(), head, part]));
    }
    const h = handshake();
    for (let cut = 0; cut < h.length; cut += 7) await badConnection(zk.port, h.subarray(0, cut));
    await goodClientWorks();
  });

  test('the server is left with only live connections', async () => {
    const c = await GoodClient.open(zk.port);
    // Connections the server closed have all been cleaned up by the time a new one is served.
    while (zk.server.connections.size > 1) await new Promise((r) => setImmediate(r));
    assert.equal(zk.server.connections.size, 1);
    c.close();
    await c.closed;
  });
});

describe('limits that keep a bad client from exhausting memory', () => {
  test('a flood of watches: the cap is reached, then THROTTLEDOP and nothing registered', async () => {
    const c = await GoodClient.open(zk.port);
    try {
      const heapBefore = process.memoryUsage().heapUsed;
      const flood = 20 * WATCH_CAP;
      const replies = await Promise.all(
        Array.from({ length: flood }, (_, i) => c.call(OpCode.exists, { path: `/flood/${i}`, watch: true })),
      );
      const codes = new Map<number, number>();
      for (const r of replies) codes.set(r.err, (codes.get(r.err) ?? 0) + 1);
      assert.equal(codes.get(ZooErrorCode.NONODE), WATCH_CAP);
      assert.equal(codes.get(ZooErrorCode.THROTTLEDOP), flood - WATCH_CAP);
      assert.equal(zk.server.watches.count(), WATCH_CAP);
      // Re-arming a watch the session already holds is not a new watch.
      assert.equal((await c.call(OpCode.exists, { path: '/flood/0', watch: true })).err, ZooErrorCode.NONODE);
      assert.equal(
        (await c.call(OpCode.addWatch, { path: '/flood', mode: 1 })).err,
        ZooErrorCode.THROTTLEDOP,
      );
      assert.equal((await c.call(OpCode.getData, { path: '/', watch: true })).err, ZooErrorCode.THROTTLEDOP);
      // A read without a watch is unaffected.
      assert.equal((await c.call(OpCode.getData, { path: '/', watch: false })).err, 0);
      assert.equal(zk.server.watches.count(), WATCH_CAP);
      // Generous bound: the capped watches plus the replies' garbage, far from what 10,000 would cost.
      assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024);
    } finally {
      c.close();
      await c.closed;
    }
    while (zk.server.watches.count() > 0) await new Promise((r) => setImmediate(r));
    await goodClientWorks();
  });

  test('setWatches beyond the cap closes the connection', async () => {
    const c = await GoodClient.open(zk.port);
    const paths = Array.from({ length: WATCH_CAP + 1 }, (_, i) => `/absent/${i}`);
    c.socket.write(
      Buffer.concat(
        encodeRequest(-8, OpCode.setWatches, {
          relativeZxid: 0n,
          dataWatches: [],
          existWatches: paths,
          childWatches: [],
        }),
      ),
    );
    await c.closed;
    while (zk.server.watches.count() > 0) await new Promise((r) => setImmediate(r));
    await goodClientWorks();
  });

  test('a client pipelining writes without limit is read only up to the outstanding limit', async () => {
    const c = await GoodClient.open(zk.port);
    const server = zk.server;
    let maxSeen = 0;
    const original = server.handleFrame.bind(server);
    server.handleFrame = (conn: Connection, f: Buffer) => {
      if (conn.session?.id === c.sessionId) maxSeen = Math.max(maxSeen, conn.outstanding);
      original(conn, f);
    };
    try {
      assert.equal(
        (await c.call(OpCode.create, { path: '/pipe', data: null, acl: OPEN_ACL, flags: 0 })).err,
        0,
      );
      const n = 20 * OUTSTANDING_LIMIT;
      const replies = await Promise.all(
        Array.from({ length: n }, () =>
          c.call(OpCode.setData, { path: '/pipe', data: Buffer.alloc(100), version: -1 }),
        ),
      );
      assert.ok(replies.every((r) => r.err === 0));
      const stat = (await c.call(OpCode.exists, { path: '/pipe', watch: false })).body as {
        stat: { version: number };
      };
      assert.equal(stat.stat.version, n);
      assert.ok(maxSeen < OUTSTANDING_LIMIT, `saw ${maxSeen} outstanding`);
    } finally {
      server.handleFrame = original;
      c.close();
      await c.closed;
    }
  });

  test('pipelined reads of a large node: reading pauses on unsent replies and resumes', async () => {
    const c = await GoodClient.open(zk.port);
    try {
      const data = Buffer.alloc(200 * 1024, 7);
      assert.equal((await c.call(OpCode.create, { path: '/large', data, acl: OPEN_ACL, flags: 0 })).err, 0);
      // 200 replies of 200 KiB: 40 MiB, ten times the unsent-bytes threshold; all in one write.
      c.socket.pause();
      const replies = Array.from({ length: 200 }, () =>
        c.call(OpCode.getData, { path: '/large', watch: false }),
      );
      c.socket.resume();
      const all = await Promise.all(replies);
      assert.ok(all.every((r) => r.err === 0 && (r.body as { data: Buffer }).data.equals(data)));
      assert.equal((await c.call(OpCode.delete, { path: '/large', version: -1 })).err, 0);
    } finally {
      c.close();
      await c.closed;
    }
  });

  test('maxClientCnxns: connections beyond the per-address limit are closed at once', async () => {
    const extra = 5;
    const sockets: Socket[] = [];
    const refused = new Set<Socket>();
    let onRefused: () => void = () => {};
    const allRefused = new Promise<void>((resolve) => {
      onRefused = resolve;
    });
    for (let i = 0; i < MAX_PER_IP + extra; i++) {
      const s = connect({ host: '127.0.0.1', port: zk.port });
      s.on('error', () => {});
      s.on('close', () => {
        if (!sockets.includes(s) || s.destroyed === false) return;
        refused.add(s);
        if (refused.size === extra) onRefused();
      });
      sockets.push(s);
    }
    await allRefused;
    // The others are served: each completes a handshake.
    const kept = sockets.filter((s) => !refused.has(s));
    assert.equal(kept.length, MAX_PER_IP);
    await Promise.all(
      kept.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.once('data', () => resolve());
            s.write(handshake());
          }),
      ),
    );
    for (const s of kept) s.destroy();
    while (zk.listener.connectionCount > 0) await new Promise((r) => setImmediate(r));
    await goodClientWorks();
  });

  test('jute.maxbuffer: a packet one byte over is refused; one at the limit is accepted', async () => {
    const c = await GoodClient.open(zk.port);
    try {
      const path = '/big';
      // Request overhead: header (8) + path (4 + 4) + data length (4) + acl count + entries + flags.
      const created = await c.call(OpCode.create, {
        path,
        data: Buffer.alloc(1000 * 1000),
        acl: OPEN_ACL,
        flags: 0,
      });
      assert.equal(created.err, 0);
      const over = Buffer.alloc(4);
      over.writeInt32BE(0xfffff + 1);
      c.socket.write(over);
      await c.closed;
    } finally {
      c.close();
    }
    await goodClientWorks();
  });
});
