import { hostname, networkInterfaces } from 'node:os';
import { defineConfig, nonEmptyString } from '../../config/index.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Interceptor } from '../api/interceptor.ts';

/** Interceptors that change one event at a time and never drop any. */
abstract class HeaderInterceptor implements Interceptor {
  abstract intercept(event: FlumeEvent): FlumeEvent;

  interceptBatch(events: readonly FlumeEvent[]): FlumeEvent[] {
    return events.map((e) => this.intercept(e));
  }
}

function setHeader(
  event: FlumeEvent,
  name: string,
  value: () => string,
  preserveExisting: boolean,
): FlumeEvent {
  if (preserveExisting && Object.hasOwn(event.headers, name)) return event;
  event.headers[name] = value();
  return event;
}

export const timestampInterceptorConfig = defineConfig({
  headerName: {
    type: 'string',
    default: 'timestamp',
    validator: nonEmptyString(),
    importance: 'medium',
    doc: 'Header that receives the time in milliseconds since the epoch.',
  },
  preserveExisting: {
    type: 'boolean',
    default: false,
    importance: 'medium',
    doc: 'Keep a header that is already set.',
  },
});

/** `timestamp`: the processing time in epoch milliseconds. */
export class TimestampInterceptor extends HeaderInterceptor {
  readonly #header: string;
  readonly #preserve: boolean;
  readonly #now: () => number;

  constructor(options: { headerName?: string; preserveExisting?: boolean }, now: () => number = Date.now) {
    super();
    this.#header = options.headerName ?? 'timestamp';
    this.#preserve = options.preserveExisting ?? false;
    this.#now = now;
  }

  intercept(event: FlumeEvent): FlumeEvent {
    return setHeader(event, this.#header, () => String(this.#now()), this.#preserve);
  }
}

export const hostInterceptorConfig = defineConfig({
  hostHeader: {
    type: 'string',
    default: 'host',
    validator: nonEmptyString(),
    importance: 'medium',
    doc: 'Header name.',
  },
  useIP: {
    type: 'boolean',
    default: true,
    importance: 'medium',
    doc: 'Use the IP address (true) or the host name (false).',
  },
  preserveExisting: {
    type: 'boolean',
    default: false,
    importance: 'medium',
    doc: 'Keep a header that is already set.',
  },
});

/** The first non-loopback IPv4 address, else the first IPv6 one, else 127.0.0.1. */
export function localAddress(): string {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = all.filter((a) => !a.internal);
  return external.find((a) => a.family === 'IPv4')?.address ?? external[0]?.address ?? '127.0.0.1';
}

/** `host`: the agent's IP address or host name. */
export class HostInterceptor extends HeaderInterceptor {
  readonly #header: string;
  readonly #preserve: boolean;
  readonly #host: string;

  constructor(options: { hostHeader?: string; useIP?: boolean; preserveExisting?: boolean }) {
    super();
    this.#header = options.hostHeader ?? 'host';
    this.#preserve = options.preserveExisting ?? false;
    this.#host = (options.useIP ?? true) ? localAddress() : hostname();
  }

  intercept(event: FlumeEvent): FlumeEvent {
    return setHeader(event, this.#header, () => this.#host, this.#preserve);
  }
}

export const staticInterceptorConfig = defineConfig({
  key: { type: 'string', default: 'key', importance: 'high', doc: 'Header name.' },
  value: { type: 'string', default: 'value', importance: 'high', doc: 'Header value.' },
  preserveExisting: {
    type: 'boolean',
    default: true,
    importance: 'medium',
    doc: 'Keep a header that is already set.',
  },
});

/** `static`: one fixed header. */
export class StaticInterceptor extends HeaderInterceptor {
  readonly #key: string;
  readonly #value: string;
  readonly #preserve: boolean;

  constructor(options: { key?: string; value?: string; preserveExisting?: boolean }) {
    super();
    this.#key = options.key ?? 'key';
    this.#value = options.value ?? 'value';
    this.#preserve = options.preserveExisting ?? true;
  }

  intercept(event: FlumeEvent): FlumeEvent {
    return setHeader(event, this.#key, () => this.#value, this.#preserve);
  }
}
