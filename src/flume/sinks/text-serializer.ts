import type { FlumeEvent } from '../api/event.ts';

/** Flume's text serializers: the body, or `{k=v, ...} body`, then a newline. */
export function serializeText(e: FlumeEvent, withHeaders: boolean, newline: boolean): Buffer {
  const parts: Buffer[] = [];
  if (withHeaders) {
    const h = Object.entries(e.headers)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    parts.push(Buffer.from(`{${h}} `));
  }
  parts.push(e.body);
  if (newline) parts.push(Buffer.from('\n'));
  return parts.length === 1 ? e.body : Buffer.concat(parts);
}
