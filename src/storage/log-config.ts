import { SluiceError } from '../base/index.ts';

/** Per-log settings, Kafka's topic configs with Kafka's defaults. Times in ms, sizes in bytes. */
export interface LogConfig {
  /** `segment.bytes` / `log.segment.bytes`: roll when an append would grow the active segment past it. */
  segmentBytes: number;
  /** `segment.ms` / `log.roll.ms`: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** `segment.index.bytes` / `log.index.size.max.bytes`: roll when the offset index reaches it. */
  segmentIndexBytes: number;
  /** `index.interval.bytes` / `log.index.interval.bytes`: bytes of log between two index entries. */
  indexIntervalBytes: number;
  /** `retention.ms` / `log.retention.{ms,minutes,hours}`; -1 keeps segments forever. */
  retentionMs: number;
  /** `retention.bytes` / `log.retention.bytes`; -1 = no size bound. */
  retentionBytes: number;
  /** `cleanup.policy` / `log.cleanup.policy`. */
  cleanupPolicy: CleanupPolicy;
  /** `delete.retention.ms` / `log.cleaner.delete.retention.ms`: how long tombstones survive compaction. */
  deleteRetentionMs: number;
  /** `flush.messages` / `log.flush.interval.messages`: fsync after this many unflushed records. */
  flushMessages: number;
  /** `flush.ms` / `log.flush.interval.ms`: fsync when the last flush is older (checked by maintenance). */
  flushMs: number;
  /** Sluice: fsync every append before it resolves (durable acks without replication). */
  flushBeforeAck: boolean;
  /** `message.timestamp.type` / `log.message.timestamp.type`. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** Sluice: check the CRC-32C of every batch a read serves (always done for unverified segments). */
  verifyReads: boolean;
}

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Kafka's Long.MAX_VALUE "never", clamped to what a number holds exactly. */
const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  deleteRetentionMs: DAY_MS,
  flushMessages: NEVER,
  flushMs: NEVER,
  flushBeforeAck: false,
  messageTimestampType: 'CreateTime',
  verifyReads: false,
});

export class LogConfigError extends SluiceError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

type Field = keyof LogConfig;
type Parser = (key: string, raw: string) => LogConfig[Field];

function integer(min: number, scale = 1): Parser {
  return (key, raw) => {
    const n = Number(raw.trim());
    if (!Number.isInteger(n) || n < min) {
      throw new LogConfigError(`config ${key}=${raw}: expected an integer >= ${min}`);
    }
    // Kafka's Long.MAX_VALUE and friends mean "never": clamp instead of losing precision.
    return Math.min(n * scale, NEVER);
  };
}

function bool(key: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v !== 'true' && v !== 'false') throw new LogConfigError(`config ${key}=${raw}: expected true or false`);
  return v === 'true';
}

function policy(key: string, raw: string): CleanupPolicy {
  const parts = new Set(
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
  const ok = [...parts].every((p) => p === 'delete' || p === 'compact') && parts.size > 0;
  if (!ok) throw new LogConfigError(`config ${key}=${raw}: expected delete, compact or compact,delete`);
  if (parts.size === 2) return 'compact,delete';
  return parts.has('compact') ? 'compact' : 'delete';
}

function timestampType(key: string, raw: string): 'CreateTime' | 'LogAppendTime' {
  const v = raw.trim();
  if (v !== 'CreateTime' && v !== 'LogAppendTime') {
    throw new LogConfigError(`config ${key}=${raw}: expected CreateTime or LogAppendTime`);
  }
  return v;
}

/**
 * Key → field. Broker keys (`log.*`) come first in each list and topic keys last, so a topic override
 * wins over the broker default when both are given. Later entries of a field override earlier ones;
 * Kafka's precedence among log.retention.{hours,minutes,ms} (ms wins) follows from the order.
 */
const KEYS: ReadonlyArray<readonly [string, Field, Parser]> = [
  ['log.segment.bytes', 'segmentBytes', integer(14)],
  ['log.roll.hours', 'segmentMs', integer(1, 3600_000)],
  ['log.roll.ms', 'segmentMs', integer(1)],
  ['log.index.size.max.bytes', 'segmentIndexBytes', integer(8)],
  ['log.index.interval.bytes', 'indexIntervalBytes', integer(0)],
  ['log.retention.hours', 'retentionMs', integer(-1, 3600_000)],
  ['log.retention.minutes', 'retentionMs', integer(-1, 60_000)],
  ['log.retention.ms', 'retentionMs', integer(-1)],
  ['log.retention.bytes', 'retentionBytes', integer(-1)],
  ['log.cleanup.policy', 'cleanupPolicy', policy],
  ['log.cleaner.delete.retention.ms', 'deleteRetentionMs', integer(0)],
  ['log.flush.interval.messages', 'flushMessages', integer(1)],
  ['log.flush.interval.ms', 'flushMs', integer(0)],
  ['log.message.timestamp.type', 'messageTimestampType', timestampType],
  ['segment.bytes', 'segmentBytes', integer(14)],
  ['segment.ms', 'segmentMs', integer(1)],
  ['segment.index.bytes', 'segmentIndexBytes', integer(8)],
  ['index.interval.bytes', 'indexIntervalBytes', integer(0)],
  ['retention.ms', 'retentionMs', integer(-1)],
  ['retention.bytes', 'retentionBytes', integer(-1)],
  ['cleanup.policy', 'cleanupPolicy', policy],
  ['delete.retention.ms', 'deleteRetentionMs', integer(0)],
  ['flush.messages', 'flushMessages', integer(1)],
  ['flush.ms', 'flushMs', integer(0)],
  ['message.timestamp.type', 'messageTimestampType', timestampType],
  ['sluice.flush.before.ack', 'flushBeforeAck', bool],
  ['sluice.verify.reads', 'verifyReads', bool],
];

/**
 * Builds a LogConfig from Kafka-style properties (broker `log.*` keys and topic keys), over `base`.
 * Keys that are not log settings are ignored (they belong to other components).
 */
export function logConfigFromProperties(
  props: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
  base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
): LogConfig {
  const get = (k: string): string | undefined =>
    props instanceof Map ? props.get(k) : (props as Record<string, string>)[k];
  const out: LogConfig = { ...base };
  for (const [key, field, parse] of KEYS) {
    const raw = get(key);
    if (raw === undefined) continue;
    (out as unknown as Record<string, unknown>)[field] = parse(key, raw);
  }
  return out;
}

/** Merges partial overrides over a base config (for options objects). */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}, base = DEFAULT_LOG_CONFIG): LogConfig {
  const out: LogConfig = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

export function compacts(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy !== 'delete';
}

export function deletes(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy !== 'compact';
}
