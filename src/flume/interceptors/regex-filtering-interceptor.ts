import { defineConfig } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';
import { extendedConfig } from '../config/extended-config.ts';
import { javaRegexSetting } from './remove-header-interceptor.ts';

/** Flume 1.11 RegexFilteringInterceptor (`regex_filter`) keys and defaults. */
export const regexFilteringInterceptorConfig = extendedConfig({
  fixed: defineConfig({
    regex: {
      type: 'string',
      default: '.*',
      importance: 'high',
      doc: 'Java regular expression searched for in the body (read as UTF-8).',
    },
    excludeEvents: {
      type: 'boolean',
      default: false,
      importance: 'high',
      doc: 'true drops the events that match; false keeps only them.',
    },
  }),
  finish({ values }, _families, fail) {
    return { compiled: javaRegexSetting(values.regex, 'regex', fail)?.regex ?? null };
  },
});

/** `regex_filter`: keeps (or, with excludeEvents, drops) the events whose body contains a match. */
export class RegexFilteringInterceptor implements Interceptor {
  readonly #regex: RegExp;
  readonly #exclude: boolean;

  constructor(options: { regex: RegExp; excludeEvents?: boolean }) {
    this.#regex = options.regex;
    this.#exclude = options.excludeEvents ?? false;
  }

  intercept(event: FlumeEvent): FlumeEvent | null {
    const found = this.#regex.test(event.body.toString('utf8'));
    return found !== this.#exclude ? event : null;
  }

  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[] {
    return events.filter((e) => this.intercept(e) !== null);
  }
}
