import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../config/index.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';
import { parseFlumeConfigText } from '../config/flume-config.ts';
import type { ReplacementPart } from './java-regex.ts';
import {
  type ExtractorSerializer,
  RegexExtractorInterceptor,
  regexExtractorInterceptorConfig,
} from './regex-extractor-interceptor.ts';
import { RegexFilteringInterceptor, regexFilteringInterceptorConfig } from './regex-filtering-interceptor.ts';
import {
  javaSplit,
  RemoveHeaderInterceptor,
  removeHeaderInterceptorConfig,
} from './remove-header-interceptor.ts';
import {
  type BodyCharset,
  bodyCharset,
  SearchReplaceInterceptor,
  searchReplaceInterceptorConfig,
} from './search-replace-interceptor.ts';
import { UuidInterceptor, uuidInterceptorConfig } from './uuid-interceptor.ts';

/**
 * The interceptors beyond timestamp/host/static, built from their Flume keys the way the agent
 * builds them (definition → typed values → class), and checked on the user guide's examples.
 */

type Keys = Record<string, string>;
const entries = (keys: Keys) => [
  { source: 'test', entries: Object.entries(keys).map(([key, value]) => ({ key, value })) },
];

const build: Record<string, (keys: Keys) => Interceptor> = {
  remove_header(keys) {
    const v = removeHeaderInterceptorConfig.parse(entries(keys)).values as Record<string, unknown>;
    return new RemoveHeaderInterceptor({
      withName: v.withName as string | null,
      fromListNames: v.fromListNames as string[],
      matchingRegex: v.matchingRegex as RegExp | null,
    });
  },
  search_replace(keys) {
    const v = searchReplaceInterceptorConfig.parse(entries(keys)).values as Record<string, unknown>;
    return new SearchReplaceInterceptor({
      regex: v.compiled as RegExp,
      replacement: v.replacement as ReplacementPart[],
      charset: v.bodyCharset as BodyCharset,
    });
  },
  regex_filter(keys) {
    const v = regexFilteringInterceptorConfig.parse(entries(keys)).values as Record<string, unknown>;
    return new RegexFilteringInterceptor({
      regex: v.compiled as RegExp,
      excludeEvents: v.excludeEvents as boolean,
    });
  },
  regex_extractor(keys) {
    const v = regexExtractorInterceptorConfig.parse(entries(keys)).values as Record<string, unknown>;
    return new RegexExtractorInterceptor({
      regex: v.compiled as RegExp,
      serializers: v.serializerList as ExtractorSerializer[],
    });
  },
  uuid(keys) {
    const v = uuidInterceptorConfig.parse(entries(keys)).values;
    let n = 0;
    return new UuidInterceptor(v, () => `uuid-${++n}`);
  },
};

interface Case {
  readonly name: string;
  readonly type: keyof typeof build;
  readonly keys: Keys;
  readonly input: { body: string; headers?: Record<string, string> };
  /** null: the event is dropped. */
  readonly output: { body: string; headers: Record<string, string> } | null;
}

const local = (y: number, mo: number, d: number, h: number, mi: number) =>
  String(new Date(y, mo - 1, d, h, mi).getTime());

const CASES: Case[] = [
  {
    name: 'user guide: remove leading alphanumeric characters',
    type: 'search_replace',
    keys: { searchPattern: '^[A-Za-z0-9_]+', replaceString: '' },
    input: { body: 'abc_123 the rest' },
    output: { body: ' the rest', headers: {} },
  },
  {
    name: 'user guide: reorder words with groups',
    type: 'search_replace',
    keys: {
      searchPattern: 'The quick brown ([a-z]+) jumped over the lazy ([a-z]+)',
      replaceString: 'The hungry $2 ate the careless $1',
    },
    input: { body: 'The quick brown fox jumped over the lazy dog' },
    output: { body: 'The hungry dog ate the careless fox', headers: {} },
  },
  {
    name: 'search_replace without replaceString deletes every match',
    type: 'search_replace',
    keys: { searchPattern: '\\d' },
    input: { body: 'a1b22c' },
    output: { body: 'abc', headers: {} },
  },
  {
    name: 'search_replace in ISO-8859-1',
    type: 'search_replace',
    keys: { searchPattern: 'é', replaceString: 'e', charset: 'iso-8859-1' },
    input: { body: 'café' },
    output: { body: 'cafe', headers: {} },
  },
  {
    name: 'user guide example 1: (\\d):(\\d):(\\d) into one, two, three',
    type: 'regex_extractor',
    keys: {
      regex: '(\\d):(\\d):(\\d)',
      serializers: 's1 s2 s3',
      'serializers.s1.name': 'one',
      'serializers.s2.name': 'two',
      'serializers.s3.name': 'three',
    },
    input: { body: '1:2:3.4foobar5' },
    output: { body: '1:2:3.4foobar5', headers: { one: '1', two: '2', three: '3' } },
  },
  {
    name: 'user guide example 2: a date into epoch millis with the millis serializer',
    type: 'regex_extractor',
    keys: {
      regex: '^(?:\\n)?(\\d\\d\\d\\d-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d)',
      serializers: 's1',
      'serializers.s1.type': 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer',
      'serializers.s1.name': 'timestamp',
      'serializers.s1.pattern': 'yyyy-MM-dd HH:mm',
    },
    input: { body: '2012-10-18 18:47:57,614 some log line' },
    output: {
      body: '2012-10-18 18:47:57,614 some log line',
      headers: { timestamp: local(2012, 10, 18, 18, 47) },
    },
  },
  {
    name: 'regex_extractor: more groups than serializers, the rest ignored; no match, no header',
    type: 'regex_extractor',
    keys: { regex: '(a)(b)', serializers: 's1', 'serializers.s1.name': 'first' },
    input: { body: 'xab' },
    output: { body: 'xab', headers: { first: 'a' } },
  },
  {
    name: 'regex_filter keeps matching events by default',
    type: 'regex_filter',
    keys: { regex: 'ERROR' },
    input: { body: 'an ERROR here' },
    output: { body: 'an ERROR here', headers: {} },
  },
  {
    name: 'regex_filter drops events that do not match',
    type: 'regex_filter',
    keys: { regex: 'ERROR' },
    input: { body: 'all fine' },
    output: null,
  },
  {
    name: 'regex_filter with excludeEvents drops the matching ones',
    type: 'regex_filter',
    keys: { regex: '(?i)^debug', excludeEvents: 'true' },
    input: { body: 'DEBUG noise' },
    output: null,
  },
  {
    name: 'regex_filter default .* keeps everything',
    type: 'regex_filter',
    keys: {},
    input: { body: '' },
    output: { body: '', headers: {} },
  },
  {
    name: 'remove_header withName, fromList and matching',
    type: 'remove_header',
    keys: { withName: 'a', fromList: 'b , c,d', matching: 'x-.*' },
    input: { body: 'x', headers: { a: '1', b: '2', c: '3', d: '4', 'x-y': '5', 'y-x-z': '6', keep: '7' } },
    output: { body: 'x', headers: { 'y-x-z': '6', keep: '7' } },
  },
  {
    name: 'remove_header with a custom separator',
    type: 'remove_header',
    keys: { fromList: 'one|two', fromListSeparator: '\\|' },
    input: { body: 'x', headers: { one: '1', two: '2', three: '3' } },
    output: { body: 'x', headers: { three: '3' } },
  },
  {
    name: 'uuid sets the id header',
    type: 'uuid',
    keys: {},
    input: { body: 'x' },
    output: { body: 'x', headers: { id: 'uuid-1' } },
  },
  {
    name: 'uuid keeps an existing id (preserveExisting true)',
    type: 'uuid',
    keys: {},
    input: { body: 'x', headers: { id: 'given' } },
    output: { body: 'x', headers: { id: 'given' } },
  },
  {
    name: 'uuid with headerName, prefix and preserveExisting false',
    type: 'uuid',
    keys: { headerName: 'eventId', prefix: 'host1-', preserveExisting: 'false' },
    input: { body: 'x', headers: { eventId: 'old' } },
    output: { body: 'x', headers: { eventId: 'host1-uuid-1' } },
  },
];

describe('interceptors (user guide examples)', () => {
  for (const c of CASES) {
    it(`${c.type}: ${c.name}`, () => {
      const input = () =>
        flumeEvent(Buffer.from(c.input.body, c.keys.charset ? 'latin1' : 'utf8'), c.input.headers ?? {});
      const single = build[c.type]!(c.keys).intercept(input());
      const batch = build[c.type]!(c.keys).interceptBatch([input()]);
      const view = (e: FlumeEvent | null | undefined) =>
        e ? { body: e.body.toString('latin1'), headers: e.headers } : null;
      const expected = c.output
        ? {
            body: Buffer.from(c.output.body, c.keys.charset ? 'latin1' : 'utf8').toString('latin1'),
            headers: c.output.headers,
          }
        : null;
      assert.deepEqual(view(single), expected);
      assert.deepEqual(view(batch[0]), expected);
      assert.equal(batch.length, expected ? 1 : 0);
    });
  }

  it('real uuid values are distinct v4 UUIDs', () => {
    const i = new UuidInterceptor({});
    const ids = i.interceptBatch([flumeEvent('a'), flumeEvent('b')]).map((e) => e.headers.id);
    assert.match(ids[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(ids[0], ids[1]);
  });

  it('javaSplit drops trailing empty strings as String.split does', () => {
    assert.deepEqual(javaSplit('a,b,,', /,/g), ['a', 'b']);
    assert.deepEqual(javaSplit('', /,/g), ['']);
    assert.deepEqual(javaSplit(',a', /,/g), ['', 'a']);
  });

  it('knows the Java charsets it can encode', () => {
    assert.equal(bodyCharset('utf8')?.name, 'UTF-8');
    assert.equal(bodyCharset('UTF-16BE')?.decode(Buffer.from([0, 0x41])), 'A');
    assert.deepEqual([...bodyCharset('US-ASCII')!.encode('aé')], [0x61, 0x3f]);
    assert.equal(bodyCharset('EBCDIC'), undefined);
  });
});

describe('interceptor configuration errors', () => {
  const agent = (lines: string[]) =>
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1',
      'a1.sources.r1.type = seq',
      'a1.sources.r1.channels = c1',
      'a1.sources.r1.interceptors = i1',
      ...lines.map((l) => `a1.sources.r1.interceptors.i1.${l}`),
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = null',
      'a1.sinks.k1.channel = c1',
    ].join('\n');
  const error = (lines: string[]): string => {
    try {
      parseFlumeConfigText(agent(lines), { agentName: 'a1', source: 'f.properties' });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.message;
    }
    assert.fail('expected a ConfigError');
  };

  it('accepts every new type by alias and class name', () => {
    for (const type of [
      'regex_filter',
      'org.apache.flume.interceptor.RegexFilteringInterceptor$Builder',
      'org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder',
      'REMOVE_HEADER',
    ]) {
      const c = parseFlumeConfigText(agent([`type = ${type}`]), { agentName: 'a1', source: 'f' });
      assert.equal(c.sources[0]!.interceptors.length, 1);
    }
  });

  it('names the key and value of a Java-only regex and says why', () => {
    const m = error(['type = regex_filter', 'regex = a*+b']);
    assert.match(m, /a1\.sources\.r1\.interceptors\.i1\.regex/);
    assert.match(m, /a\*\+b/);
    assert.match(m, /possessive quantifier/);
  });

  it('requires searchPattern, regex and serializer names', () => {
    assert.match(error(['type = search_replace']), /interceptors\.i1\.searchPattern/);
    assert.match(error(['type = regex_extractor', 'serializers = s1']), /interceptors\.i1\.regex/);
    assert.match(
      error(['type = regex_extractor', 'regex = (a)', 'serializers = s1']),
      /interceptors\.i1\.serializers\.s1\.name/,
    );
  });

  it('rejects a replacement referring to a missing group, a bad charset and a custom serializer', () => {
    assert.match(
      error(['type = search_replace', 'searchPattern = (a)', 'replaceString = $2']),
      /replaceString.*no group 2/s,
    );
    assert.match(
      error(['type = search_replace', 'searchPattern = a', 'charset = KOI8-R']),
      /KOI8-R.*i1\.charset/s,
    );
    assert.match(
      error([
        'type = regex_extractor',
        'regex = (a)',
        'serializers = s1',
        'serializers.s1.name = n',
        'serializers.s1.type = com.example.Mine',
      ]),
      /serializers\.s1\.type.*custom serializer/s,
    );
    assert.match(
      error([
        'type = regex_extractor',
        'regex = (a)',
        'serializers = s1',
        'serializers.s1.name = n',
        'serializers.s1.type = org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer',
        'serializers.s1.pattern = yyyy zzz',
      ]),
      /serializers\.s1\.pattern.*'z'/s,
    );
  });

  it('warns about serializer keys of unlisted serializers', () => {
    const c = parseFlumeConfigText(
      agent([
        'type = regex_extractor',
        'regex = (a)',
        'serializers = s1',
        'serializers.s1.name = n',
        'serializers.s2.name = m',
      ]),
      { agentName: 'a1', source: 'f' },
    );
    assert.ok(c.warnings.some((w) => w.key === 'a1.sources.r1.interceptors.i1.serializers.s2.name'));
  });
});
