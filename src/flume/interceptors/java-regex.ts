import { SluiceError } from '../../base/index.ts';

/**
 * Flume configurations carry java.util.regex patterns (regex_filter, regex_extractor,
 * search_replace, remove_header). This module translates such a pattern into an equivalent
 * JavaScript RegExp (always with the `u` flag, so `.` and classes see code points as Java does),
 * and refuses, with a message naming the construct, what JavaScript cannot express.
 *
 * Translated so that matching behaves as in Java:
 * - embedded flags `(?i)`, `(?s)`, `(?m)`, `(?d)`, `(?x)`, `(?u)`, also scoped `(?i-s:...)` and
 *   mid-pattern `a(?i)b` (which lasts to the end of the enclosing group, across `|`); `(?i)`
 *   folds ASCII letters only and `(?iu)` all letters, as in Java;
 * - `.`, `^`, `$`, `\A`, `\z`, `\Z` with Java's line terminators (`\n`, `\r\n`, `\r`, `\u0085`,
 *   `\u2028`, `\u2029`): `$` without MULTILINE also matches before a final line terminator, `^`
 *   with MULTILINE never matches at the end of the input;
 * - Java's `\s` (ASCII only), `\h`, `\v`, `\R`, `\b` (word characters are Unicode letters and
 *   digits, as Java 8-17 count them), `\e`, `\a`, `\0nnn` octal, `\x{...}`, `\cX`, `\Q...\E`;
 * - POSIX classes (`\p{Alpha}`, `\p{Punct}`...), Unicode categories and scripts (`\p{Lu}`,
 *   `\p{IsLatin}`, `\p{IsAlphabetic}`);
 * - comments mode (`(?x)`): blanks and `#` comments are dropped, inside classes too;
 * - back-references as Java reads them (`\11` is group 11 only if 11 groups are open, else group 1
 *   and a literal `1`); a reference to a group that does not exist never matches;
 * - quantified assertions (`^*`, `\b+`), legal in Java, are wrapped so JavaScript accepts them.
 *
 * Refused (JavaScript has no equivalent): possessive quantifiers (`a*+`), atomic groups (`(?>`),
 * class union and intersection (`[a[b]]`, `[a-z&&[^e]]`), `\G`, `\X`, `\N{...}`, `\b{g}`, Unicode
 * blocks (`\p{InGreek}`), `java*` properties and the `(?U)` flag.
 *
 * Known remaining differences: a back-reference to a group that did not take part in the match
 * fails in Java but matches the empty string in JavaScript; a capturing group inside a repeated
 * group keeps its last value in Java but is reset on every repetition in JavaScript; a repeated
 * group that can match the empty string may stop at another point; case-insensitive
 * back-references fold Unicode letters even without `(?u)`.
 */

export class JavaRegexError extends SluiceError {
  constructor(message: string) {
    super('FLUME_REGEX', message);
  }
}

export interface TranslatedRegex {
  /** JavaScript pattern source. */
  readonly source: string;
  /** JavaScript flags: always `u`, plus `i` when the pattern starts with `(?i)`. */
  readonly flags: string;
  /** Number of capturing groups (numbered as in Java and JavaScript: by opening parenthesis). */
  readonly groupCount: number;
  /** Named groups in order of appearance. */
  readonly groupNames: readonly string[];
}

interface Mode {
  i: boolean;
  m: boolean;
  s: boolean;
  d: boolean;
  x: boolean;
  /** UNICODE_CASE: with `i`, fold non-ASCII letters too (else Java folds ASCII only). */
  u: boolean;
}

/** Code point ranges, inclusive. */
type Ranges = readonly (readonly [number, number])[];

/** One item of a character class: a single code point (may start a range) or a set. */
type ClassItem = { readonly cp: number } | { readonly set: string };

const MAX_CP = 0x10ffff;
const LINE_BREAK = '(?:\\r\\n|[\\n\\u000b\\f\\r\\u0085\\u2028\\u2029])';
const LINE_BREAK_REPEATED = '(?:\\r\\n|(?!\\r\\n)[\\n\\u000b\\f\\r\\u0085\\u2028\\u2029])';
const LINE_TERMINATORS = '\\n\\r\\u0085\\u2028\\u2029';
/** Java's `\s` without UNICODE_CHARACTER_CLASS. */
const JAVA_SPACE: Ranges = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
const HORIZONTAL_SPACE: Ranges = [
  [0x09, 0x09],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const VERTICAL_SPACE: Ranges = [
  [0x0a, 0x0d],
  [0x85, 0x85],
  [0x2028, 0x2029],
];
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const LOWER: Ranges = [[0x61, 0x7a]];
const UPPER: Ranges = [[0x41, 0x5a]];
const ALPHA: Ranges = [...UPPER, ...LOWER];
const ALNUM: Ranges = [...DIGIT, ...UPPER, ...LOWER];
const PUNCT: Ranges = [
  [0x21, 0x2f],
  [0x3a, 0x40],
  [0x5b, 0x60],
  [0x7b, 0x7e],
];
const GRAPH: Ranges = [[0x21, 0x7e]];

/** Java's POSIX character classes (US-ASCII only, as without UNICODE_CHARACTER_CLASS). */
const POSIX: Readonly<Record<string, Ranges>> = {
  Lower: LOWER,
  Upper: UPPER,
  ASCII: [[0x00, 0x7f]],
  Alpha: ALPHA,
  Digit: DIGIT,
  Alnum: ALNUM,
  Punct: PUNCT,
  Graph: GRAPH,
  Print: [[0x20, 0x7e]],
  Blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  Cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  XDigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
  Space: JAVA_SPACE,
};

const CATEGORIES = new Set(
  'L Lu Ll Lt Lm Lo LC M Mn Mc Me N Nd Nl No Z Zs Zl Zp C Cc Cf Co Cs Cn P Pd Ps Pe Pc Po Pi Pf S Sm Sc Sk So'.split(
    ' ',
  ),
);

/** Java's binary properties (`\p{IsAlphabetic}`) and the JavaScript property for each. */
const BINARY_PROPERTIES: Readonly<Record<string, string>> = {
  alphabetic: 'Alphabetic',
  ideographic: 'Ideographic',
  letter: 'L',
  lowercase: 'Lowercase',
  uppercase: 'Uppercase',
  titlecase: 'Lt',
  punctuation: 'P',
  control: 'Cc',
  whitespace: 'White_Space',
  white_space: 'White_Space',
  digit: 'Nd',
  hexdigit: 'Hex_Digit',
  hex_digit: 'Hex_Digit',
  joincontrol: 'Join_Control',
  join_control: 'Join_Control',
  noncharactercodepoint: 'Noncharacter_Code_Point',
  noncharacter_code_point: 'Noncharacter_Code_Point',
  assigned: 'Assigned',
};

function complement(ranges: Ranges): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** A code point written so it is literal both inside and outside a class in `u` mode. */
function literal(cp: number, inClass = false): string {
  const ch = String.fromCodePoint(cp);
  if ('^$\\.*+?()[]{}|/'.includes(ch) || (inClass && ch === '-')) return `\\${ch}`;
  if (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0xa0) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0xd800 && cp <= 0xdfff)
  )
    return `\\u{${cp.toString(16)}}`;
  return ch;
}

function rangesText(ranges: Ranges): string {
  return ranges
    .map(([lo, hi]) => (lo === hi ? literal(lo, true) : `${literal(lo, true)}-${literal(hi, true)}`))
    .join('');
}

/** Replaces `\Q...\E` by escaped characters, as Java does before parsing. */
function removeQuoting(p: string): string {
  if (!p.includes('\\Q')) return p;
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\' && p[i + 1] === 'Q') {
      i += 2;
      const end = p.indexOf('\\E', i);
      const quoted = end < 0 ? p.slice(i) : p.slice(i, end);
      for (const q of quoted) out += /[A-Za-z0-9]/.test(q) ? q : `\\${q}`;
      i = end < 0 ? p.length : end + 2;
    } else if (c === '\\') {
      out += p.slice(i, i + 2);
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function countGroups(p: string): number {
  let n = 0;
  let inClass = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '[') inClass++;
    else if (c === ']' && inClass > 0) inClass--;
    else if (c === '(' && inClass === 0) {
      if (p[i + 1] !== '?') n++;
      else if (p[i + 2] === '<' && p[i + 3] !== '=' && p[i + 3] !== '!') n++;
    }
  }
  return n;
}

class Translator {
  readonly p: string;
  i = 0;
  groups = 0;
  readonly names: string[] = [];
  readonly totalGroups: number;
  /** Whether the JavaScript `i` flag is set (the pattern starts with `(?i)`). */
  baseI = false;

  constructor(pattern: string) {
    this.p = removeQuoting(pattern);
    this.totalGroups = countGroups(this.p);
  }

  fail(what: string): never {
    throw new JavaRegexError(`${what} (at index ${this.i})`);
  }

  peek(): string | undefined {
    return this.p[this.i];
  }

  /** In comments mode, skips blanks and `#` comments. */
  skipComments(mode: Mode): void {
    if (!mode.x) return;
    for (;;) {
      const c = this.p[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.i++;
      else if (c === '#') {
        while (this.i < this.p.length && !'\n\r\u0085\u2028\u2029'.includes(this.p[this.i]!)) this.i++;
      } else return;
    }
  }

  /**
   * Wraps a leaf so case sensitivity follows the Java flags in force rather than the JS flag.
   * JavaScript's `i` folds Unicode, so it stands for Java's `(?iu)`; plain `(?i)` (ASCII only) is
   * spelled out in literals and classes instead, except for back-references (`folds`).
   */
  leaf(text: string, mode: Mode, folds = mode.i && mode.u): string {
    if (folds === this.baseI) return text;
    return folds ? `(?i:${text})` : `(?-i:${text})`;
  }

  /** A literal code point, both ASCII cases under Java's ASCII-only `(?i)`. */
  char(cp: number, mode: Mode): string {
    const other = mode.i && !mode.u ? asciiOtherCase(cp) : undefined;
    return other === undefined ? literal(cp) : `[${literal(cp, true)}${literal(other, true)}]`;
  }

  translate(): TranslatedRegex {
    const mode: Mode = { i: false, m: false, s: false, d: false, x: false, u: false };
    const source = this.alternation(mode, 0);
    if (this.i < this.p.length) this.fail("unmatched closing ')'");
    return { source, flags: this.baseI ? 'iu' : 'u', groupCount: this.groups, groupNames: this.names };
  }

  alternation(mode: Mode, depth: number): string {
    const alternatives: string[] = [];
    for (;;) {
      alternatives.push(this.sequence(mode, depth, alternatives.length === 0));
      if (this.peek() === '|') {
        this.i++;
        continue;
      }
      return alternatives.join('|');
    }
  }

  sequence(mode: Mode, depth: number, first: boolean): string {
    const atoms: { text: string; assertion: boolean; quantified: boolean }[] = [];
    for (;;) {
      this.skipComments(mode);
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '*' || c === '+' || c === '?' || c === '{') {
        const last = atoms.at(-1);
        if (!last || last.quantified) {
          if (c === '{') this.fail("illegal repetition '{'");
          this.fail(`dangling meta character '${c}'`);
        }
        const q = this.quantifier();
        // A repeated \R gives up whole iterations only, never `\r` out of `\r\n` (Java's loop).
        if (last.text === LINE_BREAK) last.text = LINE_BREAK_REPEATED;
        last.text = `${last.assertion ? `(?:${last.text})` : last.text}${q}`;
        last.assertion = false;
        last.quantified = true;
        continue;
      }
      if (c === '(' && this.p[this.i + 1] === '?' && /[idmsuxU-]/.test(this.p[this.i + 2] ?? '')) {
        const flags = this.readFlags(mode);
        if (!flags.scoped) {
          Object.assign(mode, flags.next);
          this.i = flags.end + 1;
          // Leading flags at the top level become the JavaScript flag.
          if (depth === 0 && first && atoms.length === 0) this.baseI = mode.i && mode.u;
          continue;
        }
      }
      atoms.push({ ...this.atom(mode, depth), quantified: false });
    }
    return atoms.map((a) => a.text).join('');
  }

  quantifier(): string {
    const c = this.p[this.i]!;
    let q: string;
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.p.slice(this.i));
      if (!m) this.fail("illegal repetition '{'");
      const min = Number(m[1]);
      const max = m[3] === undefined || m[3] === '' ? undefined : Number(m[3]);
      if (min > 2 ** 31 - 1 || (max !== undefined && max > 2 ** 31 - 1))
        this.fail('repetition count too large');
      if (max !== undefined && max < min) this.fail('illegal repetition range');
      q = m[0];
      this.i += m[0].length;
    } else {
      q = c;
      this.i++;
    }
    const next = this.peek();
    if (next === '?') {
      this.i++;
      return `${q}?`;
    }
    if (next === '+') {
      this.fail(
        `possessive quantifier '${q}+' is not supported (JavaScript has none; use the greedy '${q}' if backtracking does not matter)`,
      );
    }
    return q;
  }

  /** Reads `(?flags)` or `(?flags:` at the cursor: the mode they give and where they end. */
  readFlags(mode: Mode): { next: Mode; end: number; scoped: boolean } {
    let j = this.i + 2;
    let on = true;
    const next = { ...mode };
    for (; j < this.p.length; j++) {
      const f = this.p[j]!;
      if (f === ')' || f === ':') break;
      if (f === '-') on = false;
      else if (f === 'i' || f === 'm' || f === 's' || f === 'd' || f === 'x' || f === 'u') next[f] = on;
      else if (f === 'U') {
        this.i = j;
        this.fail('the (?U) flag (UNICODE_CHARACTER_CLASS) is not supported');
      } else {
        this.i = j;
        this.fail(`unknown inline modifier '${f}'`);
      }
    }
    if (j >= this.p.length) this.fail('unclosed group');
    return { next, end: j, scoped: this.p[j] === ':' };
  }

  atom(mode: Mode, depth: number): { text: string; assertion: boolean } {
    const c = this.p[this.i]!;
    switch (c) {
      case '(':
        return this.group(mode, depth);
      case '[':
        return { text: this.charClass(mode), assertion: false };
      case '.':
        this.i++;
        return { text: mode.s ? '[^]' : mode.d ? '[^\\n]' : `[^${LINE_TERMINATORS}]`, assertion: false };
      case '^':
        this.i++;
        return { text: this.caret(mode), assertion: true };
      case '$':
        this.i++;
        return { text: this.dollar(mode), assertion: true };
      case '\\':
        return this.escape(mode);
      default: {
        const cp = this.p.codePointAt(this.i)!;
        this.i += cp > 0xffff ? 2 : 1;
        return { text: this.leaf(this.char(cp, mode), mode), assertion: false };
      }
    }
  }

  caret(mode: Mode): string {
    if (!mode.m) return '^';
    // Java's multiline `^` never matches at the end of the input, not even of an empty one.
    if (mode.d) return '(?:^|(?<=\\n))(?!$)';
    return '(?:^|(?<=[\\n\\u0085\\u2028\\u2029]|\\r(?!\\n)))(?!$)';
  }

  dollar(mode: Mode): string {
    if (mode.d) return mode.m ? '(?=\\n|$)' : '(?=\\n?$)';
    if (mode.m) return `(?=[${LINE_TERMINATORS}]|$)(?!(?<=\\r)\\n)`;
    return `(?=(?:\\r\\n|[${LINE_TERMINATORS}])?$)(?!(?<=\\r)\\n)`;
  }

  group(mode: Mode, depth: number): { text: string; assertion: boolean } {
    const start = this.i;
    this.i++;
    const inner: Mode = { ...mode };
    let open: string;
    let assertion = false;
    if (this.peek() !== '?') {
      this.groups++;
      open = '(';
    } else {
      const rest = this.p.slice(this.i + 1);
      if (rest.startsWith(':')) {
        open = '(?:';
        this.i += 2;
      } else if (rest.startsWith('=') || rest.startsWith('!')) {
        open = `(?${rest[0]}`;
        this.i += 2;
        assertion = true;
      } else if (rest.startsWith('<=') || rest.startsWith('<!')) {
        open = `(?${rest.slice(0, 2)}`;
        this.i += 3;
        assertion = true;
      } else if (rest.startsWith('<')) {
        const m = /^<([a-zA-Z][a-zA-Z0-9]*)>/.exec(rest);
        if (!m)
          this.fail('capturing group name must start with a letter and contain only letters and digits');
        if (this.names.includes(m[1]!)) this.fail(`named capturing group <${m[1]}> is already defined`);
        this.names.push(m[1]!);
        this.groups++;
        open = `(?<${m[1]}>`;
        this.i += 1 + m[0].length;
      } else if (rest.startsWith('>')) {
        this.fail('atomic groups (?>...) are not supported (JavaScript has none)');
      } else if (/^[idmsuxU-]/.test(rest)) {
        this.i = start;
        const flags = this.readFlags(mode);
        Object.assign(inner, flags.next);
        open = '(?:';
        this.i = flags.end + 1;
      } else {
        this.fail(`unknown group type '(?${rest[0] ?? ''}'`);
      }
    }
    const body = this.alternation(inner, depth + 1);
    if (this.peek() !== ')') {
      this.i = start;
      this.fail('unclosed group');
    }
    this.i++;
    return { text: `${open}${body})`, assertion };
  }

  /** Escape outside a class. */
  escape(mode: Mode): { text: string; assertion: boolean } {
    const e = this.p[this.i + 1];
    if (e === undefined) this.fail('unexpected end of pattern after \\');
    if (e >= '1' && e <= '9')
      return { text: this.leaf(this.backReference(), mode, mode.i), assertion: false };
    switch (e) {
      case 'b':
        if (this.p.startsWith('{g}', this.i + 2)) this.fail('\\b{g} (grapheme boundaries) is not supported');
        this.i += 2;
        return {
          text: '(?:(?<=[\\p{L}\\p{Nd}_])(?![\\p{L}\\p{Nd}_])|(?<![\\p{L}\\p{Nd}_])(?=[\\p{L}\\p{Nd}_]))',
          assertion: true,
        };
      case 'B':
        this.i += 2;
        return {
          text: '(?:(?<=[\\p{L}\\p{Nd}_])(?=[\\p{L}\\p{Nd}_])|(?<![\\p{L}\\p{Nd}_])(?![\\p{L}\\p{Nd}_]))',
          assertion: true,
        };
      case 'A':
        this.i += 2;
        return { text: '^', assertion: true };
      case 'z':
        this.i += 2;
        return { text: '$', assertion: true };
      case 'Z':
        this.i += 2;
        return { text: this.dollar({ ...mode, m: false }), assertion: true };
      case 'G':
        this.fail('\\G (end of the previous match) is not supported');
        break;
      case 'R':
        this.i += 2;
        return { text: LINE_BREAK, assertion: false };
      case 'k': {
        const m = /^\\k<([a-zA-Z][a-zA-Z0-9]*)>/.exec(this.p.slice(this.i));
        if (!m) this.fail('\\k must be followed by <name>');
        if (!this.names.includes(m[1]!)) this.fail(`named capturing group <${m[1]}> does not exist`);
        this.i += m[0].length;
        return { text: this.leaf(`(?:\\k<${m[1]}>)`, mode, mode.i), assertion: false };
      }
      default: {
        const item = this.classEscape(mode);
        // Sets never fold case in Java (Lower/Upper are widened by `property` instead).
        if ('set' in item) return { text: this.leaf(`[${item.set}]`, mode, false), assertion: false };
        return { text: this.leaf(this.char(item.cp, mode), mode), assertion: false };
      }
    }
  }

  backReference(): string {
    // Java: the first digit always counts; more digits while the number stays within the groups opened so far.
    this.i++;
    let ref = Number(this.p[this.i]);
    this.i++;
    while (/[0-9]/.test(this.p[this.i] ?? '')) {
      const next = ref * 10 + Number(this.p[this.i]);
      if (next > this.groups) break;
      ref = next;
      this.i++;
    }
    return ref > this.totalGroups ? '(?!)' : `(?:\\${ref})`;
  }

  /** An escape that stands for a code point or a set (valid inside and outside classes). */
  classEscape(mode: Mode): ClassItem {
    const e = this.p[this.i + 1]!;
    const at = this.i;
    this.i += 2;
    const ranges = (r: Ranges): ClassItem => ({ set: rangesText(r) });
    switch (e) {
      case 't':
        return { cp: 0x09 };
      case 'n':
        return { cp: 0x0a };
      case 'r':
        return { cp: 0x0d };
      case 'f':
        return { cp: 0x0c };
      case 'a':
        return { cp: 0x07 };
      case 'e':
        return { cp: 0x1b };
      case 'd':
        return ranges(DIGIT);
      case 'D':
        return ranges(complement(DIGIT));
      case 'w':
        return ranges(WORD);
      case 'W':
        return ranges(complement(WORD));
      case 's':
        return ranges(JAVA_SPACE);
      case 'S':
        return ranges(complement(JAVA_SPACE));
      case 'h':
        return ranges(HORIZONTAL_SPACE);
      case 'H':
        return ranges(complement(HORIZONTAL_SPACE));
      case 'v':
        return ranges(VERTICAL_SPACE);
      case 'V':
        return ranges(complement(VERTICAL_SPACE));
      case 'c': {
        const ch = this.p.codePointAt(this.i);
        if (ch === undefined) this.fail('illegal control escape sequence');
        this.i += ch > 0xffff ? 2 : 1;
        return { cp: ch ^ 64 };
      }
      case '0': {
        const m = /^([0-3][0-7]{0,2}|[4-7][0-7]?)/.exec(this.p.slice(this.i));
        if (!m) this.fail('illegal octal escape sequence');
        this.i += m[0].length;
        return { cp: Number.parseInt(m[0], 8) };
      }
      case 'x': {
        const m = /^(?:([0-9a-fA-F]{2})|\{([0-9a-fA-F]+)\})/.exec(this.p.slice(this.i));
        if (!m) this.fail('illegal hexadecimal escape sequence');
        const cp = Number.parseInt(m[1] ?? m[2]!, 16);
        if (cp > MAX_CP) this.fail('hexadecimal code point is too big');
        this.i += m[0].length;
        return { cp };
      }
      case 'u': {
        const m = /^[0-9a-fA-F]{4}/.exec(this.p.slice(this.i));
        if (!m) this.fail('illegal Unicode escape sequence');
        this.i += 4;
        let cp = Number.parseInt(m[0], 16);
        const low = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(this.p.slice(this.i));
        if (cp >= 0xd800 && cp <= 0xdbff && low) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (Number.parseInt(low[1]!, 16) - 0xdc00);
          this.i += 6;
        }
        return { cp };
      }
      case 'p':
      case 'P':
        return { set: this.property(e === 'P', mode) };
      case 'X':
        this.i = at;
        this.fail('\\X (grapheme clusters) is not supported');
        break;
      case 'N':
        this.i = at;
        this.fail('\\N{name} is not supported');
        break;
      default:
        if (/[a-zA-Z0-9]/.test(e)) {
          this.i = at;
          this.fail(`illegal/unsupported escape sequence '\\${e}'`);
        }
    }
    // A backslash before any other character quotes it.
    const cp = this.p.codePointAt(at + 1)!;
    this.i = at + 1 + (cp > 0xffff ? 2 : 1);
    return { cp };
  }

  property(negated: boolean, mode: Mode): string {
    let name: string;
    if (this.peek() === '{') {
      const end = this.p.indexOf('}', this.i);
      if (end < 0) this.fail('unclosed character family');
      name = this.p.slice(this.i + 1, end);
      this.i = end + 1;
    } else {
      name = this.p[this.i] ?? '';
      this.i++;
    }
    // Case-insensitive Java widens the case properties to every cased letter.
    if (mode.i) {
      if (name === 'Lower' || name === 'Upper') name = 'Alpha';
      else if (/^(Is)?(Lu|Ll|Lt|Lowercase|Uppercase|Titlecase)$/i.test(name)) name = 'LC';
    }
    const posix = POSIX[name];
    if (posix) return rangesText(negated ? complement(posix) : posix);
    const p = negated ? 'P' : 'p';
    const tryProperty = (js: string): string | undefined => {
      try {
        new RegExp(`\\${p}{${js}}`, 'u');
        return `\\${p}{${js}}`;
      } catch {
        return undefined;
      }
    };
    const unsupported = (why: string): never => this.fail(`\\${p}{${name}} is not supported: ${why}`);
    if (CATEGORIES.has(name)) return `\\${p}{${name}}`;
    if (name.startsWith('In') || /^(block|blk)=/i.test(name))
      return unsupported('JavaScript has no Unicode blocks');
    if (name.startsWith('java'))
      return unsupported('java.lang.Character properties have no JavaScript equivalent');
    if (name.startsWith('Is')) {
      const rest = name.slice(2);
      if (CATEGORIES.has(rest)) return `\\${p}{${rest}}`;
      const binary = BINARY_PROPERTIES[rest.toLowerCase()];
      if (binary) return `\\${p}{${binary}}`;
      return tryProperty(`Script=${titleCase(rest)}`) ?? unsupported('unknown property or script');
    }
    const eq = /^(script|sc|general_category|gc)=(.+)$/i.exec(name);
    if (eq) {
      const isScript = eq[1]!.toLowerCase().startsWith('s');
      const value = isScript ? titleCase(eq[2]!) : eq[2]!;
      return (
        tryProperty(`${isScript ? 'Script' : 'General_Category'}=${value}`) ?? unsupported('unknown value')
      );
    }
    return unsupported('unknown character property');
  }

  charClass(mode: Mode): string {
    const start = this.i;
    this.i++;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const parts: string[] = [];
    const ranges: [number, number][] = [];
    let firstItem = true;
    for (;;) {
      this.skipComments(mode);
      const c = this.peek();
      if (c === undefined) {
        this.i = start;
        this.fail('unclosed character class');
      }
      if (c === ']' && !firstItem) {
        this.i++;
        break;
      }
      firstItem = false;
      if (c === '[') this.fail('character class union ([a[b]]) is not supported');
      if (c === '&' && this.p[this.i + 1] === '&')
        this.fail('character class intersection (&&) is not supported');
      const item = this.classItem(mode);
      if ('set' in item) {
        parts.push(item.set);
        continue;
      }
      // A range `a-b`, unless the '-' is last or followed by a set.
      const save = this.i;
      this.skipComments(mode);
      if (this.peek() === '-' && this.p[this.i + 1] !== ']' && this.p[this.i + 1] !== undefined) {
        this.i++;
        this.skipComments(mode);
        if (this.peek() === '[') this.fail('character class union ([a[b]]) is not supported');
        const end = this.classItem(mode);
        if ('set' in end) this.fail('illegal character range (a range cannot end with a class)');
        if (end.cp < item.cp) this.fail('illegal character range');
        ranges.push([item.cp, end.cp]);
        continue;
      }
      this.i = save;
      ranges.push([item.cp, item.cp]);
    }
    if (mode.i && !mode.u) ranges.push(...asciiCaseVariants(ranges));
    const hat = negated ? '^' : '';
    if (parts.length === 0) return this.leaf(`[${hat}${rangesText(ranges)}]`, mode);
    if (ranges.length === 0) return this.leaf(`[${hat}${parts.join('')}]`, mode, false);
    if (!(mode.i && mode.u)) return this.leaf(`[${hat}${rangesText(ranges)}${parts.join('')}]`, mode);
    // Unicode case folding applies to the literal characters but not to the sets.
    const either = `${this.leaf(`[${rangesText(ranges)}]`, mode)}|${this.leaf(`[${parts.join('')}]`, mode, false)}`;
    return negated ? `(?:(?!${either})[^])` : `(?:${either})`;
  }

  classItem(mode: Mode): ClassItem {
    const c = this.p[this.i]!;
    if (c === '\\') {
      const e = this.p[this.i + 1];
      if (e === undefined) this.fail('unexpected end of pattern after \\');
      if (/[1-9bBAzZGRk]/.test(e)) this.fail(`'\\${e}' is not allowed in a character class`);
      return this.classEscape(mode);
    }
    const cp = this.p.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return { cp };
  }
}

function asciiOtherCase(cp: number): number | undefined {
  if (cp >= 0x41 && cp <= 0x5a) return cp + 0x20;
  if (cp >= 0x61 && cp <= 0x7a) return cp - 0x20;
  return undefined;
}

/** The other-case ASCII letters of `ranges` (Java's ASCII-only case-insensitive classes). */
function asciiCaseVariants(ranges: Ranges): [number, number][] {
  const out: [number, number][] = [];
  for (const [lo, hi] of ranges) {
    for (const [a, z, shift] of [
      [0x41, 0x5a, 0x20],
      [0x61, 0x7a, -0x20],
    ] as const) {
      const from = Math.max(lo, a);
      const to = Math.min(hi, z);
      if (from <= to) out.push([from + shift, to + shift]);
    }
  }
  return out;
}

function titleCase(s: string): string {
  return s
    .split('_')
    .map((w) => (w.length === 0 ? w : w[0]!.toUpperCase() + w.slice(1).toLowerCase()))
    .join('_');
}

/** Translates a java.util.regex pattern; throws JavaRegexError for what JavaScript cannot express. */
export function translateJavaRegex(pattern: string): TranslatedRegex {
  const t = new Translator(pattern).translate();
  try {
    new RegExp(t.source, t.flags);
  } catch (err) {
    throw new JavaRegexError(
      `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return t;
}

/** A compiled Java pattern; `find` semantics by default, `g` added for replacing. */
export interface JavaRegex extends TranslatedRegex {
  readonly regex: RegExp;
}

export function compileJavaRegex(pattern: string, extraFlags = ''): JavaRegex {
  const t = translateJavaRegex(pattern);
  return { ...t, regex: new RegExp(t.source, t.flags + extraFlags) };
}

/** Java's `Matcher.matches()`: the whole input must match. */
export function compileJavaFullMatch(pattern: string): JavaRegex {
  const t = translateJavaRegex(pattern);
  return { ...t, regex: new RegExp(`^(?:${t.source})$`, t.flags) };
}

/** A parsed Java replacement string (`Matcher.replaceAll`): text, `$n` and `${name}` references. */
export type ReplacementPart = string | { readonly group: number } | { readonly name: string };

/**
 * Parses a replacement as Java's Matcher.appendReplacement reads it: `\x` is a literal x, `$n`
 * takes further digits while the number stays a valid group, `${name}` names a group. Unknown
 * groups and a dangling `$` or `\` are errors, reported here rather than on the first event.
 */
export function parseJavaReplacement(
  replacement: string,
  groupCount: number,
  groupNames: readonly string[],
): ReplacementPart[] {
  const parts: ReplacementPart[] = [];
  let text = '';
  let i = 0;
  const flush = () => {
    if (text !== '') parts.push(text);
    text = '';
  };
  while (i < replacement.length) {
    const c = replacement[i]!;
    if (c === '\\') {
      if (i + 1 >= replacement.length)
        throw new JavaRegexError('character to be escaped is missing at the end of the replacement');
      text += replacement[i + 1];
      i += 2;
    } else if (c === '$') {
      i++;
      if (replacement[i] === '{') {
        const end = replacement.indexOf('}', i);
        const name = end < 0 ? '' : replacement.slice(i + 1, end);
        if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(name))
          throw new JavaRegexError(
            'a named group reference is $ followed by {name}, the name starting with a letter',
          );
        if (!groupNames.includes(name)) throw new JavaRegexError(`no group with name {${name}}`);
        flush();
        parts.push({ name });
        i = end + 1;
        continue;
      }
      if (!/[0-9]/.test(replacement[i] ?? ''))
        throw new JavaRegexError("illegal group reference: '$' not followed by a group number or {name}");
      let ref = Number(replacement[i]);
      i++;
      while (/[0-9]/.test(replacement[i] ?? '')) {
        const next = ref * 10 + Number(replacement[i]);
        if (next > groupCount) break;
        ref = next;
        i++;
      }
      if (ref > groupCount) throw new JavaRegexError(`no group ${ref} (the pattern has ${groupCount})`);
      flush();
      parts.push({ group: ref });
    } else {
      text += c;
      i++;
    }
  }
  flush();
  return parts;
}

/** Java's `Matcher.replaceAll` with a parsed replacement; `regex` must have the `g` flag. */
export function replaceAllJava(input: string, regex: RegExp, parts: readonly ReplacementPart[]): string {
  return input.replace(regex, (...args: unknown[]) => {
    const last = args.at(-1);
    const named =
      typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else if ('group' in part) out += (args[part.group] as string | undefined) ?? '';
      else out += named[part.name] ?? '';
    }
    return out;
  });
}
