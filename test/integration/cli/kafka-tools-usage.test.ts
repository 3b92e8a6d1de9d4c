import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSluice } from './support.ts';

describe('sluice Kafka tools: usage', () => {
  const flagsOf: Record<string, string[]> = {
    topics: [
      '--bootstrap-server',
      '--create',
      '--list',
      '--describe',
      '--alter',
      '--delete',
      '--topic',
      '--partitions',
      '--replication-factor',
      '--config',
      '--if-not-exists',
      '--if-exists',
    ],
    'console-producer': [
      '--bootstrap-server',
      '--topic',
      '--property',
      '--compression-codec',
      '--producer-property',
      '--request-required-acks',
      '--producer.config',
    ],
    'console-consumer': [
      '--bootstrap-server',
      '--topic',
      '--from-beginning',
      '--partition',
      '--offset',
      '--max-messages',
      '--timeout-ms',
      '--property',
      '--group',
    ],
    'get-offsets': ['--bootstrap-server', '--topic', '--partitions', '--time'],
    configs: [
      '--bootstrap-server',
      '--entity-type',
      '--entity-name',
      '--describe',
      '--all',
      '--alter',
      '--add-config',
      '--delete-config',
    ],
  };

  for (const [command, flags] of Object.entries(flagsOf)) {
    it(`${command} --help lists its Kafka flags`, async () => {
      const r = await runSluice([command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      for (const flag of flags) assert.match(r.stdout, new RegExp(`\\s${flag.replace('.', '\\.')}\\b`), flag);
    });
  }

  it('a missing action or --bootstrap-server is a usage error (exit 2)', async () => {
    const noAction = await runSluice(['topics', '--bootstrap-server', '127.0.0.1:9']);
    assert.equal(noAction.code, 2);
    assert.match(noAction.stderr, /exactly one of --create, --list, --describe, --alter or --delete/);
    const noBootstrap = await runSluice(['get-offsets', '--topic', 't']);
    assert.equal(noBootstrap.code, 2);
    assert.match(noBootstrap.stderr, /--bootstrap-server is required/);
    const badValue = await runSluice([
      'topics',
      '--bootstrap-server',
      '127.0.0.1:9',
      '--create',
      '--topic',
      't',
      '--partitions',
      '0',
    ]);
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /--partitions expects an integer/);
    const unknownFlag = await runSluice(['console-consumer', '--no-such-flag']);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option '--no-such-flag'/);
    const group = await runSluice([
      'configs',
      '--bootstrap-server',
      '127.0.0.1:9',
      '--entity-type',
      'users',
      '--describe',
    ]);
    assert.equal(group.code, 2);
    assert.match(group.stderr, /--entity-type users is not supported yet/);
  });
});
