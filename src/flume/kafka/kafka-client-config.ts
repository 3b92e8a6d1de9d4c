import { atLeast, type ConfigDocRow } from '../../config/index.ts';
import type { Fail, FamilyEntry } from '../config/extended-config.ts';

/**
 * Flume passes every `kafka.consumer.*` / `kafka.producer.*` key to the Java Kafka client. Sluice
 * runs `@platformatic/kafka` instead, so each Java key is either mapped to the equivalent option,
 * accepted without effect (Java-only tuning: buffer sizes, serializer classes — Flume fixes those
 * to byte arrays anyway), or refused at startup as unknown (strict) / dropped with a warning
 * (lenient), like any other unknown key.
 */

type Parse = (value: string) => unknown;

interface Mapped {
  readonly option: string;
  readonly parse: Parse;
  readonly expected: string;
}

const positiveInt: Parse = (v) => (/^\d+$/.test(v.trim()) && Number(v) > 0 ? Number(v) : undefined);
const nonNegativeInt: Parse = (v) => (/^\d+$/.test(v.trim()) ? Number(v) : undefined);
const text: Parse = (v) => (v.trim() === '' ? undefined : v.trim());
const POS = 'a positive integer';

/** Java consumer keys with a @platformatic/kafka equivalent. */
const CONSUMER_MAPPED: Readonly<Record<string, Mapped>> = {
  'client.id': { option: 'clientId', parse: text, expected: 'a client id' },
  'session.timeout.ms': { option: 'sessionTimeout', parse: positiveInt, expected: POS },
  'heartbeat.interval.ms': { option: 'heartbeatInterval', parse: positiveInt, expected: POS },
  'max.poll.interval.ms': { option: 'rebalanceTimeout', parse: positiveInt, expected: POS },
  'fetch.min.bytes': { option: 'minBytes', parse: positiveInt, expected: POS },
  'fetch.max.bytes': { option: 'maxBytes', parse: positiveInt, expected: POS },
  'max.partition.fetch.bytes': { option: 'maxBytesPerPartition', parse: positiveInt, expected: POS },
  'fetch.max.wait.ms': { option: 'maxWaitTime', parse: positiveInt, expected: POS },
  'request.timeout.ms': { option: 'timeout', parse: positiveInt, expected: POS },
  'retry.backoff.ms': { option: 'retryDelay', parse: nonNegativeInt, expected: 'a non-negative integer' },
  'metadata.max.age.ms': { option: 'metadataMaxAge', parse: positiveInt, expected: POS },
  'group.instance.id': { option: 'groupInstanceId', parse: text, expected: 'an instance id' },
  'isolation.level': {
    option: 'isolationLevel',
    parse: (v) => ({ read_uncommitted: 0, read_committed: 1 })[v.trim()],
    expected: 'read_uncommitted or read_committed',
  },
  'security.protocol': {
    option: '',
    parse: (v) => (v.trim().toUpperCase() === 'PLAINTEXT' ? true : undefined),
    expected: 'PLAINTEXT (TLS and SASL are not implemented yet for Flume components)',
  },
};

/** Java producer keys with a @platformatic/kafka equivalent (acks, idempotence, compression are fixed keys). */
const PRODUCER_MAPPED: Readonly<Record<string, Mapped>> = {
  'client.id': { option: 'clientId', parse: text, expected: 'a client id' },
  'request.timeout.ms': { option: 'timeout', parse: positiveInt, expected: POS },
  retries: { option: 'retries', parse: nonNegativeInt, expected: 'a non-negative integer' },
  'retry.backoff.ms': { option: 'retryDelay', parse: nonNegativeInt, expected: 'a non-negative integer' },
  'metadata.max.age.ms': { option: 'metadataMaxAge', parse: positiveInt, expected: POS },
  'security.protocol': CONSUMER_MAPPED['security.protocol']!,
};

/** Java client keys accepted without effect (tuning of the Java client's own buffers and threads). */
const CONSUMER_NO_EFFECT = new Set([
  'enable.auto.commit', // Flume forces it off; Sluice commits after the channel commit.
  'auto.commit.interval.ms',
  'max.poll.records',
  'key.deserializer',
  'value.deserializer',
  'partition.assignment.strategy',
  'receive.buffer.bytes',
  'send.buffer.bytes',
  'check.crcs',
  'connections.max.idle.ms',
  'reconnect.backoff.ms',
  'reconnect.backoff.max.ms',
  'client.rack',
  'default.api.timeout.ms',
  'exclude.internal.topics',
  'allow.auto.create.topics',
  'interceptor.classes',
  'metric.reporters',
]);
const PRODUCER_NO_EFFECT = new Set([
  'linger.ms',
  'batch.size',
  'buffer.memory',
  'max.request.size',
  'key.serializer',
  'value.serializer',
  'receive.buffer.bytes',
  'send.buffer.bytes',
  'delivery.timeout.ms',
  'max.block.ms',
  'max.in.flight.requests.per.connection',
  'connections.max.idle.ms',
  'reconnect.backoff.ms',
  'reconnect.backoff.max.ms',
  'partitioner.class',
  'interceptor.classes',
  'metric.reporters',
]);

export const CONSUMER_PREFIX = 'kafka.consumer.';
export const PRODUCER_PREFIX = 'kafka.producer.';
export const GROUP_ID = 'kafka.consumer.group.id';
export const OFFSET_RESET = 'kafka.consumer.auto.offset.reset';

/**
 * The consumer group settings the Kafka source and channel both read (`group.id`, default flume;
 * `auto.offset.reset`, default `defaultReset`), then every other `kafka.consumer.*` key as a
 * client option.
 */
export function consumerSettings(
  families: ReadonlyMap<string, FamilyEntry>,
  defaultReset: 'earliest' | 'latest',
  fail: Fail,
  unknown: (entry: FamilyEntry) => void,
): { groupId: string; autoOffsetReset: string; client: Record<string, unknown> } {
  let groupId = 'flume';
  const g = families.get(GROUP_ID);
  if (g !== undefined) {
    if (g.value.trim() === '') fail(g, 'a group id');
    else groupId = g.value.trim();
  }
  let autoOffsetReset: string = defaultReset;
  const r = families.get(OFFSET_RESET);
  if (r !== undefined) {
    const v = r.value.trim();
    if (['earliest', 'latest', 'none'].includes(v)) autoOffsetReset = v;
    else fail(r, 'earliest, latest or none');
  }
  const client = clientOptionsFrom('consumer', families, new Set([GROUP_ID, OFFSET_RESET]), fail, unknown);
  return { groupId, autoOffsetReset, client };
}

/** `defaultPartitionId` and `partitionIdHeader`, keys of both the Kafka sink and channel. */
export const partitionKeys = {
  defaultPartitionId: {
    type: 'int',
    default: null,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Partition for every event (unless partitionIdHeader names another); else the key decides.',
  },
  partitionIdHeader: {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'Header holding the partition.',
  },
} as const;

/**
 * The client options named by the `kafka.consumer.*` (or `kafka.producer.*`) family entries;
 * `fixed` are the family keys the component declares itself (group.id, acks, ...), skipped here.
 */
export function clientOptionsFrom(
  kind: 'consumer' | 'producer',
  families: ReadonlyMap<string, FamilyEntry>,
  fixed: ReadonlySet<string>,
  fail: Fail,
  unknown: (entry: FamilyEntry) => void,
): Record<string, unknown> {
  const prefix = kind === 'consumer' ? CONSUMER_PREFIX : PRODUCER_PREFIX;
  const mapped = kind === 'consumer' ? CONSUMER_MAPPED : PRODUCER_MAPPED;
  const noEffect = kind === 'consumer' ? CONSUMER_NO_EFFECT : PRODUCER_NO_EFFECT;
  const out: Record<string, unknown> = {};
  for (const [key, entry] of families) {
    if (!key.startsWith(prefix) || fixed.has(key)) continue;
    const javaKey = key.slice(prefix.length);
    const m = mapped[javaKey];
    if (m !== undefined) {
      const value = m.parse(entry.value);
      if (value === undefined) fail(entry, m.expected);
      else if (m.option !== '') out[m.option] = value;
    } else if (!noEffect.has(javaKey)) {
      unknown(entry);
    }
  }
  return out;
}

/** Reference rows for the pass-through families. */
export function clientFamilyRows(kind: 'consumer' | 'producer'): ConfigDocRow[] {
  const prefix = kind === 'consumer' ? CONSUMER_PREFIX : PRODUCER_PREFIX;
  const mapped = kind === 'consumer' ? CONSUMER_MAPPED : PRODUCER_MAPPED;
  const noEffect = kind === 'consumer' ? CONSUMER_NO_EFFECT : PRODUCER_NO_EFFECT;
  return [
    {
      key: `${prefix}<key>`,
      type: 'string',
      default: '',
      validValues: '',
      importance: 'low',
      doc:
        `Java ${kind} keys. Mapped: ${Object.keys(mapped).join(', ')}. ` +
        `Accepted without effect: ${[...noEffect].join(', ')}. Others are unknown keys.`,
    },
  ];
}

/** Bootstrap list → the client's `host:port` strings (Flume accepts blanks around commas). */
export function bootstrapBrokers(value: readonly string[]): string[] {
  return value.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Kafka record headers (byte pairs) as Flume string headers; null keys are dropped. */
export function headersFromRecord(pairs: Iterable<[Buffer | null, Buffer | null]>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (k === null) continue;
    Object.defineProperty(headers, k.toString('utf8'), {
      value: v === null ? '' : v.toString('utf8'),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return headers;
}
