import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { silentLogger } from '../../telemetry/index.ts';
import {
  type ACL,
  decodeConnectResponse,
  decodeNotification,
  decodeResponse,
  EventType,
  encodeConnectRequest,
  encodeRequest,
  OpCode,
  peekXid,
  type RequestBodies,
  type RequestType,
  type ResponseType,
  WatcherType,
  ZooErrorCode,
} from '../protocol/index.ts';
import { digestId } from './acl.ts';
import { answerFourLetterWord } from './four-letter-commands.ts';
import { sessionPassword } from './java-random.ts';
import { TxnStore } from './txn-store.ts';
import { zooConfigFor } from './zoo-config.ts';
import { type Connection, ZooServer } from './zoo-server.ts';

const OPEN: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

class SteppedClock {
  ms = 1_700_000_000_000;
  now(): number {
    return this.ms;
  }
}

interface Harness {
  server: ZooServer;
  clock: SteppedClock;
  dir: string;
  store: TxnStore;
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function start(overrides: Record<string, string> = {}, dir?: string): Promise<Harness> {
  const d = dir ?? (await mkdtemp(join(tmpdir(), 'zk-server-')));
  if (dir === undefined) dirs.push(d);
  const config = zooConfigFor(d, { tickTime: '2000', forceSync: 'no', ...overrides });
  const store = await TxnStore.open(d, d, false);
  const { tree } = await store.recover();
  const clock = new SteppedClock();
  const server = new ZooServer({ config, store, tree, logger: silentLogger(), clock });
  return { server, clock, dir: d, store };
}

async function settle(server: ZooServer): Promise<void> {
  await server.whenIdle();
  assert.equal(server.outstanding, 0, 'the commit queue drained');
}

/** An in-process client: frames in, frames out, no sockets. */
class Client {
  readonly frames: Buffer[] = [];
  closed = false;
  readonly conn: Connection;
  sessionId = 0n;
  passwd = Buffer.alloc(16);
  private xid = 1;

  constructor(server: ZooServer, remoteAddress = '127.0.0.1') {
    this.conn = server.accept({
      remoteAddress,
      remotePort: 40000,
      send: (chunks) => this.frames.push(Buffer.concat(chunks).subarray(4)),
      close: () => {
        this.closed = true;
      },
    });
  }

  handshake(sessionId = 0n, passwd = Buffer.alloc(16), timeOut = 10_000, readOnly = true): void {
    const frame = Buffer.concat(
      encodeConnectRequest(
        { protocolVersion: 0, lastZxidSeen: 0n, timeOut, sessionId, passwd, readOnly },
        readOnly,
      ),
    ).subarray(4);
    this.conn.onFrame(frame);
  }

  takeConnectResponse() {
    const f = this.frames.shift();
    assert.ok(f, 'a ConnectResponse');
    const r = decodeConnectResponse(f);
    this.sessionId = r.message.sessionId;
    this.passwd = Buffer.from(r.message.passwd ?? Buffer.alloc(0));
    return { ...r, bytes: f.length };
  }

  send<K extends RequestType>(type: K, body: RequestBodies[K]): number {
    const xid = this.xid++;
    this.conn.onFrame(Buffer.concat(encodeRequest(xid, type, body)).subarray(4));
    return xid;
  }

  /** The next frame as a reply to `type`. */
  reply<K extends ResponseType>(type: K) {
    const f = this.frames.shift();
    assert.ok(f, `a reply to ${type}`);
    return decodeResponse(f, type);
  }

  notification() {
    const f = this.frames.shift();
    assert.ok(f, 'a notification');
    assert.equal(peekXid(f), -1);
    return decodeNotification(f).event;
  }
}

async function connected(h: Harness, timeOut = 10_000): Promise<Client> {
  const c = new Client(h.server);
  c.handshake(0n, Buffer.alloc(16), timeOut);
  await settle(h.server);
  c.takeConnectResponse();
  return c;
}

async function call<K extends RequestType & ResponseType>(
  h: Harness,
  c: Client,
  type: K,
  body: RequestBodies[K],
) {
  c.send(type, body);
  await settle(h.server);
  return c.reply(type);
}

const create = (path: string, flags = 0, data = 'd', acl: ACL[] = OPEN) => ({
  path,
  data: Buffer.from(data),
  acl,
  flags,
});

describe('ZooServer handshake and sessions', () => {
  test('answers a 45-byte ConnectRequest in 37 bytes and a 44-byte one in 36, timeout clamped', async () => {
    const h = await start();
    const a = new Client(h.server);
    a.handshake(0n, Buffer.alloc(16), 1, true);
    const b = new Client(h.server);
    b.handshake(0n, Buffer.alloc(16), 10_000_000, false);
    await settle(h.server);
    const ra = a.takeConnectResponse();
    const rb = b.takeConnectResponse();
    assert.equal(ra.bytes, 37);
    assert.equal(rb.bytes, 36);
    assert.equal(ra.message.timeOut, 4000, 'min = 2 × tickTime');
    assert.equal(rb.message.timeOut, 40000, 'max = 20 × tickTime');
    assert.notEqual(ra.message.sessionId, rb.message.sessionId);
    assert.deepEqual(ra.message.passwd, sessionPassword(ra.message.sessionId));
  });

  test('session password matches Java for a session id captured from ZooKeeper 3.8', () => {
    assert.equal(sessionPassword(0x01000031316f0003n).toString('hex'), 'd0b3f726947c357d047f4173ca0c3ab4');
  });

  test('reconnect with the password keeps the session; a wrong password gets timeOut 0 and a close', async () => {
    const h = await start();
    const a = await connected(h);
    await call(h, a, OpCode.create, create('/e', 1));
    const again = new Client(h.server);
    again.handshake(a.sessionId, a.passwd);
    await settle(h.server);
    const r = again.takeConnectResponse();
    assert.equal(r.message.sessionId, a.sessionId);
    assert.ok(a.closed, 'the old connection of the session is closed');
    const bad = new Client(h.server);
    bad.handshake(a.sessionId, Buffer.alloc(16, 7));
    await settle(h.server);
    const rb = bad.takeConnectResponse();
    assert.equal(rb.message.timeOut, 0);
    assert.equal(rb.message.sessionId, 0n);
    assert.ok(bad.closed);
    assert.ok(h.server.tree.get('/e'), 'ephemeral still there');
  });

  test('expiry by the stepped clock deletes ephemerals and fires watches; reconnect then sees expiry', async () => {
    const h = await start();
    const owner = await connected(h, 4000);
    const watcher = await connected(h, 40000);
    await call(h, owner, OpCode.create, create('/lock', 1));
    const ex = await call(h, watcher, OpCode.exists, { path: '/lock', watch: true });
    assert.equal(ex.err, 0);
    await call(h, watcher, OpCode.getChildren, { path: '/', watch: true });
    h.clock.ms += 3999;
    h.server.tick();
    await settle(h.server);
    assert.ok(h.server.tree.get('/lock'), 'not expired before the timeout');
    h.clock.ms += 2;
    h.server.tick();
    await settle(h.server);
    assert.equal(h.server.tree.get('/lock'), undefined);
    assert.ok(owner.closed);
    assert.deepEqual(watcher.notification(), { type: EventType.nodeDeleted, state: 3, path: '/lock' });
    assert.deepEqual(watcher.notification(), { type: EventType.nodeChildrenChanged, state: 3, path: '/' });
    const back = new Client(h.server);
    back.handshake(owner.sessionId, owner.passwd);
    await settle(h.server);
    assert.equal(back.takeConnectResponse().message.timeOut, 0);
  });

  test('closeSession deletes ephemerals, replies, then closes', async () => {
    const h = await start();
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/x', 3));
    const r = await call(h, c, OpCode.closeSession, null);
    assert.equal(r.err, 0);
    assert.ok(c.closed);
    assert.deepEqual([...h.server.tree.get('/')!.children].sort(), ['zookeeper']);
  });
});

describe('ZooServer operations', () => {
  test('stats are computed as ZooKeeper computes them', async () => {
    const h = await start();
    const c = await connected(h);
    const z0 = h.server.lastZxid; // createSession
    await call(h, c, OpCode.create, create('/a', 0, 'hello'));
    await call(h, c, OpCode.create, create('/a/b'));
    const set = await call(h, c, OpCode.setData, { path: '/a', data: Buffer.from('xy'), version: 0 });
    assert.equal(set.err, 0);
    const { body } = await call(h, c, OpCode.getData, { path: '/a', watch: false });
    const stat = body!.stat;
    assert.equal(stat.czxid, z0 + 1n);
    assert.equal(stat.mzxid, z0 + 3n);
    assert.equal(stat.pzxid, z0 + 2n);
    assert.equal(stat.version, 1);
    assert.equal(stat.cversion, 1);
    assert.equal(stat.numChildren, 1);
    assert.equal(stat.dataLength, 2);
    assert.equal(stat.ctime, BigInt(h.clock.ms));
    await call(h, c, OpCode.delete, { path: '/a/b', version: -1 });
    const after = (await call(h, c, OpCode.exists, { path: '/a', watch: false })).body!.stat;
    assert.equal(after.cversion, 2, 'reported cversion counts creations and deletions');
    assert.equal(after.pzxid, z0 + 4n, 'a delete moves pzxid');
  });

  test('sequential names come from the parent cversion and never repeat', async () => {
    const h = await start();
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/q'));
    await call(h, c, OpCode.create, create('/q/plain'));
    await call(h, c, OpCode.delete, { path: '/q/plain', version: -1 });
    const r1 = await call(h, c, OpCode.create, create('/q/n-', 2));
    const r2 = await call(h, c, OpCode.create2, create('/q/n-', 3));
    assert.equal(r1.body!.path, '/q/n-0000000001');
    assert.equal(r2.body!.path, '/q/n-0000000002');
    assert.equal(r2.body!.stat.ephemeralOwner, c.sessionId);
  });

  test('errors are ZooKeeper codes and failed writes still take a zxid', async () => {
    const h = await start();
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/a'));
    await call(h, c, OpCode.create, create('/a/c'));
    await call(h, c, OpCode.create, create('/eph', 1));
    const before = h.server.lastZxid;
    const cases: [number, Promise<{ err: number; zxid: bigint }>][] = [
      [ZooErrorCode.NODEEXISTS, call(h, c, OpCode.create, create('/a'))],
      [ZooErrorCode.NONODE, call(h, c, OpCode.create, create('/missing/x'))],
      [ZooErrorCode.BADARGUMENTS, call(h, c, OpCode.create, create('a/b'))],
      [ZooErrorCode.BADARGUMENTS, call(h, c, OpCode.create, create('/a/'))],
      [ZooErrorCode.BADARGUMENTS, call(h, c, OpCode.create, create('/a/./b'))],
      [ZooErrorCode.NOTEMPTY, call(h, c, OpCode.delete, { path: '/a', version: -1 })],
      [ZooErrorCode.BADVERSION, call(h, c, OpCode.setData, { path: '/a', data: null, version: 7 })],
      [ZooErrorCode.NOCHILDRENFOREPHEMERALS, call(h, c, OpCode.create, create('/eph/x'))],
      [ZooErrorCode.BADARGUMENTS, call(h, c, OpCode.delete, { path: '/zookeeper', version: -1 })],
      [ZooErrorCode.INVALIDACL, call(h, c, OpCode.create, create('/n', 0, '', []))],
      [
        ZooErrorCode.INVALIDACL,
        call(h, c, OpCode.create, create('/n', 0, '', [{ perms: 31, id: { scheme: 'auth', id: '' } }])),
      ],
      [ZooErrorCode.UNIMPLEMENTED, call(h, c, OpCode.createTTL, { ...create('/t', 5), ttl: 100n })],
      [ZooErrorCode.NONODE, call(h, c, OpCode.getData, { path: '/nope', watch: false })],
    ];
    for (const [want, p] of cases) assert.equal((await p).err, want);
    assert.equal(h.server.lastZxid, before + 12n, 'each failed write took one zxid, reads none');
    // Unknown opcode: UNIMPLEMENTED, header only.
    const frame = Buffer.alloc(8);
    frame.writeInt32BE(99, 0);
    frame.writeInt32BE(999, 4);
    c.conn.onFrame(frame);
    await settle(h.server);
    assert.equal(c.reply(OpCode.ping).err, ZooErrorCode.UNIMPLEMENTED);
  });

  test('TTL and container nodes when extended types are enabled', async () => {
    const h = await start({ extendedTypesEnabled: 'true', 'znode.container.checkIntervalMs': '1000' });
    const c = await connected(h, 40000);
    const t = await call(h, c, OpCode.createTTL, { ...create('/ttl', 5), ttl: 500n });
    assert.equal(t.err, 0);
    assert.equal(BigInt.asUintN(64, t.body!.stat.ephemeralOwner), 0xff000000000001f4n);
    const k = await call(h, c, OpCode.createContainer, create('/box', 4));
    assert.equal(k.body!.stat.ephemeralOwner, -0x8000000000000000n);
    await call(h, c, OpCode.create, create('/box/item'));
    await call(h, c, OpCode.delete, { path: '/box/item', version: -1 });
    h.clock.ms += 1000;
    h.server.tick();
    await settle(h.server);
    assert.equal(h.server.tree.get('/box'), undefined, 'emptied container reaped');
    assert.equal(h.server.tree.get('/ttl'), undefined, 'expired TTL node reaped');
  });

  test('multi: all-or-nothing with per-op results and one zxid', async () => {
    const h = await start();
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/m'));
    const before = h.server.lastZxid;
    const ok = await call(h, c, OpCode.multi, {
      ops: [
        { type: OpCode.create, body: create('/m/a') },
        { type: OpCode.create2, body: create('/m/a/b') },
        { type: OpCode.setData, body: { path: '/m', data: Buffer.from('z'), version: 0 } },
        { type: OpCode.check, body: { path: '/m', version: 1 } },
        { type: OpCode.delete, body: { path: '/m/a/b', version: 0 } },
      ],
    });
    assert.equal(ok.err, 0);
    assert.equal(ok.zxid, before + 1n);
    assert.deepEqual(
      ok.body!.results.map((r) => r.type),
      [OpCode.create, OpCode.create2, OpCode.setData, OpCode.check, OpCode.delete],
    );
    const r1 = ok.body!.results[1]!;
    assert.ok(r1.type === OpCode.create2 && r1.body.stat.czxid === before + 1n);
    const bad = await call(h, c, OpCode.multi, {
      ops: [
        { type: OpCode.create, body: create('/m/new') },
        { type: OpCode.check, body: { path: '/m', version: 0 } },
        { type: OpCode.delete, body: { path: '/m/a', version: -1 } },
      ],
    });
    assert.equal(bad.err, 0);
    assert.deepEqual(
      bad.body!.results.map((r) => (r.type === OpCode.error ? r.body.err : 'ok')),
      [0, ZooErrorCode.BADVERSION, ZooErrorCode.RUNTIMEINCONSISTENCY],
    );
    assert.equal(h.server.tree.get('/m/new'), undefined, 'nothing applied');
    const mr = await call(h, c, OpCode.multiRead, {
      ops: [
        { type: OpCode.getData, body: { path: '/nope', watch: false } },
        { type: OpCode.getChildren, body: { path: '/m', watch: false } },
      ],
    });
    assert.deepEqual(
      mr.body!.results.map((r) => r.type),
      [OpCode.error, OpCode.getChildren],
      'multiRead: one failure does not abort the others',
    );
  });

  test('ACLs: digest denial, addauth, auth scheme, superDigest, whoAmI', async () => {
    const superId = digestId('super:secret');
    const h = await start({ 'zookeeper.DigestAuthenticationProvider.superDigest': superId });
    const owner = await connected(h);
    const other = await connected(h);
    const auth = await call(h, owner, OpCode.auth, {
      type: 0,
      scheme: 'digest',
      auth: Buffer.from('alice:pw'),
    });
    assert.equal(auth.err, 0);
    await call(
      h,
      owner,
      OpCode.create,
      create('/private', 0, 's', [{ perms: 31, id: { scheme: 'auth', id: '' } }]),
    );
    const acl = await call(h, owner, OpCode.getACL, { path: '/private' });
    assert.deepEqual(acl.body!.acl, [{ perms: 31, id: { scheme: 'digest', id: digestId('alice:pw') } }]);
    assert.equal(
      (await call(h, other, OpCode.getData, { path: '/private', watch: false })).err,
      ZooErrorCode.NOAUTH,
    );
    assert.equal(
      (await call(h, other, OpCode.exists, { path: '/private', watch: false })).err,
      ZooErrorCode.NOAUTH,
    );
    assert.equal(
      (await call(h, other, OpCode.setData, { path: '/private', data: null, version: -1 })).err,
      ZooErrorCode.NOAUTH,
    );
    await call(h, other, OpCode.auth, { type: 0, scheme: 'digest', auth: Buffer.from('alice:pw') });
    assert.equal((await call(h, other, OpCode.getData, { path: '/private', watch: false })).err, 0);
    const root = await connected(h);
    await call(h, root, OpCode.auth, { type: 0, scheme: 'digest', auth: Buffer.from('super:secret') });
    assert.equal((await call(h, root, OpCode.delete, { path: '/private', version: -1 })).err, 0);
    const who = await call(h, root, OpCode.whoAmI, null);
    assert.deepEqual(
      who.body!.clientInfo!.map((i) => i.authScheme),
      ['ip', 'digest', 'super'],
    );
    // ip scheme
    await call(
      h,
      root,
      OpCode.create,
      create('/iponly', 0, '', [{ perms: 1, id: { scheme: 'ip', id: '10.0.0.0/8' } }]),
    );
    assert.equal(
      (await call(h, owner, OpCode.getData, { path: '/iponly', watch: false })).err,
      ZooErrorCode.NOAUTH,
    );
    const fromTen = new Client(h.server, '10.1.2.3');
    fromTen.handshake();
    await settle(h.server);
    fromTen.takeConnectResponse();
    assert.equal((await call(h, fromTen, OpCode.getData, { path: '/iponly', watch: false })).err, 0);
    // Unknown auth scheme: AUTHFAILED then close.
    const r = await call(h, other, OpCode.auth, { type: 0, scheme: 'kerberos', auth: Buffer.alloc(0) });
    assert.equal(r.err, ZooErrorCode.AUTHFAILED);
    assert.ok(other.closed);
  });
});

describe('ZooServer read operations', () => {
  test('getEphemerals, getAllChildrenNumber, sync, getChildren2', async () => {
    const h = await start();
    const c = await connected(h);
    const other = await connected(h);
    await call(h, c, OpCode.create, create('/t'));
    await call(h, c, OpCode.create, create('/t/e1', 1));
    await call(h, c, OpCode.create, create('/t/p'));
    await call(h, c, OpCode.create, create('/t/p/e2', 1));
    await call(h, other, OpCode.create, create('/t/theirs', 1));
    assert.deepEqual((await call(h, c, OpCode.getEphemerals, { prefixPath: '/' })).body!.ephemerals, [
      '/t/e1',
      '/t/p/e2',
    ]);
    assert.deepEqual((await call(h, c, OpCode.getEphemerals, { prefixPath: '/t/p' })).body!.ephemerals, [
      '/t/p/e2',
    ]);
    assert.equal((await call(h, c, OpCode.getAllChildrenNumber, { path: '/t' })).body!.totalNumber, 4);
    assert.equal((await call(h, c, OpCode.sync, { path: '/t' })).body!.path, '/t');
    const g2 = await call(h, c, OpCode.getChildren2, { path: '/t', watch: false });
    assert.deepEqual([...g2.body!.children!].sort(), ['e1', 'p', 'theirs']);
    assert.equal(g2.body!.stat.numChildren, 3);
  });
});

describe('ZooServer watches', () => {
  test('a notification precedes the reply of the write that triggered it', async () => {
    const h = await start();
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/w'));
    c.send(OpCode.getData, { path: '/w', watch: true });
    c.send(OpCode.setData, { path: '/w', data: Buffer.from('n'), version: -1 });
    c.send(OpCode.setData, { path: '/w', data: Buffer.from('m'), version: -1 });
    await settle(h.server);
    assert.equal(c.reply(OpCode.getData).err, 0);
    assert.deepEqual(c.notification(), { type: EventType.nodeDataChanged, state: 3, path: '/w' });
    assert.equal(c.reply(OpCode.setData).err, 0);
    assert.equal(c.reply(OpCode.setData).err, 0, 'one-shot: the second write fires nothing');
    assert.equal(c.frames.length, 0);
  });

  test('create and delete fire in ZooKeeper order; exists watch on a missing node', async () => {
    const h = await start();
    const w = await connected(h);
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/p'));
    assert.equal((await call(h, w, OpCode.exists, { path: '/p/k', watch: true })).err, ZooErrorCode.NONODE);
    await call(h, w, OpCode.getChildren, { path: '/p', watch: true });
    await call(h, c, OpCode.create, create('/p/k'));
    assert.deepEqual(w.notification(), { type: EventType.nodeCreated, state: 3, path: '/p/k' });
    assert.deepEqual(w.notification(), { type: EventType.nodeChildrenChanged, state: 3, path: '/p' });
    await call(h, w, OpCode.getData, { path: '/p/k', watch: true });
    await call(h, w, OpCode.getChildren, { path: '/p/k', watch: true });
    await call(h, c, OpCode.delete, { path: '/p/k', version: -1 });
    assert.deepEqual(w.notification(), { type: EventType.nodeDeleted, state: 3, path: '/p/k' });
    assert.equal(w.frames.length, 0, 'one NodeDeleted even with data and child watches');
  });

  test('persistent recursive watches survive and never get NodeChildrenChanged; removeWatches', async () => {
    const h = await start();
    const w = await connected(h);
    const c = await connected(h);
    await call(h, w, OpCode.addWatch, { path: '/r', mode: 1 });
    await call(h, c, OpCode.create, create('/r'));
    await call(h, c, OpCode.create, create('/r/x'));
    await call(h, c, OpCode.setData, { path: '/r/x', data: null, version: -1 });
    assert.deepEqual(
      [w.notification(), w.notification(), w.notification()].map((e) => [e.type, e.path]),
      [
        [EventType.nodeCreated, '/r'],
        [EventType.nodeCreated, '/r/x'],
        [EventType.nodeDataChanged, '/r/x'],
      ],
    );
    assert.equal(
      (await call(h, w, OpCode.checkWatches, { path: '/r', type: WatcherType.persistentRecursive })).err,
      0,
    );
    assert.equal((await call(h, w, OpCode.removeWatches, { path: '/r', type: WatcherType.any })).err, 0);
    assert.equal(
      (await call(h, w, OpCode.removeWatches, { path: '/r', type: WatcherType.any })).err,
      ZooErrorCode.NOWATCHER,
    );
    await call(h, c, OpCode.setData, { path: '/r/x', data: null, version: -1 });
    assert.equal(w.frames.length, 0);
  });

  test('setWatches fires what changed since relativeZxid and re-arms the rest', async () => {
    const h = await start();
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/s1'));
    await call(h, c, OpCode.create, create('/s2'));
    const rel = h.server.lastZxid;
    await call(h, c, OpCode.setData, { path: '/s1', data: null, version: -1 });
    await call(h, c, OpCode.create, create('/s3'));
    const w = await connected(h);
    w.send(OpCode.setWatches, {
      relativeZxid: rel,
      dataWatches: ['/s1', '/s2', '/gone'],
      existWatches: ['/s3', '/s4'],
      childWatches: ['/s2'],
    });
    await settle(h.server);
    const evs = [w.notification(), w.notification(), w.notification()].map((e) => [e.type, e.path]);
    assert.deepEqual(evs, [
      [EventType.nodeDataChanged, '/s1'],
      [EventType.nodeDeleted, '/gone'],
      [EventType.nodeCreated, '/s3'],
    ]);
    assert.equal(w.reply(OpCode.setWatches).err, 0);
    await call(h, c, OpCode.create, create('/s4'));
    assert.deepEqual(w.notification(), { type: EventType.nodeCreated, state: 3, path: '/s4' });
  });
});

describe('ZooServer durability', () => {
  test('a read of a node no pending write changed is answered ahead of the commit queue; others wait', async () => {
    const h = await start();
    const a = await connected(h);
    const b = await connected(h);
    await call(h, a, OpCode.create, create('/x'));
    await call(h, a, OpCode.create, create('/y'));
    const durable = h.server.lastZxid;
    a.send(OpCode.setData, { path: '/x', data: Buffer.from('new'), version: -1 });
    b.send(OpCode.getData, { path: '/y', watch: false });
    assert.equal(b.frames.length, 1, 'a read of an unchanged node does not wait for the sync');
    const early = b.reply(OpCode.getData);
    assert.equal(early.zxid, durable, 'stamped with the durable zxid, not the pending one');
    assert.equal(early.body?.data?.toString(), 'd');
    b.send(OpCode.getData, { path: '/x', watch: false });
    b.send(OpCode.exists, { path: '/y', watch: false });
    assert.equal(a.frames.length, 0, 'the write is not durable yet');
    assert.equal(b.frames.length, 0, 'a changed node waits, and so does every later reply of b (xid order)');
    await settle(h.server);
    assert.equal(a.reply(OpCode.setData).zxid, durable + 1n);
    const late = b.reply(OpCode.getData);
    assert.equal(late.body?.data?.toString(), 'new');
    assert.equal(late.zxid, durable + 1n);
    assert.equal(b.reply(OpCode.exists).err, 0);
    assert.equal(h.server.readsAhead, 1);
  });

  test('a node created or a child list changed by a pending write is read only after the sync', async () => {
    const h = await start();
    const a = await connected(h);
    const b = await connected(h);
    await call(h, a, OpCode.create, create('/p'));
    await call(h, b, OpCode.exists, { path: '/p/c', watch: true });
    a.send(OpCode.create, create('/p/c'));
    b.send(OpCode.getChildren, { path: '/p', watch: false });
    assert.equal(b.frames.length, 0);
    await settle(h.server);
    assert.equal(b.notification().type, EventType.nodeCreated, 'the notification precedes the new state');
    assert.deepEqual(b.reply(OpCode.getChildren).body?.children, ['c']);
  });
  test('recovery from snapshot + log gives the same tree and sequence numbers continue', async () => {
    const h = await start({ snapCount: '5' });
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/d'));
    for (let i = 0; i < 12; i++) await call(h, c, OpCode.create, create('/d/n-', 2, `v${i}`));
    await call(h, c, OpCode.setData, { path: '/d', data: Buffer.from('top'), version: 0 });
    await settle(h.server);
    await h.server.whenSnapshotsSettle();
    const snaps = await h.store.listSnapshots();
    assert.ok(snaps.length >= 1, 'snapshots were taken');
    const zxid = h.server.lastZxid;
    const dStat = (await call(h, c, OpCode.getData, { path: '/d', watch: false })).body!.stat;
    await h.store.close();

    const h2 = await start({ snapCount: '5' }, h.dir);
    assert.equal(h2.server.lastZxid, zxid);
    const c2 = new Client(h2.server);
    c2.handshake(c.sessionId, c.passwd);
    await settle(h2.server);
    assert.equal(c2.takeConnectResponse().message.sessionId, c.sessionId, 'session survives a restart');
    const got = await call(h2, c2, OpCode.getData, { path: '/d', watch: false });
    assert.deepEqual(got.body!.stat, dStat);
    const next = await call(h2, c2, OpCode.create, create('/d/n-', 2));
    assert.equal(next.body!.path, '/d/n-0000000012');
    const purged = await h2.store.purge(3);
    assert.ok(purged.snapshotsDeleted >= 0);
    await h2.store.close();
  });

  test('the preallocated transaction log ends in zeros and reopens without a cut', async () => {
    const d = await mkdtemp(join(tmpdir(), 'zk-prealloc-'));
    dirs.push(d);
    const store = await TxnStore.open(d, d, true, 0xfffff, 64 * 1024);
    const { tree } = await store.recover();
    const acl = OPEN;
    for (let i = 1; i <= 20; i++) {
      const hdr = { sessionId: 1n, cxid: i, zxid: BigInt(i), time: 0n };
      const txn = {
        type: 'create',
        path: `/n${i}`,
        data: Buffer.alloc(100, i),
        acl,
        ephemeralOwner: 0n,
        parentCVersion: i,
      } as const;
      tree.applyTxn(hdr, txn);
      await store.append(hdr, txn);
    }
    await store.close();
    const [file] = await readdir(store.logDir);
    const bytes = await readFile(join(store.logDir, file!));
    assert.ok(bytes.length >= 64 * 1024, `grown by a preAllocSize step (${bytes.length} bytes)`);
    assert.ok(
      bytes.subarray(bytes.length - 32 * 1024).every((b) => b === 0),
      'zeros after the records',
    );
    const again = await TxnStore.open(d, d, true, 0xfffff, 64 * 1024);
    const { tree: back, report } = await again.recover();
    assert.equal(report.truncatedTail, false, 'zeros are the end of the log, not damage');
    assert.equal(report.replayed, 20);
    assert.deepEqual(back.get('/n20')?.data, Buffer.alloc(100, 20));
    await again.close();
  });
});

describe('four-letter words', () => {
  test('formats of srvr, stat, cons, wchs, wchc, wchp, dump, conf, mntr, dirs, crst and the whitelist', async () => {
    const h = await start({ '4lw.commands.whitelist': '*' });
    const c = await connected(h);
    await call(h, c, OpCode.create, create('/w', 1));
    await call(h, c, OpCode.getData, { path: '/w', watch: true });
    await call(h, c, OpCode.getChildren, { path: '/', watch: true });
    const listener = { port: 2181, connectionCount: 1 };
    const sid = `0x${c.sessionId.toString(16)}`;
    const ask = (w: Parameters<typeof answerFourLetterWord>[0]) =>
      answerFourLetterWord(w, h.server, listener);
    assert.equal(await ask('ruok'), 'imok');
    const srvr = await ask('srvr');
    assert.match(
      srvr,
      /^Zookeeper version: 3\.9\.\d+-sluice, built on .+\nLatency min\/avg\/max: \d+\/\d+\.\d+\/\d+\n/,
    );
    assert.match(srvr, /\nZxid: 0x2\nMode: standalone\nNode count: 6\n$/);
    assert.match(await ask('stat'), /\nClients:\n \/127\.0\.0\.1:40000\[1\]\(queued=0,recved=4,sent=4\)\n\n/);
    assert.match(await ask('cons'), new RegExp(`sid=${sid},lop=GETC,`));
    assert.equal(await ask('wchs'), '1 connections watching 2 paths\nTotal watches:2\n');
    assert.equal(await ask('wchc'), `${sid}\n\t/w\n\t/\n`);
    assert.equal(await ask('wchp'), `/w\n\t${sid}\n/\n\t${sid}\n`);
    assert.match(await ask('dump'), new RegExp(`Sessions with Ephemerals \\(1\\):\\n${sid}:\\n\\t/w\\n`));
    assert.match(
      await ask('conf'),
      /^clientPort=2181\n[\s\S]*\nminSessionTimeout=4000\nmaxSessionTimeout=40000\n/,
    );
    const mntr = await ask('mntr');
    assert.match(mntr, /\nzk_znode_count\t6\n/);
    assert.match(mntr, /\nzk_watch_count\t2\n/);
    assert.match(mntr, /\nzk_ephemerals_count\t1\n/);
    assert.match(await ask('dirs'), /^datadir_size: \d+\nlogdir_size: \d+\n$/);
    assert.equal(await ask('crst'), 'Connection stats reset.\n');
    assert.match(await ask('stat'), /\(queued=0,recved=0,sent=0\)/);

    const only = await start();
    assert.equal(
      await answerFourLetterWord('mntr', only.server, listener),
      'mntr is not executed because it is not in the whitelist.\n',
    );
    assert.match(await answerFourLetterWord('srvr', only.server, listener), /^Zookeeper version/);
  });
});
