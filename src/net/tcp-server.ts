import { createServer, type Server, type Socket } from 'node:net';
import { SluiceError } from '../base/index.ts';
import type { Logger } from '../telemetry/index.ts';
import { FRAME_POOL_IDLE_BYTES_DEFAULT, FrameBufferPool } from './frame-buffer-pool.ts';
import {
  type ConnectionInfo,
  FramedConnection,
  type FramedConnectionOptions,
  type FrameHandler,
  formatRemote,
} from './framed-connection.ts';
import { adoptWithReadBuffers, SHARED_READ_BUFFER_BYTES } from './read-buffers.ts';

/** Kafka's `socket.request.max.bytes` default: 100 MiB. */
export const FRAME_BYTES_MAX_DEFAULT = 104_857_600;
/** Kafka's `connections.max.idle.ms` default: 10 minutes. */
export const IDLE_TIMEOUT_MS_DEFAULT = 600_000;
export const IN_FLIGHT_MAX_DEFAULT = 100;
/**
 * Reading from a connection pauses while its unfinished requests hold more than this: enough for a
 * few large produce requests to overlap (one being written while the next arrives), without
 * reading ever further ahead of the disk.
 */
export const IN_FLIGHT_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
export const WRITE_BUFFER_BYTES_HIGH_DEFAULT = 4 * 1024 * 1024;
/** How long `close()` waits for in-flight requests before cutting connections. */
export const CLOSE_GRACE_MS_DEFAULT = 10_000;

export interface TcpServerOptions {
  /** Interface to bind; '' or undefined binds every interface. */
  readonly host?: string;
  /** Port to bind; 0 picks a free one (see `address()`). */
  readonly port: number;
  /** Listener name passed to handlers in ConnectionInfo. Default `default`. */
  readonly listenerName?: string;
  /** Creates the frame handler of each new connection (per-connection state lives in its closure). */
  readonly connectionHandler: (conn: ConnectionInfo) => FrameHandler;
  /** Called once when a connection whose handler was created has closed. */
  readonly onConnectionClosed?: (conn: ConnectionInfo) => void;
  readonly logger: Logger;
  readonly frameBytesMax?: number;
  readonly idleTimeoutMs?: number;
  /** Connections allowed from one IP address (Kafka `max.connections.per.ip`). */
  readonly connectionsPerIpMax?: number;
  readonly inFlightMax?: number;
  /** Request bytes a connection may have in its unfinished handlers before reading pauses. */
  readonly inFlightBytesMax?: number;
  readonly writeBufferBytesHigh?: number;
  /**
   * Idle memory kept to receive large frames again (shared by the connections); 0 disables reuse.
   * Default 16 MiB. A frame is reused only when its handler says so (`releaseFrameWhenSettled`).
   */
  readonly framePoolBytes?: number;
  /**
   * Read into buffers chosen here (default true; see `adoptWithReadBuffers`). false: plain sockets,
   * with a fresh buffer from Node for every read.
   */
  readonly ownReadBuffers?: boolean;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

/** The server could not bind its address. */
export class ListenError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LISTEN', message, options);
  }
}

/**
 * A TCP listener whose connections speak length-prefixed frames (int32 big-endian size, then the
 * payload), as Kafka does. Each connection is a FramedConnection; this class accepts, limits
 * connections per IP, and closes gracefully.
 */
export class TcpServer {
  private readonly options: TcpServerOptions;
  private readonly connectionOptions: FramedConnectionOptions;
  private readonly server: Server;
  private readonly connections = new Set<FramedConnection>();
  private readonly perIp = new Map<string, number>();
  private nextId = 1;
  private bound: BoundAddress | null = null;
  private closing: Promise<void> | null = null;
  private readonly sharedReadBuffer = Buffer.allocUnsafeSlow(SHARED_READ_BUFFER_BYTES);

  constructor(options: TcpServerOptions) {
    this.options = options;
    const poolBytes = options.framePoolBytes ?? FRAME_POOL_IDLE_BYTES_DEFAULT;
    this.connectionOptions = {
      frameBytesMax: options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT,
      idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS_DEFAULT,
      inFlightMax: options.inFlightMax ?? IN_FLIGHT_MAX_DEFAULT,
      inFlightBytesMax: options.inFlightBytesMax ?? IN_FLIGHT_BYTES_MAX_DEFAULT,
      writeBufferBytesHigh: options.writeBufferBytesHigh ?? WRITE_BUFFER_BYTES_HIGH_DEFAULT,
      ...(poolBytes > 0 ? { framePool: new FrameBufferPool(poolBytes) } : {}),
    };
    // Half-open: a client that sends its requests and then shuts down its side still gets answers.
    // Paused on connect: nothing is read before the socket is re-wrapped to read into our buffers.
    this.server = createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (socket) =>
      this.accept(socket),
    );
  }

  /** Binds and starts accepting. */
  async listen(): Promise<BoundAddress> {
    const host = this.options.host === '' ? undefined : this.options.host;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new ListenError(
            `cannot listen on ${host ?? '*'}:${this.options.port}: ${err.code ?? err.message}`,
            {
              cause: err,
            },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host, port: this.options.port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (err) => this.options.logger.error('listener error', { err }));
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new ListenError('listener has no TCP address');
    this.bound = { host: addr.address, port: addr.port };
    return this.bound;
  }

  /** The bound address; throws before `listen()` resolved. */
  address(): BoundAddress {
    if (!this.bound) throw new ListenError('not listening');
    return this.bound;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(accepted: Socket): void {
    const logger = this.options.logger;
    if (this.closing) {
      accepted.destroy();
      return;
    }
    let conn: FramedConnection | undefined;
    const adopted =
      this.options.ownReadBuffers === false
        ? null
        : adoptWithReadBuffers(accepted, {
            buffer: () => conn?.readBuffer() ?? this.sharedReadBuffer,
            callback: (n: number, buffer: Uint8Array) => {
              conn?.onRead(n, buffer as Buffer);
              return true; // the connection pauses and resumes the socket itself
            },
          });
    const socket = adopted ?? accepted;
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const info: ConnectionInfo = {
      id: this.nextId++,
      remoteAddress,
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      listenerName: this.options.listenerName ?? 'default',
      ...(this.connectionOptions.framePool === undefined
        ? {}
        : { releaseFrameWhenSettled: () => conn?.releaseCurrentFrame() }),
    };
    const count = this.perIp.get(remoteAddress) ?? 0;
    const perIpMax = this.options.connectionsPerIpMax ?? Number.POSITIVE_INFINITY;
    if (count >= perIpMax) {
      logger.warn('refusing connection: too many connections from this address', {
        remote: formatRemote(info),
        limit: perIpMax,
      });
      socket.destroy();
      return;
    }
    this.perIp.set(remoteAddress, count + 1);
    const connection = new FramedConnection(
      socket,
      info,
      adopted === null
        ? this.connectionOptions
        : { ...this.connectionOptions, sharedReadBuffer: this.sharedReadBuffer },
      logger,
    );
    conn = connection;
    this.connections.add(connection);
    socket.once('close', () => {
      this.connections.delete(connection);
      const left = (this.perIp.get(remoteAddress) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(remoteAddress);
      else this.perIp.set(remoteAddress, left);
    });
    let handler: FrameHandler;
    try {
      handler = this.options.connectionHandler(info);
    } catch (err) {
      logger.error('closing connection: cannot create its handler', { remote: formatRemote(info), err });
      socket.destroy();
      return;
    }
    if (this.options.onConnectionClosed) {
      const onClosed = this.options.onConnectionClosed;
      socket.once('close', () => onClosed(info));
    }
    connection.start(handler);
  }

  /**
   * Graceful close: stop accepting, let every connection finish the requests it has in flight,
   * then close it. Connections still open after `graceMs` are cut.
   */
  close(graceMs = CLOSE_GRACE_MS_DEFAULT): Promise<void> {
    this.closing ??= this.doClose(graceMs);
    return this.closing;
  }

  private async doClose(graceMs: number): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const all = Promise.all([...this.connections].map((c) => c.close()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.options.logger.warn('closing connections still busy after the grace period', {
        connections: this.connections.size,
        graceMs,
      });
      for (const c of this.connections) c.destroy();
    }
    await stopped;
  }
}
