import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Broker metrics behind a small interface, so handlers count things without knowing the backend.
 * `createMetrics()` backs it with prom-client on a registry of its own (never the global one, so
 * two brokers in one process or a test never share counters); `noopMetrics()` counts nothing.
 */

/** One partition's log size, reported at scrape time by whoever owns the logs. */
export interface LogSizeSample {
  readonly topic: string;
  readonly partition: number;
  readonly bytes: number;
}

export interface Metrics {
  /** Bytes of record batches appended to a topic (Produce). */
  bytesIn(topic: string, bytes: number): void;
  /** Bytes of record batches sent to consumers of a topic (Fetch). */
  bytesOut(topic: string, bytes: number): void;
  recordsIn(topic: string, records: number): void;
  recordsOut(topic: string, records: number): void;
  /** One request of `api` (Kafka's API name, e.g. `Produce`) answered after `seconds`. */
  request(api: string, seconds: number): void;
  /** A partition-level or request-level error code sent back for `api` (`error` = Kafka's name). */
  requestError(api: string, error: string): void;
  connectionOpened(): void;
  connectionClosed(): void;
  /** Registers the source read on every scrape for the log-size gauge (replaces any earlier one). */
  onCollectLogSizes(source: () => Iterable<LogSizeSample>): void;
  /** The Prometheus text exposition of every metric, default process metrics included. */
  render(): Promise<string>;
  /** The Content-Type of `render()`'s output. */
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Prefix of every Sluice metric name. */
  readonly prefix?: string;
  /** Include prom-client's `process_*` and `nodejs_*` metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Latency histogram buckets in seconds. */
  readonly latencyBucketsSeconds?: readonly number[];
}

/** From 100 µs to 10 s: produce with acks=1 sits at the low end, long-polling fetches at the top. */
const DEFAULT_LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const prefix = options.prefix ?? 'sluice_';
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const bytesIn = new Counter({
    name: `${prefix}broker_topic_bytes_in_total`,
    help: 'Bytes of record batches appended, per topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const bytesOut = new Counter({
    name: `${prefix}broker_topic_bytes_out_total`,
    help: 'Bytes of record batches sent to fetchers, per topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const recordsIn = new Counter({
    name: `${prefix}broker_topic_records_in_total`,
    help: 'Records appended, per topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const recordsOut = new Counter({
    name: `${prefix}broker_topic_records_out_total`,
    help: 'Records sent to fetchers, per topic',
    labelNames: ['topic'] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: `${prefix}broker_requests_total`,
    help: 'Requests answered, per Kafka API',
    labelNames: ['api'] as const,
    registers: [registry],
  });
  const requestErrors = new Counter({
    name: `${prefix}broker_request_errors_total`,
    help: 'Error codes returned, per Kafka API and error name',
    labelNames: ['api', 'error'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${prefix}broker_request_duration_seconds`,
    help: 'Time from a request frame arriving to its response being queued, per Kafka API',
    labelNames: ['api'] as const,
    buckets: [...(options.latencyBucketsSeconds ?? DEFAULT_LATENCY_BUCKETS)],
    registers: [registry],
  });
  const connections = new Gauge({
    name: `${prefix}broker_connections`,
    help: 'Open client connections',
    registers: [registry],
  });
  let logSizes: () => Iterable<LogSizeSample> = () => [];
  new Gauge({
    name: `${prefix}log_size_bytes`,
    help: 'Size of a partition log on disk, in bytes',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
    collect() {
      // Rebuilt on each scrape, so deleted partitions disappear instead of reporting stale sizes.
      this.reset();
      for (const s of logSizes()) this.set({ topic: s.topic, partition: String(s.partition) }, s.bytes);
    },
  });

  return {
    bytesIn: (topic, bytes) => bytesIn.inc({ topic }, bytes),
    bytesOut: (topic, bytes) => bytesOut.inc({ topic }, bytes),
    recordsIn: (topic, records) => recordsIn.inc({ topic }, records),
    recordsOut: (topic, records) => recordsOut.inc({ topic }, records),
    request(api, seconds) {
      requests.inc({ api });
      latency.observe({ api }, seconds);
    },
    requestError: (api, error) => requestErrors.inc({ api, error }),
    connectionOpened: () => connections.inc(),
    connectionClosed: () => connections.dec(),
    onCollectLogSizes(source) {
      logSizes = source;
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** Metrics that record nothing: for tests and for components built without telemetry. */
export function noopMetrics(): Metrics {
  const nothing = () => {};
  return {
    bytesIn: nothing,
    bytesOut: nothing,
    recordsIn: nothing,
    recordsOut: nothing,
    request: nothing,
    requestError: nothing,
    connectionOpened: nothing,
    connectionClosed: nothing,
    onCollectLogSizes: nothing,
    render: async () => '',
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
  };
}
