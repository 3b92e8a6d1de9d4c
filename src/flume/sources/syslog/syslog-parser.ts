import type { FlumeEvent } from '../../api/event.ts';

/**
 * Syslog messages (RFC 5424, then RFC 3164) into Flume events with the headers Flume 1.11's syslog
 * sources set: `Facility`, `Severity`, and when the message matched one of the two formats
 * `priority`, `version`, `timestamp` (ms since the epoch), `host`; `flume.syslog.status` is
 * `Invalid` when the message has no valid `<PRI>` and `Incomplete` when it was cut at the event
 * size. Any bytes give an event, never an exception. Works on byte ranges without decoding the
 * message, and caches the last timestamp and host, which repeat from line to line.
 */

export const STATUS_HEADER = 'flume.syslog.status';

/** Which parsed fields stay in the body (`keepFields`): none, all (the raw message) or a list. */
export interface KeepFields {
  readonly all: boolean;
  readonly priority: boolean;
  readonly version: boolean;
  readonly timestamp: boolean;
  readonly hostname: boolean;
}

export const KEEP_NONE: KeepFields = {
  all: false,
  priority: false,
  version: false,
  timestamp: false,
  hostname: false,
};

/** Flume's reading of `keepFields`: none/false, all/true, or any text naming the fields to keep. */
export function parseKeepFields(value: string | boolean | null | undefined): KeepFields {
  if (value === null || value === undefined || value === false) return KEEP_NONE;
  const v = String(value).trim().toLowerCase();
  if (v === 'false' || v === 'none') return KEEP_NONE;
  if (v === 'true' || v === 'all') return { ...KEEP_NONE, all: true };
  return {
    all: false,
    priority: v.includes('priority'),
    version: v.includes('version'),
    timestamp: v.includes('timestamp'),
    hostname: v.includes('hostname'),
  };
}

const LT = 0x3c;
const GT = 0x3e;
const MINUS = 0x2d;
const PLUS = 0x2b;
const COLON = 0x3a;
const DOT = 0x2e;
const T = 0x54;
const Z = 0x5a;
const CR = 0x0d;
const SPACE = 0x20;

const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
/** Java's `\s`: space, \t, \n, \v, \f, \r. */
const isSpace = (b: number | undefined) => b === SPACE || (b !== undefined && b >= 0x09 && b <= 0x0d);
/** Java's `\w`: [a-zA-Z_0-9]. */
const isWord = (b: number | undefined) =>
  b !== undefined &&
  ((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x5f);
const isHostChar = (b: number | undefined) => isWord(b) || b === DOT || b === 0x40 || b === MINUS;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Header strings for every PRI value 0-999, made once. */
const FACILITY: string[] = [];
const SEVERITY: string[] = [];
const PRIORITY: string[] = [];
for (let p = 0; p < 1000; p++) {
  FACILITY.push(String(Math.floor(p / 8)));
  SEVERITY.push(String(p % 8));
  PRIORITY.push(String(p));
}

function digits(buf: Buffer, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 10 + (buf[at + i]! - 0x30);
  return v;
}

function allDigits(buf: Buffer, at: number, n: number, end: number): boolean {
  if (at + n > end) return false;
  for (let i = 0; i < n; i++) if (!isDigit(buf[at + i])) return false;
  return true;
}

/** Where a match of the rest of the line after `<PRI>` found its parts (one scratch object, reused). */
interface Fields {
  version: number; // -1: none
  tsStart: number; // -1: none ('-' or failed)
  tsEnd: number;
  hostStart: number; // -1: none ('-')
  hostEnd: number;
  bodyStart: number;
  rfc5424: boolean;
}

export interface SyslogParserOptions {
  readonly keepFields?: KeepFields;
  /** Clock for RFC 3164's missing year (tests). */
  readonly now?: () => number;
}

export class SyslogParser {
  readonly #keep: KeepFields;
  readonly #now: () => number;
  #tsCache: Buffer = Buffer.alloc(0);
  #tsCacheValue: string | undefined;
  #tsCacheAt = 0;
  #tsCacheHits = 0;
  #hostCache: Buffer = Buffer.alloc(0);
  #hostCacheValue = '';

  constructor(options: SyslogParserOptions = {}) {
    this.#keep = options.keepFields ?? KEEP_NONE;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The event for the message in `buf[start, end)` (no newline). `incomplete`: the message was
   * cut at the event size. The body is a view of `buf` unless fields are kept selectively.
   */
  parse(buf: Buffer, start: number, end: number, incomplete = false): FlumeEvent {
    const gt = priEnd(buf, start, end);
    if (gt < 0) {
      return {
        headers: { Facility: '0', Severity: '0', [STATUS_HEADER]: 'Invalid' },
        body: buf.subarray(start, end),
      };
    }
    const pri = digits(buf, start + 1, gt - start - 1);
    const after = gt + 1;
    const f = matchFields(buf, after, end);
    const k = this.#keep;
    if (f === null) {
      const headers: Record<string, string> = { Facility: FACILITY[pri]!, Severity: SEVERITY[pri]! };
      if (incomplete) headers[STATUS_HEADER] = 'Incomplete';
      return { headers, body: buf.subarray(start, end) };
    }
    const ts = f.tsStart >= 0 ? this.#timestamp(buf, f) : undefined;
    const host = f.hostStart >= 0 ? this.#host(buf, f.hostStart, f.hostEnd) : undefined;
    let headers: Record<string, string>;
    if (f.version < 0 && ts !== undefined && host !== undefined && !incomplete) {
      // The usual RFC 3164 message, built in one go (one object shape for all of them).
      headers = {
        Facility: FACILITY[pri]!,
        Severity: SEVERITY[pri]!,
        priority: PRIORITY[pri]!,
        timestamp: ts,
        host,
      };
    } else {
      headers = { Facility: FACILITY[pri]!, Severity: SEVERITY[pri]!, priority: PRIORITY[pri]! };
      if (f.version >= 0) headers.version = String(f.version);
      if (ts !== undefined) headers.timestamp = ts;
      if (host !== undefined) headers.host = host;
      if (incomplete) headers[STATUS_HEADER] = 'Incomplete';
    }
    let body: Buffer;
    if (k.all || f.bodyStart >= end) body = buf.subarray(start, end);
    else if (k.priority || k.version || k.timestamp || k.hostname)
      body = this.#keptBody(buf, start, after, f, end);
    else body = buf.subarray(f.bodyStart, end);
    return { headers, body };
  }

  #keptBody(buf: Buffer, start: number, after: number, f: Fields, end: number): Buffer {
    const k = this.#keep;
    const parts: Buffer[] = [];
    if (k.priority) parts.push(buf.subarray(start, after));
    if (k.version && f.version >= 0) parts.push(Buffer.from(`${f.version} `));
    if (k.timestamp) parts.push(f.tsStart >= 0 ? buf.subarray(f.tsStart, f.tsEnd) : DASH, SPACE_BUF);
    if (k.hostname) parts.push(f.hostStart >= 0 ? buf.subarray(f.hostStart, f.hostEnd) : DASH, SPACE_BUF);
    parts.push(buf.subarray(f.bodyStart, end));
    return Buffer.concat(parts);
  }

  #host(buf: Buffer, s: number, e: number): string {
    const c = this.#hostCache;
    if (sameBytes(c, buf, s, e)) return this.#hostCacheValue;
    this.#hostCache = Buffer.from(buf.subarray(s, e));
    this.#hostCacheValue = buf.toString('latin1', s, e);
    return this.#hostCacheValue;
  }

  #timestamp(buf: Buffer, f: Fields): string | undefined {
    // The RFC 3164 year depends on the clock: every 1024th reuse of a cached value checks that it
    // is less than a minute old (reading the clock per message would cost more than the parse).
    if (
      sameBytes(this.#tsCache, buf, f.tsStart, f.tsEnd) &&
      (f.rfc5424 || (++this.#tsCacheHits & 1023) !== 0 || this.#now() - this.#tsCacheAt < 60_000)
    ) {
      return this.#tsCacheValue;
    }
    const now = this.#now();
    this.#tsCacheHits = 0;
    const ms = f.rfc5424 ? rfc5424Time(buf, f.tsStart, f.tsEnd) : rfc3164Time(buf, f.tsStart, now);
    this.#tsCache = Buffer.from(buf.subarray(f.tsStart, f.tsEnd));
    this.#tsCacheValue = ms === undefined || Number.isNaN(ms) ? undefined : String(ms);
    this.#tsCacheAt = now;
    return this.#tsCacheValue;
  }
}

/** Whether `buf[s, e)` holds the bytes of `c` (a loop: cheaper than a native call for short runs). */
function sameBytes(c: Buffer, buf: Buffer, s: number, e: number): boolean {
  if (c.length !== e - s) return false;
  for (let i = 0; i < c.length; i++) if (c[i] !== buf[s + i]) return false;
  return true;
}

const DASH = Buffer.from('-');
const SPACE_BUF = Buffer.from(' ');

/** `<` 1-3 digits `>` at `start`: the index of `>`, or -1. */
function priEnd(buf: Buffer, start: number, end: number): number {
  if (buf[start] !== LT) return -1;
  let i = start + 1;
  for (; i < end && i <= start + 4; i++) {
    const b = buf[i]!;
    if (b === GT) break;
    if (!isDigit(b) || i === start + 4) return -1;
  }
  if (i === start + 1 || i >= end || buf[i] !== GT) return -1;
  return i;
}

/**
 * Flume's two formats, RFC 5424 first, each after an optional version digit and an optional
 * space (every combination tried, as a backtracking regex does). Null when neither matches.
 */
function matchFields(buf: Buffer, at: number, end: number): Fields | null {
  const version = isDigit(buf[at]) ? buf[at]! - 0x30 : -1;
  for (let rfc5424 = 1; rfc5424 >= 0; rfc5424--) {
    // Starts in the order a backtracking regex tries them: version digit then space, version
    // digit alone, space alone, neither.
    for (let k = 0; k < 4; k++) {
      const withVersion = k < 2;
      if (withVersion && version < 0) continue;
      let p = withVersion ? at + 1 : at;
      if (k % 2 === 0) {
        if (!isSpace(buf[p])) continue;
        p++;
      }
      const f = rfc5424 === 1 ? match5424(buf, p, end) : match3164(buf, p, end);
      if (f !== null) {
        f.version = withVersion ? version : -1;
        return f;
      }
    }
  }
  return null;
}

const scratch: Fields = {
  version: -1,
  tsStart: -1,
  tsEnd: -1,
  hostStart: -1,
  hostEnd: -1,
  bodyStart: 0,
  rfc5424: false,
};

/** Fills the scratch Fields (parse is synchronous, so one object serves every call). */
function found(
  tsStart: number,
  tsEnd: number,
  hostStart: number,
  hostEnd: number,
  bodyStart: number,
  rfc5424: boolean,
): Fields {
  scratch.version = -1;
  scratch.tsStart = tsStart;
  scratch.tsEnd = tsEnd;
  scratch.hostStart = hostStart;
  scratch.hostEnd = hostEnd;
  scratch.bodyStart = bodyStart;
  scratch.rfc5424 = rfc5424;
  return scratch;
}

/** The body: the rest of the line, which Java's `.` accepts only without a carriage return. */
function bodyFrom(buf: Buffer, at: number, end: number): number {
  for (let i = at; i < end; i++) if (buf[i] === CR) return -1;
  return at;
}

/** `TIMESTAMP|- SP HOST|- SP BODY` of RFC 5424 as Flume matches it. */
function match5424(buf: Buffer, at: number, end: number): Fields | null {
  let i = at;
  let tsStart = -1;
  let tsEnd = -1;
  if (buf[i] === MINUS) i++;
  else {
    if (
      !allDigits(buf, i, 4, end) ||
      buf[i + 4] !== MINUS ||
      !allDigits(buf, i + 5, 2, end) ||
      buf[i + 7] !== MINUS ||
      !allDigits(buf, i + 8, 2, end) ||
      buf[i + 10] !== T ||
      !allDigits(buf, i + 11, 2, end) ||
      buf[i + 13] !== COLON ||
      !allDigits(buf, i + 14, 2, end) ||
      buf[i + 16] !== COLON ||
      !allDigits(buf, i + 17, 2, end)
    ) {
      return null;
    }
    tsStart = i;
    i += 19;
    if (buf[i] === DOT && i + 1 < end && isDigit(buf[i + 1])) {
      let n = 0;
      while (n < 6 && i + 1 + n < end && isDigit(buf[i + 1 + n])) n++;
      i += 1 + n;
    }
    if (buf[i] === Z) i++;
    else if ((buf[i] === PLUS || buf[i] === MINUS) && allDigits(buf, i + 1, 2, end) && buf[i + 3] === COLON) {
      if (allDigits(buf, i + 4, 2, end)) i += 6;
    }
    tsEnd = i;
  }
  if (i >= end || !isSpace(buf[i])) return null;
  i++;
  let hostStart = -1;
  let hostEnd = -1;
  if (isWord(buf[i])) {
    hostStart = i;
    while (i < end && isHostChar(buf[i])) i++;
    hostEnd = i;
  } else if (buf[i] === MINUS) i++;
  else return null;
  if (i >= end || !isSpace(buf[i])) return null;
  const bodyStart = bodyFrom(buf, i + 1, end);
  if (bodyStart < 0) return null;
  return found(tsStart, tsEnd, hostStart, hostEnd, bodyStart, true);
}

/** `Mmm d HH:mm:ss SP HOST SP BODY` of RFC 3164 as Flume matches it. */
function match3164(buf: Buffer, at: number, end: number): Fields | null {
  let i = at;
  const m0 = buf[i];
  const m1 = buf[i + 1];
  const m2 = buf[i + 2];
  if (
    i + 3 > end ||
    m0 === undefined ||
    m0 < 0x41 ||
    m0 > 0x5a ||
    m1 === undefined ||
    m1 < 0x61 ||
    m1 > 0x7a ||
    m2 === undefined ||
    m2 < 0x61 ||
    m2 > 0x7a
  ) {
    return null;
  }
  i += 3;
  if (!isSpace(buf[i])) return null;
  i++;
  if (isSpace(buf[i])) i++;
  if (!isDigit(buf[i])) return null;
  i++;
  if (isDigit(buf[i])) i++;
  if (
    !isSpace(buf[i]) ||
    !allDigits(buf, i + 1, 2, end) ||
    buf[i + 3] !== COLON ||
    !allDigits(buf, i + 4, 2, end) ||
    buf[i + 6] !== COLON ||
    !allDigits(buf, i + 7, 2, end)
  ) {
    return null;
  }
  const tsStart = at;
  i += 9;
  const tsEnd = i;
  if (i >= end || !isSpace(buf[i])) return null;
  i++;
  if (!isWord(buf[i])) return null;
  const hostStart = i;
  while (i < end && isHostChar(buf[i])) i++;
  const hostEnd = i;
  if (i >= end || !isSpace(buf[i])) return null;
  const bodyStart = bodyFrom(buf, i + 1, end);
  if (bodyStart < 0) return null;
  return found(tsStart, tsEnd, hostStart, hostEnd, bodyStart, false);
}

/**
 * RFC 5424 time: with `Z` or an offset it is that instant; without a zone, local time. The
 * fraction is a fraction of a second (Flume's date parser reads ".5" as 5 ms; Sluice: 500 ms).
 */
function rfc5424Time(buf: Buffer, s: number, e: number): number {
  const year = digits(buf, s, 4);
  const month = digits(buf, s + 5, 2) - 1;
  const day = digits(buf, s + 8, 2);
  const h = digits(buf, s + 11, 2);
  const m = digits(buf, s + 14, 2);
  const sec = digits(buf, s + 17, 2);
  let i = s + 19;
  let ms = 0;
  if (buf[i] === DOT) {
    let scale = 100;
    i++;
    while (i < e && isDigit(buf[i])) {
      ms += (buf[i]! - 0x30) * scale;
      scale /= 10;
      i++;
    }
    ms = Math.floor(ms);
  }
  if (i >= e) return new Date(year, month, day, h, m, sec, ms).getTime();
  let offsetMin = 0;
  if (buf[i] !== Z) {
    const sign = buf[i] === MINUS ? -1 : 1;
    offsetMin = sign * (digits(buf, i + 1, 2) * 60 + digits(buf, i + 4, 2));
  }
  return Date.UTC(year, month, day, h, m, sec, ms) - offsetMin * 60_000;
}

/**
 * RFC 3164 time `Mmm d HH:mm:ss` in local time, in the year that puts it between eleven months
 * ago and one month ahead, as Flume does. Out-of-range fields roll over (Java's lenient parser).
 */
function rfc3164Time(buf: Buffer, s: number, now: number): number {
  const month = MONTHS.indexOf(buf.toString('latin1', s, s + 3));
  if (month < 0) return Number.NaN;
  let i = s + 4;
  if (isSpace(buf[i])) i++;
  const dayDigits = isDigit(buf[i + 1]) ? 2 : 1;
  const day = digits(buf, i, dayDigits);
  i += dayDigits + 1;
  const h = digits(buf, i, 2);
  const m = digits(buf, i + 3, 2);
  const sec = digits(buf, i + 6, 2);
  const year = new Date(now).getUTCFullYear();
  const at = (y: number) => new Date(y, month, day, h, m, sec).getTime();
  const t = at(year);
  const monthBefore = new Date(t);
  monthBefore.setMonth(monthBefore.getMonth() - 1);
  if (t > now && monthBefore.getTime() > now) return at(year - 1);
  const elevenAfter = new Date(t);
  elevenAfter.setMonth(elevenAfter.getMonth() + 11);
  if (t < now && elevenAfter.getTime() < now) return at(year + 1);
  return t;
}
