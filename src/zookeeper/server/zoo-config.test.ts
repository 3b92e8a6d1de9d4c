import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../config/index.ts';
import { resolveZooConfig } from './zoo-config.ts';

const layer = (text: string) => ({
  source: '/etc/zoo.cfg',
  entries: text
    .trim()
    .split('\n')
    .map((l, i) => {
      const [key, ...rest] = l.split('=');
      return { key: key!, value: rest.join('='), line: i + 1 };
    }),
});

test('defaults follow ZooKeeper: session bounds 2x and 20x tickTime, whitelist srvr', () => {
  const { config } = resolveZooConfig([layer('tickTime=2000\ndataDir=/var/zk\nclientPort=2181')]);
  assert.equal(config.minSessionTimeoutMs, 4000);
  assert.equal(config.maxSessionTimeoutMs, 40000);
  assert.deepEqual([...config.fourLetterWords], ['srvr']);
  assert.equal(config.dataLogDir, '/var/zk');
  assert.equal(config.snapRetainCount, 3);
  assert.equal(config.forceSync, true);
});

test('server.N lines are parsed and validated', () => {
  const { config } = resolveZooConfig([
    layer(
      'dataDir=/d\nclientPort=2181\ninitLimit=5\nsyncLimit=2\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer;2181',
    ),
  ]);
  assert.deepEqual(config.servers[1], {
    id: 2,
    host: 'zk2',
    quorumPort: 2888,
    electionPort: 3888,
    role: 'observer',
    clientPort: 2181,
  });
  assert.throws(
    () => resolveZooConfig([layer('dataDir=/d\nclientPort=2181\nserver.1=zk1:2888')]),
    (e: unknown) => e instanceof ConfigError && /server\.1/.test(e.message),
  );
});

test('invalid values name the file, line, key, value and expectation', () => {
  assert.throws(
    () => resolveZooConfig([layer('dataDir=/d\nclientPort=99999')]),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.includes('/etc/zoo.cfg:2') &&
      e.message.includes("'clientPort'") &&
      e.message.includes('99999'),
  );
  assert.throws(
    () => resolveZooConfig([layer('clientPort=2181')]),
    (e: unknown) => e instanceof ConfigError && e.message.includes('dataDir'),
  );
  assert.throws(
    () => resolveZooConfig([layer('dataDir=/d\nclientPort=1\n4lw.commands.whitelist=ruok,bogus')]),
    (e: unknown) => e instanceof ConfigError && e.message.includes('4lw.commands.whitelist'),
  );
  assert.throws(
    () =>
      resolveZooConfig([layer('dataDir=/d\nclientPort=1\nminSessionTimeout=50000\nmaxSessionTimeout=10000')]),
    (e: unknown) => e instanceof ConfigError && e.message.includes('minSessionTimeout'),
  );
});

test('* enables every four-letter word', () => {
  const { config } = resolveZooConfig([layer('dataDir=/d\nclientPort=1\n4lw.commands.whitelist=*')]);
  assert.ok(config.fourLetterWords.has('mntr') && config.fourLetterWords.has('dump'));
});
