import { builtinModules } from 'node:module';
import { posix } from 'node:path';

/**
 * The dependency rule of docs ARCHITECTURE (ranks, pure protocol/storage code, composition roots,
 * one public index.ts per unit) as a checker over source texts, so it can be tested on fake files
 * as well as run on src/.
 *
 * Test files (`*.test.ts`, `*.bench.ts`) are roots, not part of the production dependency graph:
 * they may import any unit's index.ts whatever its rank (a storage test builds batches with
 * kafka/protocol's codec) and the shared helpers under test/. The rest still applies to them:
 * other units only through their index.ts, one index.ts per unit.
 */

export interface SourceFile {
  /** Repository-relative POSIX path, e.g. `src/net/tcp-server.ts`. */
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  /** The import specifier at fault, when the violation is an import. */
  readonly specifier?: string;
  readonly message: string;
}

/** Units from lowest to highest rank. A unit may import units of lower rank, and itself. */
export const UNIT_RANKS: readonly (readonly string[])[] = [
  ['base'],
  ['config', 'telemetry', 'serde'],
  ['net', 'storage'],
  ['kafka/protocol', 'zookeeper/protocol'],
  ['kafka/broker', 'kafka/client', 'zookeeper/server', 'zookeeper/client', 'zookeeper/ensemble'],
  ['flume', 'connect', 'sqoop', 'ksql'],
  ['cli', 'console'],
];

/**
 * Imports allowed between units of the same rank: a server may use a client (the broker talks to
 * ZooKeeper through zookeeper/client, never zookeeper/server) and the ZooKeeper server runs the
 * ensemble state machine.
 */
export const LATERAL_ALLOWED: readonly (readonly [from: string, to: string])[] = [
  ['kafka/broker', 'kafka/client'],
  ['kafka/broker', 'zookeeper/client'],
  ['zookeeper/server', 'zookeeper/ensemble'],
  ['zookeeper/server', 'zookeeper/client'],
];

const PROTOCOL_UNITS = new Set(['kafka/protocol', 'zookeeper/protocol']);
const PURE_UNITS = new Set([...PROTOCOL_UNITS, 'storage']);
/** Servers one product must not reach into from another (only through client/ or protocol/). */
const SERVER_UNITS = new Set(['kafka/broker', 'zookeeper/server', 'zookeeper/ensemble']);
const APPLICATION_UNITS = new Set(['flume', 'connect', 'sqoop', 'ksql']);
const UNIT_RANK = new Map(UNIT_RANKS.flatMap((units, rank) => units.map((u) => [u, rank] as const)));
/** Longest first, so `kafka/protocol` wins over a shorter prefix. */
const UNITS_BY_LENGTH = [...UNIT_RANK.keys()].sort((a, b) => b.length - a.length);

/** Node modules that mean sockets, timers, processes or threads: not allowed in pure code. */
const IMPURE_BUILTINS = new Set([
  'net',
  'tls',
  'dgram',
  'http',
  'https',
  'http2',
  'timers',
  'timers/promises',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
  'repl',
  'inspector',
]);
/** Packages that mean logging, metrics, networking or argv parsing. */
const IMPURE_PACKAGES = new Set([
  'pino',
  'prom-client',
  'fastify',
  'kafkajs',
  '@platformatic/kafka',
  'commander',
]);
const BUILTINS = new Set(builtinModules);

/** The unit a path belongs to (`kafka/protocol`), or undefined when it is in none. */
export function unitOf(path: string): string | undefined {
  if (!path.startsWith('src/')) return undefined;
  const rest = path.slice('src/'.length);
  return UNITS_BY_LENGTH.find((u) => rest.startsWith(`${u}/`));
}

export interface ImportRef {
  readonly specifier: string;
  readonly line: number;
}

const REGEX_PRECEDERS = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_KEYWORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/**
 * Blanks comments and the contents of strings, templates and regular expressions (keeping every
 * offset and newline), and records each string literal's value by the offset of its opening
 * quote. Import statements can then be found with plain regular expressions.
 */
export function maskSource(text: string): { code: string; strings: Map<number, string> } {
  const out = text.split('');
  const strings = new Map<number, string>();
  const n = text.length;
  let prev = ''; // last significant punctuator, or a word
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };

  // Lexes code from `i`; when `untilBrace`, stops after the `}` closing a template substitution.
  const lexCode = (start: number, untilBrace: boolean): number => {
    let i = start;
    let depth = 0;
    while (i < n) {
      const c = text[i]!;
      if (c === '/' && text[i + 1] === '/') {
        const end = text.indexOf('\n', i);
        const stop = end < 0 ? n : end;
        blank(i, stop);
        i = stop;
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        const stop = end < 0 ? n : end + 2;
        blank(i, stop);
        i = stop;
      } else if (c === '"' || c === "'") {
        let j = i + 1;
        let value = '';
        while (j < n && text[j] !== c && text[j] !== '\n') {
          if (text[j] === '\\') {
            value += text[j + 1] ?? '';
            j += 2;
          } else {
            value += text[j];
            j++;
          }
        }
        strings.set(i, value);
        blank(i + 1, j);
        i = j + 1;
        prev = 'str';
      } else if (c === '`') {
        i = lexTemplate(i);
        prev = 'str';
      } else if (c === '/' && (prev === '' || REGEX_PRECEDERS.has(prev) || REGEX_KEYWORDS.has(prev))) {
        let j = i + 1;
        let inClass = false;
        while (j < n && text[j] !== '\n') {
          const d = text[j];
          if (d === '\\') j++;
          else if (d === '[') inClass = true;
          else if (d === ']') inClass = false;
          else if (d === '/' && !inClass) break;
          j++;
        }
        blank(i + 1, j);
        i = j + 1;
        prev = 'regex';
      } else if (/[A-Za-z_$]/.test(c)) {
        let j = i + 1;
        while (j < n && /[\w$]/.test(text[j]!)) j++;
        prev = text.slice(i, j);
        i = j;
      } else if (/\s/.test(c)) {
        i++;
      } else {
        if (untilBrace) {
          if (c === '{') depth++;
          else if (c === '}') {
            if (depth === 0) return i + 1;
            depth--;
          }
        }
        prev = c;
        i++;
      }
    }
    return i;
  };

  const lexTemplate = (start: number): number => {
    let i = start + 1;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') {
        blank(i, i + 2);
        i += 2;
      } else if (c === '`') {
        return i + 1;
      } else if (c === '$' && text[i + 1] === '{') {
        i = lexCode(i + 2, true);
      } else {
        blank(i, i + 1);
        i++;
      }
    }
    return i;
  };

  lexCode(0, false);
  return { code: out.join(''), strings };
}

const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?[\w$*{}\s,]*?\bfrom\s*(['"])/g, // import x from '...'; import type {...} from '...'
  /\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s*from\s*(['"])/g, // re-exports
  /\bimport\s*(['"])/g, // side-effect import
  /\bimport\s*\(\s*(['"])/g, // dynamic import with a literal
];

/** Every static import, re-export and literal dynamic import in a TypeScript source. */
export function scanImports(text: string): ImportRef[] {
  const { code, strings } = maskSource(text);
  const found = new Map<number, ImportRef>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const m of code.matchAll(pattern)) {
      const quoteAt = m.index + m[0].length - 1;
      const specifier = strings.get(quoteAt);
      if (specifier === undefined) continue;
      found.set(quoteAt, { specifier, line: lineAt(text, quoteAt) });
    }
  }
  return [...found.entries()].sort((a, b) => a[0] - b[0]).map(([, ref]) => ref);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const isTestFile = (path: string) => /\.(test|bench)\.ts$/.test(path);
const isCompositionRoot = (path: string) => unitOf(path) === 'cli' || posix.basename(path) === 'main.ts';

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Why unit `from` may not import unit `to`, or null when it may. */
export function unitImportProblem(from: string, to: string): string | null {
  if (from === to) return null;
  if (PROTOCOL_UNITS.has(from) && to !== 'base') return `${from} may import only base`;
  if (PURE_UNITS.has(from) && (to === 'net' || to === 'telemetry')) {
    return `${from} is pure code and may not import ${to} (no sockets, timers or logging)`;
  }
  if (APPLICATION_UNITS.has(from) && SERVER_UNITS.has(to)) {
    return `${from} may reach another product only through its client/ or protocol/, not ${to}`;
  }
  const fromRank = UNIT_RANK.get(from)!;
  const toRank = UNIT_RANK.get(to)!;
  if (toRank < fromRank) return null;
  if (toRank === fromRank && LATERAL_ALLOWED.some(([f, t]) => f === from && t === to)) return null;
  return `${from} (rank ${fromRank}) may not import ${to} (rank ${toRank}): imports point down only`;
}

const PROCESS_GLOBALS: readonly [RegExp, string][] = [
  [/\bprocess\s*\.\s*env\b/, 'reads process.env'],
  [/\bprocess\s*\.\s*argv\b/, 'reads process.argv'],
  [/\bprocess\s*\.\s*exit\s*\(/, 'calls process.exit'],
  [/\bprocess\s*\.\s*exitCode\s*=/, 'sets process.exitCode'],
];
/** `process.on('SIG...')`: the event name is a string, so it is read from the literal table. */
const PROCESS_LISTENER =
  /\bprocess\s*\.\s*(?:on|once|addListener|prependListener|prependOnceListener)\s*\(\s*(['"])/g;

/** Checks every rule over `files`; returns the violations (empty when the tree is clean). */
export function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const fromUnit = unitOf(file.path);
    if (fromUnit === undefined) {
      violations.push({ file: file.path, line: 1, message: 'file is not inside any unit (see UNIT_RANKS)' });
      continue;
    }
    const unitRoot = `src/${fromUnit}`;
    if (posix.basename(file.path) === 'index.ts' && posix.dirname(file.path) !== unitRoot) {
      violations.push({
        file: file.path,
        line: 1,
        message: `only ${unitRoot}/index.ts may be an index.ts in unit ${fromUnit} (no barrels deeper down)`,
      });
    }
    const pure = PURE_UNITS.has(fromUnit) && !isTestFile(file.path);

    for (const { specifier, line } of scanImports(file.text)) {
      const at = { file: file.path, line, specifier };
      if (specifier.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(file.path), specifier));
        const toUnit = unitOf(target);
        if (toUnit === undefined) {
          if (!target.startsWith('src/') && posix.basename(target) === 'package.json') continue;
          if (isTestFile(file.path) && target.startsWith('test/')) continue;
          violations.push({ ...at, message: `imports ${target}, which is outside every unit` });
          continue;
        }
        if (toUnit === fromUnit) continue;
        if (target !== `src/${toUnit}/index.ts`) {
          violations.push({
            ...at,
            message: `imports ${target}: other units are reached only through src/${toUnit}/index.ts`,
          });
        }
        // Tests are roots: ranks and the protocol/purity import limits bind production code only.
        const problem = isTestFile(file.path) ? null : unitImportProblem(fromUnit, toUnit);
        if (problem) violations.push({ ...at, message: problem });
        continue;
      }
      const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
      if (specifier.startsWith('node:') || BUILTINS.has(bare)) {
        if (pure && IMPURE_BUILTINS.has(bare)) {
          violations.push({ ...at, message: `${fromUnit} is pure code and may not import node:${bare}` });
        }
        continue;
      }
      const pkg = packageName(specifier);
      if (pure && IMPURE_PACKAGES.has(pkg)) {
        violations.push({ ...at, message: `${fromUnit} is pure code and may not import the package ${pkg}` });
      }
      if (pkg === 'commander' && fromUnit !== 'cli') {
        violations.push({ ...at, message: 'only cli/ parses the command line (commander)' });
      }
    }

    if (!isTestFile(file.path)) {
      const { code, strings } = maskSource(file.text);
      if (!isCompositionRoot(file.path)) {
        const found: { offset: number; what: string }[] = [];
        for (const [pattern, what] of PROCESS_GLOBALS) {
          const m = pattern.exec(code);
          if (m) found.push({ offset: m.index, what });
        }
        for (const m of code.matchAll(PROCESS_LISTENER)) {
          const event = strings.get(m.index + m[0].length - 1) ?? '';
          if (event.startsWith('SIG')) found.push({ offset: m.index, what: 'installs a signal handler' });
        }
        for (const { offset, what } of found.sort((a, b) => a.offset - b.offset)) {
          violations.push({
            file: file.path,
            line: lineAt(code, offset),
            message: `${what}: only composition roots (cli/, */main.ts) may`,
          });
        }
      }
      if (pure) {
        // Time-based scheduling needs an injected Clock in pure code; setImmediate (yielding) is fine.
        const timer = /\b(setTimeout|setInterval|console)\b/.exec(code);
        if (timer) {
          violations.push({
            file: file.path,
            line: lineAt(code, timer.index),
            message: `${fromUnit} is pure code and may not use ${timer[1]} (no timers or logging)`,
          });
        }
      }
    }
  }
  return violations;
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}${v.specifier === undefined ? '' : ` import '${v.specifier}'`}: ${v.message}`;
}
