import type { Producer } from '@platformatic/kafka';
import { atLeast, defineConfig, nonEmptyString, oneOf } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { drainBatch } from './null-sink.ts';

/** Flume 1.11 KafkaSink (`org.apache.flume.sink.kafka.KafkaSink`) keys and defaults. */
export const kafkaSinkConfig = defineConfig({
  'kafka.bootstrap.servers': {
    type: 'list',
    importance: 'high',
    doc: 'Brokers to bootstrap from (host:port, comma-separated).',
  },
  'kafka.topic': {
    type: 'string',
    default: 'default-flume-topic',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Topic written when the event has no topic header (or allowTopicOverride is false).',
  },
  flumeBatchSize: {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per transaction.',
  },
  'kafka.producer.acks': {
    type: 'string',
    default: 'all',
    validator: oneOf(['all', '-1', '1', '0']),
    importance: 'medium',
    doc: 'Acknowledgement level; all (Sluice default, Flume: 1) enables the idempotent producer.',
  },
  'kafka.producer.enable.idempotence': {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Idempotent producer (needs acks=all): retries never write a record twice.',
  },
  'kafka.producer.compression.type': {
    type: 'string',
    default: 'none',
    validator: oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd']),
    importance: 'low',
    doc: 'Compression of the batches.',
  },
  useFlumeEventFormat: {
    type: 'boolean',
    default: false,
    validator: { expected: 'false (Avro-wrapped Flume events are not implemented yet)', test: (v) => !v },
    importance: 'low',
    doc: 'Write Avro-wrapped Flume events (not implemented yet).',
  },
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
  allowTopicOverride: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Let the topic header choose the topic.',
  },
  topicHeader: { type: 'string', default: 'topic', importance: 'low', doc: 'Header naming the topic.' },
});

export interface KafkaSinkOptions {
  readonly bootstrapServers: readonly string[];
  readonly topic: string;
  readonly batchSize: number;
  readonly acks: -1 | 0 | 1;
  readonly idempotent: boolean;
  readonly compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  readonly defaultPartitionId: number | null;
  readonly partitionIdHeader: string | null;
  readonly allowTopicOverride: boolean;
  readonly topicHeader: string;
}

export function kafkaSinkOptions(s: Readonly<Record<string, unknown>>): KafkaSinkOptions {
  const acksText = s['kafka.producer.acks'] as string;
  const acks = acksText === 'all' || acksText === '-1' ? -1 : acksText === '1' ? 1 : 0;
  return {
    bootstrapServers: s['kafka.bootstrap.servers'] as string[],
    topic: s['kafka.topic'] as string,
    batchSize: s.flumeBatchSize as number,
    acks,
    // Kafka allows idempotence only with acks=all.
    idempotent: (s['kafka.producer.enable.idempotence'] as boolean) && acks === -1,
    compression: s['kafka.producer.compression.type'] as KafkaSinkOptions['compression'],
    defaultPartitionId: s.defaultPartitionId as number | null,
    partitionIdHeader: s.partitionIdHeader as string | null,
    allowTopicOverride: s.allowTopicOverride as boolean,
    topicHeader: s.topicHeader as string,
  };
}

/**
 * Flume's Kafka sink: one channel transaction per batch, sent to Kafka and committed only once
 * Kafka acknowledged every record, so a failure rolls the batch back into the channel. The topic
 * comes from the `topic` header (allowTopicOverride) or `kafka.topic`, the key from the `key`
 * header, the partition from partitionIdHeader or defaultPartitionId (else the client's key
 * hash); every event header becomes a record header. The producer is idempotent by default
 * (acks=all), so the client's own retries never write a record twice.
 */
export class KafkaSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: KafkaSinkOptions;
  readonly #logger: Logger;
  #producer: Producer<Buffer, Buffer, string, string> | undefined;

  constructor(name: string, channel: Channel, options: KafkaSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.batchSize = options.batchSize;
    this.#options = options;
    this.#logger = logger;
    this.counters = new CounterGroup('SINK', name, [
      ...SINK_COUNTERS,
      'KafkaEventSendTimer',
      'RollbackCount',
    ]);
  }

  async start(): Promise<void> {
    this.counters.start();
    const o = this.#options;
    const { Producer, stringSerializer } = await import('@platformatic/kafka');
    this.#producer = new Producer<Buffer, Buffer, string, string>({
      clientId: `flume-${this.name}`,
      bootstrapBrokers: [...o.bootstrapServers],
      acks: o.acks,
      idempotent: o.idempotent,
      // As the Java producer does: a missing topic is created where the broker allows it.
      autocreateTopics: true,
      ...(o.compression === 'none' ? {} : { compression: o.compression }),
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
    this.counters.add('ConnectionCreatedCount');
  }

  async process(): Promise<ProcessStatus> {
    try {
      return await drainBatch(this, (events) => this.#send(events));
    } catch (err) {
      this.counters.add('RollbackCount');
      throw err;
    }
  }

  async #send(events: readonly FlumeEvent[]): Promise<void> {
    const o = this.#options;
    const started = Date.now();
    const messages = events.map((e) => {
      const h = e.headers;
      const topic = (o.allowTopicOverride ? h[o.topicHeader] : undefined) ?? o.topic;
      const fromHeader = o.partitionIdHeader === null ? undefined : h[o.partitionIdHeader];
      const partition =
        fromHeader !== undefined && /^\d+$/.test(fromHeader) ? Number(fromHeader) : o.defaultPartitionId;
      return {
        topic,
        value: e.body,
        ...(h.key !== undefined ? { key: Buffer.from(h.key) } : {}),
        ...(partition !== null ? { partition } : {}),
        headers: new Map(Object.entries(h)),
      };
    });
    try {
      await this.#producer!.send({ messages });
    } catch (err) {
      this.counters.add('EventWriteFail', events.length);
      this.#logger.warn('kafka sink: send failed; the batch goes back to the channel', {
        sink: this.name,
        events: events.length,
        err: String(err),
      });
      throw err;
    }
    this.counters.add('KafkaEventSendTimer', Date.now() - started);
  }

  async stop(): Promise<void> {
    await this.#producer?.close().catch(() => {});
    this.counters.add('ConnectionClosedCount');
    this.counters.stop();
  }
}
