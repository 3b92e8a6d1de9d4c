import { atLeast, defineConfig, nonEmptyString, oneOf, range } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { AvroRpcClient } from '../avro-rpc/avro-rpc-client.ts';
import { drainBatch } from './null-sink.ts';

/** Flume's floor for connect-timeout and request-timeout (smaller values are raised to it, with a warning). */
const MIN_TIMEOUT_MS = 1000;

/** Flume 1.11 AvroSink (`avro`) keys and defaults. */
export const avroSinkConfig = defineConfig({
  hostname: {
    type: 'string',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Host of the next hop (an avro source).',
  },
  port: {
    type: 'int',
    validator: range(1, 65535),
    importance: 'high',
    doc: 'Port of the next hop.',
  },
  'batch-size': {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per channel transaction and appendBatch call.',
  },
  'connect-timeout': {
    type: 'long',
    default: 20000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Milliseconds to wait for the first (handshake) connection; at least 1000 is used.',
  },
  'request-timeout': {
    type: 'long',
    default: 20000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Milliseconds to wait for the answer to a batch; at least 1000 is used.',
  },
  'reset-connection-interval': {
    type: 'long',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Seconds after which the connection is replaced (lets a load balancer rebalance); 0 = never (Flume: none).',
  },
  'compression-type': {
    type: 'string',
    default: 'none',
    validator: oneOf(['none', 'deflate'], { caseInsensitive: true }),
    importance: 'medium',
    doc: 'deflate: compress the stream; must match the receiving avro source.',
  },
  'compression-level': {
    type: 'int',
    default: 6,
    validator: range(0, 9),
    importance: 'low',
    doc: 'zlib level 0-9 when compression-type is deflate.',
  },
  ssl: {
    type: 'boolean',
    default: false,
    validator: {
      expected: 'false (SSL needs Java truststores, which Sluice does not read; use a TLS proxy)',
      test: (v: boolean) => !v,
    },
    importance: 'low',
    doc: 'SSL is not supported.',
  },
  maxIoWorkers: {
    type: 'int',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'I/O worker threads in Flume (default 2 × CPUs); accepted, no effect.',
  },
});

export interface AvroSinkOptions {
  readonly hostname: string;
  readonly port: number;
  readonly batchSize: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** 0 = never. */
  readonly resetConnectionIntervalMs: number;
  readonly compression: 'none' | 'deflate';
  readonly compressionLevel: number;
}

export function avroSinkOptions(s: Readonly<Record<string, unknown>>): AvroSinkOptions {
  return {
    hostname: s.hostname as string,
    port: s.port as number,
    batchSize: s['batch-size'] as number,
    connectTimeoutMs: Math.max(MIN_TIMEOUT_MS, s['connect-timeout'] as number),
    requestTimeoutMs: Math.max(MIN_TIMEOUT_MS, s['request-timeout'] as number),
    resetConnectionIntervalMs: (s['reset-connection-interval'] as number) * 1000,
    compression: (s['compression-type'] as string).toLowerCase() === 'deflate' ? 'deflate' : 'none',
    compressionLevel: s['compression-level'] as number,
  };
}

/**
 * Sends the channel's events to the next hop's avro source: one channel transaction per batch,
 * one `appendBatch` call, committed only when the answer is OK. Any other answer, a timeout or a
 * broken connection rolls the transaction back (the events stay in the channel), drops the
 * connection and lets the sink runner back off; the next batch reconnects.
 */
export class AvroSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: AvroSinkOptions;
  readonly #logger: Logger;
  #client: AvroRpcClient | undefined;
  #connectedAt = 0;

  constructor(name: string, channel: Channel, options: AvroSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.#options = options;
    this.batchSize = options.batchSize;
    this.#logger = logger;
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }

  async start(): Promise<void> {
    this.counters.start();
    // As Flume: try to connect now, but a next hop that is down only delays delivery.
    try {
      await this.#connection();
    } catch (err) {
      this.#logger.warn('avro sink cannot connect yet; will retry', {
        sink: this.name,
        target: `${this.#options.hostname}:${this.#options.port}`,
        err: (err as Error).message,
      });
    }
  }

  async #connection(): Promise<AvroRpcClient> {
    const o = this.#options;
    const c = this.#client;
    if (c !== undefined && !c.closed) {
      if (o.resetConnectionIntervalMs === 0 || Date.now() - this.#connectedAt < o.resetConnectionIntervalMs) {
        return c;
      }
      this.#logger.info('avro sink resetting its connection', { sink: this.name });
      this.#drop();
    } else if (c !== undefined) {
      this.#drop();
    }
    try {
      const client = await AvroRpcClient.connect({
        host: o.hostname,
        port: o.port,
        connectTimeoutMs: o.connectTimeoutMs,
        requestTimeoutMs: o.requestTimeoutMs,
        deflate: o.compression === 'deflate',
        compressionLevel: o.compressionLevel,
      });
      this.counters.add('ConnectionCreatedCount');
      this.#client = client;
      this.#connectedAt = Date.now();
      return client;
    } catch (err) {
      this.counters.add('ConnectionFailedCount');
      throw err;
    }
  }

  #drop(): void {
    const c = this.#client;
    if (c === undefined) return;
    this.#client = undefined;
    c.close();
    this.counters.add('ConnectionClosedCount');
  }

  async process(): Promise<ProcessStatus> {
    return drainBatch(this, async (events: FlumeEvent[]) => {
      try {
        const client = await this.#connection();
        const status = await client.appendBatch(events);
        if (status !== 'OK') throw new Error(`the next hop answered ${status}`);
      } catch (err) {
        this.counters.add('EventWriteFail', events.length);
        this.#drop();
        throw new Error(
          `avro sink ${this.name} failed to send ${events.length} events to ${this.#options.hostname}:${this.#options.port}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    });
  }

  async stop(): Promise<void> {
    this.#drop();
    this.counters.stop();
  }
}
