import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { runSluice } from '../cli/support.ts';
import { PYTHON } from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';

const run = promisify(execFile);

/**
 * Dynamic broker configs with real clients: confluent-kafka-python (librdkafka) AlterConfigs on the
 * broker resource, `sluice configs` on the cluster default, kafkajs DescribeConfigs of a topic, and a
 * restart that must keep the values.
 */
const CONFLUENT_SCRIPT = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({"bootstrap.servers": sys.argv[1]})
out = {}
def alter(name, configs):
    res = ConfigResource("broker", name, set_config=configs)
    try:
        list(admin.alter_configs([res]).values())[0].result(10)
        return "ok"
    except Exception as e:
        return str(e)
out["alter"] = alter("1", {"log.retention.ms": "1000"})
out["static"] = alter("1", {"num.partitions": "4"})
fs = admin.describe_configs([ConfigResource("topic", sys.argv[2])])
entry = list(fs.values())[0].result(10)["retention.ms"]
out["topic"] = {"value": entry.value, "source": int(entry.source),
                "synonyms": [[int(s.source), s.name, s.value] for s in entry.synonyms.values()]}
fs = admin.describe_configs([ConfigResource("broker", "1")])
b = list(fs.values())[0].result(10)["log.retention.ms"]
out["broker"] = {"value": b.value, "source": int(b.source), "readOnly": b.is_read_only}
print(json.dumps(out))
`;

describe('dynamic broker configs with real clients, across a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-dynamic-it-'));
  let proc: SluiceProcess;
  let port: number;

  before(async () => {
    ({ proc, port } = await startBroker([
      '--override',
      `log.dirs=${dataDir}`,
      '--override',
      'log.retention.hours=2',
    ]));
  });
  after(async () => {
    await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const kafkajsRetention = async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'it-dynamic',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const res = await admin.describeConfigs({
        resources: [{ type: 2, name: 'dyn-plain', configNames: ['retention.ms', 'segment.bytes'] }],
        includeSynonyms: true,
      });
      return Object.fromEntries(
        res.resources[0]!.configEntries.map((e) => [
          e.configName,
          {
            value: e.configValue,
            source: (e as unknown as { configSource: number }).configSource,
            synonyms: (e.configSynonyms ?? []).map((s) => [s.configSource, s.configName, s.configValue]),
          },
        ]),
      );
    } finally {
      await admin.disconnect();
    }
  };

  it('librdkafka alters the broker resource; the topic reports DYNAMIC_BROKER_CONFIG; kept after a restart', async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: 'it-dyn',
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'dyn-plain', numPartitions: 1 }] });
    await admin.disconnect();

    const { stdout } = await run(PYTHON, ['-c', CONFLUENT_SCRIPT, `127.0.0.1:${port}`, 'dyn-plain'], {
      timeout: 30_000,
    });
    const out = JSON.parse(stdout) as {
      alter: string;
      static: string;
      topic: { value: string; source: number; synonyms: [number, string, string][] };
      broker: { value: string; source: number; readOnly: boolean };
    };
    assert.equal(out.alter, 'ok');
    assert.match(out.static, /Cannot update these configs dynamically: \[num\.partitions\]/);
    // confluent-kafka-python keys synonyms by name, so only one per name survives; kafkajs below
    // checks the whole chain.
    assert.deepEqual([out.topic.value, out.topic.source], ['1000', 2]);
    assert.deepEqual(out.broker, { value: '1000', source: 2, readOnly: false });

    // The cluster-wide default through the CLI (kafka-configs.sh --entity-default).
    const cli = await runSluice([
      'configs',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--entity-type',
      'brokers',
      '--entity-default',
      '--alter',
      '--add-config',
      'log.segment.bytes=2000000',
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Completed updating default config for brokers in the cluster/);
    const defaults = await runSluice([
      'configs',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--entity-type',
      'brokers',
      '--entity-default',
      '--describe',
    ]);
    assert.equal(defaults.code, 0, defaults.stderr);
    assert.equal(
      defaults.stdout,
      'Default configs for brokers in the cluster are:\n' +
        '  log.segment.bytes=2000000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=2000000}\n',
    );
    const perBroker = await runSluice([
      'configs',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--entity-type',
      'brokers',
      '--entity-name',
      '1',
      '--alter',
      '--add-config',
      'log.cleaner.delete.retention.ms=5000',
    ]);
    assert.equal(perBroker.code, 0, perBroker.stderr);
    const shown = await runSluice([
      'configs',
      '--bootstrap-server',
      `127.0.0.1:${port}`,
      '--entity-type',
      'brokers',
      '--entity-name',
      '1',
      '--describe',
    ]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      /^ {2}log\.retention\.ms=1000 sensitive=false synonyms=\{DYNAMIC_BROKER_CONFIG:log\.retention\.ms=1000, STATIC_BROKER_CONFIG:log\.retention\.hours=2, DEFAULT_CONFIG:log\.retention\.hours=168\}$/m,
    );
    assert.match(shown.stdout, /^ {2}log\.cleaner\.delete\.retention\.ms=5000 /m);

    const before = await kafkajsRetention();
    assert.deepEqual(before['retention.ms'], {
      value: '1000',
      source: 2,
      synonyms: [
        [2, 'log.retention.ms', '1000'],
        [4, 'log.retention.ms', '7200000'],
        [5, 'log.retention.ms', '604800000'],
      ],
    });
    assert.equal(before['segment.bytes']?.value, '2000000');
    assert.equal(before['segment.bytes']?.source, 3);

    assert.equal(await proc.stop(), 0, 'clean exit on SIGTERM');
    ({ proc } = await startBroker([
      '--override',
      `log.dirs=${dataDir}`,
      '--override',
      'log.retention.hours=2',
      '--override',
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
    ]));
    const afterRestart = await kafkajsRetention();
    assert.deepEqual(afterRestart, before, 'dynamic configs survive a restart');
  });
});
