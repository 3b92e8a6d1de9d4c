/**
 * Assembly of the standalone server: opens the transaction store, recovers the tree, starts the
 * ZooServer and its client listener. `stop()` closes connections, then the log.
 */
import type { Logger } from '../../telemetry/index.ts';
import { AdminServer } from './admin-server.ts';
import { TxnStore } from './txn-store.ts';
import type { ZooConfig } from './zoo-config.ts';
import { ZooListener } from './zoo-listener.ts';
import { type Clock, ZooServer } from './zoo-server.ts';

export interface ZooKeeperServerOptions {
  readonly config: ZooConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** false: no tick timer (tests step the clock and call `server.tick()`). */
  readonly tickTimer?: boolean;
  readonly onFatal?: (err: unknown) => void;
}

export class ZooKeeperServer {
  readonly server: ZooServer;
  readonly listener: ZooListener;
  readonly host: string;
  readonly port: number;
  /** The AdminServer (HTTP commands), when enabled. */
  readonly admin: AdminServer | null;

  private constructor(
    server: ZooServer,
    listener: ZooListener,
    host: string,
    port: number,
    admin: AdminServer | null,
  ) {
    this.server = server;
    this.listener = listener;
    this.host = host;
    this.port = port;
    this.admin = admin;
  }

  static async start(options: ZooKeeperServerOptions): Promise<ZooKeeperServer> {
    const { config, logger } = options;
    const store = await TxnStore.open(
      config.dataDir,
      config.dataLogDir,
      config.forceSync,
      config.juteMaxBuffer,
      config.preAllocBytes,
    );
    if (store.wal.recovery.truncated !== null) {
      logger.warn('cut a torn transaction log tail', { ...store.wal.recovery.truncated });
    }
    const { tree, report } = await store.recover();
    logger.info('recovered', {
      snapshot: report.snapshot,
      replayedTxns: report.replayed,
      lastZxid: `0x${report.lastZxid.toString(16)}`,
    });
    const server = new ZooServer({
      config,
      store,
      tree,
      logger,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.onFatal === undefined ? {} : { onFatal: options.onFatal }),
    });
    const listener = new ZooListener({
      server,
      host: config.clientPortAddress,
      port: config.clientPort,
      logger,
      ...(options.tickTimer === undefined ? {} : { tickTimer: options.tickTimer }),
    });
    let bound: { host: string; port: number };
    try {
      bound = await listener.listen();
    } catch (err) {
      await store.close();
      throw err;
    }
    if (config.servers.length > 1) {
      logger.warn('server.N lines describe an ensemble; this server runs standalone', {
        servers: config.servers.length,
      });
    }
    let admin: AdminServer | null = null;
    if (config.admin !== null) {
      // Enabled explicitly (see admin.enableServer), so a port that cannot be bound stops startup.
      admin = new AdminServer({ server, listener, logger, ...config.admin });
      try {
        const a = await admin.listen();
        logger.info('admin server listening', {
          address: `${a.host}:${a.port}`,
          adminPort: a.port,
          commands: config.admin.commandUrl,
        });
      } catch (err) {
        await listener.close();
        await store.close();
        throw err;
      }
    }
    logger.info('listening', { address: `${bound.host}:${bound.port}`, port: bound.port });
    return new ZooKeeperServer(server, listener, bound.host, bound.port, admin);
  }

  async stop(): Promise<void> {
    await this.admin?.close();
    await this.listener.close();
    await this.server.store.close();
  }
}
