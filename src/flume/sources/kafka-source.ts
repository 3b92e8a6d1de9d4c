import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import { atLeast, defineConfig, nonEmptyString, oneOf } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';

/** Flume 1.11 KafkaSource (`org.apache.flume.source.kafka.KafkaSource`) keys and defaults. */
export const kafkaSourceConfig = defineConfig({
  'kafka.bootstrap.servers': {
    type: 'list',
    importance: 'high',
    doc: 'Brokers to bootstrap from (host:port, comma-separated).',
  },
  'kafka.topics': {
    type: 'list',
    importance: 'high',
    doc: 'Topics to read (comma-separated).',
  },
  'kafka.topics.regex': {
    type: 'string',
    default: null,
    validator: {
      expected: 'absent (kafka.topics.regex is not implemented yet; list the topics in kafka.topics)',
      test: () => false,
    },
    importance: 'low',
    doc: 'Not implemented yet: list the topics in kafka.topics.',
  },
  'kafka.consumer.group.id': {
    type: 'string',
    default: 'flume',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Consumer group; offsets are committed for it after each channel commit.',
  },
  'kafka.consumer.auto.offset.reset': {
    type: 'string',
    default: 'earliest',
    validator: oneOf(['earliest', 'latest']),
    importance: 'medium',
    doc: 'Where a group without committed offsets starts.',
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
    validator: { expected: 'false (Avro-wrapped Flume events are not implemented yet)', test: (v) => !v },
    importance: 'low',
    doc: 'Records are Avro-wrapped Flume events (not implemented yet).',
  },
  setTopicHeader: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Put the record topic in topicHeader.',
  },
  topicHeader: { type: 'string', default: 'topic', importance: 'low', doc: 'Header for the topic.' },
  migrateZookeeperOffsets: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Accepted and ignored (no ZooKeeper offsets to migrate).',
  },
});

export interface KafkaSourceOptions {
  readonly bootstrapServers: readonly string[];
  readonly topics: readonly string[];
  readonly groupId: string;
  readonly autoOffsetReset: 'earliest' | 'latest';
  readonly batchSize: number;
  readonly batchDurationMs: number;
  readonly backoffSleepIncrementMs: number;
  readonly maxBackoffSleepMs: number;
  readonly setTopicHeader: boolean;
  readonly topicHeader: string;
}

export function kafkaSourceOptions(s: Readonly<Record<string, unknown>>): KafkaSourceOptions {
  return {
    bootstrapServers: s['kafka.bootstrap.servers'] as string[],
    topics: s['kafka.topics'] as string[],
    groupId: s['kafka.consumer.group.id'] as string,
    autoOffsetReset: s['kafka.consumer.auto.offset.reset'] as 'earliest' | 'latest',
    batchSize: s.batchSize as number,
    batchDurationMs: s.batchDurationMillis as number,
    backoffSleepIncrementMs: s.backoffSleepIncrement as number,
    maxBackoffSleepMs: s.maxBackoffSleep as number,
    setTopicHeader: s.setTopicHeader as boolean,
    topicHeader: s.topicHeader as string,
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
    const { Consumer } = await import('@platformatic/kafka');
    const consumer = new Consumer({
      clientId: `flume-${this.name}`,
      bootstrapBrokers: [...o.bootstrapServers],
      groupId: o.groupId,
      autocommit: false,
      maxWaitTime: Math.min(o.batchDurationMs, 500),
    });
    this.#consumer = consumer;
    const stream = await consumer.consume({
      topics: [...o.topics],
      mode: 'committed',
      fallbackMode: o.autoOffsetReset,
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
    const events: FlumeEvent[] = batch.map((m) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
      headers.timestamp ??= m.timestamp > 0n ? String(m.timestamp) : now;
      if (o.setTopicHeader) headers[o.topicHeader] = m.topic;
      headers.partition = String(m.partition);
      headers.offset = String(m.offset);
      if (m.key !== undefined && m.key !== null && m.key.length > 0) headers.key = m.key.toString();
      return { headers, body: m.value ?? Buffer.alloc(0) };
    });
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
