import { defineConfig } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';
import { extendedConfig, type Fail } from '../config/extended-config.ts';
import { compileJavaFullMatch, compileJavaRegex, type JavaRegex, JavaRegexError } from './java-regex.ts';

/** Compiles the Java regex of `key`, or reports it through `fail` with the reason. */
export function javaRegexSetting(
  value: string | null,
  key: string,
  fail: Fail,
  compile: (pattern: string) => JavaRegex = (p) => compileJavaRegex(p),
): JavaRegex | null {
  if (value === null) return null;
  try {
    return compile(value);
  } catch (err) {
    if (!(err instanceof JavaRegexError)) throw err;
    fail(key, `a Java regular expression Sluice can run: ${err.message}`);
    return null;
  }
}

/** Flume 1.11 RemoveHeaderInterceptor (`remove_header`) keys and defaults. */
export const removeHeaderInterceptorConfig = extendedConfig({
  fixed: defineConfig({
    withName: { type: 'string', default: null, importance: 'medium', doc: 'Name of a header to remove.' },
    fromList: {
      type: 'string',
      default: null,
      importance: 'medium',
      doc: 'Headers to remove, separated by fromListSeparator.',
    },
    fromListSeparator: {
      type: 'string',
      default: '\\s*,\\s*',
      importance: 'low',
      doc: 'Java regular expression separating the names in fromList.',
    },
    matching: {
      type: 'string',
      default: null,
      importance: 'medium',
      doc: 'Java regular expression: every header whose whole name matches is removed.',
    },
  }),
  finish({ values }, _families, fail) {
    const separator = javaRegexSetting(values.fromListSeparator, 'fromListSeparator', fail, (p) =>
      compileJavaRegex(p, 'g'),
    );
    const matching = javaRegexSetting(values.matching, 'matching', fail, compileJavaFullMatch);
    const names =
      values.fromList === null || separator === null ? [] : javaSplit(values.fromList, separator.regex);
    return { fromListNames: names, matchingRegex: matching?.regex ?? null };
  },
});

/** Java's `Pattern.split`: trailing empty strings are dropped, so is a leading one from an empty match. */
export function javaSplit(input: string, separator: RegExp): string[] {
  const parts: string[] = [];
  let last = 0;
  for (const m of input.matchAll(separator)) {
    if (m[0].length === 0 && m.index === 0) continue;
    parts.push(input.slice(last, m.index));
    last = m.index + m[0].length;
  }
  parts.push(input.slice(last));
  while (parts.length > 1 && parts.at(-1) === '') parts.pop();
  return parts;
}

/** `remove_header`: drops headers by name, by list, or by a regex on the name. */
export class RemoveHeaderInterceptor implements Interceptor {
  readonly #withName: string | null;
  readonly #names: readonly string[];
  readonly #matching: RegExp | null;

  constructor(options: {
    withName?: string | null;
    fromListNames?: readonly string[];
    matchingRegex?: RegExp | null;
  }) {
    this.#withName = options.withName ?? null;
    this.#names = options.fromListNames ?? [];
    this.#matching = options.matchingRegex ?? null;
  }

  intercept(event: FlumeEvent): FlumeEvent {
    const h = event.headers;
    if (this.#withName !== null) delete h[this.#withName];
    for (const n of this.#names) delete h[n];
    if (this.#matching !== null) {
      for (const name of Object.keys(h)) if (this.#matching.test(name)) delete h[name];
    }
    return event;
  }

  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[] {
    return events.map((e) => this.intercept(e));
  }
}
