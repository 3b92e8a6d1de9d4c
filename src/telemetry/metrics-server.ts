import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

/**
 * Serves `GET /metrics` in the Prometheus text format (and `GET /` with a pointer to it) over
 * plain HTTP. Anything else is 404; methods other than GET/HEAD are 405. A failed collection
 * answers 500 and is logged, never crashing the process that owns the server.
 */

export interface MetricsServerOptions {
  readonly metrics: Metrics;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Default 0.0.0.0, as Prometheus scrapes from elsewhere. */
  readonly host?: string;
  readonly logger?: Logger;
}

export class MetricsServer {
  readonly #options: MetricsServerOptions;
  #server: Server | undefined;

  constructor(options: MetricsServerOptions) {
    this.#options = options;
  }

  /** Listens and resolves with the bound address; rejects if the port is taken. */
  async start(): Promise<{ host: string; port: number }> {
    if (this.#server !== undefined) throw new Error('MetricsServer already started');
    const { metrics, logger } = this.#options;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/') {
        res
          .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
          .end('Sluice metrics: GET /metrics\n');
        return;
      }
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      metrics.render().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => {
          logger?.error('metrics collection failed', {
            err: err instanceof Error ? err.message : String(err),
          });
          res
            .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
            .end('metrics collection failed\n');
        },
      );
    });
    // Keep-alive scrapers must not hold stop() open.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(this.#options.port, this.#options.host ?? '0.0.0.0', () => {
        server.off('error', onError);
        resolve();
      });
    });
    this.#server = server;
    const address = server.address() as AddressInfo;
    logger?.info('metrics endpoint listening', {
      address: `${address.address}:${address.port}`,
      path: '/metrics',
    });
    return { host: address.address, port: address.port };
  }

  /** Stops accepting, closes idle keep-alive connections and waits for in-flight responses. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
}
