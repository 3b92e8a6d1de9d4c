import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ConfigError } from '../../config/index.ts';
import { parseFlumeConfigText } from './flume-config.ts';

const fixture = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/flume/${path}`, import.meta.url)), 'utf8');

describe('parseFlumeConfigText', () => {
  it("reads Flume's template: aliases, lists and the agent's own keys", () => {
    const text = fixture('repo/conf/flume-conf.properties.template');
    const agent = parseFlumeConfigText(text, { agentName: 'agent', source: 'template' });
    assert.deepEqual(
      agent.sources.map((s) => [s.name, s.type, s.channels]),
      [['seqGenSrc', 'seq', ['memoryChannel']]],
    );
    assert.deepEqual(
      agent.channels.map((c) => [c.name, c.type, c.settings.capacity]),
      [['memoryChannel', 'memory', 100]],
    );
    assert.deepEqual(
      agent.sinks.map((k) => [k.name, k.type, k.channel]),
      [['loggerSink', 'logger', 'memoryChannel']],
    );
  });

  it('drops an empty value with a warning, as Flume does: a default applies, a required key is missing', () => {
    const base = [
      'a.sources = s',
      'a.channels = c',
      'a.sinks = k',
      'a.sources.s.type = seq',
      'a.sources.s.channels = c',
      'a.channels.c.type = memory',
      'a.sinks.k.type = logger',
      'a.sinks.k.channel = c',
    ];
    const withDefault = parseFlumeConfigText([...base, 'a.channels.c.capacity ='].join('\n'), {
      agentName: 'a',
      source: 'inline',
    });
    assert.equal(withDefault.channels[0]?.settings.capacity, 100);
    assert.ok(
      withDefault.warnings.some((w) => w.key === 'a.channels.c.capacity' && /empty value/.test(w.message)),
    );
    assert.throws(
      () =>
        parseFlumeConfigText([...base, 'a.sinks.k.channel ='].join('\n'), {
          agentName: 'a',
          source: 'inline',
        }),
      (err: unknown) => err instanceof ConfigError && /a\.sinks\.k\.channel/.test(err.message),
    );
  });

  it('maps Flume class names to types, case-insensitively for aliases', () => {
    const agent = parseFlumeConfigText(
      [
        'a.sources = s',
        'a.channels = c',
        'a.sinks = k',
        'a.sources.s.type = org.apache.flume.source.SequenceGeneratorSource',
        'a.sources.s.channels = c',
        'a.channels.c.type = MEMORY',
        'a.sinks.k.type = org.apache.flume.sink.LoggerSink',
        'a.sinks.k.channel = c',
      ].join('\n'),
      { agentName: 'a', source: 'inline' },
    );
    assert.deepEqual(
      [agent.sources[0]?.type, agent.channels[0]?.type, agent.sinks[0]?.type],
      ['seq', 'memory', 'logger'],
    );
  });

  it('names the file, key, value and expectation for a bad value; lenient drops the component', () => {
    const text = [
      'a.sources = s',
      'a.channels = c',
      'a.sinks = k',
      'a.sources.s.type = seq',
      'a.sources.s.channels = c',
      'a.channels.c.type = memory',
      'a.channels.c.capacity = lots',
      'a.sinks.k.type = logger',
      'a.sinks.k.channel = c',
    ].join('\n');
    assert.throws(
      () => parseFlumeConfigText(text, { agentName: 'a', source: 'flume.conf' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes('flume.conf') &&
        e.message.includes('a.channels.c.capacity') &&
        e.message.includes('lots'),
    );
    // Without its channel nothing usable is left, so even lenient parsing fails, naming the cause.
    assert.throws(() => parseFlumeConfigText(text, { agentName: 'a', source: 'flume.conf', lenient: true }));
  });

  it('refuses a batch larger than the channel transactionCapacity', () => {
    const text = [
      'a.sources = s',
      'a.channels = c',
      'a.sinks = k',
      'a.sources.s.type = seq',
      'a.sources.s.batchSize = 500',
      'a.sources.s.channels = c',
      'a.channels.c.type = memory',
      'a.channels.c.transactionCapacity = 100',
      'a.sinks.k.type = logger',
      'a.sinks.k.channel = c',
    ].join('\n');
    assert.throws(
      () => parseFlumeConfigText(text, { agentName: 'a', source: 'f' }),
      (e: unknown) => e instanceof ConfigError && /batchSize/.test(e.message),
    );
  });

  it('an unimplemented type is named with its key', () => {
    const text = fixture('userguide-1.11.0-examples/008-configuring-a-multi-agent-flow.properties');
    const agentName = /^(\S+?)\.sources\s*=/m.exec(text)?.[1] ?? 'agent';
    assert.throws(
      () => parseFlumeConfigText(text, { agentName, source: '008' }),
      (e: unknown) => e instanceof ConfigError && /\.type/.test(e.message),
    );
  });

  it('arbitrary text gives a ConfigError or a configuration, never another error', () => {
    const line = fc.oneof(
      fc.string(),
      fc
        .tuple(
          fc.constantFrom('a.sources', 'a.channels', 'a.sinks', 'a.sources.s', 'a.channels.c', 'a.sinks.k'),
          fc.constantFrom('', '.type', '.channels', '.channel', '.capacity', '.batchSize', '.selector.type'),
          fc.constantFrom('s', 'c', 'k', 'memory', 'seq', 'logger', '$' + '{env:X}', '-1', 'x y'),
        )
        .map(([k, sub, v]) => `${k}${sub} = ${v}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), (lines, lenient) => {
        try {
          parseFlumeConfigText(lines.join('\n'), { agentName: 'a', source: 'fuzz', lenient, env: {} });
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
