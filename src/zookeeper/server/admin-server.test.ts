import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_COMMAND_NAMES, toAdminJson } from './admin-server.ts';
import { zooConfigFor } from './zoo-config.ts';

test('the AdminServer is off unless enabled or given a port explicitly', () => {
  assert.equal(zooConfigFor('/tmp/d').admin, null);
  assert.deepEqual(zooConfigFor('/tmp/d', { 'admin.serverPort': '9999' }).admin, {
    address: '0.0.0.0',
    port: 9999,
    commandUrl: '/commands',
  });
  assert.deepEqual(zooConfigFor('/tmp/d', { 'admin.enableServer': 'true' }).admin, {
    address: '0.0.0.0',
    port: 8080,
    commandUrl: '/commands',
  });
  assert.equal(
    zooConfigFor('/tmp/d', { 'admin.enableServer': 'false', 'admin.serverPort': '9999' }).admin,
    null,
  );
  assert.deepEqual(
    zooConfigFor('/tmp/d', {
      'admin.serverPort': '0',
      'admin.serverAddress': '127.0.0.1',
      'admin.commandURL': 'cmds/',
    }).admin,
    { address: '127.0.0.1', port: 0, commandUrl: '/cmds' },
  );
});

test('limits have ZooKeeper-like defaults', () => {
  const c = zooConfigFor('/tmp/d');
  assert.equal(c.outstandingLimit, 1000);
  assert.equal(c.maxWatchesPerSession, 100000);
  assert.equal(c.juteMaxBuffer, 0xfffff);
  assert.equal(c.maxClientCnxns, 60);
});

test('JSON keeps 64-bit values exact and lists every required command', () => {
  const text = toAdminJson({
    command: 'x',
    error: null,
    id: -9223372036854775807n,
    list: [1n, 'a'],
    empty: {},
  });
  assert.match(text, /"id" : -9223372036854775807/);
  assert.match(text, /"list" : \[ 1, "a" \]/);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  assert.equal(parsed.command, 'x');
  assert.equal(parsed.error, null);
  assert.deepEqual(parsed.empty, {});
  for (const name of [
    'ruok',
    'server_stats',
    'stats',
    'monitor',
    'configuration',
    'connections',
    'watch_summary',
    'watches',
    'watches_by_path',
    'dump',
    'environment',
    'is_read_only',
    'dirs',
  ]) {
    assert.ok(ADMIN_COMMAND_NAMES.includes(name), name);
  }
});
