import { ConfigError, type ConfigIssue } from './config-error.ts';
import type { PropertyEntry } from './properties.ts';

/**
 * Typed configuration definitions in the style of Kafka's ConfigDef: one definition per component
 * is the source of defaults, validation, typed values and the reference documentation.
 *
 * Parsing follows Kafka's rules for string input: values are trimmed; booleans are `true`/`false`
 * in any case; lists split on commas with surrounding blanks and an empty string is an empty list.
 */

export type ConfigType = 'int' | 'long' | 'double' | 'string' | 'password' | 'boolean' | 'list' | 'enum';
export type Importance = 'high' | 'medium' | 'low';

/** A secret: never shown by `toString`, JSON or `util.inspect`. */
export class Password {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself; call only where it is used. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[hidden]';
  }

  toJSON(): string {
    return '[hidden]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Password [hidden]';
  }
}

interface ValueTypes {
  int: number;
  long: number;
  double: number;
  string: string;
  password: Password;
  boolean: boolean;
  list: string[];
  enum: string;
}

/** A check on a parsed value; `expected` completes "expected ..." in error messages and docs. */
export interface Validator<T> {
  readonly expected: string;
  test(value: T): boolean;
}

interface KeySpecBase<K extends ConfigType> {
  readonly type: K;
  /**
   * The value when the key is absent. Omit it to make the key required; `null` makes it optional
   * with no value (the typed value is then `T | null`).
   */
  readonly default?: ValueTypes[K] | null;
  readonly validator?: Validator<ValueTypes[K]>;
  readonly importance: Importance;
  readonly doc: string;
}

export type KeySpec =
  | KeySpecBase<'int'>
  | KeySpecBase<'long'>
  | KeySpecBase<'double'>
  | KeySpecBase<'string'>
  | KeySpecBase<'password'>
  | KeySpecBase<'boolean'>
  | KeySpecBase<'list'>
  | (KeySpecBase<'enum'> & {
      /** Allowed values; the parsed value is always one of these spellings. */
      readonly values: readonly string[];
      readonly caseInsensitive?: boolean;
    });

export type ConfigSpec = Readonly<Record<string, KeySpec>>;

/** The typed value of one key, from its spec. */
export type ValueOf<S extends KeySpec> =
  | (S extends { readonly type: 'enum'; readonly values: readonly (infer V)[] } ? V : ValueTypes[S['type']])
  | (S extends { readonly default: null } ? null : never);

/** The typed values of a whole spec, keyed by the external key strings (`'num.partitions'`). */
export type ConfigValues<S extends ConfigSpec> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Where each value came from: a file (with line), an override layer, or the default. */
export interface ValueOrigin {
  readonly source: string;
  readonly line?: number;
}

/** A layer of raw string entries: a file, command-line overrides... Later layers win. */
export interface ConfigLayer {
  /** File path or a label such as `--override`. */
  readonly source: string;
  readonly entries: Iterable<Pick<PropertyEntry, 'key' | 'value'> & { readonly line?: number }>;
}

export interface ConfigWarning {
  readonly source: string;
  readonly line?: number;
  readonly key: string;
  readonly message: string;
}

export interface ParsedConfig<S extends ConfigSpec> {
  readonly values: ConfigValues<S>;
  /** The raw string given for each key that was set (absent for defaulted keys). */
  readonly raw: ReadonlyMap<keyof S & string, string>;
  readonly origins: ReadonlyMap<keyof S & string, ValueOrigin>;
  /** Unknown keys (and other non-fatal findings); returned, never printed. */
  readonly warnings: readonly ConfigWarning[];
}

export interface ParseOptions {
  /** Turn unknown keys into errors. */
  readonly strict?: boolean;
}

/** One row of the generated reference documentation. */
export interface ConfigDocRow {
  readonly key: string;
  readonly type: ConfigType;
  readonly default: string;
  readonly validValues: string;
  readonly importance: Importance;
  readonly doc: string;
}

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d+$/;
const LIST_SEPARATOR = /\s*,\s*/;

const TYPE_EXPECTATION: Readonly<Record<ConfigType, string>> = {
  int: 'an int (32-bit integer)',
  long: 'a long (64-bit integer)',
  double: 'a number',
  string: 'a string',
  password: 'a string',
  boolean: 'a boolean (true or false)',
  list: 'a comma-separated list',
  enum: 'one of the listed values',
};

type ParseResult = { ok: true; value: unknown } | { ok: false; expected: string };

function parseValue(spec: KeySpec, text: string): ParseResult {
  const t = text.trim();
  switch (spec.type) {
    case 'int': {
      if (!INTEGER_TEXT.test(t)) return { ok: false, expected: TYPE_EXPECTATION.int };
      const v = Number(t);
      if (v < INT_MIN || v > INT_MAX)
        return { ok: false, expected: `${TYPE_EXPECTATION.int} in [${INT_MIN}, ${INT_MAX}]` };
      return { ok: true, value: v };
    }
    case 'long': {
      if (!INTEGER_TEXT.test(t)) return { ok: false, expected: TYPE_EXPECTATION.long };
      const big = BigInt(t);
      if (big < LONG_MIN || big > LONG_MAX)
        return { ok: false, expected: `${TYPE_EXPECTATION.long} in [${LONG_MIN}, ${LONG_MAX}]` };
      // Longs are kept as numbers: values past 2^53 only appear as "unbounded" sentinels such as
      // Long.MAX_VALUE, where the lost precision does not matter.
      return { ok: true, value: Number(big) };
    }
    case 'double': {
      const v = t === '' ? Number.NaN : Number(t);
      if (!Number.isFinite(v)) return { ok: false, expected: TYPE_EXPECTATION.double };
      return { ok: true, value: v };
    }
    case 'string':
      return { ok: true, value: t };
    case 'password':
      return { ok: true, value: new Password(t) };
    case 'boolean': {
      const lower = t.toLowerCase();
      if (lower === 'true') return { ok: true, value: true };
      if (lower === 'false') return { ok: true, value: false };
      return { ok: false, expected: TYPE_EXPECTATION.boolean };
    }
    case 'list':
      return { ok: true, value: t === '' ? [] : t.split(LIST_SEPARATOR) };
    case 'enum': {
      const match = spec.caseInsensitive
        ? spec.values.find((v) => v.toLowerCase() === t.toLowerCase())
        : spec.values.find((v) => v === t);
      if (match === undefined) return { ok: false, expected: `one of ${spec.values.join(', ')}` };
      return { ok: true, value: match };
    }
  }
}

function formatDefault(value: unknown): string {
  if (value === undefined) return '(required)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.join(',');
  if (value instanceof Password) return '[hidden]';
  return String(value);
}

/** A set of typed key definitions. Create one with `defineConfig`. */
export class ConfigDef<S extends ConfigSpec> {
  readonly spec: S;

  constructor(spec: S) {
    this.spec = spec;
    for (const [key, s] of Object.entries(spec)) {
      if (s.default === undefined || s.default === null || !s.validator) continue;
      const validator = s.validator as Validator<unknown>;
      if (!validator.test(s.default)) {
        throw new TypeError(`config key ${key}: default ${formatDefault(s.default)} fails its own validator`);
      }
    }
  }

  keys(): (keyof S & string)[] {
    return Object.keys(this.spec);
  }

  has(key: string): key is keyof S & string {
    return Object.hasOwn(this.spec, key);
  }

  /**
   * Merges layers (later wins), parses and validates every value. Throws ConfigError naming every
   * bad value (file, line, key, value, expectation); unknown keys become warnings, or errors when
   * `strict`.
   */
  parse(layers: readonly ConfigLayer[], options: ParseOptions = {}): ParsedConfig<S> {
    const given = new Map<string, { value: string; source: string; line?: number }>();
    const unknown: ConfigIssue[] = [];
    const warnings: ConfigWarning[] = [];
    for (const layer of layers) {
      for (const entry of layer.entries) {
        const where =
          entry.line === undefined ? { source: layer.source } : { source: layer.source, line: entry.line };
        if (!this.has(entry.key)) {
          if (options.strict) {
            unknown.push({
              ...where,
              key: entry.key,
              value: entry.value,
              expected: 'a known configuration key',
            });
          } else {
            warnings.push({
              ...where,
              key: entry.key,
              message: `unknown configuration key '${entry.key}' (ignored)`,
            });
          }
          continue;
        }
        given.set(entry.key, { ...where, value: entry.value });
      }
    }

    const issues: ConfigIssue[] = [...unknown];
    const values: Record<string, unknown> = {};
    const raw = new Map<string, string>();
    const origins = new Map<string, ValueOrigin>();
    for (const [key, spec] of Object.entries(this.spec)) {
      const g = given.get(key);
      if (!g) {
        if (spec.default === undefined) {
          issues.push({
            source: layers.at(-1)?.source ?? 'configuration',
            key,
            expected: TYPE_EXPECTATION[spec.type],
          });
          continue;
        }
        values[key] = spec.default;
        origins.set(key, { source: 'default' });
        continue;
      }
      const where = g.line === undefined ? { source: g.source } : { source: g.source, line: g.line };
      const parsed = parseValue(spec, g.value);
      if (!parsed.ok) {
        issues.push({ ...where, key, value: g.value, expected: parsed.expected });
        continue;
      }
      const validator = spec.validator as Validator<unknown> | undefined;
      if (validator && !validator.test(parsed.value)) {
        issues.push({ ...where, key, value: g.value, expected: validator.expected });
        continue;
      }
      values[key] = parsed.value;
      raw.set(key, g.value);
      origins.set(key, where);
    }
    if (issues.length > 0) throw new ConfigError(issues);
    return { values: values as ConfigValues<S>, raw, origins, warnings };
  }

  /** Rows for the configuration reference (docs/operations), in definition order. */
  docRows(): ConfigDocRow[] {
    return Object.entries(this.spec).map(([key, s]) => ({
      key,
      type: s.type,
      default: formatDefault(s.default),
      validValues: s.validator?.expected ?? (s.type === 'enum' ? s.values.join(', ') : ''),
      importance: s.importance,
      doc: s.doc,
    }));
  }
}

/** Defines a typed configuration; literal types of enum values are kept. */
export function defineConfig<const S extends ConfigSpec>(spec: S): ConfigDef<S> {
  return new ConfigDef(spec);
}

// --- Validators -------------------------------------------------------------------------------

/** Number in [min, max]; either bound may be omitted. */
export function range(min?: number, max?: number): Validator<number> {
  const expected =
    min !== undefined && max !== undefined
      ? `a value in [${min}, ${max}]`
      : min !== undefined
        ? `a value of at least ${min}`
        : max !== undefined
          ? `a value of at most ${max}`
          : 'a number';
  return {
    expected,
    test: (v) => (min === undefined || v >= min) && (max === undefined || v <= max),
  };
}

export const atLeast = (min: number): Validator<number> => range(min);

/** String equal to one of `values` (case-sensitive unless told otherwise). */
export function oneOf(
  values: readonly string[],
  options: { caseInsensitive?: boolean } = {},
): Validator<string> {
  const set = new Set(options.caseInsensitive ? values.map((v) => v.toLowerCase()) : values);
  return {
    expected: `one of ${values.join(', ')}`,
    test: (v) => set.has(options.caseInsensitive ? v.toLowerCase() : v),
  };
}

/** List whose every item is one of `values`. */
export function itemsOneOf(values: readonly string[]): Validator<string[]> {
  const set = new Set(values);
  return { expected: `a list of ${values.join(', ')}`, test: (v) => v.every((item) => set.has(item)) };
}

export function nonEmptyString(): Validator<string> {
  return { expected: 'a non-empty string', test: (v) => v.length > 0 };
}

export function nonEmptyList(): Validator<string[]> {
  return { expected: 'a non-empty list', test: (v) => v.length > 0 && v.every((item) => item.length > 0) };
}

/** String matching `pattern`; `expected` describes it for users. */
export function matches(pattern: RegExp, expected: string): Validator<string> {
  return { expected, test: (v) => pattern.test(v) };
}

// --- Layers -----------------------------------------------------------------------------------

/**
 * Parses `key=value` strings (command-line `--override` flags) into a layer. Only the first `=`
 * separates; the value is taken verbatim.
 */
export function overridesLayer(overrides: readonly string[], source = '--override'): ConfigLayer {
  const entries: { key: string; value: string }[] = [];
  const issues: ConfigIssue[] = [];
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) {
      issues.push({ source, key: o, value: o, expected: 'key=value' });
      continue;
    }
    entries.push({ key: o.slice(0, eq).trim(), value: o.slice(eq + 1) });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { source, entries };
}
