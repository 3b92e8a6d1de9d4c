import { defineConfig, nonEmptyString } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';
import { blankList, extendedConfig } from '../config/extended-config.ts';
import { compileJodaPattern, JodaPatternError } from './joda-date-pattern.ts';
import { javaRegexSetting } from './remove-header-interceptor.ts';

const PASS_THROUGH = 'org.apache.flume.interceptor.RegexExtractorInterceptorPassThroughSerializer';
const MILLIS = 'org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer';

/** Turns one captured group into a header value; undefined leaves the header unset. */
export interface ExtractorSerializer {
  readonly headerName: string;
  serialize(value: string): string | undefined;
}

/** Flume 1.11 RegexExtractorInterceptor (`regex_extractor`) keys and defaults. */
export const regexExtractorInterceptorConfig = extendedConfig({
  fixed: defineConfig({
    regex: {
      type: 'string',
      validator: nonEmptyString(),
      importance: 'high',
      doc: 'Java regular expression searched for in the body (UTF-8); its groups feed the serializers.',
    },
    serializers: {
      type: 'string',
      validator: nonEmptyString(),
      importance: 'high',
      doc: 'Blank-separated serializer names, one per group in order.',
    },
  }),
  prefixes: ['serializers.'],
  familyRows: [
    {
      key: 'serializers.<s>.name',
      type: 'string',
      default: '(required)',
      validValues: '',
      importance: 'high',
      doc: 'Header that receives the group.',
    },
    {
      key: 'serializers.<s>.type',
      type: 'string',
      default: 'default',
      validValues: `default, ${MILLIS}`,
      importance: 'medium',
      doc: 'default copies the group; the millis serializer parses it with .pattern (Joda-Time) into epoch ms.',
    },
    {
      key: 'serializers.<s>.pattern',
      type: 'string',
      default: '(required for millis)',
      validValues: '',
      importance: 'medium',
      doc: 'Joda-Time pattern of the millis serializer, e.g. yyyy-MM-dd HH:mm.',
    },
  ],
  finish({ values }, families, fail, unknown) {
    const regex = javaRegexSetting(values.regex, 'regex', fail);
    const names = blankList(values.serializers);
    const serializers: ExtractorSerializer[] = [];
    const used = new Set<string>();
    for (const s of names) {
      const at = (k: string) => {
        used.add(`serializers.${s}.${k}`);
        return families.get(`serializers.${s}.${k}`);
      };
      const name = at('name');
      if (!name) {
        fail(`serializers.${s}.name`, 'the header name for this serializer');
        continue;
      }
      const type = at('type');
      const typeName = type?.value ?? 'default';
      if (typeName.toLowerCase() === 'default' || typeName === PASS_THROUGH) {
        serializers.push({ headerName: name.value, serialize: (v) => v });
        continue;
      }
      if (typeName !== MILLIS) {
        fail(type!, `default or ${MILLIS} (custom serializer classes cannot be loaded)`);
        continue;
      }
      const pattern = at('pattern');
      if (!pattern) {
        fail(`serializers.${s}.pattern`, 'a Joda-Time pattern for the millis serializer');
        continue;
      }
      try {
        const joda = compileJodaPattern(pattern.value);
        serializers.push({
          headerName: name.value,
          serialize: (v) => {
            const ms = joda.parse(v);
            return ms === undefined ? undefined : String(ms);
          },
        });
      } catch (err) {
        if (!(err instanceof JodaPatternError)) throw err;
        fail(pattern, `a Joda-Time pattern Sluice can parse: ${err.message}`);
      }
    }
    for (const e of families.values()) if (!used.has(e.key)) unknown(e);
    return { compiled: regex?.regex ?? null, serializerList: serializers };
  },
});

/**
 * `regex_extractor`: finds the regex in the body and stores group n in the header of the n-th
 * serializer. Groups beyond the serializers are ignored; a group that did not take part in the
 * match, or a millis value that does not parse, leaves its header unset (Flume would fail the
 * whole batch on the latter).
 */
export class RegexExtractorInterceptor implements Interceptor {
  readonly #regex: RegExp;
  readonly #serializers: readonly ExtractorSerializer[];

  constructor(options: { regex: RegExp; serializers: readonly ExtractorSerializer[] }) {
    this.#regex = options.regex;
    this.#serializers = options.serializers;
  }

  intercept(event: FlumeEvent): FlumeEvent {
    const m = this.#regex.exec(event.body.toString('utf8'));
    if (!m) return event;
    const n = Math.min(m.length - 1, this.#serializers.length);
    for (let g = 1; g <= n; g++) {
      const value = m[g];
      const s = this.#serializers[g - 1]!;
      if (value === undefined) continue;
      const out = s.serialize(value);
      if (out !== undefined) event.headers[s.headerName] = out;
    }
    return event;
  }

  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[] {
    return events.map((e) => this.intercept(e));
  }
}
