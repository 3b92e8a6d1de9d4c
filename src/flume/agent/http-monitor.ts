import { createServer, type Server } from 'node:http';
import { listenOn } from '../../net/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus-exposition.ts';

export interface HttpMonitorOptions {
  /** Flume's default is 41414; 0 picks a free port. */
  readonly port: number;
  readonly host?: string;
  /** `{"TYPE.name": {"Counter": "value"}}` at the time of the request. */
  readonly snapshot: () => Record<string, Record<string, string>>;
  readonly logger: Logger;
  /**
   * What `/metrics` serves: Flume's JSON (`-Dflume.monitoring.type=http`, the default) or the
   * Prometheus text format (`-Dflume.monitoring.type=prometheus`, so Prometheus scrapes its default
   * path). `/metrics/prometheus` serves the Prometheus format in both cases.
   */
  readonly format?: 'flume' | 'prometheus';
}

/**
 * Flume's HTTP JSON reporter (`-Dflume.monitoring.type=http`): `GET /metrics` answers every
 * counter group as JSON with string values (application/json), `/` a short HTML page pointing to
 * it; TRACE and OPTIONS are refused with 403 as Jetty's handler does, anything else is 404.
 * `GET /metrics/prometheus` serves the same counters in the Prometheus text format
 * (prometheus-exposition.ts), so one port serves both Flume tooling and a Prometheus scrape.
 */
export class HttpMonitor {
  readonly #options: HttpMonitorOptions;
  #server: Server | undefined;

  constructor(options: HttpMonitorOptions) {
    this.#options = options;
  }

  async start(): Promise<{ port: number }> {
    const { snapshot, logger } = this.#options;
    const server = createServer((req, res) => {
      const method = (req.method ?? 'GET').toUpperCase();
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (method === 'TRACE' || method === 'OPTIONS') {
        res.writeHead(403).end();
        return;
      }
      if (path === '/') {
        res
          .writeHead(200, { 'content-type': 'text/html;charset=utf-8' })
          .end('For Flume metrics please click <a href = "./metrics"> here</a>.');
        return;
      }
      const lower = path.toLowerCase();
      const prometheus =
        lower === '/metrics/prometheus' || (lower === '/metrics' && this.#options.format === 'prometheus');
      if (lower === '/metrics' || prometheus) {
        let body: string;
        try {
          body = prometheus ? renderPrometheus(snapshot()) : JSON.stringify(snapshot());
        } catch (err) {
          logger.error('metrics snapshot failed', { err: err instanceof Error ? err.message : String(err) });
          res.writeHead(500).end();
          return;
        }
        res
          .writeHead(200, {
            'content-type': prometheus ? PROMETHEUS_CONTENT_TYPE : 'application/json;charset=utf-8',
          })
          .end(body);
        return;
      }
      res.writeHead(404).end();
    });
    server.keepAliveTimeout = 5_000;
    const port = await listenOn(
      server,
      'flume http monitoring',
      this.#options.port,
      this.#options.host ?? '0.0.0.0',
    );
    this.#server = server;
    logger.info('flume http monitoring listening', { port, path: '/metrics' });
    return { port };
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
