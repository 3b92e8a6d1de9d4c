import { hostname, networkInterfaces } from 'node:os';
import { SluiceError } from '../../base/index.ts';

/**
 * Flume's escape sequences for HDFS paths and file prefixes (BucketPath): `%{header}`, time
 * escapes from the event's `timestamp` header (or the local clock), and `%[localhost]`, `%[IP]`,
 * `%[FQDN]`.
 */

export class PathEscapeError extends SluiceError {
  constructor(message: string) {
    super('FLUME_PATH_ESCAPE', message);
  }
}

export interface EscapeOptions {
  /** `hdfs.round`, `hdfs.roundValue`, `hdfs.roundUnit`: the timestamp is rounded down. */
  readonly round: boolean;
  readonly roundValue: number;
  readonly roundUnit: 'second' | 'minute' | 'hour';
  /** `hdfs.useLocalTimeStamp`: the clock instead of the `timestamp` header. */
  readonly useLocalTimeStamp: boolean;
  /** IANA zone, or undefined for the process's local time (`hdfs.timeZone`). */
  readonly timeZone: string | undefined;
  readonly now?: () => number;
}

const TIME_ESCAPES = new Set('aAbBcdeDHIjkmnMpsSyYzt');
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const UNIT_MS = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

/** Whether `template` uses a time escape (then events need a timestamp). */
export function needsTimestamp(template: string): boolean {
  for (let i = 0; i < template.length - 1; i++) {
    if (template[i] === '%' && TIME_ESCAPES.has(template[i + 1]!)) return true;
  }
  return false;
}

interface Fields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
  offsetMinutes: number;
}

function fieldsOf(ms: number, timeZone: string | undefined): Fields {
  const d = new Date(ms);
  if (timeZone === undefined) {
    return {
      year: d.getFullYear(),
      month: d.getMonth() + 1,
      day: d.getDate(),
      hour: d.getHours(),
      minute: d.getMinutes(),
      second: d.getSeconds(),
      weekday: d.getDay(),
      offsetMinutes: -d.getTimezoneOffset(),
    };
  }
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    weekday: 'short',
  }).formatToParts(d);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '0';
  const f = {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')),
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday')),
    offsetMinutes: 0,
  };
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  f.offsetMinutes = Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60_000);
  return f;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function dayOfYear(f: Fields): number {
  return Math.round((Date.UTC(f.year, f.month - 1, f.day) - Date.UTC(f.year, 0, 1)) / 86_400_000) + 1;
}

function timeEscape(c: string, ms: number, f: Fields): string {
  switch (c) {
    case 'a':
      return DAYS[f.weekday]!.slice(0, 3);
    case 'A':
      return DAYS[f.weekday]!;
    case 'b':
      return MONTHS[f.month - 1]!.slice(0, 3);
    case 'B':
      return MONTHS[f.month - 1]!;
    case 'c':
      return `${DAYS[f.weekday]!.slice(0, 3)} ${MONTHS[f.month - 1]!.slice(0, 3)} ${f.day} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)} ${f.year}`;
    case 'd':
      return pad(f.day);
    case 'e':
      return String(f.day);
    case 'D':
      return `${pad(f.month)}/${pad(f.day)}/${pad(f.year % 100)}`;
    case 'H':
      return pad(f.hour);
    case 'I':
      return pad(f.hour % 12 === 0 ? 12 : f.hour % 12);
    case 'j':
      return pad(dayOfYear(f), 3);
    case 'k':
      return String(f.hour);
    case 'm':
      return pad(f.month);
    case 'n':
      return String(f.month);
    case 'M':
      return pad(f.minute);
    case 'p':
      return f.hour < 12 ? 'am' : 'pm';
    case 's':
      return String(Math.floor(ms / 1000));
    case 'S':
      return pad(f.second);
    case 't':
      return String(ms);
    case 'y':
      return pad(f.year % 100);
    case 'Y':
      return String(f.year);
    default: {
      // 'z': +hhmm
      const o = Math.abs(f.offsetMinutes);
      return `${f.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(o / 60))}${pad(o % 60)}`;
    }
  }
}

let localAddress: string | undefined;
function ipAddress(): string {
  if (localAddress === undefined) {
    const all = Object.values(networkInterfaces()).flatMap((l) => l ?? []);
    localAddress = all.find((a) => a.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1';
  }
  return localAddress;
}

/**
 * Replaces the escapes of `template` for one event. A time escape with neither a `timestamp`
 * header nor `useLocalTimeStamp` fails, as in Flume (the sink's batch rolls back).
 */
export function escapePath(
  template: string,
  headers: Readonly<Record<string, string>>,
  options: EscapeOptions,
): string {
  let out = '';
  let ms: number | undefined;
  let fields: Fields | undefined;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch !== '%' || i === template.length - 1) {
      out += ch;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '{' || next === '[') {
      const end = template.indexOf(next === '{' ? '}' : ']', i + 2);
      if (end < 0) {
        out += ch;
        continue;
      }
      const name = template.slice(i + 2, end);
      if (next === '{') out += headers[name] ?? '';
      else if (name === 'localhost') out += hostname();
      else if (name === 'IP') out += ipAddress();
      else if (name === 'FQDN') out += hostname();
      else out += template.slice(i, end + 1);
      i = end;
      continue;
    }
    if (!TIME_ESCAPES.has(next)) {
      out += ch;
      continue;
    }
    if (ms === undefined) {
      const header = headers.timestamp;
      if (options.useLocalTimeStamp) ms = (options.now ?? Date.now)();
      else if (header !== undefined && /^-?\d+$/.test(header)) ms = Number(header);
      else {
        throw new PathEscapeError(
          `the path '${template}' has time escapes and the event has no valid 'timestamp' header ` +
            `(got ${header === undefined ? 'none' : JSON.stringify(header)}); add a timestamp interceptor or set hdfs.useLocalTimeStamp = true`,
        );
      }
      if (options.round) {
        const step = options.roundValue * UNIT_MS[options.roundUnit];
        ms = Math.floor(ms / step) * step;
      }
      fields = fieldsOf(ms, options.timeZone);
    }
    out += timeEscape(next, ms, fields!);
    i++;
  }
  return out;
}
