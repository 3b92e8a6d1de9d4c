import type { FlumeEvent } from '../api/event.ts';
import type { EventSerializer } from './event-serializer.ts';

const NEWLINE = Buffer.from('\n');

/**
 * Flume's BodyTextEventSerializer (`text`: the body) and HeaderAndBodyTextEventSerializer
 * (`header_and_text`: the headers as Java's Map.toString, `{k=v, k2=v2}`, a space, the body), each
 * followed by a newline unless `appendNewline` is false. Bodies are written as bytes, unchanged.
 */
export class TextSerializer implements EventSerializer {
  readonly #withHeaders: boolean;
  readonly #appendNewline: boolean;

  constructor(options: { withHeaders: boolean; appendNewline: boolean }) {
    this.#withHeaders = options.withHeaders;
    this.#appendNewline = options.appendNewline;
  }

  header(): Buffer {
    return Buffer.alloc(0);
  }

  encode(events: readonly FlumeEvent[]): Buffer {
    const parts: Buffer[] = [];
    for (const e of events) {
      if (this.#withHeaders) parts.push(Buffer.from(`${javaMapString(e.headers)} `, 'utf8'));
      parts.push(e.body);
      if (this.#appendNewline) parts.push(NEWLINE);
    }
    return Buffer.concat(parts);
  }

  trailer(): Buffer {
    return Buffer.alloc(0);
  }
}

/** Java's AbstractMap.toString: `{k=v, k2=v2}` (Flume's header order is a HashMap's; ours is insertion order). */
export function javaMapString(headers: Readonly<Record<string, string>>): string {
  return `{${Object.entries(headers)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}}`;
}
