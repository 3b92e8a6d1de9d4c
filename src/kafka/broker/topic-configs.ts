import { type LogConfig, LogConfigError, logConfigFromProperties } from '../../storage/index.ts';

/** DescribeConfigs `configType` values (v3+). */
export const ConfigType = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

/** DescribeConfigs `configSource` values. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

export interface TopicConfigKey {
  readonly name: string;
  readonly type: number;
  readonly defaultValue: string;
  /** The broker key supplying the default (Kafka's synonym), if any. */
  readonly brokerSynonym: string | null;
  readonly doc: string;
  /** Values other than the default are refused (features Sluice does not have). */
  readonly fixed?: boolean;
}

const LONG_MAX = '9223372036854775807';

function key(
  name: string,
  type: number,
  defaultValue: string,
  brokerSynonym: string | null,
  doc: string,
  fixed = false,
): TopicConfigKey {
  return { name, type, defaultValue, brokerSynonym, doc, fixed };
}

/**
 * Every topic config Kafka 4.0 knows, with its default and broker synonym, plus Sluice's own. These
 * are the keys CreateTopics and AlterConfigs accept (others → INVALID_CONFIG) and the ones
 * DescribeConfigs lists for a topic.
 */
export const TOPIC_CONFIG_KEYS: readonly TopicConfigKey[] = [
  key('cleanup.policy', ConfigType.LIST, 'delete', 'log.cleanup.policy', 'delete, compact or both'),
  key(
    'compression.type',
    ConfigType.STRING,
    'producer',
    'compression.type',
    'producer keeps the producer codec',
  ),
  key(
    'delete.retention.ms',
    ConfigType.LONG,
    '86400000',
    'log.cleaner.delete.retention.ms',
    'tombstone lifetime',
  ),
  key(
    'file.delete.delay.ms',
    ConfigType.LONG,
    '60000',
    'log.segment.delete.delay.ms',
    'delay before deleting files',
  ),
  key(
    'flush.messages',
    ConfigType.LONG,
    LONG_MAX,
    'log.flush.interval.messages',
    'fsync after this many records; 1 = fsync before every acknowledgement',
  ),
  key('flush.ms', ConfigType.LONG, LONG_MAX, 'log.flush.interval.ms', 'fsync when the last flush is older'),
  key(
    'follower.replication.throttled.replicas',
    ConfigType.LIST,
    '',
    'follower.replication.throttled.replicas',
    'throttled follower replicas',
  ),
  key(
    'index.interval.bytes',
    ConfigType.INT,
    '4096',
    'log.index.interval.bytes',
    'bytes between offset index entries',
  ),
  key(
    'leader.replication.throttled.replicas',
    ConfigType.LIST,
    '',
    'leader.replication.throttled.replicas',
    'throttled leader replicas',
  ),
  key(
    'local.retention.bytes',
    ConfigType.LONG,
    '-2',
    'log.local.retention.bytes',
    'tiered storage (not supported)',
  ),
  key(
    'local.retention.ms',
    ConfigType.LONG,
    '-2',
    'log.local.retention.ms',
    'tiered storage (not supported)',
  ),
  key(
    'max.compaction.lag.ms',
    ConfigType.LONG,
    LONG_MAX,
    'log.cleaner.max.compaction.lag.ms',
    'longest a record stays uncompacted',
  ),
  key('max.message.bytes', ConfigType.INT, '1048588', 'message.max.bytes', 'largest record batch accepted'),
  key(
    'message.timestamp.after.max.ms',
    ConfigType.LONG,
    LONG_MAX,
    'log.message.timestamp.after.max.ms',
    'how far ahead a CreateTime may be',
  ),
  key(
    'message.timestamp.before.max.ms',
    ConfigType.LONG,
    LONG_MAX,
    'log.message.timestamp.before.max.ms',
    'how far behind a CreateTime may be',
  ),
  key(
    'message.timestamp.difference.max.ms',
    ConfigType.LONG,
    LONG_MAX,
    'log.message.timestamp.difference.max.ms',
    'deprecated (Kafka 3.6, removed in 4.0): before/after bound when those are unset',
  ),
  key(
    'message.timestamp.type',
    ConfigType.STRING,
    'CreateTime',
    'log.message.timestamp.type',
    'CreateTime or LogAppendTime',
  ),
  key(
    'min.cleanable.dirty.ratio',
    ConfigType.DOUBLE,
    '0.5',
    'log.cleaner.min.cleanable.ratio',
    'compaction trigger',
  ),
  key(
    'min.compaction.lag.ms',
    ConfigType.LONG,
    '0',
    'log.cleaner.min.compaction.lag.ms',
    'shortest a record stays uncompacted',
  ),
  key('min.insync.replicas', ConfigType.INT, '1', 'min.insync.replicas', 'replicas an acks=all write needs'),
  key('preallocate', ConfigType.BOOLEAN, 'false', 'log.preallocate', 'preallocate segment files'),
  key('remote.storage.enable', ConfigType.BOOLEAN, 'false', null, 'tiered storage (not supported)', true),
  key('retention.bytes', ConfigType.LONG, '-1', 'log.retention.bytes', 'size bound per partition'),
  key('retention.ms', ConfigType.LONG, '604800000', 'log.retention.ms', 'time bound'),
  key('segment.bytes', ConfigType.INT, '1073741824', 'log.segment.bytes', 'segment file size'),
  key('segment.index.bytes', ConfigType.INT, '10485760', 'log.index.size.max.bytes', 'offset index size'),
  key('segment.jitter.ms', ConfigType.LONG, '0', 'log.roll.jitter.ms', 'segment roll jitter'),
  key('segment.ms', ConfigType.LONG, '604800000', 'log.roll.ms', 'segment age before a roll'),
  key(
    'unclean.leader.election.enable',
    ConfigType.BOOLEAN,
    'false',
    'unclean.leader.election.enable',
    'elect out-of-sync replicas',
  ),
  key(
    'sluice.flush.before.ack',
    ConfigType.BOOLEAN,
    'false',
    null,
    'Sluice: fsync every append before acknowledging it',
  ),
  key(
    'sluice.verify.reads',
    ConfigType.BOOLEAN,
    'false',
    null,
    'Sluice: check the CRC of every batch served',
  ),
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigKey> = new Map(
  TOPIC_CONFIG_KEYS.map((k) => [k.name, k]),
);

const BOOLEAN = /^(true|false)$/i;
const INTEGER = /^-?\d+$/;

/** Why `value` is not acceptable for topic config `name`, or null. */
export function topicConfigProblem(name: string, value: string | null): string | null {
  const k = TOPIC_CONFIG_BY_NAME.get(name);
  if (k === undefined) return `unknown topic config ${name}`;
  if (value === null) return null;
  if (k.fixed === true && value !== k.defaultValue) return `${name}=${value} is not supported`;
  switch (k.type) {
    case ConfigType.BOOLEAN:
      if (!BOOLEAN.test(value)) return `${name}=${value}: expected true or false`;
      break;
    case ConfigType.INT:
    case ConfigType.LONG:
    case ConfigType.SHORT:
      if (!INTEGER.test(value.trim())) return `${name}=${value}: expected an integer`;
      break;
    case ConfigType.DOUBLE:
      if (!Number.isFinite(Number(value))) return `${name}=${value}: expected a number`;
      break;
  }
  if (name === 'max.message.bytes' && Number(value) < 0) return `${name}=${value}: expected >= 0`;
  if (name === 'min.insync.replicas' && Number(value) < 1) return `${name}=${value}: expected >= 1`;
  if (
    name === 'compression.type' &&
    !['producer', 'none', 'gzip', 'snappy', 'lz4', 'zstd', 'uncompressed'].includes(value)
  ) {
    return `${name}=${value}: expected producer, uncompressed, gzip, snappy, lz4 or zstd`;
  }
  try {
    logConfigFromProperties({ [name]: value });
  } catch (err) {
    if (err instanceof LogConfigError) return err.message;
    throw err;
  }
  return null;
}

/**
 * The storage settings of a topic: `base` (broker defaults) with the topic's overrides applied.
 * `flush.messages=1` means "fsync before acknowledging each append", which storage does in the same
 * write path (flushBeforeAck) instead of a separate flush after it.
 */
export function logConfigForTopic(
  overrides: Readonly<Record<string, string>>,
  base: Readonly<LogConfig>,
): LogConfig {
  const config = logConfigFromProperties(overrides, base);
  if (config.flushMessages === 1) config.flushBeforeAck = true;
  return config;
}

/**
 * The broker-level value of each topic config that storage settings or broker keys decide (what a
 * topic without an override gets), as DescribeConfigs shows it.
 */
export function brokerTopicDefaults(base: Readonly<LogConfig>, messageMaxBytes: number): Map<string, string> {
  const long = (n: number) => (n >= Number.MAX_SAFE_INTEGER ? '9223372036854775807' : String(n));
  return new Map([
    ['cleanup.policy', base.cleanupPolicy],
    ['delete.retention.ms', String(base.deleteRetentionMs)],
    ['flush.messages', long(base.flushMessages)],
    ['flush.ms', long(base.flushMs)],
    ['index.interval.bytes', String(base.indexIntervalBytes)],
    ['max.message.bytes', String(messageMaxBytes)],
    ['message.timestamp.type', base.messageTimestampType],
    ['retention.bytes', String(base.retentionBytes)],
    ['retention.ms', long(base.retentionMs)],
    ['segment.bytes', String(base.segmentBytes)],
    ['segment.index.bytes', String(base.segmentIndexBytes)],
    ['segment.ms', long(base.segmentMs)],
  ]);
}
