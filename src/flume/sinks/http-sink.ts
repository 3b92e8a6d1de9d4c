import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { atLeast, defineConfig, matches } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { extendedConfig } from '../config/extended-config.ts';

const POLICIES = ['backoff', 'rollback', 'incrementMetrics'] as const;
type Policy = (typeof POLICIES)[number];

/** Flume 1.11 HttpSink (`http`) keys and defaults, plus the `backoff.CODE` style families. */
export const httpSinkConfig = extendedConfig({
  fixed: defineConfig({
    endpoint: {
      type: 'string',
      validator: matches(/^https?:\/\/[^/\s]+/i, 'an http:// or https:// URL'),
      importance: 'high',
      doc: 'URL every event body is POSTed to.',
    },
    connectTimeout: {
      type: 'int',
      default: 5000,
      validator: atLeast(1),
      importance: 'low',
      doc: 'Milliseconds to connect.',
    },
    requestTimeout: {
      type: 'int',
      default: 5000,
      validator: atLeast(1),
      importance: 'low',
      doc: 'Milliseconds of silence allowed while waiting for the response.',
    },
    contentTypeHeader: {
      type: 'string',
      default: 'text/plain',
      importance: 'low',
      doc: 'Content-Type of the requests.',
    },
    acceptHeader: { type: 'string', default: 'text/plain', importance: 'low', doc: 'Accept header.' },
    defaultBackoff: {
      type: 'boolean',
      default: true,
      importance: 'medium',
      doc: 'Back off after any status without a backoff.CODE.',
    },
    defaultRollback: {
      type: 'boolean',
      default: true,
      importance: 'medium',
      doc: 'Roll back (retry) after any status without a rollback.CODE.',
    },
    defaultIncrementMetrics: {
      type: 'boolean',
      default: false,
      importance: 'low',
      doc: 'Count EventDrainSuccessCount for any status without an incrementMetrics.CODE.',
    },
  }),
  prefixes: POLICIES.map((p) => `${p}.`),
  familyRows: POLICIES.map((p) => ({
    key: `${p}.<CODE>`,
    type: 'boolean' as const,
    default: '',
    validValues: 'true, false',
    importance: 'medium' as const,
    doc: `${p} for one status (200) or a class (2XX); the most specific wins.`,
  })),
  finish(_fixed, families, fail) {
    const overrides: Record<Policy, Record<string, boolean>> = {
      backoff: {},
      rollback: {},
      incrementMetrics: {},
    };
    for (const [key, e] of families) {
      const dot = key.indexOf('.');
      const policy = key.slice(0, dot) as Policy;
      const code = key.slice(dot + 1).toUpperCase();
      if (!/^[1-5](\d\d|XX)$/.test(code)) {
        fail(e, `${policy}.<CODE> with CODE a status (404) or a class (4XX)`);
        continue;
      }
      const v = e.value.trim().toLowerCase();
      if (v !== 'true' && v !== 'false') {
        fail(e, 'true or false');
        continue;
      }
      // Flume keeps the first of duplicate keys; a properties file keeps the last, so there are none.
      overrides[policy][code] = v === 'true';
    }
    return { overrides };
  },
});

export interface HttpSinkOptions {
  readonly endpoint: string;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly contentType: string;
  readonly accept: string;
  readonly defaults: Readonly<Record<Policy, boolean>>;
  /** Per policy, status (`503`) or class (`5XX`) → value. */
  readonly overrides: Readonly<Record<Policy, Readonly<Record<string, boolean>>>>;
}

export function httpSinkOptions(s: Readonly<Record<string, unknown>>): HttpSinkOptions {
  return {
    endpoint: s.endpoint as string,
    connectTimeoutMs: s.connectTimeout as number,
    requestTimeoutMs: s.requestTimeout as number,
    contentType: s.contentTypeHeader as string,
    accept: s.acceptHeader as string,
    defaults: {
      backoff: s.defaultBackoff as boolean,
      rollback: s.defaultRollback as boolean,
      incrementMetrics: s.defaultIncrementMetrics as boolean,
    },
    overrides: s.overrides as HttpSinkOptions['overrides'],
  };
}

/** The most specific setting for `status`: the exact code, then its class (`4XX`), then the default. */
export function policyFor(options: HttpSinkOptions, policy: Policy, status: number): boolean {
  const o = options.overrides[policy];
  const code = String(status);
  return o[code] ?? o[`${code[0]}XX`] ?? options.defaults[policy];
}

/**
 * Flume's HTTP sink: one channel transaction per event, whose body is POSTed to `endpoint`. The
 * response status decides, through the rollback/backoff/incrementMetrics settings, whether the
 * transaction commits (the event is gone) or rolls back (it is sent again), whether the sink
 * backs off, and whether EventDrainSuccessCount counts it. With Flume's defaults every status
 * rolls back and backs off, so a configuration must say which codes mean success
 * (`rollback.2XX = false`). A connection failure or timeout rolls back and backs off; an event with
 * an empty body is consumed without a request, as Flume does.
 */
export class HttpSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  /** One event per transaction, as Flume's HttpSink. */
  readonly batchSize = 1;
  readonly #options: HttpSinkOptions;
  readonly #logger: Logger;
  readonly #url: URL;
  readonly #agent: HttpAgent;

  constructor(name: string, channel: Channel, options: HttpSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.#options = options;
    this.#logger = logger;
    this.#url = new URL(options.endpoint);
    this.#agent =
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true })
        : new HttpAgent({ keepAlive: true });
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }

  async start(): Promise<void> {
    this.counters.start();
  }

  async stop(): Promise<void> {
    this.#agent.destroy();
    this.counters.stop();
  }

  async process(): Promise<ProcessStatus> {
    const tx = this.channel.getTransaction();
    tx.begin();
    try {
      const event = await tx.take();
      if (event === null || event.body.length === 0) {
        await tx.commit();
        if (event === null) this.counters.add('BatchEmptyCount');
        return 'BACKOFF';
      }
      this.counters.add('EventDrainAttemptCount');
      let status: number;
      try {
        status = await this.#post(event.body);
      } catch (err) {
        tx.rollback();
        this.counters.add('EventWriteFail');
        this.#logger.warn('HTTP sink request failed; the event stays in the channel', {
          sink: this.name,
          endpoint: this.#options.endpoint,
          err: err instanceof Error ? err.message : String(err),
        });
        return 'BACKOFF';
      }
      const o = this.#options;
      const rollback = policyFor(o, 'rollback', status);
      if (rollback) tx.rollback();
      else await tx.commit();
      if (policyFor(o, 'incrementMetrics', status)) this.counters.add('EventDrainSuccessCount');
      const backoff = policyFor(o, 'backoff', status);
      if (rollback) {
        this.#logger.info('HTTP sink rolled the event back', { sink: this.name, status, backoff });
      }
      return backoff ? 'BACKOFF' : 'READY';
    } catch (err) {
      tx.rollback();
      throw err;
    } finally {
      tx.close();
    }
  }

  /** POSTs `body` and resolves with the status once the response has been read. */
  #post(body: Buffer): Promise<number> {
    const o = this.#options;
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = send(this.#url, {
        method: 'POST',
        agent: this.#agent,
        headers: {
          'content-type': o.contentType,
          accept: o.accept,
          'content-length': String(body.length),
        },
      });
      const connectTimer = setTimeout(
        () => req.destroy(new Error(`connect timed out after ${o.connectTimeoutMs} ms`)),
        o.connectTimeoutMs,
      );
      const connected = () => {
        clearTimeout(connectTimer);
        req.setTimeout(o.requestTimeoutMs, () =>
          req.destroy(new Error(`no response within ${o.requestTimeoutMs} ms`)),
        );
      };
      req.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', connected);
        else connected();
      });
      req.on('error', (err) => {
        clearTimeout(connectTimer);
        reject(err);
      });
      req.on('response', (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.end(body);
    });
  }
}
