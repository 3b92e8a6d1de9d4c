import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequestFrame } from '../protocol/index.ts';

/** A minimal Kafka client for tests over one socket: sends frames, reads size-prefixed responses. */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private wake: (() => void) | null = null;
  readonly closed: Promise<void>;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (c: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, c]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const n = this.buffered.readInt32BE(0);
        this.frames.push(this.buffered.subarray(4, 4 + n));
        this.buffered = this.buffered.subarray(4 + n);
      }
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  async next(): Promise<Buffer> {
    while (this.frames.length === 0) {
      if (this.socket.destroyed) throw new Error('connection closed');
      await new Promise<void>((r) => (this.wake = r));
    }
    return this.frames.shift()!;
  }

  async call<T>(apiKey: number, version: number, correlationId: number, body: unknown): Promise<T> {
    for (const chunk of encodeRequestFrame(apiKey, version, correlationId, 'unit-test', body))
      this.socket.write(chunk);
    const res = decodeResponse(await this.next(), apiKey, version);
    if (res.correlationId !== correlationId) {
      throw new Error(`correlation id ${res.correlationId}, expected ${correlationId}`);
    }
    return res.body as T;
  }
}
