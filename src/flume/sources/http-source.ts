import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { atLeast, defineConfig, nonEmptyString, range } from '../../config/index.ts';
import { listenOn } from '../../net/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { ChannelException } from '../api/channel.ts';
import { type ChannelProcessor, messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';
import { extendedConfig, type FamilyEntry } from '../config/extended-config.ts';
import {
  BLOB_HANDLER,
  BlobHandler,
  CORE_BLOB_HANDLER,
  CoreBlobHandler,
  HttpBadRequestError,
  type HttpSourceHandler,
  handlerClassName,
  JSON_HANDLER,
  JsonHandler,
} from './http-handlers.ts';

/** Jetty tuning families Flume passes to its server objects; Sluice has no Jetty, so they are ignored. */
const JETTY_PREFIXES = ['QueuedThreadPool.', 'HttpConfiguration.', 'ServerConnector.', 'SslContextFactory.'];
const HANDLER_PREFIX = 'handler.';
const MAX_BLOB_LENGTH_DEFAULT = 100_000_000;
const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

const sslOff = {
  expected: 'false (TLS needs Java keystores, which Sluice does not read; put a TLS proxy in front)',
  test: (v: boolean) => !v,
};

/** Flume 1.11 HTTPSource (`http`) keys and defaults. */
export const httpSourceConfig = extendedConfig({
  fixed: defineConfig({
    port: {
      type: 'int',
      validator: range(0, 65535),
      importance: 'high',
      doc: 'TCP port (0 picks a free one).',
    },
    bind: {
      type: 'string',
      default: '0.0.0.0',
      validator: nonEmptyString(),
      importance: 'medium',
      doc: 'Host name or IP to listen on.',
    },
    handler: {
      type: 'string',
      default: JSON_HANDLER,
      validator: {
        expected: `${JSON_HANDLER}, ${BLOB_HANDLER}, ${CORE_BLOB_HANDLER} (or the aliases json, blob); custom Java handlers cannot be loaded`,
        test: (v: string) => handlerClassName(v) !== undefined,
      },
      importance: 'medium',
      doc: 'Turns a request into events. json/blob are Sluice aliases for the two Flume class names.',
    },
    ssl: {
      type: 'boolean',
      default: false,
      validator: sslOff,
      importance: 'low',
      doc: 'HTTPS is not supported: true fails startup.',
    },
    keystore: { type: 'string', default: null, importance: 'low', doc: 'Accepted; used only with ssl.' },
    'keystore-password': {
      type: 'password',
      default: null,
      importance: 'low',
      doc: 'Accepted; used only with ssl.',
    },
    'keystore-type': {
      type: 'string',
      default: 'JKS',
      importance: 'low',
      doc: 'Accepted; used only with ssl.',
    },
    'exclude-protocols': {
      type: 'string',
      default: 'SSLv3',
      importance: 'low',
      doc: 'Accepted; used only with ssl.',
    },
    'include-protocols': {
      type: 'string',
      default: null,
      importance: 'low',
      doc: 'Accepted; used only with ssl.',
    },
    'exclude-cipher-suites': {
      type: 'string',
      default: null,
      importance: 'low',
      doc: 'Accepted; used only with ssl.',
    },
    'include-cipher-suites': {
      type: 'string',
      default: null,
      importance: 'low',
      doc: 'Accepted; used only with ssl.',
    },
    'sluice.maxRequestBytes': {
      type: 'long',
      default: DEFAULT_MAX_REQUEST_BYTES,
      validator: atLeast(1),
      importance: 'medium',
      doc: 'Largest request body read by the JSON handler and the core BLOBHandler; a larger one is answered 413.',
    },
  }),
  prefixes: [HANDLER_PREFIX, ...JETTY_PREFIXES],
  familyRows: [
    {
      key: 'handler.maxBlobLength',
      type: 'int',
      default: String(MAX_BLOB_LENGTH_DEFAULT),
      validValues: '[1,...]',
      importance: 'medium',
      doc: 'BlobHandler only: bytes kept per request; the rest of a longer body is discarded (Flume truncates too).',
    },
    {
      key: 'handler.mandatoryParameters',
      type: 'list',
      default: '',
      validValues: '',
      importance: 'low',
      doc: 'Core BLOBHandler only: query parameters every request must carry (400 otherwise).',
    },
    ...JETTY_PREFIXES.map((p) => ({
      key: `${p}<name>`,
      type: 'string' as const,
      default: '',
      validValues: '',
      importance: 'low' as const,
      doc: 'Jetty tuning; accepted and ignored (logged once at start).',
    })),
  ],
  finish(fixed, families, fail, unknown) {
    const handler = handlerClassName(fixed.values.handler) ?? JSON_HANDLER;
    let maxBlobLength = MAX_BLOB_LENGTH_DEFAULT;
    let mandatoryParameters: string[] = [];
    const ignoredJettyKeys: string[] = [];
    for (const [key, entry] of families) {
      if (JETTY_PREFIXES.some((p) => key.startsWith(p))) {
        ignoredJettyKeys.push(key);
        continue;
      }
      const sub = key.slice(HANDLER_PREFIX.length);
      if (handler === BLOB_HANDLER && sub === 'maxBlobLength') {
        const n = intValue(entry);
        if (n === undefined || n < 1) fail(entry, 'an int (32-bit integer) greater than zero');
        else maxBlobLength = n;
      } else if (handler === CORE_BLOB_HANDLER && sub === 'mandatoryParameters') {
        mandatoryParameters = entry.value
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      } else {
        unknown(entry);
      }
    }
    return { handler, maxBlobLength, mandatoryParameters, ignoredJettyKeys };
  },
});

function intValue(entry: FamilyEntry): number | undefined {
  const t = entry.value.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n > 2 ** 31 - 1 ? undefined : n;
}

export interface HttpSourceOptions {
  readonly bind: string;
  readonly port: number;
  readonly handler: HttpSourceHandler;
  /** Jetty keys given in the file (logged once as ignored). */
  readonly ignoredJettyKeys?: readonly string[];
}

/** The typed values of httpSourceConfig → constructor options. */
export function httpSourceOptions(s: Readonly<Record<string, unknown>>): HttpSourceOptions {
  const maxRequest = s['sluice.maxRequestBytes'] as number;
  const className = s.handler as string;
  const handler =
    className === BLOB_HANDLER
      ? new BlobHandler(s.maxBlobLength as number)
      : className === CORE_BLOB_HANDLER
        ? new CoreBlobHandler(maxRequest, s.mandatoryParameters as string[])
        : new JsonHandler(maxRequest);
  return {
    bind: s.bind as string,
    port: s.port as number,
    handler,
    ignoredJettyKeys: (s.ignoredJettyKeys as string[] | undefined) ?? [],
  };
}

/** Too large a body for a `reject` handler. */
class BodyTooLarge extends Error {}

/**
 * Flume's HTTP source: every request (POST, or GET as Flume also allows) is turned into events by
 * the handler and written to the channels as ONE batch; 200 is answered only after every required
 * channel committed, 503 when a channel refuses the batch (full), 400 when the handler cannot read
 * the body, 413 past the body limit, 500 on anything unexpected. TRACE and OPTIONS get 403 (Flume
 * forbids them), other methods 405. Any path is accepted, as Flume's servlet is mapped on `/`.
 */
export class HttpSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  // A request is one batch of any size; the channel's transactionCapacity bounds it (503 past it).
  readonly batchSize = 1;
  readonly #options: HttpSourceOptions;
  readonly #logger: Logger;
  #server: Server | undefined;
  #processor: ChannelProcessor | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  #port = 0;

  constructor(name: string, options: HttpSourceOptions, logger: Logger) {
    this.name = name;
    this.#options = options;
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  /** The port listened on (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#processor = processor;
    const ignored = this.#options.ignoredJettyKeys ?? [];
    if (ignored.length > 0) {
      this.#logger.info('http source: Jetty tuning keys have no effect in Sluice (ignored)', {
        source: this.name,
        keys: ignored,
      });
    }
    const server = createServer((req, res) => {
      const p = this.#serve(req, res).catch((err: unknown) => {
        this.#logger.warn('http source: request failed', { source: this.name, err: messageOf(err) });
        if (!res.headersSent) answer(res, 500, `unexpected error: ${messageOf(err)}`);
      });
      this.#inFlight.add(p);
      void p.finally(() => this.#inFlight.delete(p));
    });
    this.#port = await listenOn(server, `http source ${this.name}`, this.#options.port, this.#options.bind);
    server.on('error', (err) =>
      this.#logger.error('http source error', { source: this.name, err: err.message }),
    );
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.#server = server;
    this.counters.start();
    this.#logger.info('http source listening', {
      source: this.name,
      address: `${this.#options.bind}:${this.#port}`,
      handler: this.#options.handler.className,
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? '';
    if (method === 'TRACE' || method === 'OPTIONS') {
      req.resume();
      answer(res, 403, `method ${method} is forbidden`);
      return;
    }
    if (method !== 'POST' && method !== 'GET' && method !== 'HEAD') {
      req.resume();
      res.setHeader('Allow', 'GET, HEAD, POST');
      answer(res, 405, `method ${method} is not supported; send events with POST`);
      return;
    }
    const handler = this.#options.handler;
    let body: Buffer;
    try {
      body = await readBody(req, handler.limitBytes, handler.overflow);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        this.counters.add('EventReadFail');
        this.#logger.warn('http source: request body too large', {
          source: this.name,
          limit: handler.limitBytes,
        });
        // The rest of the body is not read: close the connection once answered.
        res.setHeader('Connection', 'close');
        answer(res, 413, `request body exceeds ${handler.limitBytes} bytes`);
        res.on('finish', () => req.destroy());
        return;
      }
      throw err;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    let events: FlumeEvent[];
    try {
      events = handler.getEvents({
        contentType: req.headers['content-type'],
        params: url.searchParams,
        body,
      });
    } catch (err) {
      if (err instanceof HttpBadRequestError) {
        this.counters.add('EventReadFail');
        this.#logger.warn('http source: bad request', { source: this.name, err: err.message });
        answer(res, 400, `bad request: ${err.message}`);
      } else {
        this.counters.add('GenericProcessingFail');
        this.#logger.warn('http source: handler failed', { source: this.name, err: messageOf(err) });
        answer(res, 500, `handler failed: ${messageOf(err)}`);
      }
      return;
    }
    this.counters.add('AppendBatchReceivedCount');
    this.counters.add('EventReceivedCount', events.length);
    try {
      await this.#processor!.processEventBatch(events);
    } catch (err) {
      if (err instanceof ChannelException) {
        this.counters.add('ChannelWriteFail');
        this.#logger.warn('http source: channel refused the batch (full?)', {
          source: this.name,
          err: err.message,
        });
        answer(res, 503, `could not put the events on the channel (it may be full): ${err.message}`);
      } else {
        this.counters.add('GenericProcessingFail');
        this.#logger.warn('http source: unexpected error writing the batch', {
          source: this.name,
          err: messageOf(err),
        });
        answer(res, 500, `unexpected error writing the events: ${messageOf(err)}`);
      }
      return;
    }
    this.counters.add('AppendBatchAcceptedCount');
    this.counters.add('EventAcceptedCount', events.length);
    res.statusCode = 200;
    res.end();
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests in flight are answered before their connections are cut.
      await Promise.allSettled([...this.#inFlight]);
      server.closeAllConnections();
      await closed;
    }
    this.counters.stop();
  }
}

function answer(res: ServerResponse, status: number, message: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${message}\n`);
}

/**
 * Reads a request body of at most `limit` bytes: past it, `reject` throws BodyTooLarge (without
 * reading further) and `truncate` keeps the first `limit` bytes and discards the rest.
 */
function readBody(req: IncomingMessage, limit: number, overflow: 'reject' | 'truncate'): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (overflow === 'reject' && Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      if (size >= limit) {
        if (overflow === 'reject' && !done) {
          done = true;
          req.off('data', onData);
          req.pause();
          reject(new BodyTooLarge());
        }
        return;
      }
      const room = limit - size;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(kept);
      size += kept.length;
      if (chunk.length > room && overflow === 'reject') {
        done = true;
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLarge());
      }
    };
    req.on('data', onData);
    req.once('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    req.once('close', () => {
      if (done) return;
      done = true;
      reject(new Error('the client closed the connection before sending the whole body'));
    });
  });
}
