import { intersect } from './model.ts';
import type { VersionRange } from './spec.ts';
import { VERSION_MAX } from './spec.ts';

/** A line buffer with indentation, for emitting TypeScript. */
export class Code {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ''): this {
    this.lines.push(text === '' ? '' : '  '.repeat(this.depth) + text);
    return this;
  }

  /** Emits `open`, the body one level deeper, then `close`. */
  block(open: string, body: () => void, close = '}'): this {
    this.line(open);
    this.depth++;
    body();
    this.depth--;
    this.line(close);
    return this;
  }

  /** Appends the lines of `other` at the current indentation. */
  append(other: Code): this {
    for (const l of other.lines) this.line(l);
    return this;
  }

  /** `if (cond) { yes } else { no }`. */
  ifElse(cond: string, yes: () => void, no: () => void): this {
    this.line(`if (${cond}) {`);
    this.depth++;
    yes();
    this.depth--;
    this.line('} else {');
    this.depth++;
    no();
    this.depth--;
    this.line('}');
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/**
 * A version condition as a TypeScript expression over `v`, relative to `ctx` (the versions in which
 * the code runs): `'true'` and `'false'` are constants the emitters fold away.
 */
export function versionCond(range: VersionRange | null, ctx: VersionRange): string {
  const r = intersect(range, ctx);
  if (r === null) return 'false';
  const lo = r.min > ctx.min;
  const hi = r.max < ctx.max;
  if (!lo && !hi) return 'true';
  if (r.min === r.max) return `v === ${r.min}`;
  if (lo && hi) return `v >= ${r.min} && v <= ${r.max}`;
  return lo ? `v >= ${r.min}` : `v <= ${r.max}`;
}

export function isConst(cond: string): boolean {
  return cond === 'true' || cond === 'false';
}

function paren(cond: string): string {
  return /^[\w.]+$/.test(cond) ? cond : `(${cond})`;
}

export function not(cond: string): string {
  if (cond === 'true') return 'false';
  if (cond === 'false') return 'true';
  return `!${paren(cond)}`;
}

export function and(a: string, b: string): string {
  if (a === 'false' || b === 'false') return 'false';
  if (a === 'true') return b;
  if (b === 'true') return a;
  return `${a} && ${b}`;
}

/** `cond ? yes : no`, folded when the condition is constant. */
export function pick(cond: string, yes: string, no: string): string {
  if (cond === 'true') return yes;
  if (cond === 'false') return no;
  return `${paren(cond)} ? ${yes} : ${no}`;
}

/** Emits one statement or an if/else pair, folded when the condition is constant. */
export function pickStatement(c: Code, cond: string, yes: string, no: string): void {
  if (cond === 'true') c.line(`${yes};`);
  else if (cond === 'false') c.line(`${no};`);
  else {
    c.line(`if (${cond}) ${yes};`);
    c.line(`else ${no};`);
  }
}

/** "0+", "3-5", "3" or "none", as in the specs. */
export function formatRange(r: VersionRange | null): string {
  if (r === null) return 'none';
  if (r.max === VERSION_MAX) return `${r.min}+`;
  return r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`;
}
