import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type BoundAddress, TcpServer } from '../../net/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { ApiHandler } from './api-handler.ts';
import type { BrokerConfig, ClientListener } from './broker-config.ts';
import { createApiVersionsHandler } from './handlers/api-versions.ts';
import { createMetadataHandler } from './handlers/metadata.ts';
import { RequestRouter } from './request-router.ts';

/** A random cluster id in Kafka's format: 16 random bytes, base64url without padding (22 chars). */
export function generateClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka never hands out ids starting with '-': command-line tools would read them as flags.
    if (!id.startsWith('-')) return id;
  }
}

export interface BrokerOptions {
  readonly config: BrokerConfig;
  readonly logger: Logger;
}

interface RunningListener {
  readonly listener: ClientListener;
  readonly server: TcpServer;
  bound: BoundAddress | null;
}

/**
 * A Kafka-protocol broker: one TCP listener per configured client listener, all answering through
 * one request router. So far it implements ApiVersions and Metadata and hosts no topics.
 */
export class Broker {
  readonly config: BrokerConfig;
  readonly clusterId: string;
  private readonly logger: Logger;
  private readonly router: RequestRouter;
  private readonly listeners: RunningListener[];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | null = null;

  constructor(options: BrokerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.clusterId = options.config.clusterId ?? generateClusterId();
    const handlers: ApiHandler[] = [
      createApiVersionsHandler(() => this.router.supportedApis()),
      createMetadataHandler({
        nodeId: this.config.nodeId,
        clusterId: this.clusterId,
        autoCreateTopicsEnable: this.config.autoCreateTopicsEnable,
        advertisedAddress: (name) => this.advertisedAddressOrUndefined(name),
      }),
    ];
    this.router = new RequestRouter(handlers, this.logger);
    this.listeners = this.config.listeners.map((listener) => ({
      listener,
      bound: null,
      server: new TcpServer({
        host: listener.host,
        port: listener.port,
        listenerName: listener.name,
        connectionHandler: (conn) => this.router.forConnection(conn),
        logger: this.logger.child({ listener: listener.name }),
        frameBytesMax: this.config.requestBytesMax,
        idleTimeoutMs: this.config.idleTimeoutMs,
        connectionsPerIpMax: this.config.connectionsPerIpMax,
      }),
    }));
  }

  /** The API version ranges this broker implements. */
  supportedApis() {
    return this.router.supportedApis();
  }

  /** Binds every listener; if one fails, the others are closed and the error is rethrown. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`broker cannot start: it is ${this.state}`);
    this.state = 'starting';
    try {
      for (const l of this.listeners) l.bound = await l.server.listen();
    } catch (err) {
      await Promise.all(this.listeners.map((l) => (l.bound ? l.server.close(0) : undefined)));
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    for (const l of this.listeners) {
      const adv = this.advertisedAddress(l.listener.name);
      this.logger.info('listening', {
        listener: l.listener.name,
        address: `${l.bound!.host}:${l.bound!.port}`,
        advertised: `${adv.host}:${adv.port}`,
      });
    }
    this.logger.info('broker started', {
      nodeId: this.config.nodeId,
      clusterId: this.clusterId,
      logDirs: this.config.logDirs.join(','),
    });
  }

  /** Graceful stop: stop accepting, finish in-flight requests (up to `graceMs`), close. */
  stop(graceMs?: number): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      await Promise.all(this.listeners.map((l) => (l.bound ? l.server.close(graceMs) : undefined)));
      this.state = 'stopped';
      this.logger.info('broker stopped', { nodeId: this.config.nodeId });
    })();
    return this.stopping;
  }

  /** Where a listener is bound (the first client listener by default). Only after `start()`. */
  address(listenerName?: string): BoundAddress {
    const l = this.find(listenerName);
    if (!l.bound) throw new Error(`listener ${l.listener.name} is not bound`);
    return l.bound;
  }

  /** What Metadata tells clients for a listener (host name and bound port filled in). */
  advertisedAddress(listenerName?: string): { host: string; port: number } {
    const l = this.find(listenerName);
    const adv = l.listener.advertised;
    const host = adv.host === '' ? hostname() : adv.host;
    // Port 0 means "whatever was bound"; only meaningful for the listener's own address.
    const port = adv.port === 0 ? (l.bound?.port ?? 0) : adv.port;
    return { host, port };
  }

  private advertisedAddressOrUndefined(listenerName: string): { host: string; port: number } | undefined {
    return this.listeners.some((l) => l.listener.name === listenerName)
      ? this.advertisedAddress(listenerName)
      : undefined;
  }

  private find(listenerName: string | undefined): RunningListener {
    const l =
      listenerName === undefined
        ? this.listeners[0]
        : this.listeners.find((x) => x.listener.name === listenerName);
    if (!l) throw new Error(`no listener named ${listenerName ?? '(any)'}`);
    return l;
  }
}
