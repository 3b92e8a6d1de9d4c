import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType } from '../protocol/index.ts';
import {
  CONTAINER_EPHEMERAL_OWNER,
  DataTree,
  invalidPathReason,
  nodeKind,
  OPEN_ACL_UNSAFE,
  statOf,
  ttlEphemeralOwner,
  ttlOf,
} from './data-tree.ts';
import { deserializeTree, serializeTree } from './txn-store.ts';

const hdr = (zxid: bigint, time = 1000n, sessionId = 0n) => ({ sessionId, cxid: 0, zxid, time });
const create = (path: string, parentCVersion: number, ephemeralOwner = 0n) => ({
  type: 'create' as const,
  path,
  data: Buffer.from('d'),
  acl: OPEN_ACL_UNSAFE,
  ephemeralOwner,
  parentCVersion,
});

test('a fresh tree has the built-in nodes and reports 5 nodes, as ZooKeeper does', () => {
  const t = new DataTree();
  assert.deepEqual([...t.nodes.keys()].sort(), ['/', '/zookeeper', '/zookeeper/config', '/zookeeper/quota']);
  assert.equal(t.nodeCount, 5);
  assert.equal(t.get('/zookeeper/config')!.acl[0]!.perms, 1);
  // What Apache ZooKeeper 3.8 reports for a fresh server's built-ins.
  assert.equal(statOf(t.get('/')!).cversion, -1);
  assert.equal(statOf(t.get('/zookeeper')!).cversion, -2);
});

test('create, setData, setACL and delete move the stat fields as ZooKeeper does', () => {
  const t = new DataTree();
  const ev = t.applyTxn(hdr(5n, 100n), create('/a', 1));
  assert.deepEqual(ev, [
    { type: EventType.nodeCreated, path: '/a' },
    { type: EventType.nodeChildrenChanged, path: '/' },
  ]);
  const root = t.get('/')!;
  assert.equal(root.cversion, 1);
  assert.equal(root.pzxid, 5n);
  assert.equal(root.mzxid, 0n, 'a child change is not a data change');
  t.applyTxn(hdr(6n, 200n), { type: 'setData', path: '/a', data: Buffer.from('xyz'), version: 1 });
  t.applyTxn(hdr(7n, 300n), { type: 'setACL', path: '/a', acl: OPEN_ACL_UNSAFE, version: 1 });
  assert.deepEqual(statOf(t.get('/a')!), {
    czxid: 5n,
    mzxid: 6n,
    ctime: 100n,
    mtime: 200n,
    version: 1,
    cversion: 0,
    aversion: 1,
    ephemeralOwner: 0n,
    dataLength: 3,
    numChildren: 0,
    pzxid: 5n,
  });
  t.applyTxn(hdr(8n), { type: 'delete', path: '/a' });
  assert.equal(root.cversion, 1, 'delete leaves the stored cversion (it numbers sequential children)');
  assert.equal(statOf(root).cversion, 1, 'reported: 2 × 1 creation − 1 child (/zookeeper)');
  assert.equal(root.pzxid, 8n);
  assert.equal(t.lastZxid, 8n);
});

test('closeSession deletes the session ephemerals, children before parents never needed', () => {
  const t = new DataTree();
  t.applyTxn(hdr(1n), { type: 'createSession', sessionId: 77n, timeoutMs: 4000 });
  t.applyTxn(hdr(2n), create('/e1', 1, 77n));
  t.applyTxn(hdr(3n), create('/e2', 2, 77n));
  t.applyTxn(hdr(4n), create('/p', 3, 0n));
  assert.equal(t.ephemeralCount(), 2);
  const ev = t.applyTxn(hdr(5n), { type: 'closeSession', sessionId: 77n });
  assert.deepEqual(
    ev.filter((e) => e.type === EventType.nodeDeleted).map((e) => e.path),
    ['/e2', '/e1'],
  );
  assert.equal(t.get('/e1'), undefined);
  assert.ok(t.get('/p'));
  assert.equal(t.sessions.has(77n), false);
});

test('ephemeralOwner encodes containers and TTLs', () => {
  assert.equal(nodeKind(0n), 'persistent');
  assert.equal(nodeKind(12345n), 'ephemeral');
  assert.equal(nodeKind(CONTAINER_EPHEMERAL_OWNER), 'container');
  const ttl = ttlEphemeralOwner(60_000n);
  assert.equal(nodeKind(ttl), 'ttl');
  assert.equal(ttlOf(ttl), 60_000n);
  assert.equal(BigInt.asUintN(64, ttl), 0xff0000000000ea60n);
});

test('path validation follows PathUtils.validatePath', () => {
  for (const ok of ['/', '/a', '/a/b', '/a-b_c.d', '/ü']) assert.equal(invalidPathReason(ok), null, ok);
  for (const bad of [
    '',
    'a',
    '/a/',
    '//a',
    '/a//b',
    '/a/./b',
    '/a/../b',
    '/a\u0000',
    '/a\u0001',
    '/\ud83d\ude00',
  ]) {
    assert.notEqual(invalidPathReason(bad), null, JSON.stringify(bad));
  }
  assert.equal(invalidPathReason('/a/', true), null, 'sequential nodes may end in /');
  assert.notEqual(invalidPathReason(null), null);
});

test('snapshot serialization round-trips the tree, ephemerals and sessions', () => {
  const t = new DataTree();
  t.applyTxn(hdr(1n), { type: 'createSession', sessionId: -5n, timeoutMs: 4000 });
  t.applyTxn(hdr(2n), create('/x', 1));
  t.applyTxn(hdr(3n), create('/x/e', 1, -5n));
  t.applyTxn(hdr(4n), create('/c', 2, CONTAINER_EPHEMERAL_OWNER));
  const back = deserializeTree(serializeTree(t, 42));
  assert.ok(back);
  assert.equal(back.walSeq, 42);
  assert.equal(back.tree.lastZxid, 4n);
  assert.deepEqual(statOf(back.tree.get('/x')!), statOf(t.get('/x')!));
  assert.deepEqual([...back.tree.ephemerals.get(-5n)!], ['/x/e']);
  assert.deepEqual([...back.tree.containers], ['/c']);
  assert.equal(back.tree.sessions.get(-5n), 4000);
  assert.equal(deserializeTree('{"format":"sluice-zk-snapshot-1"'), null, 'a torn file is rejected');
});
