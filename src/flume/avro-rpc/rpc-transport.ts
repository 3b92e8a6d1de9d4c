import type { Socket } from 'node:net';
import { constants, createDeflate, createInflate, type Deflate } from 'node:zlib';
import { encodeNettyFrame, type NettyFrame, NettyFrameDecoder } from './netty-frame.ts';

export interface RpcTransportOptions {
  /** `compression-type deflate`: a zlib stream each way, flushed after every frame (Netty's JZlib codec). */
  readonly deflate: boolean;
  readonly compressionLevel?: number;
  readonly maxFrameBytes?: number;
}

/**
 * One connection's framing: bytes in (inflated when compressed) → Netty packs; packs out →
 * (deflated) bytes. Bad input reports once through `onError`, after which nothing else is
 * delivered; the owner closes the socket.
 */
export class RpcTransport {
  readonly socket: Socket;
  readonly #deflater: Deflate | undefined;
  #failed = false;

  constructor(
    socket: Socket,
    options: RpcTransportOptions,
    onFrame: (frame: NettyFrame) => void,
    onError: (err: Error) => void,
  ) {
    this.socket = socket;
    const decoder = new NettyFrameDecoder(options.maxFrameBytes);
    const fail = (err: Error) => {
      if (this.#failed) return;
      this.#failed = true;
      onError(err);
    };
    const onBytes = (chunk: Buffer) => {
      if (this.#failed) return;
      let frames: NettyFrame[];
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        fail(err as Error);
        return;
      }
      for (const f of frames) onFrame(f);
    };
    if (options.deflate) {
      const inflater = createInflate();
      inflater.on('data', onBytes);
      inflater.on('error', (err) => fail(new Error(`bad deflate stream: ${err.message}`)));
      socket.on('data', (chunk: Buffer) => {
        if (!this.#failed) inflater.write(chunk);
      });
      socket.on('close', () => inflater.destroy());
      const deflater = createDeflate({ level: options.compressionLevel ?? 6 });
      deflater.on('data', (chunk: Buffer) => {
        if (!socket.destroyed) socket.write(chunk);
      });
      deflater.on('error', () => socket.destroy());
      socket.on('close', () => deflater.destroy());
      this.#deflater = deflater;
    } else {
      socket.on('data', onBytes);
    }
  }

  send(serial: number, payload: Buffer): void {
    if (this.socket.destroyed) return;
    const frame = encodeNettyFrame(serial, payload);
    if (this.#deflater === undefined) {
      this.socket.write(frame);
    } else {
      this.#deflater.write(frame);
      this.#deflater.flush(constants.Z_SYNC_FLUSH);
    }
  }
}
