/**
 * Client reconnect (Sluice restarted on the same port keeps its sessions: the client walks the
 * server list, resumes the session and replays its watches) and the lock, election and
 * registration recipes with two clients, against Sluice and Apache ZooKeeper 3.8.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DistributedLock,
  EphemeralRegistration,
  EventQueue,
  LeaderElection,
  type WatchEvent,
  ZooKeeperClient,
} from '../../../src/zookeeper/client/index.ts';
import {
  apacheZooKeeperMissing,
  freePort,
  startApacheZooKeeper,
  startSluiceZooKeeper,
  type TestZooKeeper,
} from '../support/zookeeper-servers.ts';

test('Sluice restarted on the same port: same session, a watch set before still fires', async () => {
  const zk = await startSluiceZooKeeper();
  const dead = await freePort();
  // A dead server first in the list: the client must move on to the next one.
  const connectString = `127.0.0.1:${dead},${zk.connectString}`;
  const a = await ZooKeeperClient.connect({ connectString, sessionTimeoutMs: 10_000 });
  try {
    const sessionId = a.sessionId;
    await a.create('/survivor', 'v0');
    await a.create('/mine', 'e', { mode: 'ephemeral' });
    const events = new EventQueue<WatchEvent>();
    await a.getData('/survivor', { watch: events.listener });
    const states: string[] = [];
    a.onStateChange((s) => states.push(s));
    await zk.stop();
    await a.waitForState('connecting');
    await zk.restart();
    await a.waitForState('connected');
    assert.equal(a.sessionId, sessionId, 'the session is resumed, not replaced');
    assert.deepEqual(states, ['connecting', 'connected']);
    assert.equal((await a.exists('/mine'))?.ephemeralOwner, sessionId, 'its ephemeral is still there');
    const b = await ZooKeeperClient.connect({ connectString: zk.connectString });
    await b.setData('/survivor', 'v1');
    assert.deepEqual(await events.next(), {
      type: 'nodeDataChanged',
      state: 'syncConnected',
      path: '/survivor',
    });
    await b.close();
  } finally {
    await a.close();
    await zk.destroy();
  }
});

test('an expired session is surfaced; with renewExpiredSession the registration comes back', async () => {
  const zk = await startSluiceZooKeeper();
  const a = await ZooKeeperClient.connect({ connectString: zk.connectString, renewExpiredSession: true });
  try {
    const reg = await EphemeralRegistration.register(a, '/brokers/ids/1', 'host:9092');
    const first = a.sessionId;
    assert.equal(reg.sessionId, first);
    const reRegistered = new Promise<bigint>((resolve) => reg.onRegistered(resolve));
    // Expire the session from outside: another client resumes it and closes it.
    const thief = await ZooKeeperClient.connect({
      connectString: zk.connectString,
      sessionId: a.sessionId,
      sessionPassword: a.sessionPassword,
    });
    const sawExpired = a.waitForState('expired');
    await thief.close();
    a.disconnect();
    await sawExpired;
    const second = await reRegistered;
    assert.notEqual(second, first);
    const stat = await a.exists('/brokers/ids/1');
    assert.equal(stat?.ephemeralOwner, second);
    assert.equal((await a.getData('/brokers/ids/1')).data.toString(), 'host:9092');
    await reg.unregister();
    assert.equal(await a.exists('/brokers/ids/1'), null);
  } finally {
    await a.close();
    await zk.destroy();
  }
});

const servers = [
  { name: 'Sluice', start: () => startSluiceZooKeeper(), skip: false as const },
  { name: 'Apache ZooKeeper 3.8', start: () => startApacheZooKeeper(), skip: apacheZooKeeperMissing },
];

for (const server of servers) {
  describe(`recipes against ${server.name}`, { skip: server.skip }, () => {
    let zk: TestZooKeeper;
    const clients: ZooKeeperClient[] = [];
    const open = async () => {
      const c = await ZooKeeperClient.connect({ connectString: zk.connectString, sessionTimeoutMs: 6000 });
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

    test('lock: mutual exclusion, timeout, and takeover when the holder session closes', async () => {
      const a = await open();
      const b = await open();
      const lockA = new DistributedLock(a, '/locks/l1');
      const lockB = new DistributedLock(b, '/locks/l1');
      assert.equal(await lockA.acquire(), true);
      // Held by a: b gives up at its timeout and withdraws its request.
      assert.equal(await lockB.acquire({ timeoutMs: 200 }), false);
      assert.deepEqual((await a.getChildren('/locks/l1')).length, 1);
      let bHolds = false;
      const bWaiting = lockB.acquire().then((ok) => {
        bHolds = ok;
        return ok;
      });
      // b has queued behind a once its node is there.
      for (;;) {
        if ((await a.getChildren('/locks/l1')).length === 2) break;
        await a.sync('/');
      }
      assert.equal(bHolds, false, 'b waits while a holds the lock');
      await a.close();
      assert.equal(await bWaiting, true, 'b takes over when a session ends');
      await lockB.release();
      assert.deepEqual(await b.getChildren('/locks/l1'), []);
    });

    test('election: one leader; the successor takes over when it leaves', async () => {
      const a = await open();
      const b = await open();
      const ea = new LeaderElection(a, '/election');
      const eb = new LeaderElection(b, '/election');
      assert.equal(await ea.run('a'), true);
      const bLeads = eb.run('b');
      for (;;) {
        if (eb.node !== null) break;
        await b.sync('/');
      }
      assert.equal(eb.isLeader, false);
      assert.equal((await eb.currentLeader())?.data.toString(), 'a');
      await a.close();
      assert.equal(await bLeads, true);
      assert.equal((await eb.currentLeader())?.data.toString(), 'b');
      await eb.resign();
    });
  });
}
