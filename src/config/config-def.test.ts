import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { atLeast, defineConfig, oneOf, overridesLayer, Password, range } from './config-def.ts';
import { ConfigError } from './config-error.ts';
import { parseProperties } from './properties.ts';

const def = defineConfig({
  'num.partitions': {
    type: 'int',
    default: 1,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Partitions.',
  },
  'retention.ms': { type: 'long', default: 604800000, importance: 'medium', doc: 'Retention.' },
  ratio: { type: 'double', default: 0.5, validator: range(0, 1), importance: 'low', doc: 'Ratio.' },
  name: { type: 'string', default: 'sluice', importance: 'low', doc: 'Name.' },
  secret: { type: 'password', default: null, importance: 'high', doc: 'Secret.' },
  enabled: { type: 'boolean', default: true, importance: 'high', doc: 'Enabled.' },
  dirs: { type: 'list', default: null, importance: 'high', doc: 'Dirs.' },
  mode: { type: 'enum', values: ['fast', 'safe'], default: 'safe', importance: 'low', doc: 'Mode.' },
  level: {
    type: 'string',
    default: 'info',
    validator: oneOf(['debug', 'info', 'warn']),
    importance: 'low',
    doc: 'Level.',
  },
});

function fileLayer(text: string, source = 'server.properties') {
  return { source, entries: parseProperties(text, source).entries.values() };
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('ConfigDef', () => {
  it('returns defaults when nothing is set', () => {
    const { values, warnings, origins } = def.parse([]);
    assert.equal(values['num.partitions'], 1);
    assert.equal(values['retention.ms'], 604800000);
    assert.equal(values.ratio, 0.5);
    assert.equal(values.name, 'sluice');
    assert.equal(values.secret, null);
    assert.equal(values.enabled, true);
    assert.equal(values.dirs, null);
    assert.equal(values.mode, 'safe');
    assert.deepEqual(warnings, []);
    assert.deepEqual(origins.get('name'), { source: 'default' });
  });

  it('parses typed values with Kafka rules (trim, case-insensitive booleans, comma lists)', () => {
    const { values, origins, raw } = def.parse([
      fileLayer(
        'num.partitions = 12 \nretention.ms=9223372036854775807\nratio=0.25\nname= x y \n' +
          'secret=hunter2\nenabled=FALSE\ndirs=/a , /b,/c\nmode=fast\n',
      ),
    ]);
    assert.equal(values['num.partitions'], 12);
    assert.equal(values['retention.ms'], Number(2n ** 63n - 1n));
    assert.equal(values.ratio, 0.25);
    assert.equal(values.name, 'x y');
    assert.ok(values.secret instanceof Password);
    assert.equal(values.secret.reveal(), 'hunter2');
    assert.equal(values.enabled, false);
    assert.deepEqual(values.dirs, ['/a', '/b', '/c']);
    assert.equal(values.mode, 'fast');
    assert.deepEqual(origins.get('dirs'), { source: 'server.properties', line: 7 });
    assert.equal(raw.get('num.partitions'), '12 ');
  });

  it('parses an empty list value as an empty list', () => {
    assert.deepEqual(def.parse([fileLayer('dirs=')]).values.dirs, []);
  });

  it('lets later layers win', () => {
    const { values, origins } = def.parse([
      fileLayer('num.partitions=3\nname=file'),
      overridesLayer(['num.partitions=7']),
    ]);
    assert.equal(values['num.partitions'], 7);
    assert.equal(values.name, 'file');
    assert.deepEqual(origins.get('num.partitions'), { source: '--override' });
  });

  it('names the file, line, key, value and expectation of a bad value', () => {
    const err = configError(() => def.parse([fileLayer('# c\nnum.partitions=abc\n')]));
    assert.equal(
      err.message,
      `server.properties:2: invalid value "abc" for 'num.partitions': expected an int (32-bit integer)`,
    );
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.key, 'num.partitions');
    assert.deepEqual(err.issues[0], {
      source: 'server.properties',
      line: 2,
      key: 'num.partitions',
      value: 'abc',
      expected: 'an int (32-bit integer)',
    });
  });

  it('reports validator failures with the validator expectation', () => {
    const err = configError(() => def.parse([overridesLayer(['num.partitions=0'])]));
    assert.equal(
      err.message,
      `--override: invalid value "0" for 'num.partitions': expected a value of at least 1`,
    );
    assert.match(
      configError(() => def.parse([overridesLayer(['ratio=2'])])).message,
      /expected a value in \[0, 1\]/,
    );
    assert.match(
      configError(() => def.parse([overridesLayer(['level=loud'])])).message,
      /"loud" for 'level': expected one of debug, info, warn/,
    );
    assert.match(
      configError(() => def.parse([overridesLayer(['mode=FAST'])])).message,
      /expected one of fast, safe/,
    );
  });

  it('rejects out-of-range and malformed numbers and booleans', () => {
    for (const bad of ['2147483648', '1.5', '', '0x10', '1e3']) {
      configError(() => def.parse([overridesLayer([`num.partitions=${bad}`])]));
    }
    configError(() => def.parse([overridesLayer(['retention.ms=9223372036854775808'])]));
    configError(() => def.parse([overridesLayer(['ratio=abc'])]));
    configError(() => def.parse([overridesLayer(['enabled=yes'])]));
  });

  it('reports every bad value at once', () => {
    const err = configError(() => def.parse([fileLayer('num.partitions=x\nenabled=maybe\n')]));
    assert.equal(err.issues.length, 2);
    assert.match(err.message, /2 configuration errors/);
    assert.match(err.message, /server\.properties:1: .*num\.partitions/);
    assert.match(err.message, /server\.properties:2: .*enabled/);
  });

  it('warns about unknown keys, and rejects them when strict', () => {
    const layers = [fileLayer('num.partitions=2\nprocess.roles=broker\n')];
    const { warnings, values } = def.parse(layers);
    assert.equal(values['num.partitions'], 2);
    assert.deepEqual(warnings, [
      {
        source: 'server.properties',
        line: 2,
        key: 'process.roles',
        message: `unknown configuration key 'process.roles' (ignored)`,
      },
    ]);
    const err = configError(() =>
      def.parse([fileLayer('num.partitions=2\nprocess.roles=broker\n')], { strict: true }),
    );
    assert.match(
      err.message,
      /server\.properties:2: invalid value "broker" for 'process\.roles': expected a known configuration key/,
    );
  });

  it('requires keys without a default', () => {
    const required = defineConfig({ 'node.id': { type: 'int', importance: 'high', doc: 'Id.' } });
    const err = configError(() => required.parse([overridesLayer([])]));
    assert.match(err.message, /missing value for 'node\.id': expected an int/);
    assert.equal(required.parse([overridesLayer(['node.id=4'])]).values['node.id'], 4);
  });

  it('refuses a default that fails its own validator', () => {
    assert.throws(
      () =>
        defineConfig({ x: { type: 'int', default: 0, validator: atLeast(1), importance: 'low', doc: '' } }),
      TypeError,
    );
  });

  it('rejects malformed overrides', () => {
    const err = configError(() => overridesLayer(['num.partitions']));
    assert.match(err.message, /--override: invalid value "num\.partitions" .*expected key=value/);
    assert.deepEqual([...overridesLayer(['a=b=c']).entries], [{ key: 'a', value: 'b=c' }]);
  });

  it('hides passwords from strings, JSON and inspect', () => {
    const p = new Password('hunter2');
    assert.equal(String(p), '[hidden]');
    assert.equal(JSON.stringify({ p }), '{"p":"[hidden]"}');
    assert.doesNotMatch(inspect({ p }), /hunter2/);
  });

  it('produces documentation rows', () => {
    const rows = def.docRows();
    assert.equal(rows.length, def.keys().length);
    assert.deepEqual(rows[0], {
      key: 'num.partitions',
      type: 'int',
      default: '1',
      validValues: 'a value of at least 1',
      importance: 'medium',
      doc: 'Partitions.',
    });
    assert.equal(rows.find((r) => r.key === 'mode')?.validValues, 'fast, safe');
  });
});
