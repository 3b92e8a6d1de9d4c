import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import { atLeast, defineConfig } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';
import { extendedConfig } from '../config/extended-config.ts';
import { compileJavaFullMatch } from '../interceptors/java-regex.ts';
import { javaRegexSetting } from '../interceptors/remove-header-interceptor.ts';
import { decodeAvroFlumeEvent } from '../kafka/flume-event-format.ts';
import {
  bootstrapBrokers,
  CONSUMER_PREFIX,
  clientFamilyRows,
  consumerSettings,
  GROUP_ID,
  headersFromRecord,
  OFFSET_RESET,
} from '../kafka/kafka-client-config.ts';

/** The header the source sets (when absent) to `<topic>-<partition>-<offset>`: a stable event id. */
export const EVENT_ID_HEADER = 'sluice.eventId';

const fixedKeys = defineConfig({
  'kafka.bootstrap.servers': {
    type: 'list',
    importance: 'high',
    doc: 'Brokers to bootstrap from (host:port, comma-separated).',
  },
  'kafka.topics': {
    type: 'list',
    default: null,
    importance: 'high',
    doc: 'Topics to read (comma-separated); this or kafka.topics.regex.',
  },
  'kafka.topics.regex': {
    type: 'string',
    default: null,
    importance: 'high',
    doc: 'Java regex: every topic whose whole name matches is read (overrides kafka.topics).',
  },
  batchSize: {
    type: 'int',
    default: 1000,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per channel transaction.',
  },
  batchDurationMillis: {
    type: 'int',
    default: 1000,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Longest wait (ms) before a partial batch is written.',
  },
  backoffSleepIncrement: {
    type: 'int',
    default: 1000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Retry back-off step (ms) when the channel refuses a batch.',
  },
  maxBackoffSleep: {
    type: 'int',
    default: 5000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Longest retry back-off (ms).',
  },
  useFlumeEventFormat: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Records are Avro AvroFlumeEvent datums (headers and body), as the Kafka sink writes with the same key.',
  },
  setTopicHeader: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Put the record topic in topicHeader.',
  },
  topicHeader: { type: 'string', default: 'topic', importance: 'low', doc: 'Header for the topic.' },
  timestampHeader: {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'Header that receives the record timestamp.',
  },
  migrateZookeeperOffsets: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Accepted and ignored with a warning (no ZooKeeper offsets to migrate).',
  },
  'sluice.eventIdHeader': {
    type: 'string',
    default: EVENT_ID_HEADER,
    importance: 'low',
    doc: 'Header set (when absent) to topic-partition-offset, the id the exactly-once Kafka sink uses; empty: none.',
  },
});

/** Flume 1.11 KafkaSource (`org.apache.flume.source.kafka.KafkaSource`) keys and defaults. */
export const kafkaSourceConfig = extendedConfig({
  fixed: fixedKeys,
  prefixes: [CONSUMER_PREFIX, 'header.'],
  familyRows: [
    {
      key: GROUP_ID,
      type: 'string',
      default: 'flume',
      validValues: '',
      importance: 'high',
      doc: 'Consumer group; offsets are committed for it after each channel commit.',
    },
    {
      key: OFFSET_RESET,
      type: 'string',
      default: 'earliest',
      validValues: 'earliest, latest, none',
      importance: 'medium',
      doc: 'Where a group without committed offsets starts (Flume sets earliest; none = fail).',
    },
    {
      key: 'header.<NAME>',
      type: 'string',
      default: '',
      validValues: '',
      importance: 'low',
      doc: 'Record header NAME becomes the event header given as value.',
    },
    ...clientFamilyRows('consumer'),
  ],
  finish(parsed, families, fail, unknown) {
    const v = parsed.values;
    let topicsRegex: RegExp | null = null;
    if (v['kafka.topics.regex'] !== null) {
      topicsRegex =
        javaRegexSetting(v['kafka.topics.regex'], 'kafka.topics.regex', fail, compileJavaFullMatch)?.regex ??
        null;
    } else if (v['kafka.topics'] === null || v['kafka.topics'].length === 0) {
      fail('kafka.topics', 'a list of topics (or kafka.topics.regex)');
    }
    const { groupId, autoOffsetReset, client } = consumerSettings(families, 'earliest', fail, unknown);
    const headerMap: Record<string, string> = {};
    for (const [key, entry] of families) {
      if (!key.startsWith('header.')) continue;
      if (entry.value.trim() === '') fail(entry, 'an event header name');
      else headerMap[key.slice('header.'.length)] = entry.value.trim();
    }
    return { topicsRegex, groupId, autoOffsetReset, headerMap, client };
  },
});

export interface KafkaSourceOptions {
  readonly bootstrapServers: readonly string[];
  readonly topics: readonly string[];
  readonly topicsRegex: RegExp | null;
  readonly groupId: string;
  readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
  readonly batchSize: number;
  readonly batchDurationMs: number;
  readonly backoffSleepIncrementMs: number;
  readonly maxBackoffSleepMs: number;
  readonly useFlumeEventFormat: boolean;
  readonly setTopicHeader: boolean;
  readonly topicHeader: string;
  readonly timestampHeader: string | null;
  /** Record header → event header. */
  readonly headerMap: Readonly<Record<string, string>>;
  readonly migrateZookeeperOffsets: boolean;
  readonly eventIdHeader: string;
  readonly client: Readonly<Record<string, unknown>>;
}

export function kafkaSourceOptions(s: Readonly<Record<string, unknown>>): KafkaSourceOptions {
  return {
    bootstrapServers: bootstrapBrokers(s['kafka.bootstrap.servers'] as string[]),
    topics: (s['kafka.topics'] as string[] | null) ?? [],
    topicsRegex: (s.topicsRegex as RegExp | null | undefined) ?? null,
    groupId: (s.groupId as string | undefined) ?? 'flume',
    autoOffsetReset: (s.autoOffsetReset as KafkaSourceOptions['autoOffsetReset'] | undefined) ?? 'earliest',
    batchSize: s.batchSize as number,
    batchDurationMs: s.batchDurationMillis as number,
    backoffSleepIncrementMs: s.backoffSleepIncrement as number,
    maxBackoffSleepMs: s.maxBackoffSleep as number,
    useFlumeEventFormat: s.useFlumeEventFormat as boolean,
    setTopicHeader: s.setTopicHeader as boolean,
    topicHeader: s.topicHeader as string,
    timestampHeader: s.timestampHeader as string | null,
    headerMap: (s.headerMap as Record<string, string> | undefined) ?? {},
    migrateZookeeperOffsets: s.migrateZookeeperOffsets as boolean,
    eventIdHeader: (s['sluice.eventIdHeader'] as string | undefined) ?? EVENT_ID_HEADER,
    client: (s.client as Record<string, unknown> | undefined) ?? {},
  };
}

/**
 * Flume's Kafka source: a consumer in `kafka.consumer.group.id` reads `kafka.topics`; records are
 * put to the channels in batches (batchSize records or batchDurationMillis), and the group's
 * offsets are committed only after the channels committed the batch, so a crash or a rebalance
 * repeats records (at least once) and never skips one. A batch the channels refuse is retried with
 * back-off while reading is paused. Headers as Flume sets them: `timestamp` (receive time unless
 * the record carries one), `topic`, `partition`, `offset`, `key` (when the record has a key), plus
 * the record's own headers.
 */
export class KafkaSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: KafkaSourceOptions;
  readonly #logger: Logger;
  #consumer: Consumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #pending: Message[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(name: string, options: KafkaSourceOptions, logger: Logger) {
    this.name = name;
    this.batchSize = options.batchSize;
    this.#options = options;
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, [
      ...SOURCE_COUNTERS,
      'KafkaCommitTimer',
      'KafkaEventGetTimer',
    ]);
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.counters.start();
    const o = this.#options;
    if (o.migrateZookeeperOffsets) {
      this.#logger.warn(
        'kafka source: migrateZookeeperOffsets is ignored (Sluice keeps offsets only in Kafka)',
        {
          source: this.name,
        },
      );
    }
    const { Admin, Consumer } = await import('@platformatic/kafka');
    let topics = [...o.topics];
    if (o.topicsRegex !== null) {
      // Resolved once at start: topics created later are not picked up until the agent restarts.
      const admin = new Admin({
        clientId: `flume-${this.name}-topics`,
        bootstrapBrokers: [...o.bootstrapServers],
      });
      try {
        topics = (await admin.listTopics()).filter((t) => o.topicsRegex!.test(t)).sort();
      } finally {
        await admin.close().catch(() => {});
      }
      if (topics.length === 0) throw new Error(`no topic matches kafka.topics.regex ${o.topicsRegex.source}`);
    }
    const consumer = new Consumer({
      clientId: `flume-${this.name}`,
      maxWaitTime: Math.min(o.batchDurationMs, 500),
      ...o.client,
      bootstrapBrokers: [...o.bootstrapServers],
      groupId: o.groupId,
      autocommit: false,
    });
    this.#consumer = consumer;
    const stream = await consumer.consume({
      topics,
      mode: 'committed',
      fallbackMode: o.autoOffsetReset === 'none' ? 'fail' : o.autoOffsetReset,
      autocommit: false,
    });
    this.#stream = stream;
    stream.on('data', (m: Message) => {
      this.#pending.push(m);
      this.counters.add('EventReceivedCount');
      if (this.#pending.length >= o.batchSize) this.#flush(processor);
      else if (this.#timer === undefined) {
        this.#timer = setTimeout(() => this.#flush(processor), o.batchDurationMs);
      }
    });
    stream.on('error', (err: Error) => {
      this.#logger.warn('kafka source stream error', { source: this.name, err: err.message });
    });
    this.#logger.info('kafka source started', { source: this.name, topics: o.topics, group: o.groupId });
  }

  /** Hands the pending records to the channels (one batch at a time), then commits their offsets. */
  #flush(processor: ChannelProcessor): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#stream?.pause();
    this.#flushing = this.#flushing
      .then(() => this.#deliver(batch, processor))
      .finally(() => {
        if (!this.#stopping) this.#stream?.resume();
      });
  }

  async #deliver(batch: Message[], processor: ChannelProcessor): Promise<void> {
    const o = this.#options;
    const now = String(Date.now());
    const events: FlumeEvent[] = [];
    for (const m of batch) {
      const e = this.#toEvent(m, now);
      if (e === null) this.counters.add('EventReadFail');
      else events.push(e);
    }
    for (let attempt = 0; ; attempt++) {
      this.counters.add('AppendBatchReceivedCount');
      try {
        await processor.processEventBatch(events);
        break;
      } catch (err) {
        this.counters.add('ChannelWriteFail');
        if (this.#stopping) return; // not committed: the group re-delivers these records
        const wait = Math.min(o.maxBackoffSleepMs, o.backoffSleepIncrementMs * (attempt + 1));
        this.#logger.warn('kafka source: channel refused a batch; retrying', {
          source: this.name,
          events: events.length,
          waitMs: wait,
          err: String(err),
        });
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    this.counters.add('AppendBatchAcceptedCount');
    this.counters.add('EventAcceptedCount', events.length);
    const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const m of batch)
      next.set(`${m.topic}\0${m.partition}`, {
        topic: m.topic,
        partition: m.partition,
        offset: m.offset + 1n,
      });
    try {
      await this.#consumer!.commit({ offsets: [...next.values()].map((p) => ({ ...p, leaderEpoch: -1 })) });
    } catch (err) {
      // Typically a rebalance took the partitions away: their new owner re-reads from the last
      // committed offset, so these records come again (at least once), never go missing.
      this.#logger.warn('kafka source: offset commit failed; the records will be delivered again', {
        source: this.name,
        err: String(err),
      });
    }
  }

  /**
   * A record as a Flume event. Headers as Flume 1.11 sets them, each only when not already set:
   * `timestamp` (the receive time), the topic in topicHeader, `partition`, `offset`, `key`,
   * timestampHeader (the record's timestamp), record headers renamed by header.NAME; plus
   * Sluice's event id (`<topic>-<partition>-<offset>`, stable when the record is read again).
   * With useFlumeEventFormat the value is an AvroFlumeEvent whose headers come first; a value
   * that is not one is counted (EventReadFail) and skipped rather than stalling the partition.
   */
  #toEvent(m: Message, now: string): FlumeEvent | null {
    const o = this.#options;
    let headers: Record<string, string> = {};
    let body = m.value ?? Buffer.alloc(0);
    if (o.useFlumeEventFormat) {
      try {
        const decoded = decodeAvroFlumeEvent(body);
        headers = decoded.headers;
        body = decoded.body;
      } catch (err) {
        this.#logger.warn('kafka source: record is not an AvroFlumeEvent; skipped', {
          source: this.name,
          topic: m.topic,
          partition: m.partition,
          offset: String(m.offset),
          err: String(err),
        });
        return null;
      }
    }
    const recordHeaders = headersFromRecord([...m.headers].map(([k, v]) => [k, v] as [Buffer, Buffer]));
    const mapped = Object.entries(o.headerMap);
    if (mapped.length > 0) {
      for (const [from, to] of mapped)
        if (recordHeaders[from] !== undefined) headers[to] ??= recordHeaders[from];
    } else {
      for (const [k, v] of Object.entries(recordHeaders)) headers[k] ??= v;
    }
    headers.timestamp ??= now;
    if (o.setTopicHeader) headers[o.topicHeader] ??= m.topic;
    headers.partition ??= String(m.partition);
    headers.offset ??= String(m.offset);
    if (m.key !== undefined && m.key !== null && m.key.length > 0) headers.key ??= m.key.toString();
    if (o.timestampHeader !== null && m.timestamp > 0n) headers[o.timestampHeader] = String(m.timestamp);
    if (o.eventIdHeader !== '') headers[o.eventIdHeader] ??= `${m.topic}-${m.partition}-${m.offset}`;
    return { headers, body };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#stream?.pause();
    await this.#flushing.catch(() => {});
    await this.#stream?.close().catch(() => {});
    await this.#consumer?.close().catch(() => {});
    this.counters.stop();
  }
}
