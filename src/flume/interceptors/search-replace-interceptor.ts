import { defineConfig, nonEmptyString } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';
import { extendedConfig } from '../config/extended-config.ts';
import { JavaRegexError, parseJavaReplacement, type ReplacementPart, replaceAllJava } from './java-regex.ts';
import { javaRegexSetting } from './remove-header-interceptor.ts';

/** A Java charset name Sluice can decode and encode bodies with. */
export interface BodyCharset {
  readonly name: string;
  decode(body: Buffer): string;
  encode(text: string): Buffer;
}

/** Java encoders write '?' for characters the charset cannot hold. */
const narrow = (max: number) => (text: string) =>
  Buffer.from(Array.from(text, (c) => (c.codePointAt(0)! <= max ? c.codePointAt(0)! : 0x3f)));

const CHARSETS: readonly BodyCharset[] = [
  { name: 'UTF-8', decode: (b) => b.toString('utf8'), encode: (t) => Buffer.from(t, 'utf8') },
  { name: 'ISO-8859-1', decode: (b) => b.toString('latin1'), encode: narrow(0xff) },
  {
    name: 'US-ASCII',
    decode: (b) => Array.from(b, (x) => (x < 0x80 ? String.fromCharCode(x) : '\ufffd')).join(''),
    encode: narrow(0x7f),
  },
  { name: 'UTF-16LE', decode: (b) => b.toString('utf16le'), encode: (t) => Buffer.from(t, 'utf16le') },
  {
    name: 'UTF-16BE',
    decode: (b) =>
      Buffer.from(b.subarray(0, b.length & ~1))
        .swap16()
        .toString('utf16le'),
    encode: (t) => Buffer.from(t, 'utf16le').swap16(),
  },
];
const ALIASES: Readonly<Record<string, string>> = {
  UTF8: 'UTF-8',
  LATIN1: 'ISO-8859-1',
  'ISO8859-1': 'ISO-8859-1',
  ISO8859_1: 'ISO-8859-1',
  ASCII: 'US-ASCII',
  UTF_16LE: 'UTF-16LE',
  UTF_16BE: 'UTF-16BE',
};

/** Looks a Java charset name up (case-insensitively, with Java's common aliases). */
export function bodyCharset(name: string): BodyCharset | undefined {
  const upper = name.toUpperCase();
  const canonical = ALIASES[upper] ?? upper;
  return CHARSETS.find((c) => c.name === canonical);
}

/** Flume 1.11 SearchAndReplaceInterceptor (`search_replace`) keys and defaults. */
export const searchReplaceInterceptorConfig = extendedConfig({
  fixed: defineConfig({
    searchPattern: {
      type: 'string',
      validator: nonEmptyString(),
      importance: 'high',
      doc: 'Java regular expression to search for in the body.',
    },
    replaceString: {
      type: 'string',
      default: '',
      importance: 'high',
      doc: 'Replacement; Java back-references: $1, or $ followed by {name}.',
    },
    charset: {
      type: 'string',
      default: 'UTF-8',
      importance: 'low',
      doc: `Charset of the body: ${CHARSETS.map((c) => c.name).join(', ')}.`,
    },
  }),
  finish({ values }, _families, fail) {
    const charset = bodyCharset(values.charset);
    if (!charset) fail('charset', `one of ${CHARSETS.map((c) => c.name).join(', ')}`);
    const search = javaRegexSetting(values.searchPattern, 'searchPattern', fail);
    let replacement: ReplacementPart[] | null = null;
    if (search) {
      try {
        replacement = parseJavaReplacement(values.replaceString, search.groupCount, search.groupNames);
      } catch (err) {
        if (!(err instanceof JavaRegexError)) throw err;
        fail('replaceString', `a Java replacement string valid for searchPattern: ${err.message}`);
      }
    }
    return {
      compiled: search ? new RegExp(search.regex.source, `${search.regex.flags}g`) : null,
      replacement,
      bodyCharset: charset ?? null,
    };
  },
});

/** `search_replace`: Java's `Matcher.replaceAll` on the body. */
export class SearchReplaceInterceptor implements Interceptor {
  readonly #regex: RegExp;
  readonly #replacement: readonly ReplacementPart[];
  readonly #charset: BodyCharset;

  constructor(options: { regex: RegExp; replacement: readonly ReplacementPart[]; charset: BodyCharset }) {
    this.#regex = options.regex.global
      ? options.regex
      : new RegExp(options.regex.source, `${options.regex.flags}g`);
    this.#replacement = options.replacement;
    this.#charset = options.charset;
  }

  intercept(event: FlumeEvent): FlumeEvent {
    const text = this.#charset.decode(event.body);
    const replaced = replaceAllJava(text, this.#regex, this.#replacement);
    if (replaced === text) return event;
    return { headers: event.headers, body: this.#charset.encode(replaced) };
  }

  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[] {
    return events.map((e) => this.intercept(e));
  }
}
