import { pino } from 'pino';

/**
 * Sluice's logging interface. Components receive a Logger; they never create one or print
 * directly. The composition root (cli/) builds the real one with `createLogger`; tests use
 * `MemoryLogger` or `silentLogger`.
 *
 * Call shape is `logger.info(message, fields)`: the message is a short sentence, the fields are
 * structured context (`remote`, `apiKey`, `err`...).
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  fatal(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every record. */
  child(bindings: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

const LEVEL_RANK: Readonly<Record<LogLevel | 'silent', number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

export interface LoggerOptions {
  /** Minimum level written; `silent` writes nothing. Default `info`. */
  readonly level?: LogLevel | 'silent';
  /** Component name added to every record. */
  readonly name?: string;
  /** `json`: one JSON object per line (pino); `text`: one human-readable line. Default `json`. */
  readonly format?: 'json' | 'text';
  /** Where lines go; default standard error (synchronous, so nothing is lost on exit). */
  readonly destination?: { write(line: string): unknown };
}

type PinoLogger = pino.Logger<never, boolean>;

class PinoBackedLogger implements Logger {
  readonly #pino: PinoLogger;

  constructor(p: PinoLogger) {
    this.#pino = p;
  }

  trace(message: string, fields?: LogFields): void {
    if (fields) this.#pino.trace(fields, message);
    else this.#pino.trace(message);
  }
  debug(message: string, fields?: LogFields): void {
    if (fields) this.#pino.debug(fields, message);
    else this.#pino.debug(message);
  }
  info(message: string, fields?: LogFields): void {
    if (fields) this.#pino.info(fields, message);
    else this.#pino.info(message);
  }
  warn(message: string, fields?: LogFields): void {
    if (fields) this.#pino.warn(fields, message);
    else this.#pino.warn(message);
  }
  error(message: string, fields?: LogFields): void {
    if (fields) this.#pino.error(fields, message);
    else this.#pino.error(message);
  }
  fatal(message: string, fields?: LogFields): void {
    if (fields) this.#pino.fatal(fields, message);
    else this.#pino.fatal(message);
  }
  child(bindings: LogFields): Logger {
    return new PinoBackedLogger(this.#pino.child(bindings));
  }
  isLevelEnabled(level: LogLevel): boolean {
    return this.#pino.isLevelEnabled(level);
  }
}

const LEVEL_LABEL: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

function formatFieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@[\]-]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** Turns one pino JSON line into `HH:MM:SS.mmm LEVEL [name] message key=value ...`. */
export function formatTextLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { level, time, msg, name, pid: _pid, hostname: _hostname, err, ...rest } = record;
  const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  let line = `${clock} ${LEVEL_LABEL[level as number] ?? String(level)}`;
  if (typeof name === 'string') line += ` [${name}]`;
  line += ` ${String(msg ?? '')}`;
  for (const [k, v] of Object.entries(rest)) line += ` ${k}=${formatFieldValue(v)}`;
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; stack?: unknown };
    line += typeof e.stack === 'string' ? `\n${e.stack}` : ` err=${formatFieldValue(e.message)}`;
  }
  return `${line}\n`;
}

/** A pino-backed logger writing to standard error (or `destination`). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const base = options.name === undefined ? {} : { name: options.name };
  const sink = options.destination ?? pino.destination({ fd: 2, sync: true });
  const stream =
    options.format === 'text'
      ? { write: (line: string) => sink.write(formatTextLine(line)) }
      : { write: (line: string) => sink.write(line) };
  const p = pino(
    {
      level,
      base,
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
  return new PinoBackedLogger(p);
}

/** One record captured by MemoryLogger. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string;
  /** Child bindings merged with the call's fields. */
  readonly fields: LogFields;
}

/** Keeps records in memory, for tests that assert on what was logged. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[];
  readonly #bindings: LogFields;
  readonly #minRank: number;

  constructor(level: LogLevel | 'silent' = 'trace', records: LogRecord[] = [], bindings: LogFields = {}) {
    this.records = records;
    this.#bindings = bindings;
    this.#minRank = LEVEL_RANK[level];
  }

  #log(level: LogLevel, message: string, fields?: LogFields): void {
    if (LEVEL_RANK[level] < this.#minRank) return;
    this.records.push({ level, message, fields: { ...this.#bindings, ...fields } });
  }

  trace(message: string, fields?: LogFields): void {
    this.#log('trace', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }
  fatal(message: string, fields?: LogFields): void {
    this.#log('fatal', message, fields);
  }
  child(bindings: LogFields): Logger {
    const level = (Object.keys(LEVEL_RANK) as (LogLevel | 'silent')[]).find(
      (l) => LEVEL_RANK[l] === this.#minRank,
    );
    return new MemoryLogger(level, this.records, { ...this.#bindings, ...bindings });
  }
  isLevelEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#minRank;
  }

  /** Records at `level` or above. */
  atLeast(level: LogLevel): LogRecord[] {
    return this.records.filter((r) => LEVEL_RANK[r.level] >= LEVEL_RANK[level]);
  }
}

/** Discards everything. */
export function silentLogger(): Logger {
  return new MemoryLogger('silent');
}
