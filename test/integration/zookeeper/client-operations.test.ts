/**
 * src/zookeeper/client against real servers: the same test body runs against `bin/sluice
 * zookeeper` and against Apache ZooKeeper 3.8 (skipped, saying why, where it is not installed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  digestAcl,
  EventQueue,
  type WatchEvent,
  ZooKeeperClient,
  ZooKeeperError,
} from '../../../src/zookeeper/client/index.ts';
import { Perms } from '../../../src/zookeeper/protocol/index.ts';
import {
  apacheZooKeeperMissing,
  startApacheZooKeeper,
  startSluiceZooKeeper,
  type TestZooKeeper,
} from '../support/zookeeper-servers.ts';

const servers = [
  { name: 'Sluice', start: () => startSluiceZooKeeper(), skip: false as const },
  { name: 'Apache ZooKeeper 3.8', start: () => startApacheZooKeeper(), skip: apacheZooKeeperMissing },
];

async function rejectsWith(p: Promise<unknown>, code: string): Promise<ZooKeeperError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ZooKeeperError, `expected a ZooKeeperError, got ${String(err)}`);
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}, but the operation succeeded`);
}

for (const server of servers) {
  describe(`ZooKeeper client against ${server.name}`, { skip: server.skip }, () => {
    let zk: TestZooKeeper;
    const clients: ZooKeeperClient[] = [];
    const open = async (suffix = '') => {
      const c = await ZooKeeperClient.connect({
        connectString: zk.connectString + suffix,
        sessionTimeoutMs: 6000,
      });
      clients.push(c);
      return c;
    };
    before(async () => {
      zk = await server.start();
    });
    after(async () => {
      for (const c of clients) await c.close();
      await zk?.destroy();
    });

    test('session: negotiated timeout within bounds, a session id and 16-byte password', async () => {
      const c = await open();
      assert.equal(c.state, 'connected');
      assert.notEqual(c.sessionId, 0n);
      assert.equal(c.sessionPassword.length, 16);
      // tickTime 500: the server clamps to [1000, 10000]
      assert.equal(c.sessionTimeoutMs, 6000);
    });

    test('CRUD with stats and typed errors', async () => {
      const c = await open();
      const created = await c.create('/crud', 'one');
      assert.equal(created.path, '/crud');
      assert.equal(created.stat.version, 0);
      assert.equal(created.stat.dataLength, 3);
      assert.equal(created.stat.czxid, created.stat.mzxid);
      await rejectsWith(c.create('/crud', 'again'), 'NODEEXISTS');
      const got = await c.getData('/crud');
      assert.equal(got.data.toString(), 'one');
      const set = await c.setData('/crud', 'two!', 0);
      assert.equal(set.version, 1);
      assert.equal(set.dataLength, 4);
      assert.ok(set.mzxid > created.stat.czxid);
      const e = await rejectsWith(c.setData('/crud', 'x', 0), 'BADVERSION');
      assert.equal(e.zooCode, -103);
      assert.equal(e.path, '/crud');
      await c.create('/crud/child', null);
      const withStat = await c.getChildrenWithStat('/crud');
      assert.deepEqual(withStat.children, ['child']);
      assert.equal(withStat.stat.numChildren, 1);
      assert.equal(withStat.stat.cversion, 1);
      await rejectsWith(c.delete('/crud'), 'NOTEMPTY');
      await c.delete('/crud/child');
      await c.delete('/crud', 1);
      assert.equal(await c.exists('/crud'), null);
      await rejectsWith(c.getData('/crud'), 'NONODE');
      assert.equal(await c.sync('/'), '/');
    });

    test('pipelined requests are matched to their replies', async () => {
      const c = await open();
      await c.create('/pipe');
      const names = Array.from({ length: 50 }, (_, i) => `/pipe/n${i}`);
      const results = await Promise.all(names.map((n, i) => c.create(n, String(i))));
      assert.deepEqual(
        results.map((r) => r.path),
        names,
      );
      const datas = await Promise.all(names.map((n) => c.getData(n)));
      assert.deepEqual(
        datas.map((d) => d.data.toString()),
        names.map((_, i) => String(i)),
      );
    });

    test('one-shot watches fire once with the right type and path', async () => {
      const a = await open();
      const b = await open();
      await a.create('/w');
      const data = new EventQueue<WatchEvent>();
      const children = new EventQueue<WatchEvent>();
      const created = new EventQueue<WatchEvent>();
      await a.getData('/w', { watch: data.listener });
      await a.getChildren('/w', { watch: children.listener });
      assert.equal(await a.exists('/w/later', { watch: created.listener }), null);
      await b.setData('/w', 'x');
      await b.setData('/w', 'y');
      await b.create('/w/later');
      assert.deepEqual(await data.next(), { type: 'nodeDataChanged', state: 'syncConnected', path: '/w' });
      assert.deepEqual(await created.next(), {
        type: 'nodeCreated',
        state: 'syncConnected',
        path: '/w/later',
      });
      assert.deepEqual(await children.next(), {
        type: 'nodeChildrenChanged',
        state: 'syncConnected',
        path: '/w',
      });
      // A round trip after the second change: any second notification would have arrived by now.
      await a.sync('/');
      await a.getData('/w');
      data.end();
      assert.equal(await data.next(), undefined, 'the data watch fired only once');
      // Deleting fires the data watch set by exists on the (now existing) node.
      const deleted = new EventQueue<WatchEvent>();
      assert.notEqual(await a.exists('/w/later', { watch: deleted.listener }), null);
      await b.delete('/w/later');
      assert.deepEqual(await deleted.next(), {
        type: 'nodeDeleted',
        state: 'syncConnected',
        path: '/w/later',
      });
    });

    test('persistent recursive watch sees descendants until removed', async () => {
      const a = await open();
      const b = await open();
      await a.create('/pw');
      const events = new EventQueue<WatchEvent>();
      await a.addWatch('/pw', 'persistentRecursive', events.listener);
      await b.create('/pw/x');
      await b.setData('/pw/x', '1');
      await b.setData('/pw/x', '2');
      assert.deepEqual(await events.next(), { type: 'nodeCreated', state: 'syncConnected', path: '/pw/x' });
      assert.deepEqual(await events.next(), {
        type: 'nodeDataChanged',
        state: 'syncConnected',
        path: '/pw/x',
      });
      assert.deepEqual(await events.next(), {
        type: 'nodeDataChanged',
        state: 'syncConnected',
        path: '/pw/x',
      });
      // 'any' (3.8 answers MARSHALLINGERROR for the persistent types, added in 3.9)
      await a.removeWatches('/pw', 'any');
      await rejectsWith(a.removeWatches('/pw', 'any'), 'NOWATCHER');
      await b.setData('/pw/x', '3');
      await b.create('/pw/after');
      await a.sync('/');
      await a.getData('/pw/x');
      events.end();
      assert.equal(await events.next(), undefined, 'no events after removal');
    });

    test('sequential nodes are numbered from the parent cversion, 10 digits', async () => {
      const c = await open();
      await c.create('/seq');
      await c.create('/seq/plain');
      const first = await c.create('/seq/item-', 'a', { mode: 'persistentSequential' });
      const second = await c.create('/seq/item-', 'b', { mode: 'ephemeralSequential' });
      assert.equal(first.path, '/seq/item-0000000001');
      assert.equal(second.path, '/seq/item-0000000002');
      assert.equal(second.stat.ephemeralOwner, c.sessionId);
    });

    test('container and TTL modes', async () => {
      const c = await open();
      // (Apache reports ephemeralOwner 0 for both; the type shows only in behaviour.)
      const container = await c.create('/box', null, { mode: 'container' });
      assert.equal(container.path, '/box');
      assert.notEqual(await c.exists('/box'), null);
      await c.create('/box/item', 'x', { mode: 'ephemeral' });
      const ttl = await c.create('/ttl-', null, { mode: 'persistentSequentialWithTtl', ttlMs: 60_000 });
      assert.match(ttl.path, /^\/ttl-\d{10}$/);
      assert.notEqual(await c.exists(ttl.path), null);
      await assert.rejects(c.create('/ttl2', null, { mode: 'persistentWithTtl' }), TypeError);
    });

    test('ephemeral nodes go when their session closes', async () => {
      const a = await open();
      const b = await open();
      await a.create('/eph', 'mine', { mode: 'ephemeral' });
      const stat = await b.exists('/eph');
      assert.equal(stat?.ephemeralOwner, a.sessionId);
      const gone = new EventQueue<WatchEvent>();
      await b.exists('/eph', { watch: gone.listener });
      await a.close();
      assert.equal(a.state, 'closed');
      assert.deepEqual(await gone.next(), { type: 'nodeDeleted', state: 'syncConnected', path: '/eph' });
      assert.equal(await b.exists('/eph'), null);
      await rejectsWith(a.getData('/'), 'CONNECTIONLOSS');
    });

    test('multi: every result on success, nothing applied on failure', async () => {
      const c = await open();
      const results = await c.multi([
        { op: 'create', path: '/m', data: 'root' },
        { op: 'create', path: '/m/a', data: '1' },
        { op: 'setData', path: '/m', data: 'changed' },
        { op: 'check', path: '/m', version: 1 },
      ]);
      assert.equal(results.length, 4);
      assert.deepEqual(
        results.map((r) => r.op),
        ['create', 'create', 'setData', 'check'],
      );
      assert.equal(results[1]?.op === 'create' ? results[1].path : '', '/m/a');
      const err = await rejectsWith(
        c.multi([
          { op: 'create', path: '/m/b' },
          { op: 'delete', path: '/m/missing' },
          { op: 'setData', path: '/m', data: 'no' },
        ]),
        'NONODE',
      );
      assert.deepEqual(
        err.results?.map((r) => r.name),
        ['OK', 'NONODE', 'RUNTIMEINCONSISTENCY'],
      );
      assert.equal(await c.exists('/m/b'), null, 'the first op was rolled back');
      assert.equal((await c.getData('/m')).data.toString(), 'changed');
    });

    test('digest ACL: others are denied, the right identity is let in', async () => {
      const owner = await open();
      await owner.addAuth('digest', 'alice:secret');
      await owner.create('/secret', 'hidden', { acl: [digestAcl('alice', 'secret', Perms.all)] });
      const stranger = await open();
      await rejectsWith(stranger.getData('/secret'), 'NOAUTH');
      await stranger.addAuth('digest', 'alice:wrong');
      await rejectsWith(stranger.getData('/secret'), 'NOAUTH');
      const friend = await open();
      await friend.addAuth('digest', 'alice:secret');
      assert.equal((await friend.getData('/secret')).data.toString(), 'hidden');
      const { acl } = await friend.getACL('/secret');
      assert.equal(acl[0]?.id.scheme, 'digest');
      assert.equal(acl[0]?.perms, Perms.all);
      const whoami = await friend.whoAmI();
      assert.ok(whoami.some((w) => w.scheme === 'digest' && w.user === 'alice'));
      await owner.setACL('/secret', [{ perms: Perms.read, id: { scheme: 'world', id: 'anyone' } }], 0);
      assert.equal((await stranger.getData('/secret')).data.toString(), 'hidden');
    });

    test('a chroot prefixes requests and is stripped from answers and events', async () => {
      const root = await open();
      await root.create('/app');
      const c = await open('/app');
      const created = await c.create('/node', 'x');
      assert.equal(created.path, '/node');
      assert.deepEqual(await root.getChildren('/app'), ['node']);
      const ev = new EventQueue<WatchEvent>();
      await c.getData('/node', { watch: ev.listener });
      await root.setData('/app/node', 'y');
      assert.equal((await ev.next())?.path, '/node');
    });
  });
}
