import { ConfigError } from './config-error.ts';

/**
 * Java `.properties` files, read with the rules of `java.util.Properties.load`, so Kafka's
 * server.properties and Flume agent files load unchanged:
 *
 * - Natural lines end at `\n`, `\r` or `\r\n`. Leading spaces, tabs and form feeds are skipped.
 * - A line whose first non-blank character is `#` or `!` is a comment; comments never continue.
 * - A line ending in an odd number of backslashes continues on the next line; the backslash and
 *   the next line's leading blanks are dropped. A blank continuation line ends the logical line.
 * - The key runs to the first unescaped `=`, `:` or blank. Blanks around the separator are
 *   skipped, and a blank separator may be followed by one `=` or `:`. The rest is the value,
 *   trailing blanks included.
 * - Escapes in keys and values: `\t \n \r \f`, `\uXXXX` (exactly four hex digits), and a backslash
 *   before any other character stands for that character (`\=`, `\:`, `\ `, `\#`, `\\`).
 * - A key defined twice keeps its last value.
 *
 * One deliberate difference: Java's `load(InputStream)` decodes bytes as ISO-8859-1; Sluice reads
 * files as UTF-8 (what editors write today). `\uXXXX` escapes mean the same either way.
 */

export interface PropertyEntry {
  readonly key: string;
  readonly value: string;
  /** 1-based number of the natural line where the entry starts. */
  readonly line: number;
}

export interface ParsedProperties {
  /** The effective entries, in the order of their last definition. */
  readonly entries: ReadonlyMap<string, PropertyEntry>;
  /** Earlier definitions replaced by a later one with the same key, in file order. */
  readonly overridden: readonly PropertyEntry[];
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f';

interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

/** Splits text into logical lines (comments and blank lines dropped, continuations joined). */
function* logicalLines(text: string): Generator<LogicalLine> {
  const n = text.length;
  let pos = 0;
  let lineNo = 1;
  while (pos < n) {
    // Start of a natural line that is not a continuation.
    const startLine = lineNo;
    while (pos < n && isBlank(text[pos])) pos++;
    if (pos >= n) return;
    const first = text[pos];
    if (first === '\n' || first === '\r') {
      pos = skipTerminator(text, pos);
      lineNo++;
      continue;
    }
    if (first === '#' || first === '!') {
      while (pos < n && text[pos] !== '\n' && text[pos] !== '\r') pos++;
      pos = skipTerminator(text, pos);
      lineNo++;
      continue;
    }
    let out = '';
    for (;;) {
      const segStart = pos;
      let backslashes = 0;
      while (pos < n && text[pos] !== '\n' && text[pos] !== '\r') {
        backslashes = text[pos] === '\\' ? backslashes + 1 : 0;
        pos++;
      }
      const continues = backslashes % 2 === 1;
      out += text.slice(segStart, continues ? pos - 1 : pos);
      if (pos < n) {
        pos = skipTerminator(text, pos);
        lineNo++;
      }
      if (!continues || pos >= n) break;
      // Continuation: skip the next line's leading blanks; an empty line ends the logical line.
      while (pos < n && isBlank(text[pos])) pos++;
      if (pos >= n) break;
      if (text[pos] === '\n' || text[pos] === '\r') {
        pos = skipTerminator(text, pos);
        lineNo++;
        break;
      }
    }
    yield { text: out, line: startLine };
  }
}

function skipTerminator(text: string, pos: number): number {
  if (text[pos] === '\r') return text[pos + 1] === '\n' ? pos + 2 : pos + 1;
  if (text[pos] === '\n') return pos + 1;
  return pos;
}

/** Resolves escapes in `s[start, end)`. */
function resolveEscapes(
  s: string,
  start: number,
  end: number,
  source: string,
  line: number,
  key: string,
): string {
  let out = '';
  let i = start;
  while (i < end) {
    const c = s[i++]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    if (i >= end) break; // a lone trailing backslash (only possible at end of file) is dropped
    const e = s[i++]!;
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = s.slice(i, i + 4);
        if (i + 4 > end || !/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ConfigError([
            {
              source,
              line,
              key,
              value: s.slice(start, end),
              expected: 'every \\u escape to have exactly four hex digits (\\uXXXX)',
            },
          ]);
        }
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}

/** Splits one logical line into its raw key and value ranges, then unescapes them. */
function splitEntry(text: string, line: number, source: string): PropertyEntry {
  const n = text.length;
  let keyEnd = 0;
  let valueStart = n;
  let hasSeparator = false;
  let escaped = false;
  while (keyEnd < n) {
    const c = text[keyEnd]!;
    if (!escaped && (c === '=' || c === ':')) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!escaped && isBlank(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    escaped = c === '\\' ? !escaped : false;
    keyEnd++;
  }
  while (valueStart < n) {
    const c = text[valueStart]!;
    if (!isBlank(c)) {
      if (hasSeparator || (c !== '=' && c !== ':')) break;
      hasSeparator = true;
    }
    valueStart++;
  }
  const key = resolveEscapes(text, 0, keyEnd, source, line, text.slice(0, keyEnd));
  const value = resolveEscapes(text, valueStart, n, source, line, key);
  return { key, value, line };
}

/**
 * Parses the text of a .properties file. `source` names the file in error messages.
 * Throws ConfigError only for a malformed `\uXXXX` escape (as Java does).
 */
export function parseProperties(text: string, source = '<properties>'): ParsedProperties {
  const entries = new Map<string, PropertyEntry>();
  const overridden: PropertyEntry[] = [];
  // A UTF-8 byte-order mark is not part of the first key.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  for (const { text: logical, line } of logicalLines(body)) {
    const entry = splitEntry(logical, line, source);
    const previous = entries.get(entry.key);
    if (previous) {
      overridden.push(previous);
      entries.delete(entry.key);
    }
    entries.set(entry.key, entry);
  }
  return { entries, overridden };
}

function escapeText(s: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = s.charCodeAt(i);
    switch (c) {
      case ' ':
        out += isKey || i === 0 ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\\':
      case '=':
      case ':':
      case '#':
      case '!':
        out += `\\${c}`;
        break;
      default:
        out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    }
  }
  return out;
}

/**
 * Writes entries as .properties text that `parseProperties` (and Java) reads back to the same
 * keys and values. Non-ASCII characters are written as `\uXXXX` so the file is plain ASCII.
 */
export function formatProperties(entries: Iterable<readonly [string, string]>): string {
  let out = '';
  for (const [key, value] of entries) out += `${escapeText(key, true)}=${escapeText(value, false)}\n`;
  return out;
}
