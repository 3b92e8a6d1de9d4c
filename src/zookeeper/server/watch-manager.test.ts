import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventType, WatcherType } from '../protocol/index.ts';
import { WatchManager } from './watch-manager.ts';

const w1 = { watcherId: 1 };
const w2 = { watcherId: 2 };

test('one-shot data and child watches fire once; a deleted node notifies each watcher once', () => {
  const m = new WatchManager<typeof w1>();
  m.addData('/a', w1);
  m.addChild('/a', w1);
  m.addChild('/a', w2);
  const d = m.trigger(EventType.nodeDeleted, '/a');
  assert.deepEqual(
    d.map((x) => x.watcher.watcherId),
    [1, 2],
  );
  assert.equal(m.trigger(EventType.nodeDeleted, '/a').length, 0, 'consumed');
  assert.equal(m.count(), 0);
});

test('data changes do not consume child watches, and child changes do not consume data watches', () => {
  const m = new WatchManager<typeof w1>();
  m.addData('/a', w1);
  m.addChild('/a', w2);
  assert.deepEqual(
    m.trigger(EventType.nodeChildrenChanged, '/a').map((x) => x.watcher),
    [w2],
  );
  assert.deepEqual(
    m.trigger(EventType.nodeDataChanged, '/a').map((x) => x.watcher),
    [w1],
  );
});

test('persistent watches stay; recursive ones cover the subtree but not child events', () => {
  const m = new WatchManager<typeof w1>();
  m.addPersistent('/p', w1, false);
  m.addPersistent('/r', w2, true);
  assert.equal(m.trigger(EventType.nodeChildrenChanged, '/p').length, 1);
  assert.equal(m.trigger(EventType.nodeChildrenChanged, '/p').length, 1, 'still armed');
  assert.equal(m.trigger(EventType.nodeCreated, '/r/x/y').length, 1);
  assert.equal(m.trigger(EventType.nodeChildrenChanged, '/r/x').length, 0);
  assert.equal(m.trigger(EventType.nodeDataChanged, '/rr').length, 0, 'prefix is by path component');
  assert.ok(m.has('/r', WatcherType.persistentRecursive, w2));
  assert.deepEqual(m.remove('/r', WatcherType.any, w2), [EventType.persistentWatchRemoved]);
  assert.equal(m.remove('/r', WatcherType.any, w2), null);
});

test('removeWatcher drops every watch of a closed connection', () => {
  const m = new WatchManager<typeof w1>();
  m.addData('/a', w1);
  m.addChild('/b', w1);
  m.addData('/a', w2);
  m.removeWatcher(w1);
  assert.equal(m.count(), 1);
  assert.deepEqual([...m.byWatcher().keys()], [w2]);
});
