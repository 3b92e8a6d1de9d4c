import { reverse } from 'node:dns/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { atLeast, defineConfig, nonEmptyString, range } from '../../../config/index.ts';
import { listenOn } from '../../../net/index.ts';
import type { Logger } from '../../../telemetry/index.ts';
import { ChannelException } from '../../api/channel.ts';
import { type ChannelProcessor, messageOf } from '../../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../../api/counter-group.ts';
import type { FlumeEvent } from '../../api/event.ts';
import type { EventDrivenSource } from '../../api/source.ts';
import { blankList, extendedConfig } from '../../config/extended-config.ts';
import { SyslogFramer } from './syslog-framer.ts';
import { type KeepFields, parseKeepFields, SyslogParser } from './syslog-parser.ts';

const sslOff = {
  expected: 'false (TLS needs Java keystores, which Sluice does not read; put a TLS proxy in front)',
  test: (v: boolean) => !v,
};

const ignoredTls = (key: string) => ({
  [key]: {
    type: 'string' as const,
    default: null,
    importance: 'low' as const,
    doc: 'Accepted; used only with ssl.',
  },
});

/** Events per channel transaction of `syslogtcp` unless `sluice.batchSize` says otherwise. */
export const SYSLOG_TCP_BATCH_SIZE = 100;

/** The sender's address as headers, for every syslog source. */
export const clientHeaderKeys = {
  clientIPHeader: {
    type: 'string',
    default: null,
    validator: nonEmptyString(),
    importance: 'low',
    doc: "Header receiving the sender's IP address.",
  },
  clientHostnameHeader: {
    type: 'string',
    default: null,
    validator: nonEmptyString(),
    importance: 'low',
    doc: "Header receiving the sender's host name (reverse DNS, once per connection or address; the IP when that fails).",
  },
} as const;

/** Keys both TCP syslog sources share (Flume 1.11 names and defaults). */
const common = {
  host: {
    type: 'string',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Host name or IP to listen on.',
  },
  eventSize: {
    type: 'int',
    default: 2500,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Largest message in bytes (at least 10); a longer line is cut into events marked flume.syslog.status=Incomplete.',
  },
  keepFields: {
    type: 'string',
    default: 'none',
    importance: 'medium',
    doc: 'Fields kept in the body: none, all (the whole message), or a list of priority, version, timestamp, hostname.',
  },
  ...clientHeaderKeys,
  ssl: {
    type: 'boolean',
    default: false,
    validator: sslOff,
    importance: 'low',
    doc: 'TLS is not supported: true fails startup.',
  },
  ...ignoredTls('keystore'),
  ...ignoredTls('keystore-password'),
  ...ignoredTls('keystore-type'),
  ...ignoredTls('exclude-protocols'),
  ...ignoredTls('include-protocols'),
  ...ignoredTls('exclude-cipher-suites'),
  ...ignoredTls('include-cipher-suites'),
} as const;

/** Flume 1.11 SyslogTcpSource (`syslogtcp`) keys and defaults. */
export const syslogTcpSourceConfig = defineConfig({
  ...common,
  port: {
    type: 'int',
    validator: range(0, 65535),
    importance: 'high',
    doc: 'TCP port (0 picks a free one).',
  },
  'sluice.batchSize': {
    type: 'int',
    default: SYSLOG_TCP_BATCH_SIZE,
    validator: atLeast(1),
    importance: 'medium',
    doc: "Most events per channel transaction (Flume commits each event alone); at most the channels' transactionCapacity.",
  },
});

const CHARSETS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  'iso-8859-1': 'latin1',
  'us-ascii': 'ascii',
};

/** Flume 1.11 MultiportSyslogTCPSource (`multiport_syslogtcp`) keys and defaults. */
export const multiportSyslogTcpSourceConfig = extendedConfig({
  fixed: defineConfig({
    ...common,
    ports: {
      type: 'string',
      validator: {
        expected: 'a blank-separated list of ports in [0, 65535]',
        test: (v: string) => {
          const ports = blankList(v);
          return ports.length > 0 && ports.every((p) => /^\d+$/.test(p) && Number(p) <= 65535);
        },
      },
      importance: 'high',
      doc: 'TCP ports to listen on, blank-separated.',
    },
    portHeader: {
      type: 'string',
      default: null,
      validator: nonEmptyString(),
      importance: 'low',
      doc: 'Header receiving the port the message arrived on.',
    },
    'charset.default': {
      type: 'string',
      default: 'UTF-8',
      validator: {
        expected: Object.keys(CHARSETS).join(', '),
        test: (v: string) => CHARSETS[v.toLowerCase()] !== undefined,
      },
      importance: 'low',
      doc: 'Character set of the messages (header values are decoded with it; bodies are kept as bytes).',
    },
    batchSize: {
      type: 'int',
      default: 100,
      validator: atLeast(1),
      importance: 'medium',
      doc: 'Most events written to the channels in one transaction.',
    },
    readBufferSize: { type: 'int', default: 1024, importance: 'low', doc: 'Accepted; no effect.' },
    numProcessors: { type: 'int', default: null, importance: 'low', doc: 'Accepted; no effect.' },
  }),
  prefixes: ['charset.port.'],
  familyRows: [
    {
      key: 'charset.port.<port>',
      type: 'string',
      default: '',
      validValues: Object.keys(CHARSETS).join(', '),
      importance: 'low',
      doc: 'Character set of one port.',
    },
  ],
  finish(_fixed, families, fail) {
    for (const entry of families.values()) {
      if (CHARSETS[entry.value.trim().toLowerCase()] === undefined)
        fail(entry, Object.keys(CHARSETS).join(', '));
    }
    return {};
  },
});

export interface SyslogTcpSourceOptions {
  readonly host: string;
  readonly ports: readonly number[];
  readonly eventSize: number;
  readonly keepFields: KeepFields;
  readonly clientIPHeader: string | null;
  readonly clientHostnameHeader: string | null;
  readonly portHeader: string | null;
  /** Most events per channel transaction. */
  readonly batchSize: number;
}

export function syslogTcpSourceOptions(s: Readonly<Record<string, unknown>>): SyslogTcpSourceOptions {
  const ports = s.ports !== undefined ? blankList(s.ports as string).map(Number) : [s.port as number];
  return {
    host: s.host as string,
    ports,
    eventSize: s.eventSize as number,
    keepFields: parseKeepFields(s.keepFields as string),
    clientIPHeader: (s.clientIPHeader as string | null) ?? null,
    clientHostnameHeader: (s.clientHostnameHeader as string | null) ?? null,
    portHeader: (s.portHeader as string | null | undefined) ?? null,
    batchSize: ((s.batchSize ?? s['sluice.batchSize']) as number | undefined) ?? SYSLOG_TCP_BATCH_SIZE,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Flume's `syslogtcp` and `multiport_syslogtcp`: newline-framed syslog messages over TCP, parsed
 * into headers (see SyslogParser). The messages of each chunk read from a socket go to the
 * channels in transactions of at most `batchSize` events while the socket is paused, so a slow
 * channel slows the sender down (TCP backpressure) instead of filling memory. A channel that
 * refuses a batch (full) is retried with backoff, the socket staying paused: unlike Flume, which
 * drops the event, nothing received is dropped while the agent runs.
 */
export class SyslogTcpSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: SyslogTcpSourceOptions;
  readonly #logger: Logger;
  readonly #what: string;
  #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #inFlight = new Set<Promise<void>>();
  #ports: number[] = [];
  #stopping = false;
  #lastWarn = 0;

  constructor(name: string, options: SyslogTcpSourceOptions, logger: Logger, what = 'syslogtcp') {
    this.name = name;
    this.#options = options;
    this.#logger = logger;
    this.#what = what;
    this.batchSize = options.batchSize;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  /** The ports listened on (useful with port 0). */
  get ports(): readonly number[] {
    return this.#ports;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#stopping = false;
    try {
      for (const port of this.#options.ports) {
        const server = createServer((socket) => this.#serve(socket, processor, port));
        this.#servers.push(server);
        const bound = await listenOn(server, `${this.#what} source ${this.name}`, port, this.#options.host);
        server.on('error', (err) =>
          this.#logger.error(`${this.#what} source error`, { source: this.name, err: err.message }),
        );
        this.#ports.push(bound);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.counters.start();
    this.#logger.info(`${this.#what} source listening`, {
      source: this.name,
      host: this.#options.host,
      ports: this.#ports,
    });
  }

  #serve(socket: Socket, processor: ChannelProcessor, configuredPort: number): void {
    this.#sockets.add(socket);
    this.counters.set('OpenConnectionCount', this.#sockets.size);
    const o = this.#options;
    const framer = new SyslogFramer(o.eventSize);
    const parser = new SyslogParser({ keepFields: o.keepFields });
    const extra: [string, string][] = [];
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (o.clientIPHeader !== null) extra.push([o.clientIPHeader, ip]);
    if (o.portHeader !== null) extra.push([o.portHeader, String(socket.localPort ?? configuredPort)]);
    let pending: FlumeEvent[] = [];
    const emit = (buf: Buffer, start: number, end: number, incomplete: boolean) => {
      const e = parser.parse(buf, start, end, incomplete);
      if (extra.length > 0) for (const [k, v] of extra) e.headers[k] = v;
      pending.push(e);
    };
    const size = this.batchSize;
    let held = false;
    let committing = false;
    // Reading goes on while a batch commits, so the next batch gathers what arrived meanwhile (up
    // to batchSize events, then the socket waits): under load batches grow and syncs are shared.
    const commitAll = async () => {
      try {
        while (pending.length > 0) {
          const batch = pending.length <= size ? pending : pending.slice(0, size);
          pending = batch === pending ? [] : pending.slice(size);
          await this.#deliver(processor, batch);
          if (held && pending.length < size && !socket.destroyed) {
            held = false;
            socket.resume();
          }
        }
      } catch (err) {
        socket.destroy();
        throw err;
      } finally {
        committing = false;
      }
    };
    let ready: Promise<void> = Promise.resolve();
    if (o.clientHostnameHeader !== null) {
      const header = o.clientHostnameHeader;
      socket.pause();
      ready = reverse(ip)
        .then((names) => names[0] ?? ip)
        .catch(() => ip)
        .then((host) => {
          extra.push([header, host]);
          socket.resume();
        });
    }
    socket.on('data', (chunk: Buffer) => {
      framer.push(chunk, emit);
      if (pending.length >= size && !held) {
        held = true;
        socket.pause();
      }
      if (!committing && pending.length > 0) {
        committing = true;
        this.#track(ready.then(commitAll));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.counters.set('OpenConnectionCount', this.#sockets.size);
    });
  }

  /** Writes one batch, retrying while the channels refuse it (full) until it commits. */
  async #deliver(processor: ChannelProcessor, batch: FlumeEvent[]): Promise<void> {
    this.counters.add('EventReceivedCount', batch.length);
    this.counters.add('AppendBatchReceivedCount');
    for (let backoff = 50; ; backoff = Math.min(backoff * 2, 1000)) {
      try {
        await processor.processEventBatch(batch);
        this.counters.add('EventAcceptedCount', batch.length);
        this.counters.add('AppendBatchAcceptedCount');
        return;
      } catch (err) {
        if (!(err instanceof ChannelException)) throw err;
        this.counters.add('ChannelWriteFail');
        if (Date.now() - this.#lastWarn > 1000) {
          this.#lastWarn = Date.now();
          this.#logger.warn(
            `${this.#what} source: the channel refused a batch; retrying (the sender is held back)`,
            { source: this.name, err: messageOf(err) },
          );
        }
        if (this.#stopping && backoff >= 1000) {
          this.#logger.error(`${this.#what} source: stopping with events the channel would not take`, {
            source: this.name,
            events: batch.length,
          });
          return;
        }
        await sleep(backoff);
      }
    }
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((err: unknown) =>
      this.#logger.error(`${this.#what} source: unexpected error`, {
        source: this.name,
        err: messageOf(err),
      }),
    );
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const servers = this.#servers;
    this.#servers = [];
    this.#ports = [];
    const closed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.#sockets) s.destroy();
    await Promise.all(closed);
    await Promise.allSettled([...this.#inFlight]);
    this.counters.stop();
  }
}
