import { createServer, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { atLeast, defineConfig, nonEmptyString, oneOf, range } from '../../config/index.ts';
import { listenOn } from '../../net/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import { flumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';

/** Java charset names the source reads, and Node's name for each. */
const ENCODINGS: Readonly<Record<string, BufferEncoding>> = {
  'utf-8': 'utf8',
  utf8: 'utf8',
  'iso-8859-1': 'latin1',
  latin1: 'latin1',
  'us-ascii': 'ascii',
  ascii: 'ascii',
  'utf-16le': 'utf16le',
};

/** Flume 1.11 NetcatSource (`netcat`) keys and defaults. */
export const netcatSourceConfig = defineConfig({
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
  'max-line-length': {
    type: 'int',
    default: 512,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Longest line in characters, newline included; a longer one gets FAILED and the connection closes.',
  },
  'ack-every-event': {
    type: 'boolean',
    default: true,
    importance: 'medium',
    doc: 'Answer "OK" for every line accepted.',
  },
  encoding: {
    type: 'string',
    default: 'utf-8',
    validator: oneOf(Object.keys(ENCODINGS), { caseInsensitive: true }),
    importance: 'low',
    doc: 'Character set of incoming text (bodies are stored as UTF-8).',
  },
});

export interface NetcatSourceOptions {
  readonly bind: string;
  readonly port: number;
  readonly maxLineLength?: number;
  readonly ackEveryEvent?: boolean;
  readonly encoding?: string;
}

/**
 * Acts like `nc -k -l host port`: each newline-terminated line becomes one event (the newline is
 * not part of the body; a `\r` before it is). Lines are handled one at a time per connection and
 * answered `OK\n`, or `FAILED: <reason>\n` when the channels refuse the event. A line that does not
 * fit `max-line-length` characters (newline included) is answered with Flume's FAILED message and
 * the connection is closed. A partial line at end of stream is dropped, as in Flume.
 */
export class NetcatSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize = 1;
  readonly #options: Required<NetcatSourceOptions>;
  readonly #logger: Logger;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  readonly #inFlight = new Set<Promise<void>>();
  #port = 0;

  constructor(name: string, options: NetcatSourceOptions, logger: Logger) {
    this.name = name;
    this.#options = {
      maxLineLength: 512,
      ackEveryEvent: true,
      encoding: 'utf-8',
      ...options,
    };
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  /** The port listened on (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    const server = createServer((socket) => this.#serve(socket, processor));
    this.#port = await listenOn(server, `netcat source ${this.name}`, this.#options.port, this.#options.bind);
    server.on('error', (err) =>
      this.#logger.error('netcat source error', { source: this.name, err: err.message }),
    );
    this.#server = server;
    this.counters.start();
    this.#logger.info('netcat source listening', {
      source: this.name,
      address: `${this.#options.bind}:${this.#port}`,
    });
  }

  #serve(socket: Socket, processor: ChannelProcessor): void {
    this.#sockets.add(socket);
    this.counters.set('OpenConnectionCount', this.#sockets.size);
    const decoder = new StringDecoder(ENCODINGS[this.#options.encoding.toLowerCase()] ?? 'utf8');
    const max = this.#options.maxLineLength;
    let pending = '';
    let busy = false;
    let closed = false;
    let tooLong = false;
    const queue: string[] = [];

    const fail = () => {
      closed = true;
      this.counters.add('EventReadFail');
      this.#logger.warn('client sent an event exceeding the maximum length', { source: this.name });
      socket.end(`FAILED: Event exceeds the maximum length (${max} chars, including newline)\n`);
    };

    const drain = async () => {
      busy = true;
      socket.pause();
      while (queue.length > 0 && !closed) {
        const line = queue.shift()!;
        this.counters.add('EventReceivedCount');
        this.counters.add('AppendReceivedCount');
        try {
          await processor.processEvent(flumeEvent(line));
          this.counters.add('EventAcceptedCount');
          this.counters.add('AppendAcceptedCount');
          if (this.#options.ackEveryEvent && !socket.destroyed) socket.write('OK\n');
        } catch (err) {
          this.counters.add('ChannelWriteFail');
          this.#logger.warn('error processing event', { source: this.name, err: messageOf(err) });
          if (!socket.destroyed) socket.write(`FAILED: ${messageOf(err)}\n`);
        }
      }
      busy = false;
      if (closed || socket.destroyed) return;
      // Lines before the over-long one are answered first, as Flume's reader does.
      if (tooLong) fail();
      else socket.resume();
    };

    const onText = (text: string) => {
      if (closed || tooLong) return;
      pending += text;
      for (;;) {
        const nl = pending.indexOf('\n');
        if (nl < 0 || nl >= max) break;
        queue.push(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      // A full buffer with no newline in it: Flume's reader is stuck and gives up.
      if (pending.length >= max) {
        tooLong = true;
        pending = '';
      }
      if (!busy) this.#track(drain());
    };

    socket.on('data', (chunk: Buffer) => onText(decoder.write(chunk)));
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      this.#sockets.delete(socket);
      this.counters.set('OpenConnectionCount', this.#sockets.size);
    });
  }

  #track(p: Promise<void>): void {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of this.#sockets) s.destroy();
      await closed;
    }
    await Promise.allSettled([...this.#inFlight]);
    this.counters.stop();
  }
}
