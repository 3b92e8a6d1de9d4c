import type { FlumeEvent } from '../api/event.ts';

/**
 * The request handlers of the HTTP source (Flume's HTTPSourceHandler): each turns one request body
 * into the events of one channel batch. A handler throws HttpBadRequestError for input it cannot
 * turn into events; the source answers those with 400.
 */

/** Input the handler refuses (the source answers 400 with the message). */
export class HttpBadRequestError extends Error {
  override readonly name = 'HttpBadRequestError';
}

/** What a handler sees of a request: the body is already read (up to the handler's limit). */
export interface HttpRequestData {
  readonly contentType: string | undefined;
  /** Query-string parameters, in order, every value kept. */
  readonly params: URLSearchParams;
  readonly body: Buffer;
}

export interface HttpSourceHandler {
  /** Flume's class name (logged). */
  readonly className: string;
  /**
   * How the source limits the body: `reject` answers 413 past `limitBytes`; `truncate` keeps the
   * first `limitBytes` bytes and discards the rest (Flume's BlobHandler).
   */
  readonly overflow: 'reject' | 'truncate';
  readonly limitBytes: number;
  getEvents(request: HttpRequestData): FlumeEvent[];
}

export const JSON_HANDLER = 'org.apache.flume.source.http.JSONHandler';
export const BLOB_HANDLER = 'org.apache.flume.sink.solr.morphline.BlobHandler';
export const CORE_BLOB_HANDLER = 'org.apache.flume.source.http.BLOBHandler';

/**
 * Handler names accepted in `handler`: Flume's class names plus Sluice's short aliases (Flume has
 * none), matched case-insensitively.
 */
export const HANDLER_NAMES: Readonly<Record<string, string>> = {
  [JSON_HANDLER.toLowerCase()]: JSON_HANDLER,
  json: JSON_HANDLER,
  [BLOB_HANDLER.toLowerCase()]: BLOB_HANDLER,
  blob: BLOB_HANDLER,
  [CORE_BLOB_HANDLER.toLowerCase()]: CORE_BLOB_HANDLER,
};

/** The canonical class name of a `handler` value, or undefined when Sluice has no such handler. */
export function handlerClassName(value: string): string | undefined {
  return HANDLER_NAMES[value.trim().toLowerCase()];
}

/** The `charset` parameter of a Content-Type, lower-cased, or undefined when absent. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const part of contentType.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return value === '' ? undefined : value.toLowerCase();
  }
  return undefined;
}

type JsonCharset = 'utf-8' | 'utf-16' | 'utf-32';
const JSON_CHARSETS: readonly JsonCharset[] = ['utf-8', 'utf-16', 'utf-32'];

const EXPECTED_SHAPE = 'a JSON array of events: [{"headers": {"name": "value", ...}, "body": "text"}, ...]';

/**
 * Flume's JSONHandler: the body is a JSON array of `{"headers": {...}, "body": "..."}` objects,
 * in the charset of the Content-Type (UTF-8 when none; UTF-16 and UTF-32 also accepted). Each
 * event's body is its `body` text encoded in that same charset, as Flume does (UTF-16 bodies
 * therefore start with a byte-order mark, as Java's encoder writes one). Like Flume's Gson
 * reading: numbers and booleans given for strings become their JSON text, a missing or null body is
 * empty, missing headers are none, other members are ignored. A null header value is dropped.
 */
export class JsonHandler implements HttpSourceHandler {
  readonly className = JSON_HANDLER;
  readonly overflow = 'reject';
  readonly limitBytes: number;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  getEvents(request: HttpRequestData): FlumeEvent[] {
    return parseJsonEvents(request.body, request.contentType);
  }
}

/** Parses a JSONHandler request body; throws HttpBadRequestError naming what was expected. */
export function parseJsonEvents(body: Buffer, contentType: string | undefined): FlumeEvent[] {
  const given = charsetOf(contentType) ?? 'utf-8';
  const charset = JSON_CHARSETS.find((c) => c === given || c.replace('-', '') === given);
  if (charset === undefined) {
    throw new HttpBadRequestError(
      `unsupported charset '${given}': the JSON handler reads UTF-8, UTF-16 and UTF-32`,
    );
  }
  const text = decodeText(body, charset);
  let parsed: unknown;
  try {
    // Keeping each number's source text gives what Gson gives when a string is expected ("1.50").
    parsed = JSON.parse(text, (_key: string, value: unknown, context?: { source?: string }) =>
      typeof value === 'number' && context?.source !== undefined ? new JsonNumber(context.source) : value,
    );
  } catch (err) {
    throw new HttpBadRequestError(
      `request has invalid JSON syntax (${err instanceof Error ? err.message : String(err)}); expected ${EXPECTED_SHAPE}`,
    );
  }
  if (!Array.isArray(parsed)) {
    throw new HttpBadRequestError(`expected ${EXPECTED_SHAPE}, got ${describe(parsed)}`);
  }
  return parsed.map((item: unknown, i) => {
    if (!isObject(item)) {
      throw new HttpBadRequestError(
        `event ${i}: expected an object {"headers": {...}, "body": "..."}, got ${describe(item)}`,
      );
    }
    const headers: Record<string, string> = {};
    const h = item.headers;
    if (h !== undefined && h !== null) {
      if (!isObject(h)) {
        throw new HttpBadRequestError(
          `event ${i}: expected "headers" to be an object of strings, got ${describe(h)}`,
        );
      }
      for (const [name, value] of Object.entries(h)) {
        if (value === null) continue;
        const s = scalarText(value);
        if (s === undefined) {
          throw new HttpBadRequestError(
            `event ${i}: expected header "${name}" to be a string, got ${describe(value)}`,
          );
        }
        setHeader(headers, name, s);
      }
    }
    let bodyText = '';
    if (item.body !== undefined && item.body !== null) {
      const s = scalarText(item.body);
      if (s === undefined) {
        throw new HttpBadRequestError(
          `event ${i}: expected "body" to be a string, got ${describe(item.body)}`,
        );
      }
      bodyText = s;
    }
    return { headers, body: encodeText(bodyText, charset) };
  });
}

/** A JSON number, kept as written. */
class JsonNumber {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof JsonNumber) return v.source;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof JsonNumber) return `the number ${v.source}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  return `${typeof v} ${String(v)}`;
}

/** Sets a header as an own property, so a name such as `__proto__` stays an ordinary header. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
}

const utf16be = new TextDecoder('utf-16be');
const utf16le = new TextDecoder('utf-16le');
const utf8 = new TextDecoder('utf-8');

/** Decodes as Java's decoders do: a byte-order mark picks the order, big-endian otherwise. */
export function decodeText(bytes: Uint8Array, charset: JsonCharset): string {
  if (charset === 'utf-8') return utf8.decode(bytes);
  if (charset === 'utf-16') {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return utf16le.decode(bytes.subarray(2));
    if (bytes[0] === 0xfe && bytes[1] === 0xff) return utf16be.decode(bytes.subarray(2));
    return utf16be.decode(bytes);
  }
  let little = false;
  let start = 0;
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) start = 4;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) {
    little = true;
    start = 4;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: string[] = [];
  let i = start;
  for (; i + 4 <= bytes.length; i += 4) {
    const cp = view.getUint32(i, little);
    parts.push(cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? '\ufffd' : String.fromCodePoint(cp));
  }
  if (i < bytes.length) parts.push('\ufffd');
  return parts.join('');
}

/** Encodes as Java's String.getBytes does for these charsets (UTF-16: big-endian with a BOM). */
export function encodeText(text: string, charset: JsonCharset): Buffer {
  if (charset === 'utf-8') return Buffer.from(text, 'utf8');
  const codePoints = [...text].map((c) => c.codePointAt(0)!);
  if (charset === 'utf-16') {
    const le = Buffer.from(text, 'utf16le');
    const out = Buffer.alloc(le.length + 2);
    out[0] = 0xfe;
    out[1] = 0xff;
    for (let i = 0; i + 1 < le.length; i += 2) {
      out[i + 2] = le[i + 1]!;
      out[i + 3] = le[i]!;
    }
    return out;
  }
  const out = Buffer.alloc(codePoints.length * 4);
  codePoints.forEach((cp, i) => {
    // Unpaired surrogates cannot be encoded; Java writes its replacement there.
    out.writeUInt32BE(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp, i * 4);
  });
  return out;
}

/**
 * Flume's morphline BlobHandler: the whole body is one event (cut at `maxBlobLength` bytes, the
 * rest discarded, as Flume does), with the request's Content-Type under `Content-Type` and each
 * query-string parameter (first value) as a header.
 */
export class BlobHandler implements HttpSourceHandler {
  readonly className = BLOB_HANDLER;
  readonly overflow = 'truncate';
  readonly limitBytes: number;

  constructor(maxBlobLength: number) {
    this.limitBytes = maxBlobLength;
  }

  getEvents(request: HttpRequestData): FlumeEvent[] {
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) setHeader(headers, 'Content-Type', request.contentType);
    for (const name of new Set(request.params.keys())) setHeader(headers, name, request.params.get(name)!);
    return [{ headers, body: request.body }];
  }
}

/**
 * Flume's core BLOBHandler (`org.apache.flume.source.http.BLOBHandler`): the whole body is one
 * event, query-string parameters (first value) are its headers, and each name listed in
 * `handler.mandatoryParameters` must be present.
 */
export class CoreBlobHandler implements HttpSourceHandler {
  readonly className = CORE_BLOB_HANDLER;
  readonly overflow = 'reject';
  readonly limitBytes: number;
  readonly #mandatory: readonly string[];

  constructor(limitBytes: number, mandatoryParameters: readonly string[]) {
    this.limitBytes = limitBytes;
    this.#mandatory = mandatoryParameters;
  }

  getEvents(request: HttpRequestData): FlumeEvent[] {
    const headers: Record<string, string> = {};
    for (const name of new Set(request.params.keys())) setHeader(headers, name, request.params.get(name)!);
    const missing = this.#mandatory.filter((m) => !Object.hasOwn(headers, m));
    if (missing.length > 0) {
      throw new HttpBadRequestError(`missing request parameter(s): ${missing.join(', ')}`);
    }
    return [{ headers, body: request.body }];
  }
}
