/**
 * The client port: accepts TCP connections, answers four-letter words (the first 4 bytes of a
 * connection spelling a command, with no length prefix) and otherwise splits the byte stream into
 * int32 length-prefixed frames for the ZooServer. A bad frame closes only its connection. The
 * generic `net` FramedConnection is not used because ZooKeeper's first packet may be a 4lw and a
 * connection's replies are ordered by the server's commit queue, not per connection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SluiceError } from '../../base/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { checkFrameLength, recognizeFourLetterWord } from '../protocol/index.ts';
import { answerFourLetterWord } from './four-letter-commands.ts';
import type { Connection, ZooServer } from './zoo-server.ts';

/** Unsent reply bytes above which a connection's requests are no longer read. */
const WRITE_BUFFER_BYTES_HIGH = 4 * 1024 * 1024;

export class ZooListenError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ZK_LISTEN', message, options);
  }
}

export interface ZooListenerOptions {
  readonly server: ZooServer;
  readonly host: string | null;
  readonly port: number;
  readonly logger: Logger;
  /** Runs `server.tick()` on a timer; tests that step a clock pass false and tick themselves. */
  readonly tickTimer?: boolean;
}

export class ZooListener {
  private readonly options: ZooListenerOptions;
  private readonly net: Server;
  private readonly sockets = new Set<Socket>();
  private readonly perIp = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  port = 0;

  constructor(options: ZooListenerOptions) {
    this.options = options;
    this.net = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  async listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(new ZooListenError(`cannot listen on ${host ?? '*'}:${port}: ${err.message}`, { cause: err }));
      this.net.once('error', onError);
      this.net.listen({ port, ...(host === null || host === '' ? {} : { host }) }, () => {
        this.net.off('error', onError);
        resolve();
      });
    });
    const addr = this.net.address();
    if (addr === null || typeof addr === 'string') throw new ZooListenError('no bound address');
    this.port = addr.port;
    const server = this.options.server;
    if (this.options.tickTimer !== false) {
      this.timer = setInterval(() => server.tick(), Math.max(10, Math.floor(server.config.tickTimeMs / 2)));
      this.timer.unref();
      const hours = server.config.purgeIntervalHours;
      if (hours > 0) {
        this.purgeTimer = setInterval(() => {
          server.store.purge(server.config.snapRetainCount).then(
            (r) => server.logger.info('purged old snapshots and logs', r),
            (err: unknown) => server.logger.warn('purge failed', { err: String(err) }),
          );
        }, hours * 3_600_000);
        this.purgeTimer.unref();
      }
    }
    return { host: addr.address, port: addr.port };
  }

  private accept(socket: Socket): void {
    const server = this.options.server;
    const ip = socket.remoteAddress ?? '';
    const limit = server.config.maxClientCnxns;
    const count = this.perIp.get(ip) ?? 0;
    if (limit > 0 && count >= limit) {
      this.options.logger.warn('too many connections from one address', { remote: ip, limit });
      socket.destroy();
      return;
    }
    const total = server.config.maxCnxns;
    if (total > 0 && this.sockets.size >= total) {
      this.options.logger.warn('too many connections', { remote: ip, limit: total });
      socket.destroy();
      return;
    }
    this.perIp.set(ip, count + 1);
    this.sockets.add(socket);
    let conn: Connection | null = null;
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    let first = true;
    let ending = false;
    const maxBytes = server.config.juteMaxBuffer;

    const closeSocket = () => {
      if (ending) return;
      ending = true;
      socket.end();
      // A client that never reads must not keep the socket forever.
      setTimeout(() => socket.destroy(), 5000).unref();
    };
    socket.on('close', () => {
      this.sockets.delete(socket);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
      conn?.onClosed();
    });
    socket.on('error', () => {
      // 'close' follows; a reset client is ordinary.
    });
    socket.on('data', (chunk: Buffer) => {
      if (ending) return;
      buffered.push(chunk);
      bufferedBytes += chunk.length;
      if (first) {
        if (bufferedBytes < 4) return;
        first = false;
        const head = buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered);
        const word = recognizeFourLetterWord(head.subarray(0, 4));
        if (word !== null) {
          socket.pause();
          answerFourLetterWord(word, server, this).then(
            (text) => {
              socket.end(text);
              ending = true;
            },
            (err: unknown) => {
              this.options.logger.warn('four-letter word failed', { word, err: String(err) });
              socket.destroy();
            },
          );
          return;
        }
        conn = server.accept({
          remoteAddress: ip,
          remotePort: socket.remotePort ?? 0,
          send: (chunks) => {
            if (socket.writable) {
              socket.cork();
              for (const c of chunks) socket.write(c);
              process.nextTick(() => socket.uncork());
            }
          },
          close: closeSocket,
        });
      }
      pump();
    });

    let throttled = false;
    let writeBlocked = false;
    const updateReading = () => {
      const stop = throttled || writeBlocked;
      if (stop && !socket.isPaused()) socket.pause();
      else if (!stop && socket.isPaused() && !ending) socket.resume();
    };
    const outstandingLimit = server.config.outstandingLimit;
    // Backpressure, checked after every frame (a single chunk can hold thousands of reads of a
    // large node): a client that does not read its replies stops being read until they drain.
    const blockOnUnsentReplies = () => {
      if (writeBlocked || socket.writableLength <= WRITE_BUFFER_BYTES_HIGH) return;
      writeBlocked = true;
      socket.once('drain', () => {
        writeBlocked = false;
        updateReading();
        pump();
      });
    };
    // Splits buffered bytes into frames and hands them to the server, unless the connection has
    // too many requests in flight (then it resumes once replies drain) or is closed.
    const pump = () => {
      if (conn === null) return;
      const c = conn;
      try {
        while (bufferedBytes >= 4 && !throttled && !writeBlocked) {
          let all = buffered.length === 1 ? buffered[0]! : Buffer.concat(buffered);
          const length = all.readInt32BE(0);
          checkFrameLength(length, maxBytes);
          if (all.length < 4 + length) {
            buffered = [all];
            break;
          }
          const frame = all.subarray(4, 4 + length);
          all = all.subarray(4 + length);
          buffered = all.length > 0 ? [all] : [];
          bufferedBytes = all.length;
          c.onFrame(Buffer.from(frame));
          if (c.closed) return;
          blockOnUnsentReplies();
          if (c.outstanding >= outstandingLimit) {
            throttled = true;
            c.onBelowLimit = () =>
              setImmediate(() => {
                throttled = false;
                updateReading();
                pump();
              });
          }
        }
        updateReading();
      } catch (err) {
        this.options.logger.info('closing a client connection', {
          remote: `${ip}:${socket.remotePort}`,
          reason: err instanceof Error ? err.message : String(err),
        });
        c.close();
        socket.destroy();
      }
    };
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.purgeTimer !== null) clearInterval(this.purgeTimer);
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    await this.options.server.shutdown();
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
