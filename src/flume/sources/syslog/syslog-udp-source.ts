import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { reverse } from 'node:dns/promises';
import { isIP } from 'node:net';
import { defineConfig, nonEmptyString, range } from '../../../config/index.ts';
import { bindUdp } from '../../../net/index.ts';
import type { Logger } from '../../../telemetry/index.ts';
import { type ChannelProcessor, messageOf } from '../../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../../api/counter-group.ts';
import type { FlumeEvent } from '../../api/event.ts';
import type { EventDrivenSource } from '../../api/source.ts';
import { type KeepFields, parseKeepFields, SyslogParser } from './syslog-parser.ts';
import { clientHeaderKeys } from './syslog-tcp-source.ts';

/** Flume's event size for syslogudp (not configurable there either). */
const UDP_EVENT_SIZE = 2500;
/** Datagrams waiting for the channel beyond this are dropped (counted). */
const MAX_PENDING = 10_000;
const BATCH = 100;

/** Flume 1.11 SyslogUDPSource (`syslogudp`) keys and defaults. */
export const syslogUdpSourceConfig = defineConfig({
  host: {
    type: 'string',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Host name or IP to listen on.',
  },
  port: {
    type: 'int',
    validator: range(0, 65535),
    importance: 'high',
    doc: 'UDP port (0 picks a free one).',
  },
  keepFields: {
    type: 'string',
    default: 'false',
    importance: 'medium',
    doc: 'Fields kept in the body: false/none, true/all (the whole message), or a list of priority, version, timestamp, hostname.',
  },
  ...clientHeaderKeys,
});

export interface SyslogUdpSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly keepFields: KeepFields;
  readonly clientIPHeader: string | null;
  readonly clientHostnameHeader: string | null;
}

export function syslogUdpSourceOptions(s: Readonly<Record<string, unknown>>): SyslogUdpSourceOptions {
  return {
    host: s.host as string,
    port: s.port as number,
    keepFields: parseKeepFields(s.keepFields as string),
    clientIPHeader: (s.clientIPHeader as string | null) ?? null,
    clientHostnameHeader: (s.clientHostnameHeader as string | null) ?? null,
  };
}

/**
 * Flume's `syslogudp`: one datagram is one message (up to its first newline, cut at 2500 bytes and
 * marked Incomplete), parsed as the TCP sources do. UDP cannot hold the sender back: datagrams the
 * channel refuses, or beyond 10,000 waiting for it, are dropped and counted (ChannelWriteFail),
 * with at most one warning a second.
 */
export class SyslogUdpSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize = BATCH;
  readonly #options: SyslogUdpSourceOptions;
  readonly #logger: Logger;
  readonly #parser: SyslogParser;
  readonly #hostnames = new Map<string, string>();
  #socket: Socket | undefined;
  #processor: ChannelProcessor | undefined;
  #queue: FlumeEvent[] = [];
  #draining: Promise<void> | undefined;
  #port = 0;
  #lastWarn = 0;

  constructor(name: string, options: SyslogUdpSourceOptions, logger: Logger) {
    this.name = name;
    this.#options = options;
    this.#logger = logger;
    this.#parser = new SyslogParser({ keepFields: options.keepFields });
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  get port(): number {
    return this.#port;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#processor = processor;
    const { host, port } = this.#options;
    const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4' });
    this.#port = await bindUdp(socket, `syslogudp source ${this.name}`, port, host);
    socket.on('error', (err) =>
      this.#logger.error('syslogudp source error', { source: this.name, err: err.message }),
    );
    socket.on('message', (msg, rinfo) => this.#receive(msg, rinfo));
    this.#socket = socket;
    this.counters.start();
    this.#logger.info('syslogudp source listening', { source: this.name, address: `${host}:${this.#port}` });
  }

  #receive(msg: Buffer, rinfo: RemoteInfo): void {
    const nl = msg.indexOf(0x0a);
    const end = nl < 0 ? msg.length : nl;
    if (end === 0) return;
    this.counters.add('EventReceivedCount');
    if (this.#queue.length >= MAX_PENDING) {
      this.#dropped(1, 'more datagrams than the channel takes are waiting');
      return;
    }
    const cut = end >= UDP_EVENT_SIZE;
    const e = this.#parser.parse(msg, 0, cut ? UDP_EVENT_SIZE : end, cut);
    const o = this.#options;
    if (o.clientIPHeader !== null) e.headers[o.clientIPHeader] = rinfo.address;
    if (o.clientHostnameHeader !== null) e.headers[o.clientHostnameHeader] = this.#hostname(rinfo.address);
    this.#queue.push(e);
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /** Reverse DNS, looked up once per address in the background (the IP until it answers). */
  #hostname(ip: string): string {
    const known = this.#hostnames.get(ip);
    if (known !== undefined) return known;
    this.#hostnames.set(ip, ip);
    void reverse(ip)
      .then((names) => {
        if (names[0] !== undefined) this.#hostnames.set(ip, names[0]);
      })
      .catch(() => {});
    return ip;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.length <= BATCH ? this.#queue : this.#queue.slice(0, BATCH);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(BATCH);
      this.counters.add('AppendBatchReceivedCount');
      try {
        await this.#processor!.processEventBatch(batch);
        this.counters.add('EventAcceptedCount', batch.length);
        this.counters.add('AppendBatchAcceptedCount');
      } catch (err) {
        this.#dropped(batch.length, messageOf(err));
      }
    }
  }

  #dropped(n: number, why: string): void {
    this.counters.add('ChannelWriteFail', n);
    if (Date.now() - this.#lastWarn < 1000) return;
    this.#lastWarn = Date.now();
    this.#logger.warn('syslogudp source: datagrams dropped', { source: this.name, events: n, err: why });
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
    await this.#draining;
    this.counters.stop();
  }
}
