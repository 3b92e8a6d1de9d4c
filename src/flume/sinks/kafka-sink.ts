import type { Consumer, Producer } from '@platformatic/kafka';
import { atLeast, type ConfigDocRow, defineConfig, nonEmptyString } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { extendedConfig } from '../config/extended-config.ts';
import { encodeAvroFlumeEvent } from '../kafka/flume-event-format.ts';
import {
  bootstrapBrokers,
  clientFamilyRows,
  clientOptionsFrom,
  PRODUCER_PREFIX,
  partitionKeys,
} from '../kafka/kafka-client-config.ts';
import { RecentIds, readRecentIds } from '../kafka/recent-ids.ts';
import { drainBatch } from './null-sink.ts';

/** The header that carries an event's id for the exactly-once check (Sluice's, not Flume's). */
export const DEFAULT_EVENT_ID_HEADER = 'sluice.eventId';

const ACKS = 'kafka.producer.acks';
const IDEMPOTENCE = 'kafka.producer.enable.idempotence';
const COMPRESSION = 'kafka.producer.compression.type';
const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

const fixedKeys = defineConfig({
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
    doc: 'Topic written when the event has no topic header (or allowTopicOverride is false); %{header} is replaced by that header.',
  },
  flumeBatchSize: {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per transaction.',
  },
  useFlumeEventFormat: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Write each event as an Avro AvroFlumeEvent (headers and body) instead of the bare body.',
  },
  ...partitionKeys,
  allowTopicOverride: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Let the topic header choose the topic.',
  },
  topicHeader: { type: 'string', default: 'topic', importance: 'low', doc: 'Header naming the topic.' },
  timestampHeader: {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'Header holding the record timestamp (ms); else the send time.',
  },
  'sluice.exactlyOnce': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    doc: 'Drop events whose id header is among the ids already written to the topic (see docs/flume.md).',
  },
  'sluice.eventIdHeader': {
    type: 'string',
    default: DEFAULT_EVENT_ID_HEADER,
    validator: nonEmptyString(),
    importance: 'low',
    doc: 'Header carrying the event id used by sluice.exactlyOnce.',
  },
  'sluice.dedupWindow': {
    type: 'int',
    default: 1000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Records per partition read back at start, and ids remembered per partition (at least flumeBatchSize).',
  },
});

const familyRows: ConfigDocRow[] = [
  {
    key: ACKS,
    type: 'string',
    default: 'all',
    validValues: 'all, -1, 1, 0',
    importance: 'medium',
    doc: 'Acknowledgement level; all (Sluice default, Flume: 1) enables the idempotent producer.',
  },
  {
    key: IDEMPOTENCE,
    type: 'boolean',
    default: 'true',
    validValues: 'true, false',
    importance: 'low',
    doc: 'Idempotent producer (only with acks=all): client retries never write a record twice.',
  },
  {
    key: COMPRESSION,
    type: 'string',
    default: 'none',
    validValues: COMPRESSIONS.join(', '),
    importance: 'low',
    doc: 'Compression of the record batches.',
  },
  {
    key: 'header.<NAME>',
    type: 'string',
    default: '',
    validValues: '',
    importance: 'low',
    doc: 'Write event header NAME as the record header given as value; when any is set, only those (and the event id) are written.',
  },
  ...clientFamilyRows('producer'),
];

/** Flume 1.11 KafkaSink (`org.apache.flume.sink.kafka.KafkaSink`) keys and defaults. */
export const kafkaSinkConfig = extendedConfig({
  fixed: fixedKeys,
  prefixes: [PRODUCER_PREFIX, 'header.'],
  familyRows,
  finish(_parsed, families, fail, unknown) {
    const acksEntry = families.get(ACKS);
    let acks: -1 | 0 | 1 = -1;
    if (acksEntry !== undefined) {
      const v = acksEntry.value.trim();
      if (v === 'all' || v === '-1') acks = -1;
      else if (v === '1') acks = 1;
      else if (v === '0') acks = 0;
      else fail(acksEntry, 'all, -1, 1 or 0');
    }
    let idempotence = true;
    const idem = families.get(IDEMPOTENCE);
    if (idem !== undefined) {
      const v = idem.value.trim().toLowerCase();
      if (v === 'true' || v === 'false') idempotence = v === 'true';
      else fail(idem, 'true or false');
    }
    let compression = 'none';
    const comp = families.get(COMPRESSION);
    if (comp !== undefined) {
      const v = comp.value.trim();
      if ((COMPRESSIONS as readonly string[]).includes(v)) compression = v;
      else fail(comp, COMPRESSIONS.join(', '));
    }
    const renames: Record<string, string> = {};
    for (const [key, entry] of families) {
      if (!key.startsWith('header.')) continue;
      if (entry.value.trim() === '') fail(entry, 'a record header name');
      else renames[key.slice('header.'.length)] = entry.value.trim();
    }
    const client = clientOptionsFrom(
      'producer',
      families,
      new Set([ACKS, IDEMPOTENCE, COMPRESSION]),
      fail,
      unknown,
    );
    return { acks, idempotence, compression, renames, client };
  },
});

export interface KafkaSinkOptions {
  readonly bootstrapServers: readonly string[];
  readonly topic: string;
  readonly batchSize: number;
  readonly acks: -1 | 0 | 1;
  readonly idempotent: boolean;
  readonly compression: (typeof COMPRESSIONS)[number];
  readonly useFlumeEventFormat: boolean;
  readonly defaultPartitionId: number | null;
  readonly partitionIdHeader: string | null;
  readonly allowTopicOverride: boolean;
  readonly topicHeader: string;
  readonly timestampHeader: string | null;
  /** Event header → record header; empty = every event header under its own name. */
  readonly headerRenames: Readonly<Record<string, string>>;
  readonly exactlyOnce: boolean;
  readonly eventIdHeader: string;
  readonly dedupWindow: number;
  /** Mapped `kafka.producer.*` options for the client. */
  readonly client: Readonly<Record<string, unknown>>;
}

export function kafkaSinkOptions(s: Readonly<Record<string, unknown>>): KafkaSinkOptions {
  const acks = s.acks as -1 | 0 | 1;
  const batchSize = s.flumeBatchSize as number;
  return {
    bootstrapServers: bootstrapBrokers(s['kafka.bootstrap.servers'] as string[]),
    topic: s['kafka.topic'] as string,
    batchSize,
    acks,
    // Kafka allows idempotence only with acks=all.
    idempotent: (s.idempotence as boolean) && acks === -1,
    compression: s.compression as KafkaSinkOptions['compression'],
    useFlumeEventFormat: s.useFlumeEventFormat as boolean,
    defaultPartitionId: s.defaultPartitionId as number | null,
    partitionIdHeader: s.partitionIdHeader as string | null,
    allowTopicOverride: s.allowTopicOverride as boolean,
    topicHeader: s.topicHeader as string,
    timestampHeader: s.timestampHeader as string | null,
    headerRenames: (s.renames as Record<string, string> | undefined) ?? {},
    exactlyOnce: s['sluice.exactlyOnce'] as boolean,
    eventIdHeader: s['sluice.eventIdHeader'] as string,
    dedupWindow: Math.max(s['sluice.dedupWindow'] as number, batchSize),
    client: (s.client as Record<string, unknown> | undefined) ?? {},
  };
}

/** `%{name}` in a topic template replaced by the event's header (empty when absent), as Flume does. */
export function topicFor(template: string, headers: Readonly<Record<string, string>>): string {
  return template.includes('%{')
    ? template.replace(/%\{([^}]*)\}/g, (_, h: string) => headers[h] ?? '')
    : template;
}

interface OutRecord {
  readonly topic: string;
  readonly value: Buffer;
  readonly key?: Buffer;
  readonly partition?: number;
  readonly timestamp?: bigint;
  readonly headers: Map<string, string>;
}

/**
 * Flume's Kafka sink: one channel transaction per batch, sent to Kafka and committed only once
 * Kafka acknowledged every record, so a failure rolls the batch back into the channel (and the
 * runner backs off). The topic comes from the topic header (allowTopicOverride) or `kafka.topic`,
 * the key from the `key` header, the partition from partitionIdHeader or defaultPartitionId (else
 * the client's key hash). The producer is idempotent by default (acks=all), so the client's own
 * retries never write a record twice.
 *
 * Exactly once (Sluice's addition, `sluice.exactlyOnce`): an event carrying an id header
 * (`sluice.eventId`) is dropped when that id is among those this sink already wrote to the topic.
 * Before its first send to a topic after a start (and after any failed send, whose outcome is
 * unknown), the sink reads back the ids of the last `dedupWindow` records of each partition. Why
 * that bound suffices: the sink runs one transaction at a time and commits the channel only after
 * Kafka acknowledged the batch, so what a crash can leave both in Kafka and in a durable channel is
 * at most the one batch in flight (≤ flumeBatchSize ≤ dedupWindow records), and those are the last
 * records this sink wrote to each partition. The ids are the ones stored with the event in the
 * channel, so they are the same when the event is taken again. Assumption: no other writer appends
 * more than dedupWindow − flumeBatchSize records to those partitions between the crash and the
 * restart (one sink per topic, or a window large enough).
 */
export class KafkaSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: KafkaSinkOptions;
  /** `header.NAME` mappings as pairs, made once (read for every record). */
  readonly #renames: readonly [string, string][];
  readonly #logger: Logger;
  #producer: Producer<Buffer, Buffer, string, string> | undefined;
  #reader: Consumer | undefined;
  /** Per topic: ids known to be in it (read back, or acknowledged since). */
  readonly #known = new Map<string, RecentIds>();

  constructor(name: string, channel: Channel, options: KafkaSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.batchSize = options.batchSize;
    this.#options = options;
    this.#renames = Object.entries(options.headerRenames);
    this.#logger = logger;
    this.counters = new CounterGroup('SINK', name, [
      ...SINK_COUNTERS,
      'KafkaEventSendTimer',
      'RollbackCount',
      'DuplicateEventDropCount',
    ]);
  }

  async start(): Promise<void> {
    this.counters.start();
    const o = this.#options;
    const { Producer, Consumer, stringSerializer } = await import('@platformatic/kafka');
    this.#producer = new Producer<Buffer, Buffer, string, string>({
      clientId: `flume-${this.name}`,
      ...o.client,
      bootstrapBrokers: [...o.bootstrapServers],
      acks: o.acks,
      idempotent: o.idempotent,
      // As the Java producer does: a missing topic is created where the broker allows it.
      autocreateTopics: true,
      ...(o.compression === 'none' ? {} : { compression: o.compression }),
      serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    });
    if (o.exactlyOnce) {
      this.#reader = new Consumer({
        clientId: `flume-${this.name}-readback`,
        bootstrapBrokers: [...o.bootstrapServers],
        groupId: `flume-${this.name}-readback`,
      });
    }
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

  #record(e: FlumeEvent): OutRecord {
    const o = this.#options;
    const h = e.headers;
    const topic = (o.allowTopicOverride ? h[o.topicHeader] : undefined) ?? topicFor(o.topic, h);
    const fromHeader = o.partitionIdHeader === null ? undefined : h[o.partitionIdHeader];
    const partition =
      fromHeader !== undefined && /^\d+$/.test(fromHeader) ? Number(fromHeader) : o.defaultPartitionId;
    const ts = o.timestampHeader === null ? undefined : h[o.timestampHeader];
    const headers = new Map<string, string>();
    const renames = this.#renames;
    if (renames.length === 0) {
      for (const [k, v] of Object.entries(h)) headers.set(k, v);
    } else {
      for (const [from, to] of renames) if (h[from] !== undefined) headers.set(to, h[from]);
      const id = h[o.eventIdHeader];
      if (o.exactlyOnce && id !== undefined) headers.set(o.eventIdHeader, id);
    }
    return {
      topic,
      value: o.useFlumeEventFormat ? encodeAvroFlumeEvent(e) : e.body,
      ...(h.key !== undefined ? { key: Buffer.from(h.key) } : {}),
      ...(partition !== null ? { partition } : {}),
      ...(ts !== undefined && /^\d+$/.test(ts) ? { timestamp: BigInt(ts) } : {}),
      headers,
    };
  }

  async #known_(topic: string): Promise<RecentIds> {
    let known = this.#known.get(topic);
    if (known === undefined) {
      const o = this.#options;
      const { ids, partitions } = await readRecentIds(this.#reader!, topic, o.dedupWindow, o.eventIdHeader);
      known = new RecentIds(o.dedupWindow * Math.max(1, partitions));
      for (const id of ids) known.add(id);
      this.#known.set(topic, known);
      this.#logger.info('kafka sink: read back recent event ids', {
        sink: this.name,
        topic,
        ids: ids.length,
      });
    }
    return known;
  }

  async #send(events: readonly FlumeEvent[]): Promise<void> {
    const o = this.#options;
    const started = Date.now();
    let records = events.map((e) => this.#record(e));
    const sentIds: [string, string][] = [];
    if (o.exactlyOnce) {
      const kept: OutRecord[] = [];
      const inBatch = new Set<string>();
      for (const r of records) {
        const id = r.headers.get(o.eventIdHeader);
        if (id === undefined) {
          kept.push(r);
          continue;
        }
        const known = await this.#known_(r.topic);
        const k = `${r.topic}\0${id}`;
        if (known.has(id) || inBatch.has(k)) {
          this.counters.add('DuplicateEventDropCount');
          continue;
        }
        inBatch.add(k);
        sentIds.push([r.topic, id]);
        kept.push(r);
      }
      records = kept;
    }
    if (records.length > 0) {
      try {
        await this.#producer!.send({ messages: records });
      } catch (err) {
        // Some records may have been written: read the tails again before the batch is retried.
        this.#known.clear();
        this.counters.add('EventWriteFail', events.length);
        this.#logger.warn('kafka sink: send failed; the batch goes back to the channel', {
          sink: this.name,
          events: events.length,
          err: String(err),
        });
        throw err;
      }
    }
    for (const [topic, id] of sentIds) this.#known.get(topic)?.add(id);
    this.counters.add('KafkaEventSendTimer', Date.now() - started);
  }

  async stop(): Promise<void> {
    await this.#producer?.close().catch(() => {});
    await this.#reader?.close().catch(() => {});
    this.counters.add('ConnectionClosedCount');
    this.counters.stop();
  }
}
