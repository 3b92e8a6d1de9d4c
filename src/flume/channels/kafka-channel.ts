import type { Consumer, Message, MessagesStream, Producer } from '@platformatic/kafka';
import { assert } from '../../base/index.ts';
import { atLeast, defineConfig, nonEmptyString } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { type Channel, ChannelException, type Transaction } from '../api/channel.ts';
import { CHANNEL_COUNTERS, CounterGroup } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import { extendedConfig } from '../config/extended-config.ts';
import { decodeAvroFlumeEvent, encodeAvroFlumeEvent } from '../kafka/flume-event-format.ts';
import {
  bootstrapBrokers,
  CONSUMER_PREFIX,
  clientFamilyRows,
  clientOptionsFrom,
  consumerSettings,
  GROUP_ID,
  OFFSET_RESET,
  PRODUCER_PREFIX,
  partitionKeys,
} from '../kafka/kafka-client-config.ts';

const fixedKeys = defineConfig({
  'kafka.bootstrap.servers': {
    type: 'list',
    importance: 'high',
    doc: 'Brokers to bootstrap from (host:port, comma-separated).',
  },
  'kafka.topic': {
    type: 'string',
    default: 'flume-channel',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'The topic that holds the channel.',
  },
  parseAsFlumeEvent: {
    type: 'boolean',
    default: true,
    importance: 'medium',
    doc: 'Records are AvroFlumeEvent datums (headers kept); false: bare bodies (headers lost).',
  },
  pollTimeout: {
    type: 'long',
    default: 500,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Longest wait (ms) of a transaction first take for a record.',
  },
  ...partitionKeys,
  migrateZookeeperOffsets: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Accepted and ignored (no ZooKeeper offsets to migrate).',
  },
  transactionCapacity: {
    type: 'int',
    default: 10000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Sluice: most puts or takes in one transaction (Flume has no limit here).',
  },
});

/** Flume 1.11 KafkaChannel (`org.apache.flume.channel.kafka.KafkaChannel`) keys and defaults. */
export const kafkaChannelConfig = extendedConfig({
  fixed: fixedKeys,
  prefixes: [CONSUMER_PREFIX, PRODUCER_PREFIX],
  familyRows: [
    {
      key: GROUP_ID,
      type: 'string',
      default: 'flume',
      validValues: '',
      importance: 'high',
      doc: 'Consumer group of the takers; offsets are committed on take commit.',
    },
    {
      key: OFFSET_RESET,
      type: 'string',
      default: 'latest',
      validValues: 'earliest, latest, none',
      importance: 'medium',
      doc: 'Where a group without committed offsets starts.',
    },
    ...clientFamilyRows('consumer'),
    ...clientFamilyRows('producer'),
  ],
  finish(_parsed, families, fail, unknown) {
    const {
      groupId,
      autoOffsetReset,
      client: consumer,
    } = consumerSettings(families, 'latest', fail, unknown);
    // The producer is always idempotent with acks=all: a put commit is the channel's durability.
    const ignored = new Set(['kafka.producer.acks', 'kafka.producer.enable.idempotence']);
    const producer = clientOptionsFrom('producer', families, ignored, fail, unknown);
    return { groupId, autoOffsetReset, consumer, producer };
  },
});

export interface KafkaChannelOptions {
  readonly bootstrapServers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
  readonly parseAsFlumeEvent: boolean;
  readonly pollTimeoutMs: number;
  readonly defaultPartitionId: number | null;
  readonly partitionIdHeader: string | null;
  readonly transactionCapacity: number;
  readonly consumer: Readonly<Record<string, unknown>>;
  readonly producer: Readonly<Record<string, unknown>>;
}

export function kafkaChannelOptions(s: Readonly<Record<string, unknown>>): KafkaChannelOptions {
  return {
    bootstrapServers: bootstrapBrokers(s['kafka.bootstrap.servers'] as string[]),
    topic: s['kafka.topic'] as string,
    groupId: (s.groupId as string | undefined) ?? 'flume',
    autoOffsetReset: (s.autoOffsetReset as KafkaChannelOptions['autoOffsetReset'] | undefined) ?? 'latest',
    parseAsFlumeEvent: s.parseAsFlumeEvent as boolean,
    pollTimeoutMs: Number(s.pollTimeout),
    defaultPartitionId: s.defaultPartitionId as number | null,
    partitionIdHeader: s.partitionIdHeader as string | null,
    transactionCapacity: s.transactionCapacity as number,
    consumer: (s.consumer as Record<string, unknown> | undefined) ?? {},
    producer: (s.producer as Record<string, unknown> | undefined) ?? {},
  };
}

/**
 * Which offset of each partition may be committed: the lowest record still held by an open take
 * transaction, else one past the highest record taken. Commits never pass a record another open
 * transaction may still roll back.
 */
export class OffsetTracker {
  readonly #held = new Map<string, Set<bigint>>();
  readonly #done = new Map<string, bigint>();

  hold(key: string, offset: bigint): void {
    const s = this.#held.get(key);
    if (s === undefined) this.#held.set(key, new Set([offset]));
    else s.add(offset);
  }

  /** The record at `offset` was delivered (its take transaction committed). */
  release(key: string, offset: bigint): void {
    this.#held.get(key)?.delete(offset);
    if (offset + 1n > (this.#done.get(key) ?? -1n)) this.#done.set(key, offset + 1n);
  }

  /** The offset to commit for `key`, or undefined when nothing was completed yet. */
  commitPoint(key: string): bigint | undefined {
    const done = this.#done.get(key);
    if (done === undefined) return undefined;
    let low = done;
    for (const o of this.#held.get(key) ?? []) if (o < low) low = o;
    return low;
  }
}

const partitionKey = (m: Message) => `${m.topic}\0${m.partition}`;

/**
 * Flume's Kafka channel: a topic is the channel. A put transaction is produced on commit (idempotent,
 * acks=all) and the commit succeeds only once Kafka acknowledged every record. Takes read the topic
 * in the channel's consumer group; a take commit commits the group's offsets past the taken
 * records, a rollback returns them to the head of the channel (they are taken again, in order).
 * Works with a source and a sink, or with only one of them (another process produces to or
 * consumes from the topic). Events are AvroFlumeEvent datums (parseAsFlumeEvent) or bare bodies.
 */
export class KafkaChannel implements Channel {
  readonly name: string;
  readonly counters: CounterGroup;
  readonly transactionCapacity: number;
  readonly options: KafkaChannelOptions;
  readonly #logger: Logger;
  #producer: Producer<Buffer, Buffer, string, string> | undefined;
  #consumer: Consumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  readonly #queue: Message[] = [];
  #wake: (() => void)[] = [];
  readonly tracker = new OffsetTracker();
  #paused = false;

  constructor(name: string, options: KafkaChannelOptions, logger: Logger) {
    this.name = name;
    this.options = options;
    this.transactionCapacity = options.transactionCapacity;
    this.#logger = logger;
    this.counters = new CounterGroup('CHANNEL', name, [
      ...CHANNEL_COUNTERS,
      'KafkaEventGetTimer',
      'KafkaEventSendTimer',
      'KafkaCommitTimer',
      'RollbackCounter',
    ]);
  }

  getTransaction(): Transaction {
    return new KafkaTransaction(this);
  }

  async start(): Promise<void> {
    this.counters.start();
    const o = this.options;
    const { Consumer, Producer, stringSerializer } = await import('@platformatic/kafka');
    this.#producer = new Producer<Buffer, Buffer, string, string>({
      clientId: `flume-channel-${this.name}`,
      ...o.producer,
      bootstrapBrokers: [...o.bootstrapServers],
      acks: -1,
      idempotent: true,
      autocreateTopics: true,
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
    // The topic must exist before the group subscribes (the producer creates it, as Kafka does).
    await this.#producer.metadata({ topics: [o.topic], autocreateTopics: true });
    const consumer = new Consumer({
      clientId: `flume-channel-${this.name}`,
      maxWaitTime: Math.min(o.pollTimeoutMs, 500),
      ...o.consumer,
      bootstrapBrokers: [...o.bootstrapServers],
      groupId: o.groupId,
      autocommit: false,
    });
    this.#consumer = consumer;
    const stream = await consumer.consume({
      topics: [o.topic],
      mode: 'committed',
      fallbackMode: o.autoOffsetReset === 'none' ? 'fail' : o.autoOffsetReset,
      autocommit: false,
    });
    this.#stream = stream;
    stream.on('data', (m: Message) => {
      this.#queue.push(m);
      // Bounded read-ahead: stop fetching while a transaction's worth or more is waiting.
      if (this.#queue.length >= Math.max(1000, this.transactionCapacity) && !this.#paused) {
        this.#paused = true;
        stream.pause();
      }
      this.#notify();
    });
    stream.on('error', (err: Error) => {
      this.#logger.warn('kafka channel: consumer error', { channel: this.name, err: err.message });
    });
    this.#logger.info('kafka channel started', { channel: this.name, topic: o.topic, group: o.groupId });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }

  /** The next record, waiting up to `waitMs` for one. */
  async nextRecord(waitMs: number): Promise<Message | undefined> {
    if (this.#queue.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const m = this.#queue.shift();
    if (this.#paused && this.#queue.length < 100) {
      this.#paused = false;
      this.#stream?.resume();
    }
    return m;
  }

  /** Rolled-back records go back to the head, in the order they were taken. */
  returnRecords(records: readonly Message[]): void {
    this.#queue.unshift(...records);
  }

  decode(m: Message): FlumeEvent | null {
    const body = m.value ?? Buffer.alloc(0);
    if (!this.options.parseAsFlumeEvent) return { headers: {}, body };
    try {
      return decodeAvroFlumeEvent(body);
    } catch (err) {
      this.#logger.warn('kafka channel: record is not an AvroFlumeEvent; skipped', {
        channel: this.name,
        partition: m.partition,
        offset: String(m.offset),
        err: String(err),
      });
      return null;
    }
  }

  async send(events: readonly FlumeEvent[]): Promise<void> {
    const o = this.options;
    const started = Date.now();
    await this.#producer!.send({
      messages: events.map((e) => {
        const h = e.headers;
        const fromHeader = o.partitionIdHeader === null ? undefined : h[o.partitionIdHeader];
        const partition =
          fromHeader !== undefined && /^\d+$/.test(fromHeader) ? Number(fromHeader) : o.defaultPartitionId;
        return {
          topic: o.topic,
          value: o.parseAsFlumeEvent ? encodeAvroFlumeEvent(e) : e.body,
          ...(h.key !== undefined ? { key: Buffer.from(h.key) } : {}),
          ...(partition !== null ? { partition } : {}),
        };
      }),
    });
    this.counters.add('KafkaEventSendTimer', Date.now() - started);
  }

  async commitOffsets(keys: Iterable<string>, sample: ReadonlyMap<string, Message>): Promise<void> {
    const offsets = [];
    for (const k of keys) {
      const at = this.tracker.commitPoint(k);
      const m = sample.get(k)!;
      if (at !== undefined)
        offsets.push({ topic: m.topic, partition: m.partition, offset: at, leaderEpoch: -1 });
    }
    if (offsets.length === 0) return;
    const started = Date.now();
    await this.#consumer!.commit({ offsets });
    this.counters.add('KafkaCommitTimer', Date.now() - started);
  }

  interruptWaits(): void {
    this.#notify();
  }

  async stop(): Promise<void> {
    this.#notify();
    await this.#stream?.close().catch(() => {});
    await this.#consumer?.close().catch(() => {});
    await this.#producer?.close().catch(() => {});
    this.counters.stop();
  }
}

type TxState = 'NEW' | 'OPEN' | 'COMPLETED' | 'CLOSED';

class KafkaTransaction implements Transaction {
  readonly #channel: KafkaChannel;
  #state: TxState = 'NEW';
  #puts: FlumeEvent[] = [];
  #takes: Message[] = [];
  #busy = false;

  constructor(channel: KafkaChannel) {
    this.#channel = channel;
  }

  begin(): void {
    assert(this.#state === 'NEW', `begin() called when transaction is ${this.#state}`);
    this.#state = 'OPEN';
  }

  put(event: FlumeEvent): void {
    assert(this.#state === 'OPEN' && !this.#busy, `put() called when transaction is ${this.#state}`);
    const c = this.#channel;
    c.counters.add('EventPutAttemptCount');
    if (this.#puts.length >= c.transactionCapacity) {
      throw new ChannelException(`put list of capacity ${c.transactionCapacity} full (channel ${c.name})`);
    }
    this.#puts.push(event);
  }

  async take(): Promise<FlumeEvent | null> {
    assert(this.#state === 'OPEN' && !this.#busy, `take() called when transaction is ${this.#state}`);
    const c = this.#channel;
    c.counters.add('EventTakeAttemptCount');
    if (this.#takes.length >= c.transactionCapacity) {
      throw new ChannelException(`take list of capacity ${c.transactionCapacity} full (channel ${c.name})`);
    }
    this.#busy = true;
    try {
      const started = Date.now();
      for (;;) {
        // Only the first take of a transaction waits, so a partial batch is not held back.
        const m = await c.nextRecord(this.#takes.length === 0 ? c.options.pollTimeoutMs : 0);
        if (m === undefined) return null;
        c.tracker.hold(partitionKey(m), m.offset);
        this.#takes.push(m);
        const e = c.decode(m);
        c.counters.add('KafkaEventGetTimer', Date.now() - started);
        if (e !== null) return e;
        // An undecodable record is skipped but stays in the transaction, so its offset is committed.
      }
    } finally {
      this.#busy = false;
    }
  }

  async commit(): Promise<void> {
    assert(this.#state === 'OPEN' && !this.#busy, `commit() called when transaction is ${this.#state}`);
    const c = this.#channel;
    this.#busy = true;
    try {
      if (this.#puts.length > 0) {
        try {
          await c.send(this.#puts);
        } catch (err) {
          throw new ChannelException(
            `unable to produce ${this.#puts.length} events to the channel topic: ${err}`,
            {
              cause: err,
            },
          );
        }
      }
      if (this.#takes.length > 0) {
        const sample = new Map<string, Message>();
        for (const m of this.#takes) {
          c.tracker.release(partitionKey(m), m.offset);
          sample.set(partitionKey(m), m);
        }
        try {
          await c.commitOffsets(sample.keys(), sample);
        } catch (err) {
          // The records were delivered; a failed offset commit (a rebalance) means they may come
          // again: at least once, as Flume's Kafka channel.
          c.counters.add('RollbackCounter');
          throw new ChannelException(`unable to commit the channel's consumer offsets: ${err}`, {
            cause: err,
          });
        }
      }
    } finally {
      this.#busy = false;
    }
    c.counters.add('EventPutSuccessCount', this.#puts.length);
    c.counters.add('EventTakeSuccessCount', this.#takes.length);
    this.#puts = [];
    this.#takes = [];
    this.#state = 'COMPLETED';
  }

  rollback(): void {
    assert(this.#state === 'OPEN' && !this.#busy, `rollback() called when transaction is ${this.#state}`);
    const c = this.#channel;
    // Rolled-back records stay held: they are back in the queue, and no commit may pass them
    // until they are taken again and committed.
    if (this.#takes.length > 0) c.returnRecords(this.#takes);
    c.counters.add('RollbackCounter');
    this.#puts = [];
    this.#takes = [];
    this.#state = 'COMPLETED';
  }

  close(): void {
    assert(
      this.#state === 'NEW' || this.#state === 'COMPLETED',
      this.#state === 'OPEN'
        ? 'close() called when transaction is OPEN - you must either commit or rollback first'
        : `close() called when transaction is ${this.#state}`,
    );
    this.#state = 'CLOSED';
  }
}
