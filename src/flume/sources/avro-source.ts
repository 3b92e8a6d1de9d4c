import { reverse } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { atLeast, ConfigError, defineConfig, nonEmptyString, oneOf, range } from '../../config/index.ts';
import { listenOn } from '../../net/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { type ChannelProcessor, messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';
import { serveAvroRpc } from '../avro-rpc/avro-rpc-server.ts';

/** Flume 1.11 AvroSource (`avro`) keys and defaults. */
export const avroSourceConfig = defineConfig({
  bind: {
    type: 'string',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Host name or IP to listen on.',
  },
  port: {
    type: 'int',
    validator: range(0, 65535),
    importance: 'high',
    doc: 'TCP port (0 picks a free one).',
  },
  threads: {
    type: 'int',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Worker threads in Flume (0 = unbounded); accepted, no effect (one event loop serves every connection).',
  },
  'compression-type': {
    type: 'string',
    default: 'none',
    validator: oneOf(['none', 'deflate'], { caseInsensitive: true }),
    importance: 'medium',
    doc: 'deflate: zlib-compressed stream; must match the sending avro sink.',
  },
  ssl: {
    type: 'boolean',
    default: false,
    validator: {
      expected: 'false (SSL needs Java keystores, which Sluice does not read; use a TLS proxy)',
      test: (v: boolean) => !v,
    },
    importance: 'low',
    doc: 'SSL is not supported.',
  },
  ipFilter: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Filter connecting clients by ipFilterRules.',
  },
  ipFilterRules: {
    type: 'string',
    default: null,
    validator: {
      expected: "comma-separated rules '<allow|deny>:<ip|name>:<pattern>'",
      test: (v: string) => {
        try {
          parseIpFilterRules(v);
          return true;
        } catch {
          return false;
        }
      },
    },
    importance: 'low',
    doc: 'e.g. allow:ip:127.*,allow:name:localhost,deny:ip:*; the first matching rule decides, no match allows.',
  },
});

export interface IpFilterRule {
  readonly allow: boolean;
  readonly kind: 'ip' | 'name';
  readonly pattern: RegExp | 'localhost';
}

/** Flume's `ipFilterRules` syntax: `*` any characters, `?` one; `name:localhost` = loopback. */
export function parseIpFilterRules(text: string): IpFilterRule[] {
  const rules = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (rules.length === 0) throw new Error('ipFilterRules is empty');
  return rules.map((rule) => {
    const m = /^(allow|deny):(ip|name):(.*)$/.exec(rule);
    if (m === null) {
      throw new Error(`invalid ipFilter rule '${rule}': expected <allow|deny>:<ip|name>:<pattern>`);
    }
    const kind = m[2] as 'ip' | 'name';
    const glob = m[3]!;
    if (kind === 'name' && glob === 'localhost')
      return { allow: m[1] === 'allow', kind, pattern: 'localhost' };
    const source = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return { allow: m[1] === 'allow', kind, pattern: new RegExp(`^(?:${source})$`) };
  });
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');
}

/** Whether a client at `ip` may connect: the first rule that matches decides; none matching allows. */
export async function ipAllowed(rules: readonly IpFilterRule[], ip: string): Promise<boolean> {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  let name: string | undefined;
  for (const rule of rules) {
    let hit: boolean;
    if (rule.pattern === 'localhost') hit = isLoopback(plain);
    else if (rule.kind === 'ip') hit = rule.pattern.test(plain);
    else {
      // Java's getHostName: the reverse-DNS name, or the address text when there is none.
      name ??= await reverse(plain).then(
        (names) => names[0] ?? plain,
        () => plain,
      );
      hit = rule.pattern.test(name);
    }
    if (hit) return rule.allow;
  }
  return true;
}

export interface AvroSourceOptions {
  readonly bind: string;
  readonly port: number;
  readonly compression: 'none' | 'deflate';
  /** null = no filtering (`ipFilter false`). */
  readonly ipFilterRules: readonly IpFilterRule[] | null;
}

export function avroSourceOptions(s: Readonly<Record<string, unknown>>): AvroSourceOptions {
  const filter = s.ipFilter as boolean;
  const rules = s.ipFilterRules as string | null;
  if (filter && (rules === null || rules.trim() === '')) {
    // Flume refuses this at configure time too.
    throw new ConfigError([
      { source: 'avro source', key: 'ipFilterRules', expected: 'rules when ipFilter is true' },
    ]);
  }
  return {
    bind: s.bind as string,
    port: s.port as number,
    compression: (s['compression-type'] as string).toLowerCase() === 'deflate' ? 'deflate' : 'none',
    ipFilterRules: filter && rules !== null ? parseIpFilterRules(rules) : null,
  };
}

/**
 * Receives events from avro sinks and Avro RPC clients (flume-ng avro-client, the Flume SDK).
 * `append` puts one event, `appendBatch` runs the whole batch through the channel processor (one
 * transaction per channel) before answering OK; a channel failure answers FAILED, so the sender
 * rolls back and retries. Input that is not the protocol closes that connection only.
 */
export class AvroSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  /** Batches are sized by the sender; the agent checks this against transactionCapacity. */
  readonly batchSize = 1;
  readonly #options: AvroSourceOptions;
  readonly #logger: Logger;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #port = 0;

  constructor(name: string, options: AvroSourceOptions, logger: Logger) {
    this.name = name;
    this.#options = options;
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  get port(): number {
    return this.#port;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    const server = createServer((socket) => this.#accept(socket, processor));
    this.#port = await listenOn(server, `avro source ${this.name}`, this.#options.port, this.#options.bind);
    server.on('error', (err) =>
      this.#logger.error('avro source error', { source: this.name, err: err.message }),
    );
    this.#server = server;
    this.counters.start();
    this.#logger.info('avro source listening', {
      source: this.name,
      address: `${this.#options.bind}:${this.#port}`,
      compression: this.#options.compression,
    });
  }

  #accept(socket: Socket, processor: ChannelProcessor): void {
    socket.on('error', () => {});
    const rules = this.#options.ipFilterRules;
    if (rules === null) {
      this.#serve(socket, processor);
      return;
    }
    // Hold the bytes until the filter decided; a refused client is disconnected unread.
    socket.pause();
    const ip = socket.remoteAddress ?? '';
    this.#track(
      ipAllowed(rules, ip).then((ok) => {
        if (ok && !socket.destroyed) {
          this.#serve(socket, processor);
          socket.resume();
        } else {
          this.#logger.warn('avro source refused a connection (ipFilterRules)', {
            source: this.name,
            client: ip,
          });
          socket.destroy();
        }
      }),
    );
  }

  #serve(socket: Socket, processor: ChannelProcessor): void {
    this.#sockets.add(socket);
    this.counters.set('OpenConnectionCount', this.#sockets.size);
    socket.setNoDelay(true);
    socket.on('close', () => {
      this.#sockets.delete(socket);
      this.counters.set('OpenConnectionCount', this.#sockets.size);
    });
    serveAvroRpc(
      socket,
      { deflate: this.#options.compression === 'deflate' },
      {
        call: (message, events) => {
          const p = this.#handle(message, events, processor);
          this.#track(p);
          return p;
        },
        badInput: (err) => {
          this.counters.add('EventReadFail');
          this.#logger.warn('avro source closed a connection after bad input', {
            source: this.name,
            client: `${socket.remoteAddress}:${socket.remotePort}`,
            err: err.message,
          });
        },
      },
    );
  }

  async #handle(
    message: 'append' | 'appendBatch',
    events: FlumeEvent[],
    processor: ChannelProcessor,
  ): Promise<'OK' | 'FAILED'> {
    const c = this.counters;
    const batch = message === 'appendBatch';
    c.add(batch ? 'AppendBatchReceivedCount' : 'AppendReceivedCount');
    c.add('EventReceivedCount', events.length);
    try {
      if (batch) await processor.processEventBatch(events);
      else await processor.processEvent(events[0]!);
    } catch (err) {
      c.add('ChannelWriteFail');
      this.#logger.warn(`avro source could not write ${batch ? 'a batch' : 'an event'} to its channels`, {
        source: this.name,
        events: events.length,
        err: messageOf(err),
      });
      return 'FAILED';
    }
    c.add(batch ? 'AppendBatchAcceptedCount' : 'AppendAcceptedCount');
    c.add('EventAcceptedCount', events.length);
    return 'OK';
  }

  #track(p: Promise<unknown>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p)).catch(() => {});
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Batches in flight finish (and are answered) before their connections are cut.
      await Promise.allSettled([...this.#inFlight]);
      for (const s of this.#sockets) s.destroy();
      await closed;
    }
    this.counters.stop();
  }
}
