/**
 * Parses date text with a Joda-Time pattern (`DateTimeFormat.forPattern`), what Flume's
 * RegexExtractorInterceptorMillisSerializer does with its `pattern` key, into epoch milliseconds.
 *
 * Supported letters: `y`/`Y`/`u` (year; `yy` is a two-digit year in the window from 80 years ago
 * to 19 years ahead, as Joda's default pivot gives), `M` (1-2 digits, or `MMM`+ month names), `d`,
 * `D` (day of year), `H`, `k`, `h`, `K`, `m`, `s`, `S` (fraction of a second), `a` (AM/PM), `E`
 * (day names, read and ignored), `Z`/`ZZ` (offsets `Z`, `+08`, `+0800`, `+08:00`), quoted text
 * and any other non-letter as literals. Text without an offset is local time, as Joda reads it in
 * the JVM's default zone. The whole text must be consumed. Other letters (zone names `z`, week
 * fields, eras...) are refused when the pattern is compiled.
 */

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

type Field =
  | 'year'
  | 'year2'
  | 'month'
  | 'day'
  | 'dayOfYear'
  | 'hour'
  | 'clockHour24'
  | 'clockHour12'
  | 'hour12'
  | 'minute'
  | 'second';

type Token =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'number'; readonly field: Field; readonly maxDigits: number; readonly signed: boolean }
  | { readonly kind: 'fraction' }
  | { readonly kind: 'monthName' }
  | { readonly kind: 'dayName' }
  | { readonly kind: 'halfday' }
  | { readonly kind: 'offset' };

export class JodaPatternError extends Error {}

export interface JodaPattern {
  /** Epoch milliseconds, or undefined when `text` does not fit the pattern. */
  parse(text: string): number | undefined;
}

const NUMERIC = new Set(['y', 'Y', 'u', 'M', 'd', 'D', 'H', 'k', 'h', 'K', 'm', 's', 'S']);

/** Compiles a Joda-Time pattern; throws JodaPatternError for letters it cannot parse. */
export function compileJodaPattern(pattern: string, now: Date = new Date()): JodaPattern {
  const raw: { letter: string; count: number; literal?: string }[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        raw.push({ letter: '', count: 0, literal: "'" });
        i += 2;
        continue;
      }
      let text = '';
      let j = i + 1;
      for (; j < pattern.length; j++) {
        if (pattern[j] === "'") {
          if (pattern[j + 1] === "'") {
            text += "'";
            j++;
            continue;
          }
          break;
        }
        text += pattern[j];
      }
      if (j >= pattern.length) throw new JodaPatternError(`unterminated quote in '${pattern}'`);
      raw.push({ letter: '', count: 0, literal: text });
      i = j + 1;
    } else if (/[a-zA-Z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      raw.push({ letter: c, count: j - i });
      i = j;
    } else {
      raw.push({ letter: '', count: 0, literal: c });
      i++;
    }
  }

  const tokens: Token[] = raw.map((t, k): Token => {
    if (t.literal !== undefined) return { kind: 'literal', text: t.literal };
    const nextNumeric = (() => {
      const n = raw[k + 1];
      return (
        n !== undefined &&
        n.literal === undefined &&
        NUMERIC.has(n.letter) &&
        !(n.letter === 'M' && n.count >= 3)
      );
    })();
    const num = (field: Field, maxDigits: number, signed = false): Token => ({
      kind: 'number',
      field,
      maxDigits,
      signed,
    });
    switch (t.letter) {
      case 'y':
      case 'Y':
      case 'u':
        // `yy` reads more digits as a full year, unless another number follows directly.
        if (t.count === 2) return num('year2', nextNumeric ? 2 : 9);
        return num('year', nextNumeric ? t.count : 9, true);
      case 'M':
        return t.count >= 3 ? { kind: 'monthName' } : num('month', 2);
      case 'd':
        return num('day', 2);
      case 'D':
        return num('dayOfYear', 3);
      case 'H':
        return num('hour', 2);
      case 'k':
        return num('clockHour24', 2);
      case 'h':
        return num('clockHour12', 2);
      case 'K':
        return num('hour12', 2);
      case 'm':
        return num('minute', 2);
      case 's':
        return num('second', 2);
      case 'S':
        return { kind: 'fraction' };
      case 'a':
        return { kind: 'halfday' };
      case 'E':
        return { kind: 'dayName' };
      case 'Z':
        if (t.count <= 2) return { kind: 'offset' };
        throw new JodaPatternError(`'ZZZ' (zone ids) is not supported in '${pattern}'`);
      default:
        throw new JodaPatternError(`pattern letter '${t.letter}' is not supported in '${pattern}'`);
    }
  });
  const pivot = now.getFullYear() - 30;
  return { parse: (text) => parseWith(tokens, text, pivot) };
}

function parseWith(tokens: readonly Token[], text: string, pivot: number): number | undefined {
  const f: Partial<Record<Field, number>> = {};
  let fractionMs = 0;
  let pm: boolean | undefined;
  let offsetMinutes: number | undefined;
  let i = 0;
  const lower = text.toLowerCase();
  for (const t of tokens) {
    switch (t.kind) {
      case 'literal':
        if (lower.slice(i, i + t.text.length) !== t.text.toLowerCase()) return undefined;
        i += t.text.length;
        break;
      case 'number': {
        let j = i;
        let sign = 1;
        if (t.signed && (text[j] === '-' || text[j] === '+')) {
          sign = text[j] === '-' ? -1 : 1;
          j++;
        }
        const start = j;
        while (j < text.length && j - start < t.maxDigits && text[j]! >= '0' && text[j]! <= '9') j++;
        if (j === start) return undefined;
        let value = sign * Number(text.slice(start, j));
        let field = t.field;
        if (field === 'year2') {
          if (j - start === 2) {
            const low = pivot - 50;
            const base = low - (((low % 100) + 100) % 100);
            value += base;
            if (value < low) value += 100;
          }
          field = 'year';
        }
        f[field] = value;
        i = j;
        break;
      }
      case 'fraction': {
        let j = i;
        while (j < text.length && j - i < 9 && text[j]! >= '0' && text[j]! <= '9') j++;
        if (j === i) return undefined;
        fractionMs = Math.floor(Number(`0.${text.slice(i, j)}`) * 1000 + 1e-9);
        i = j;
        break;
      }
      case 'monthName': {
        const m = matchName(lower, i, MONTHS);
        if (!m) return undefined;
        f.month = m.index + 1;
        i += m.length;
        break;
      }
      case 'dayName': {
        const m = matchName(lower, i, DAYS);
        if (!m) return undefined;
        i += m.length;
        break;
      }
      case 'halfday':
        if (lower.startsWith('am', i)) pm = false;
        else if (lower.startsWith('pm', i)) pm = true;
        else return undefined;
        i += 2;
        break;
      case 'offset': {
        if (text[i] === 'Z') {
          offsetMinutes = 0;
          i++;
          break;
        }
        const m = /^([+-])(\d{2})(?::?(\d{2}))?/.exec(text.slice(i));
        if (!m) return undefined;
        offsetMinutes = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
        i += m[0].length;
        break;
      }
    }
  }
  if (i !== text.length) return undefined;

  const year = f.year ?? 1970;
  let hour = f.hour ?? 0;
  if (f.clockHour24 !== undefined) {
    if (f.clockHour24 < 1 || f.clockHour24 > 24) return undefined;
    hour = f.clockHour24 % 24;
  }
  if (f.clockHour12 !== undefined || f.hour12 !== undefined) {
    const h = f.clockHour12 !== undefined ? f.clockHour12 : f.hour12!;
    if (f.clockHour12 !== undefined ? h < 1 || h > 12 : h > 11) return undefined;
    hour = (h % 12) + (pm ? 12 : 0);
  } else if (pm !== undefined && f.hour === undefined) {
    hour = pm ? 12 : 0;
  }
  let month = f.month ?? 1;
  let day = f.day ?? 1;
  if (f.dayOfYear !== undefined) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (f.dayOfYear < 1 || f.dayOfYear > (leap ? 366 : 365)) return undefined;
    const d = new Date(Date.UTC(2000, 0, 1));
    d.setUTCFullYear(year, 0, f.dayOfYear);
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  const minute = f.minute ?? 0;
  const second = f.second ?? 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const probe = new Date(Date.UTC(2000, 0, 1));
  probe.setUTCFullYear(year, month - 1, 1);
  probe.setUTCMonth(month, 0);
  if (day < 1 || day > probe.getUTCDate()) return undefined;

  if (offsetMinutes !== undefined) {
    const utc = new Date(Date.UTC(2000, 0, 1, hour, minute, second, fractionMs));
    utc.setUTCFullYear(year, month - 1, day);
    return utc.getTime() - offsetMinutes * 60_000;
  }
  const local = new Date(2000, 0, 1, hour, minute, second, fractionMs);
  local.setFullYear(year, month - 1, day);
  return local.getTime();
}

/** Longest full name, else a three-letter abbreviation, at `at`. */
function matchName(
  lower: string,
  at: number,
  names: readonly string[],
): { index: number; length: number } | undefined {
  for (const [index, name] of names.entries())
    if (lower.startsWith(name, at)) return { index, length: name.length };
  for (const [index, name] of names.entries())
    if (lower.startsWith(name.slice(0, 3), at)) return { index, length: 3 };
  return undefined;
}
