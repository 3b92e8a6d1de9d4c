/**
 * A Flume event: a byte body plus string headers. Headers are a plain record so interceptors can
 * read and set them cheaply; keys keep insertion order, which is also the order the logger sink
 * prints them in.
 */
export interface FlumeEvent {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** An event with `body` (text is encoded as UTF-8) and a copy of `headers`. */
export function flumeEvent(
  body: Buffer | string,
  headers: Readonly<Record<string, string>> = {},
): FlumeEvent {
  return { headers: { ...headers }, body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body };
}
