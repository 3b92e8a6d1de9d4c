import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, overridesLayer, parseProperties } from '../../config/index.ts';
import { resolveBrokerConfig } from './broker-config.ts';

const resolve = (...overrides: string[]) => resolveBrokerConfig([overridesLayer(overrides)]);

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('resolveBrokerConfig', () => {
  it("uses Kafka's defaults", () => {
    const { config, warnings } = resolve();
    assert.deepEqual(config.listeners, [
      {
        name: 'PLAINTEXT',
        host: '',
        port: 9092,
        securityProtocol: 'PLAINTEXT',
        advertised: { name: 'PLAINTEXT', host: '', port: 9092 },
      },
    ]);
    assert.equal(config.nodeId, 1);
    assert.deepEqual(config.logDirs, ['/tmp/kraft-combined-logs']);
    assert.equal(config.numPartitions, 1);
    assert.equal(config.defaultReplicationFactor, 1);
    assert.equal(config.autoCreateTopicsEnable, true);
    assert.equal(config.messageBytesMax, 1048588);
    assert.equal(config.requestBytesMax, 104857600);
    assert.equal(config.idleTimeoutMs, 600000);
    assert.equal(config.connectionsPerIpMax, 2147483647);
    assert.equal(config.clusterId, null);
    assert.deepEqual(warnings, []);
  });

  it('loads the KRaft sample server.properties, skipping the controller listener and warning on unknown keys', () => {
    const text = [
      'process.roles=broker,controller',
      'node.id=3',
      'controller.quorum.bootstrap.servers=localhost:9093',
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      'inter.broker.listener.name=PLAINTEXT',
      'advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093',
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      'num.network.threads=3',
      'log.dirs=/var/lib/a,/var/lib/b',
      'num.partitions=3',
    ].join('\n');
    const { config, warnings } = resolveBrokerConfig([
      { source: 'server.properties', entries: parseProperties(text).entries.values() },
    ]);
    assert.equal(config.nodeId, 3);
    assert.equal(config.listeners.length, 1);
    assert.deepEqual(config.listeners[0]!.advertised, { name: 'PLAINTEXT', host: 'localhost', port: 9092 });
    assert.deepEqual(config.logDirs, ['/var/lib/a', '/var/lib/b']);
    assert.equal(config.numPartitions, 3);
    assert.deepEqual(
      warnings.map((w) => [w.key, w.line]),
      [
        ['process.roles', 1],
        ['controller.quorum.bootstrap.servers', 3],
        ['inter.broker.listener.name', 5],
        ['num.network.threads', 9],
      ],
    );
  });

  it('parses listener hosts, IPv6 brackets and port 0', () => {
    const { config } = resolve(
      'listeners=PLAINTEXT://127.0.0.1:0,internal://[::1]:9094',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
    );
    assert.deepEqual(
      config.listeners.map((l) => [l.name, l.host, l.port]),
      [
        ['PLAINTEXT', '127.0.0.1', 0],
        ['INTERNAL', '::1', 9094],
      ],
    );
  });

  it('takes broker.id when node.id is absent, and rejects a mismatch', () => {
    assert.equal(resolve('broker.id=7').config.nodeId, 7);
    assert.equal(resolve('node.id=4', 'broker.id=4').config.nodeId, 4);
    assert.match(
      configError(() => resolve('node.id=4', 'broker.id=5')).message,
      /broker\.id.*same id as node\.id \(4\)/,
    );
  });

  it('names key, value and expectation for invalid values', () => {
    assert.equal(
      configError(() => resolve('num.partitions=abc')).message,
      `--override: invalid value "abc" for 'num.partitions': expected an int (32-bit integer)`,
    );
    assert.match(configError(() => resolve('num.partitions=0')).message, /expected a value of at least 1/);
    assert.match(
      configError(() => resolve('listeners=localhost:9092')).message,
      /'listeners': expected NAME:\/\/host:port/,
    );
    assert.match(configError(() => resolve('listeners=PLAINTEXT://:70000')).message, /port in \[0, 65535\]/);
    assert.match(configError(() => resolve('listeners=SSL://:9093')).message, /PLAINTEXT listeners only/);
    assert.match(
      configError(() => resolve('listeners=FOO://:9093')).message,
      /security protocol for listener FOO/,
    );
    assert.match(
      configError(() => resolve('listeners=PLAINTEXT://0.0.0.0:9092')).message,
      /routable address/,
    );
    assert.match(configError(() => resolve('cluster.id=short')).message, /22-character base64url/);
    assert.match(
      configError(() => resolve('listeners=PLAINTEXT://:9092', 'advertised.listeners=OTHER://h:1')).message,
      /PLAINTEXT is missing/,
    );
  });

  it('accepts 0.0.0.0 when advertised.listeners names a routable host', () => {
    const { config } = resolve(
      'listeners=PLAINTEXT://0.0.0.0:9092',
      'advertised.listeners=PLAINTEXT://broker1:9092',
    );
    assert.deepEqual(config.listeners[0]!.advertised, { name: 'PLAINTEXT', host: 'broker1', port: 9092 });
  });

  it('rejects unknown keys in strict mode', () => {
    assert.match(
      configError(() => resolveBrokerConfig([overridesLayer(['nope=1'])], { strict: true })).message,
      /'nope': expected a known configuration key/,
    );
  });
});
