/**
 * Variable substitution in values, as Flume 1.10+ does with Commons Text's StringSubstitutor
 * (MapResolver):
 *
 * - `${env:NAME}` an environment variable, `${sys:NAME}` a system property (`-Dname=value`);
 * - `${NAME}` another property of the same file(s) (keys such as `PROD_BIND=...`); with
 *   `-DpropertiesImplementation=org.apache.flume.node.EnvVarResolverProperties` it falls back to
 *   the environment (Flume's deprecated `${VAR}` form);
 * - variables nest (`${${sys:env}_BIND}`), and a resolved value is itself resolved;
 * - `$${x}` is an escape for the literal `${x}`;
 * - an unknown variable stays as written (Flume's behaviour); the caller decides whether that is
 *   an error. Other prefixes (`date:`, `java:`, custom lookups) are not supported and stay as written.
 */

export interface Lookups {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly sys: Readonly<Record<string, string | undefined>>;
  /** `${NAME}` values (the file's own properties). */
  readonly properties: (name: string) => string | undefined;
  /** Let `${NAME}` fall back to the environment. */
  readonly bareNamesFromEnv: boolean;
}

export interface Substituted {
  readonly value: string;
  /** Variables that could not be resolved (as written, without `${}`). */
  readonly unresolved: readonly string[];
}

/** Nesting and chaining are bounded, so a cycle (`A=${B}`, `B=${A}`) ends as "unresolved". */
const DEPTH_MAX = 16;

export function substitute(text: string, lookups: Lookups): Substituted {
  const unresolved: string[] = [];
  const value = expand(text, lookups, unresolved, 0);
  return { value, unresolved };
}

function expand(text: string, lookups: Lookups, unresolved: string[], depth: number): string {
  if (!text.includes('${')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('$', i);
    if (start < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    if (text.startsWith('$${', start)) {
      // Escaped: emit `${` and copy the rest of the variable verbatim.
      const end = matchingBrace(text, start + 2);
      out += end < 0 ? text.slice(start + 1) : text.slice(start + 1, end + 1);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    if (!text.startsWith('${', start)) {
      out += '$';
      i = start + 1;
      continue;
    }
    const end = matchingBrace(text, start + 1);
    if (end < 0) {
      out += text.slice(start);
      break;
    }
    const inner = text.slice(start + 2, end);
    const name = depth < DEPTH_MAX ? expand(inner, lookups, unresolved, depth + 1) : inner;
    const resolved = depth < DEPTH_MAX ? resolve(name, lookups) : undefined;
    if (resolved === undefined) {
      unresolved.push(name);
      out += `\${${inner}}`;
    } else {
      out += expand(resolved, lookups, unresolved, depth + 1);
    }
    i = end + 1;
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${`; -1 if none. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    const c = text[j];
    if (c === '{' && text[j - 1] === '$') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function resolve(name: string, lookups: Lookups): string | undefined {
  const colon = name.indexOf(':');
  if (colon > 0) {
    const prefix = name.slice(0, colon).toLowerCase();
    const key = name.slice(colon + 1);
    if (prefix === 'env') return lookups.env[key];
    if (prefix === 'sys') return lookups.sys[key];
  }
  const own = lookups.properties(name);
  if (own !== undefined) return own;
  return lookups.bareNamesFromEnv ? lookups.env[name] : undefined;
}
