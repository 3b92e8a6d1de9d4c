/**
 * The benchmark's load generator: a minimal ZooKeeper session on the project's own codecs
 * (`encodeRequest` / `decodeResponse`), with any number of requests in flight. Replies come back in
 * xid order, so a FIFO of pending requests is all the bookkeeping needed.
 */
import { connect, type Socket } from 'node:net';
import {
  decodeConnectResponse,
  decodeResponse,
  encodeConnectRequest,
  encodeRequest,
  type RequestBodies,
  type ResponseType,
} from '../../src/zookeeper/protocol/index.ts';

interface Pending {
  readonly type: number;
  readonly started: number;
  readonly resolve: (r: { err: number; ms: number }) => void;
  readonly reject: (e: Error) => void;
}

export class LoadSession {
  private readonly socket: Socket;
  private readonly pending: Pending[] = [];
  private head = 0;
  private chunks: Buffer[] = [];
  private bytes = 0;
  private xid = 1;
  private onHandshake: ((frame: Buffer) => void) | null;
  private failure: Error | null = null;
  /** The session id the server gave (set once open() resolves). */
  sessionId = 0n;

  private constructor(socket: Socket, onHandshake: (frame: Buffer) => void) {
    this.socket = socket;
    this.onHandshake = onHandshake;
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Opens a session; retries (a server still starting may accept and then close) for up to ~10 s. */
  static async open(host: string, port: number, timeoutMs = 30_000): Promise<LoadSession> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await LoadSession.tryOpen(host, port, timeoutMs);
      } catch (err) {
        if (attempt >= 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private static async tryOpen(host: string, port: number, timeoutMs: number): Promise<LoadSession> {
    const socket = connect({ host, port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let session: LoadSession | null = null;
    const handshake = new Promise<Buffer>((resolve, reject) => {
      session = new LoadSession(socket, resolve);
      socket.once('close', () => reject(new Error('closed during the handshake')));
    });
    const s = session as unknown as LoadSession;
    for (const c of encodeConnectRequest(
      {
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: timeoutMs,
        sessionId: 0n,
        passwd: Buffer.alloc(16),
        readOnly: false,
      },
      true,
    ))
      socket.write(c);
    const frame = await handshake;
    const r = decodeConnectResponse(frame).message;
    if (r.timeOut <= 0) throw new Error('session refused');
    s.sessionId = r.sessionId;
    return s;
  }

  private fail(e: Error): void {
    if (this.failure !== null) return;
    this.failure = e;
    for (let i = this.head; i < this.pending.length; i++) this.pending[i]!.reject(e);
    this.pending.length = 0;
    this.head = 0;
  }

  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.bytes += d.length;
    if (this.bytes < 4) return;
    let buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readInt32BE(off);
      if (buf.length - off - 4 < len) break;
      const frame = buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      this.onFrame(frame);
    }
    buf = buf.subarray(off);
    this.chunks = buf.length > 0 ? [buf] : [];
    this.bytes = buf.length;
  }

  private onFrame(frame: Buffer): void {
    if (this.onHandshake !== null) {
      const h = this.onHandshake;
      this.onHandshake = null;
      h(frame);
      return;
    }
    const xid = frame.readInt32BE(0);
    if (xid < 0) return; // notification or ping
    const p = this.pending[this.head++];
    if (p === undefined) return;
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    const r = decodeResponse(frame, p.type as ResponseType);
    p.resolve({ err: r.err, ms: performance.now() - p.started });
  }

  /** Sends one request; resolves with the reply's error code and the latency in ms. */
  call<K extends keyof RequestBodies>(type: K, body: RequestBodies[K]): Promise<{ err: number; ms: number }> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const xid = this.xid++;
    return new Promise((resolve, reject) => {
      this.pending.push({ type, started: performance.now(), resolve, reject });
      for (const c of encodeRequest(xid, type, body)) this.out.push(c);
      if (!this.flushQueued) {
        this.flushQueued = true;
        process.nextTick(this.flush);
      }
    });
  }

  // Requests issued in the same tick leave in one write (one syscall), so the load generator
  // spends its CPU on requests, not on system calls, and leaves the cores to the server.
  private readonly out: Buffer[] = [];
  private flushQueued = false;
  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.out.length === 0 || this.failure !== null) return;
    const all = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out.length = 0;
    this.socket.write(all);
  };

  close(): void {
    this.failure ??= new Error('closed');
    this.socket.destroy();
  }
}
