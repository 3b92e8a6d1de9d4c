import { connect, type Socket } from 'node:net';
import type { FlumeEvent } from '../api/event.ts';
import { AvroReader, AvroWriter } from './avro-binary.ts';
import type { NettyFrame } from './netty-frame.ts';
import {
  AVRO_SOURCE_PROTOCOL_JSON,
  AVRO_SOURCE_PROTOCOL_MD5,
  readCallResponse,
  readHandshakeResponse,
  type Status,
  writeCallRequest,
  writeHandshakeRequest,
} from './protocol.ts';
import { RpcTransport } from './rpc-transport.ts';

export class AvroRpcError extends Error {
  override readonly name = 'AvroRpcError';
}

export interface AvroRpcClientOptions {
  readonly host: string;
  readonly port: number;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly deflate?: boolean;
  readonly compressionLevel?: number;
}

interface Pending {
  resolve(status: Status): void;
  reject(err: Error): void;
  /** Re-sends the call with the full protocol after a NONE handshake. */
  retryWithProtocol(): void;
  retried: boolean;
  timer: NodeJS.Timeout;
}

/**
 * A Flume Avro RPC client (what NettyAvroRpcClient does): one TCP connection, Avro IPC over Netty
 * framing, the handshake on the first call, then `append`/`appendBatch` calls answered by Status.
 * Any transport or protocol failure fails every call in flight and closes the connection; the
 * caller makes a new client.
 */
export class AvroRpcClient {
  readonly #options: AvroRpcClientOptions;
  readonly #socket: Socket;
  readonly #transport: RpcTransport;
  readonly #pending = new Map<number, Pending>();
  #serial = 0;
  #handshaken = false;
  #serverHash: Buffer = AVRO_SOURCE_PROTOCOL_MD5;
  #closedError: Error | undefined;

  private constructor(options: AvroRpcClientOptions, socket: Socket) {
    this.#options = options;
    this.#socket = socket;
    this.#transport = new RpcTransport(
      socket,
      {
        deflate: options.deflate ?? false,
        ...(options.compressionLevel === undefined ? {} : { compressionLevel: options.compressionLevel }),
      },
      (f) => this.#onFrame(f),
      (err) => this.#fail(new AvroRpcError(`bad response from ${this.#where()}: ${err.message}`)),
    );
    socket.on('error', (err) =>
      this.#fail(new AvroRpcError(`connection to ${this.#where()}: ${err.message}`)),
    );
    socket.on('close', () => this.#fail(new AvroRpcError(`connection to ${this.#where()} closed`)));
  }

  /** Connects, failing after `connectTimeoutMs` (Flume's connect-timeout, default 20000). */
  static async connect(options: AvroRpcClientOptions): Promise<AvroRpcClient> {
    const socket = connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new AvroRpcError(`connect to ${options.host}:${options.port} timed out`));
      }, options.connectTimeoutMs ?? 20000);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new AvroRpcError(`cannot connect to ${options.host}:${options.port}: ${err.message}`));
      });
    });
    return new AvroRpcClient(options, socket);
  }

  #where(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  get closed(): boolean {
    return this.#closedError !== undefined;
  }

  append(event: FlumeEvent): Promise<Status> {
    return this.#call('append', [event]);
  }

  appendBatch(events: readonly FlumeEvent[]): Promise<Status> {
    return this.#call('appendBatch', events);
  }

  close(): void {
    this.#fail(new AvroRpcError('client closed'));
  }

  #call(message: 'append' | 'appendBatch', events: readonly FlumeEvent[]): Promise<Status> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const serial = this.#serial++;
    const encode = (withProtocol: boolean): Buffer => {
      const w = new AvroWriter();
      if (!this.#handshaken) {
        writeHandshakeRequest(w, {
          clientHash: AVRO_SOURCE_PROTOCOL_MD5,
          clientProtocol: withProtocol ? AVRO_SOURCE_PROTOCOL_JSON : null,
          serverHash: this.#serverHash,
          meta: null,
        });
      }
      writeCallRequest(w, { meta: new Map(), message, events });
      return w.toBuffer();
    };
    return new Promise<Status>((resolve, reject) => {
      const timeoutMs = this.#options.requestTimeoutMs ?? 20000;
      const timer = setTimeout(() => {
        this.#pending.delete(serial);
        reject(new AvroRpcError(`${message} to ${this.#where()} timed out after ${timeoutMs} ms`));
        // A late answer would be matched to nothing; a fresh connection is the safe state.
        this.#fail(new AvroRpcError('connection abandoned after a request timeout'));
      }, timeoutMs);
      this.#pending.set(serial, {
        resolve,
        reject,
        timer,
        retried: false,
        retryWithProtocol: () => this.#transport.send(serial, encode(true)),
      });
      this.#transport.send(serial, encode(false));
    });
  }

  #onFrame(frame: NettyFrame): void {
    const p = this.#pending.get(frame.serial);
    if (p === undefined) return;
    try {
      const r = new AvroReader(frame.payload);
      if (!this.#handshaken) {
        const h = readHandshakeResponse(r);
        if (h.serverHash !== null) this.#serverHash = h.serverHash;
        if (h.match === 'NONE') {
          // The server did not know our hash: it answered with its protocol only; send ours, once.
          if (p.retried) throw new Error('the server refused the AvroSourceProtocol handshake');
          p.retried = true;
          p.retryWithProtocol();
          return;
        }
        this.#handshaken = true;
      }
      const resp = readCallResponse(r);
      this.#pending.delete(frame.serial);
      clearTimeout(p.timer);
      if (resp.error) p.reject(new AvroRpcError(`server error: ${resp.message}`));
      else p.resolve(resp.status);
    } catch (err) {
      this.#fail(new AvroRpcError(`bad response from ${this.#where()}: ${(err as Error).message}`));
    }
  }

  #fail(err: Error): void {
    if (this.#closedError === undefined) this.#closedError = err;
    for (const [serial, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(serial);
      p.reject(err);
    }
    this.#socket.destroy();
  }
}
