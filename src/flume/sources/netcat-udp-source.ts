import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { defineConfig, nonEmptyString, range } from '../../config/index.ts';
import { bindUdp } from '../../net/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { type ChannelProcessor, messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';
import { setHeader } from './http-handlers.ts';

/** Flume 1.11 NetcatUdpSource (`netcatudp`) keys and defaults. */
export const netcatUdpSourceConfig = defineConfig({
  bind: {
    type: 'string',
    default: null,
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Host name or IP to listen on (all interfaces when unset).',
  },
  port: {
    type: 'int',
    validator: range(0, 65535),
    importance: 'high',
    doc: 'UDP port (0 picks a free one).',
  },
  remoteAddressHeader: {
    type: 'string',
    default: null,
    validator: nonEmptyString(),
    importance: 'low',
    doc: "Header receiving the sender's address, as Java prints it (`/127.0.0.1:5000`).",
  },
});

export interface NetcatUdpSourceOptions {
  readonly bind: string | null;
  readonly port: number;
  readonly remoteAddressHeader: string | null;
  /** Datagrams waiting for the channel beyond this are dropped (counted as ChannelWriteFail). */
  readonly maxPending?: number;
}

export function netcatUdpSourceOptions(s: Readonly<Record<string, unknown>>): NetcatUdpSourceOptions {
  return {
    bind: s.bind as string | null,
    port: s.port as number,
    remoteAddressHeader: s.remoteAddressHeader as string | null,
  };
}

/** Body of a datagram as Flume reads it: the bytes before the first newline (the rest is dropped). */
export function datagramBody(message: Buffer): Buffer {
  const nl = message.indexOf(0x0a);
  return Buffer.from(nl < 0 ? message : message.subarray(0, nl));
}

/** Java's InetSocketAddress text for an unresolved peer: `/address:port`. */
export function javaSocketAddress(info: Pick<RemoteInfo, 'address' | 'port'>): string {
  return `/${info.address}:${info.port}`;
}

/**
 * Flume's UDP netcat source: each datagram is one event, best effort. Events are written one at a
 * time in arrival order; an event the channel refuses is dropped and logged (UDP has no way to
 * tell the sender), as in Flume.
 */
export class NetcatUdpSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize = 1;
  readonly #options: NetcatUdpSourceOptions;
  readonly #logger: Logger;
  #socket: Socket | undefined;
  #processor: ChannelProcessor | undefined;
  readonly #queue: FlumeEvent[] = [];
  #draining: Promise<void> | undefined;
  #port = 0;

  constructor(name: string, options: NetcatUdpSourceOptions, logger: Logger) {
    this.name = name;
    this.#options = options;
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  get port(): number {
    return this.#port;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#processor = processor;
    const bind = this.#options.bind;
    const socket = createSocket({ type: bind !== null && isIP(bind) === 6 ? 'udp6' : 'udp4' });
    this.#port = await bindUdp(socket, `netcatudp source ${this.name}`, this.#options.port, bind);
    socket.on('error', (err) =>
      this.#logger.error('netcatudp source error', { source: this.name, err: err.message }),
    );
    socket.on('message', (msg, rinfo) => this.#receive(msg, rinfo));
    this.#socket = socket;
    this.counters.start();
    this.#logger.info('netcatudp source listening', {
      source: this.name,
      address: `${bind ?? '0.0.0.0'}:${this.#port}`,
    });
  }

  #receive(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.add('EventReceivedCount');
    if (this.#queue.length >= (this.#options.maxPending ?? 10_000)) {
      this.counters.add('ChannelWriteFail');
      return;
    }
    const headers: Record<string, string> = {};
    const header = this.#options.remoteAddressHeader;
    if (header !== null) setHeader(headers, header, javaSocketAddress(rinfo));
    this.#queue.push({ headers, body: datagramBody(msg) });
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
      try {
        await this.#processor!.processEvent(event);
        this.counters.add('EventAcceptedCount');
      } catch (err) {
        this.counters.add('ChannelWriteFail');
        this.#logger.warn('netcatudp source: event dropped, the channel refused it', {
          source: this.name,
          err: messageOf(err),
        });
      }
    }
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await this.#draining;
    this.counters.stop();
  }
}
