import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from './config-error.ts';
import { formatProperties, parseProperties } from './properties.ts';
import { loadPropertiesFile } from './properties-file.ts';

function parse(text: string): Record<string, string> {
  return Object.fromEntries([...parseProperties(text).entries.values()].map((e) => [e.key, e.value]));
}

describe('parseProperties', () => {
  it('skips comments and blank lines, with or without leading blanks', () => {
    assert.deepEqual(parse('# c1\n! c2\n   # c3\n\t! c4\n\n   \n\fa=1\n'), { a: '1' });
  });

  it('accepts =, : and blanks as separators, skipping blanks around them', () => {
    assert.deepEqual(parse('a=1\nb:2\nc 3\nd = 4\ne   :   5\nf\t=\t6\ng\f7'), {
      a: '1',
      b: '2',
      c: '3',
      d: '4',
      e: '5',
      f: '6',
      g: '7',
    });
  });

  it('keeps trailing blanks of values and everything after the first separator', () => {
    assert.deepEqual(parse('a=  x  \nb==c\nc b=c\nd = = e\ne:f:g=h'), {
      a: 'x  ',
      b: '=c',
      c: 'b=c',
      d: '= e',
      e: 'f:g=h',
    });
  });

  it('gives an empty value to a lone key or a key with only a separator', () => {
    assert.deepEqual(parse('alone\nsep=\ncolon:\n  spaced   \n'), {
      alone: '',
      sep: '',
      colon: '',
      spaced: '',
    });
  });

  it('reads escaped separators, blanks and comment characters in keys', () => {
    assert.deepEqual(parse('my\\ key\\=x\\:y = v\n\\#not-comment=1\n\\!also=2'), {
      'my key=x:y': 'v',
      '#not-comment': '1',
      '!also': '2',
    });
  });

  it('resolves escapes in values', () => {
    assert.deepEqual(parse('a=tab\\there\\nnew\\rret\\fff\nb=\\u00e9t\\u00E9\nc=\\q\\\\\\=\nd=\\ lead'), {
      a: 'tab\there\nnew\rret\fff',
      b: 'été',
      c: 'q\\=',
      d: ' lead',
    });
  });

  it('joins continuation lines, dropping the next line leading blanks', () => {
    assert.deepEqual(parse('a=one,\\\n    two,\\\n\t three\nb=x'), { a: 'one,two,three', b: 'x' });
    // A key may continue too.
    assert.deepEqual(parse('lo\\\n  ng=v'), { long: 'v' });
  });

  it('treats an even number of trailing backslashes as escaped backslashes', () => {
    assert.deepEqual(parse('a=x\\\\\nb=y'), { a: 'x\\', b: 'y' });
    assert.deepEqual(parse('a=x\\\\\\\nmore'), { a: 'x\\more' });
  });

  it('does not continue comment lines', () => {
    assert.deepEqual(parse('# comment \\\na=1'), { a: '1' });
  });

  it('does not treat a continued line starting with # as a comment', () => {
    assert.deepEqual(parse('a=x\\\n  #y'), { a: 'x#y' });
  });

  it('ends a logical line at a blank continuation line', () => {
    assert.deepEqual(parse('a=x\\\n   \nb=y'), { a: 'x', b: 'y' });
    assert.deepEqual(parse('a=x\\\n\nb=y'), { a: 'x', b: 'y' });
  });

  it('accepts CRLF and CR line ends, including in continuations', () => {
    assert.deepEqual(parse('a=1\r\nb=2\rc=3\\\r\n  4\r'), { a: '1', b: '2', c: '34' });
  });

  it('drops a backslash at the end of the file', () => {
    assert.deepEqual(parse('a=b\\'), { a: 'b' });
    assert.deepEqual(parse('a=b\\\n'), { a: 'b' });
  });

  it('ignores a UTF-8 byte-order mark', () => {
    assert.deepEqual(parse('\uFEFFa=1'), { a: '1' });
  });

  it('keeps the last definition of a key and records the earlier ones', () => {
    const p = parseProperties('a=1\nb=2\na=3\n');
    assert.deepEqual(
      [...p.entries.values()].map((e) => [e.key, e.value, e.line]),
      [
        ['b', '2', 2],
        ['a', '3', 3],
      ],
    );
    assert.deepEqual(p.overridden, [{ key: 'a', value: '1', line: 1 }]);
  });

  it('numbers entries by their first natural line', () => {
    const p = parseProperties('# header\n\na=1\\\n  2\nb=3\r\n\r\nc=4');
    assert.deepEqual(
      [...p.entries.values()].map((e) => [e.key, e.line]),
      [
        ['a', 3],
        ['b', 5],
        ['c', 7],
      ],
    );
  });

  it('rejects a malformed \\u escape, naming file, line and key', () => {
    assert.throws(
      () => parseProperties('ok=1\nbad=\\u12g4\n', 'server.properties'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(
          err.message,
          /^server\.properties:2: invalid value "\\\\u12g4" for 'bad': expected .*\\uXXXX/,
        );
        return true;
      },
    );
    assert.throws(() => parseProperties('k=\\u12'), ConfigError);
  });

  it('loads a Kafka-style server.properties', () => {
    const text = [
      '############################# Server Basics #############################',
      'process.roles=broker,controller',
      'node.id=1',
      'controller.quorum.bootstrap.servers=localhost:9093',
      '',
      '# The address the socket server listens on.',
      'listeners=PLAINTEXT://:9092,CONTROLLER://:9093',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,\\',
      '    SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
      'log.dirs=/tmp/kraft-combined-logs',
      'num.partitions=1',
    ].join('\n');
    const p = parse(text);
    assert.equal(p.listeners, 'PLAINTEXT://:9092,CONTROLLER://:9093');
    assert.equal(
      p['listener.security.protocol.map'],
      'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    );
    assert.equal(Object.keys(p).length, 7);
  });
});

/** Strings with the characters that need care: separators, escapes, blanks, line ends, non-ASCII. */
const trickyString = fc.string({
  unit: fc.oneof(
    fc.constantFrom('=', ':', ' ', '\t', '\f', '\n', '\r', '\\', '#', '!', 'u', 'é', '€', '\u0000', '😀'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 20,
});

describe('formatProperties / parseProperties round trip (property)', () => {
  it('parses back exactly what was written', () => {
    fc.assert(
      fc.property(fc.dictionary(trickyString, trickyString, { maxKeys: 12 }), (dict) => {
        const text = formatProperties(Object.entries(dict));
        const back = parse(text);
        assert.deepEqual(back, { ...dict });
      }),
      { numRuns: 500 },
    );
  });

  it('is insensitive to separator style, indentation, comments and continuations', () => {
    const layout = fc.record({
      separator: fc.constantFrom('=', ':', ' ', ' = ', '\t:\t', '  '),
      indent: fc.constantFrom('', ' ', '\t', '  \f'),
      comment: fc.constantFrom(null, '# note', '! note', '   #x\\'),
      breakAt: fc.nat(),
      continuationIndent: fc.constantFrom('', '    ', '\t'),
      lineEnd: fc.constantFrom('\n', '\r\n', '\r'),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(trickyString, trickyString, layout), { selector: (t) => t[0], maxLength: 8 }),
        (rows) => {
          let text = '';
          for (const [key, value, l] of rows) {
            if (l.comment) text += `${l.comment}${l.lineEnd}`;
            // Reuse the canonical escaping, then re-lay the line out.
            const line = formatProperties([[key, value]]).slice(0, -1);
            const escapedKey = line.slice(0, keyLength(line));
            const escapedValue = line.slice(escapedKey.length + 1);
            // An empty key written with a blank separator would read the value's text as the key.
            const separator = escapedKey === '' ? '=' : l.separator;
            const at = safeBreak(escapedValue, l.breakAt);
            const valueText =
              at === null
                ? escapedValue
                : `${escapedValue.slice(0, at)}\\${l.lineEnd}${l.continuationIndent}${escapedValue.slice(at)}`;
            text += `${l.indent}${escapedKey}${separator}${valueText}${l.lineEnd}`;
          }
          assert.deepEqual(parse(text), Object.fromEntries(rows.map(([k, v]) => [k, v])));
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Length of the escaped key at the start of a formatted line (up to the unescaped `=`). */
function keyLength(line: string): number {
  let i = 0;
  while (i < line.length && line[i] !== '=') i += line[i] === '\\' ? 2 : 1;
  return i;
}

/**
 * A position inside an escaped value where a continuation may be inserted: not inside an escape
 * sequence, and not before a blank (the continuation would drop it). Null when there is none.
 */
function safeBreak(escaped: string, seed: number): number | null {
  const candidates: number[] = [];
  let i = 0;
  while (i < escaped.length) {
    const step = escaped[i] === '\\' ? (escaped[i + 1] === 'u' ? 6 : 2) : 1;
    i += step;
    if (i < escaped.length && !/[ \t\f]/.test(escaped[i]!)) candidates.push(i);
  }
  if (candidates.length === 0) return null;
  return candidates[seed % candidates.length]!;
}

describe('loadPropertiesFile', () => {
  it('reads a UTF-8 file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-props-'));
    try {
      const file = join(dir, 'agent.properties');
      await writeFile(file, 'a1.sources = r1\na1.sources.r1.type = netcat\nname = café\n');
      const p = await loadPropertiesFile(file);
      assert.equal(p.entries.get('a1.sources.r1.type')?.value, 'netcat');
      assert.equal(p.entries.get('name')?.value, 'café');
      await writeFile(file, 'x=\\uZZZZ\n');
      await assert.rejects(loadPropertiesFile(file), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.startsWith(`${file}:1:`), err.message);
        return true;
      });
      await assert.rejects(
        loadPropertiesFile(join(dir, 'missing.properties')),
        /missing\.properties: expected a readable properties file \(ENOENT\)/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
