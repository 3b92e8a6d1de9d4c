import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compileJavaFullMatch,
  compileJavaRegex,
  JavaRegexError,
  parseJavaReplacement,
  replaceAllJava,
  translateJavaRegex,
} from './java-regex.ts';

/** fc.letrec's `tie` is untyped; every arbitrary here builds pattern text. */
const str = (a: fc.Arbitrary<unknown>) => a as fc.Arbitrary<string>;

const find = (pattern: string, input: string): string[] | null => {
  const m = compileJavaRegex(pattern).regex.exec(input);
  return m ? [...m].map((g) => g ?? '<unset>') : null;
};

describe('translateJavaRegex', () => {
  it('keeps the matches of the user guide patterns', () => {
    assert.deepEqual(find('(\\d):(\\d):(\\d)', 'x 1:2:3 y'), ['1:2:3', '1', '2', '3']);
    assert.deepEqual(
      find('^(?:\\n)?(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)', '2012-10-18 18:47:57,614 some'),
      ['2012-10-18 18:47', '2012-10-18 18:47'],
    );
    assert.deepEqual(find('^[A-Za-z0-9_]+', 'abc_12 rest'), ['abc_12']);
  });

  const cases: [string, string, boolean][] = [
    // [pattern, input, Java's find()]
    ['(?i)abc', 'xABCx', true],
    ['(?i)é', 'É', false],
    ['(?iu)é', 'É', true],
    ['(?i)[a-c]', 'B', true],
    ['(?i)[^a]', 'A', false],
    ['(?i)(a)\\1', 'aA', true],
    ['a(?i)b|c', 'C', true],
    ['a(?i)b|c', 'Ab', false],
    ['(a(?i)b)c', 'aBC', false],
    ['(?i)(?-i:a)', 'A', false],
    ['(?i:a)b', 'AB', false],
    ['(?x) a b # comment\n c', 'abc', true],
    ['(?x)[ a]', ' ', false],
    ['[]a]', ']', true],
    ['[^]a]', 'b', true],
    ['[\\w-a]', '-', true],
    ['a$', 'a\n', true],
    ['a$', 'a\r\n', true],
    ['a$', 'a\n\n', false],
    ['(?m)^$', 'a\n', false],
    ['(?m)^', '', false],
    ['(?m)a$', 'a\nb', true],
    ['.', '\u0085', false],
    ['(?s).', '\n', true],
    ['(?d).', '\r', true],
    ['\\s', '\u00a0', false],
    ['\\h', '\u00a0', true],
    ['\\v', '\u2028', true],
    ['\\bé', 'é', true],
    ['\\Bb', 'ab', true],
    ['\\Qa.b\\E', 'axb', false],
    ['\\Qa.b\\E', 'a.b', true],
    ['[\\Q]\\E]', ']', true],
    ['\\0101', 'A', true],
    ['\\x{1F600}', '\u{1F600}', true],
    ['\\uD83D\\uDE00', '\u{1F600}', true],
    ['\\e\\a', '\x1b\x07', true],
    ['\\cA', '\x01', true],
    ['\\5', '5', false],
    ['(a)\\11', 'aa1', true],
    ['(a)\\11', 'a1', false],
    ['\\p{Lower}+', 'abc', true],
    ['\\p{Upper}', 'abc', false],
    ['\\p{IsLatin}', 'é', true],
    ['\\p{L}', 'ж', true],
    ['\\pL', '1', false],
    ['\\P{Alpha}', 'a', false],
    ['\\p{IsAlphabetic}', 'ж', true],
    ['^*a', 'a', true],
    ['\\b+a', 'a', true],
    ['\\Aab\\z', 'ab', true],
    ['ab\\Z', 'ab\n', true],
    ['ab\\z', 'ab\n', false],
    ['a\\Rb', 'a\r\nb', true],
    ['a}', 'a}', true],
    ['a]', 'a]', true],
    ['(?<year>\\d{4})-\\k<year>', '2020-2020', true],
    ['\\#\\@', '#@', true],
  ];
  for (const [pattern, input, expected] of cases) {
    it(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(compileJavaRegex(pattern).regex.test(input), expected);
    });
  }

  const refused: [string, RegExp][] = [
    ['a*+', /possessive quantifier '\*\+'/],
    ['a{1,2}+', /possessive/],
    ['(?>a)', /atomic groups/],
    ['[a-z&&[^e]]', /intersection/],
    ['[a[b]]', /union/],
    ['\\G', /\\G/],
    ['\\X', /grapheme/],
    ['\\p{InGreek}', /blocks/],
    ['\\p{javaLowerCase}', /java\.lang\.Character/],
    ['(?U)\\w', /UNICODE_CHARACTER_CLASS/],
    ['a{', /illegal repetition/],
    ['{a}', /illegal repetition/],
    ['a**', /dangling meta character/],
    ['*a', /dangling/],
    ['\\y', /unsupported escape sequence '\\y'/],
    ['(a', /unclosed group/],
    ['a)', /unmatched closing/],
    ['[a', /unclosed character class/],
    ['[a-\\w]', /illegal character range/],
    ['x{2,1}', /illegal repetition range/],
    ['\\k<nope>', /does not exist/],
    ['(?<a>x)(?<a>y)', /already defined/],
    ['(?q)', /unknown group type/],
    ['(?iq)', /unknown inline modifier/],
  ];
  for (const [pattern, message] of refused) {
    it(`refuses ${JSON.stringify(pattern)}`, () => {
      assert.throws(
        () => translateJavaRegex(pattern),
        (err: unknown) => err instanceof JavaRegexError && message.test(err.message),
      );
    });
  }

  it('matches() needs the whole input', () => {
    const r = compileJavaFullMatch('X-.*|id').regex;
    assert.equal(r.test('X-foo'), true);
    assert.equal(r.test('aX-foo'), false);
    assert.equal(r.test('idx'), false);
    assert.equal(r.test('id'), true);
  });

  // Patterns built only from constructs Java and JavaScript read the same way.
  const commonPattern = fc.letrec((tie) => ({
    atom: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(
        'a',
        'b',
        'c',
        'A',
        '1',
        '-',
        ' ',
        'é',
        '\\d',
        '\\w',
        '\\W',
        '\\D',
        '\\.',
        '[ab]',
        '[^a]',
        '[a-c1]',
        '[\\d-]',
      ),
      fc
        .tuple(fc.constantFrom('(', '(?:', '(?=', '(?!', '(?<='), str(tie('alt')))
        .map(([o, a]) => `${o}${a})`),
    ),
    piece: fc
      .tuple(str(tie('atom')), fc.constantFrom('', '', '*', '+', '?', '{1,2}', '*?', '+?', '??', '{2}'))
      .map(([a, q]) => (a.startsWith('(?=') || a.startsWith('(?!') || a.startsWith('(?<=') ? a : `${a}${q}`)),
    seq: fc.array(str(tie('piece')), { minLength: 1, maxLength: 4 }).map((p) => p.join('')),
    alt: fc.array(str(tie('seq')), { minLength: 1, maxLength: 2 }).map((s) => s.join('|')),
  }));
  const input = fc
    .array(fc.constantFrom('a', 'b', 'c', 'A', '1', '-', ' ', 'é', '.', '_'), { maxLength: 8 })
    .map((c) => c.join(''));

  it('patterns without Java-only constructs match exactly as JavaScript reads them (property)', () => {
    fc.assert(
      fc.property(commonPattern.alt, fc.array(input, { minLength: 1, maxLength: 4 }), (pattern, inputs) => {
        const translated = compileJavaRegex(pattern).regex;
        const direct = new RegExp(pattern, 'u');
        for (const s of inputs)
          assert.deepEqual(translated.exec(s)?.slice(), direct.exec(s)?.slice(), `${pattern} on ${s}`);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but JavaRegexError and never hangs on arbitrary text (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.string({
          maxLength: 30,
          unit: fc.constantFrom(...'\\[]()^$.*+?{},-|:=!<>&#aAx0123dswbpPQEkuc iUm'.split('')),
        }),
        (p) => {
          try {
            translateJavaRegex(p);
          } catch (err) {
            assert.ok(err instanceof JavaRegexError, `${p}: ${String(err)}`);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('Java replacement strings', () => {
  const replaceAll = (pattern: string, input: string, replacement: string): string => {
    const r = compileJavaRegex(pattern, 'g');
    return replaceAllJava(input, r.regex, parseJavaReplacement(replacement, r.groupCount, r.groupNames));
  };

  it('reorders groups as in the user guide example', () => {
    assert.equal(
      replaceAll(
        'The quick brown ([a-z]+) jumped over the lazy ([a-z]+)',
        'The quick brown fox jumped over the lazy dog.',
        'The hungry $2 ate the careless $1',
      ),
      'The hungry dog ate the careless fox.',
    );
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: Java replacement syntax, not a template
  it('reads $n, ${name}, escapes and multi-digit references as Java does', () => {
    assert.equal(replaceAll('(a)', 'a', '$11'), 'a1');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Java replacement syntax, not a template
    assert.equal(replaceAll('(?<w>b+)', 'abbc', '<${w}>'), 'a<bb>c');
    assert.equal(replaceAll('x', 'x', '\\$1\\\\'), '$1\\');
    assert.equal(replaceAll('(a)|b', 'ab', '[$1]'), '[a][]');
    assert.equal(replaceAll('x*', 'ab', '-'), '-a-b-');
    assert.equal(replaceAll('^[A-Za-z0-9_]+', 'abc def', ''), ' def');
  });

  it('rejects references Java would reject', () => {
    assert.throws(() => parseJavaReplacement('$2', 1, []), /no group 2/);
    assert.throws(() => parseJavaReplacement('$x', 1, []), /illegal group reference/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Java replacement syntax, not a template
    assert.throws(() => parseJavaReplacement('${n}', 1, []), /no group with name/);
    assert.throws(() => parseJavaReplacement('a\\', 1, []), /to be escaped is missing/);
  });
});

/**
 * The same translations checked against java.util.regex itself, when a JDK is installed: random
 * patterns (Java-specific constructs included) and inputs, Java's find() span and groups compared
 * with the translated RegExp's.
 */
const JAVA = spawnSync('java', ['-version'], { encoding: 'utf8' }).status === 0;
const HARNESS = `
import java.util.*; import java.util.regex.*; import java.io.*;
public class Harness {
  public static void main(String[] a) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    Base64.Decoder d = Base64.getDecoder();
    String line;
    while ((line = in.readLine()) != null) {
      String[] f = line.split(" ", -1);
      String p = new String(d.decode(f[0]), "UTF-8"), s = new String(d.decode(f[1]), "UTF-8");
      try {
        Matcher m = Pattern.compile(p).matcher(s);
        if (!m.find()) { out.println("NO"); continue; }
        StringBuilder b = new StringBuilder();
        for (int g = 0; g <= m.groupCount(); g++) b.append(m.start(g)).append(',').append(m.end(g)).append(' ');
        out.println(b.toString().trim());
      } catch (PatternSyntaxException e) { out.println("ERR"); }
    }
  }
}`;

describe('translateJavaRegex against java.util.regex', { skip: JAVA ? false : 'no java on PATH' }, () => {
  it('gives the same find() result for random patterns (differential property)', () => {
    const javaAtom = fc.constantFrom(
      'a',
      'b',
      'A',
      'é',
      '1',
      ' ',
      '\\n',
      '\\r',
      '.',
      '^',
      '$',
      '\\b',
      '\\B',
      '\\s',
      '\\S',
      '\\h',
      '\\v',
      '\\w',
      '\\d',
      '\\R',
      '\\z',
      '\\Z',
      '\\A',
      '[ab\\s]',
      '[^a\\n]',
      '\\p{Alpha}',
      '\\p{L}',
      '\\P{Lower}',
      '\\x41',
      '\\u00e9',
      '\\Q.$\\E',
      '\\e',
      '\\0141',
    );
    const pattern = fc.letrec((tie) => ({
      atom: fc.oneof(
        { depthSize: 'small' },
        javaAtom,
        fc
          .tuple(
            fc.constantFrom('(', '(?:', '(?i:', '(?iu:', '(?-i:', '(?s:', '(?m:', '(?='),
            str(tie('alt')),
          )
          .map(([o, x]) => `${o}${x})`),
      ),
      // Groups stay unquantified: Java and JavaScript differ by design on captures inside repeated
      // groups and on repeated groups that can match the empty string.
      piece: fc
        .tuple(str(tie('atom')), fc.constantFrom('', '', '', '*', '+', '?', '{1,2}', '*?'))
        .map(([x, q]) => (/\)$|^(\^|\$|\\[bBAzZ])$/.test(x) && !x.startsWith('\\Q') ? x : `${x}${q}`)),
      seq: fc.array(str(tie('piece')), { minLength: 1, maxLength: 3 }).map((p) => p.join('')),
      alt: fc
        .tuple(
          fc.constantFrom('', '', '(?i)', '(?iu)', '(?m)', '(?s)', '(?d)', '(?ms)'),
          fc.array(str(tie('seq')), { minLength: 1, maxLength: 2 }),
        )
        .map(([flags, s]) => `${flags}${s.join('|')}`),
    }));
    const text = fc
      .array(
        fc.constantFrom('a', 'b', 'A', 'é', 'É', '1', ' ', '\n', '\r', '\u0085', '\u2028', '.', '$', '_'),
        { maxLength: 7 },
      )
      .map((c) => c.join(''));
    const samples = fc.sample(fc.tuple(pattern.alt, text), { numRuns: 1500, seed: 7 });

    const dir = mkdtempSync(join(tmpdir(), 'sluice-java-regex-'));
    try {
      writeFileSync(join(dir, 'Harness.java'), HARNESS);
      const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
      const run = spawnSync('java', [join(dir, 'Harness.java')], {
        input: samples.map(([p, s]) => `${b64(p)} ${b64(s)}`).join('\n'),
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(run.status, 0, run.stderr);
      const answers = run.stdout.trim().split('\n');
      assert.equal(answers.length, samples.length);
      let compared = 0;
      const failures: string[] = [];
      samples.forEach(([p, s], k) => {
        const java = answers[k]!;
        if (java === 'ERR') return;
        compared++;
        const m = compileJavaRegex(p).regex.exec(s);
        // Java keeps captures made inside a lookahead that a later failure backtracked over;
        // JavaScript clears them. Only the span is compared for patterns with lookaheads.
        const groupsToo = !p.includes('(?=');
        const ours = m ? [`${m.index},${m.index + m[0].length}`, ...(groupsToo ? m.slice(1) : [])] : ['NO'];
        const theirs =
          java === 'NO'
            ? ['NO']
            : java
                .split(' ')
                .slice(0, groupsToo ? undefined : 1)
                .map((g, n) => {
                  const [start, end] = g.split(',').map(Number) as [number, number];
                  return n === 0 ? g : start < 0 ? undefined : s.slice(start, end);
                });
        if (JSON.stringify(ours) !== JSON.stringify(theirs))
          failures.push(
            `${JSON.stringify(p)} on ${JSON.stringify(s)}: ours ${JSON.stringify(ours)}, Java ${JSON.stringify(theirs)}`,
          );
      });
      // The shortest failing pattern is the easiest to read.
      failures.sort((a, b) => a.length - b.length);
      assert.deepEqual(failures.slice(0, 3), []);
      assert.ok(compared > samples.length / 2, `only ${compared} patterns compiled in Java`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
