import type { Socket } from 'node:net';
import { DecodeError, SluiceError } from '../base/index.ts';
import type { Logger } from '../telemetry/index.ts';
import type { FrameBufferPool } from './frame-buffer-pool.ts';
import { FrameDecoder, FrameSizeError } from './frame-decoder.ts';

/** What a handler knows about the connection a frame came in on. */
export interface ConnectionInfo {
  /** Unique per server, increasing. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** The listener's name (Kafka: `PLAINTEXT`, `INTERNAL`...). */
  readonly listenerName: string;
  /**
   * Declares that the handler now running keeps no reference to its frame's bytes (nor to views of
   * them) once its result has settled, so the frame's memory may receive a later frame then. Only
   * a call during the synchronous part of the handler's run counts; without it a frame is never
   * reused. A handler that calls it must not settle before every use of the bytes is over (an
   * asynchronous file write from them included). Absent where frames are never reused.
   */
  readonly releaseFrameWhenSettled?: () => void;
}

/**
 * Handles one frame payload (size prefix removed). Returns the complete bytes to send back
 * (each response including its own size prefix), or null to send nothing (Kafka acks=0).
 *
 * Handlers are started in arrival order, so their synchronous parts run in request order; they
 * may complete in any order, and responses are still written in request order. Throwing closes
 * the connection (after the responses of earlier requests are written): DecodeError for
 * malformed input, CloseConnectionError for a deliberate close, anything else is a bug and is
 * logged with its stack. The frame is the handler's to keep, unless it calls
 * `ConnectionInfo.releaseFrameWhenSettled` (then its memory is reused once the result settles).
 */
export type FrameHandler = (frame: Buffer) => Promise<readonly Buffer[] | null> | readonly Buffer[] | null;

/** Thrown by a handler to close its connection on purpose; the reason is logged once. */
export class CloseConnectionError extends SluiceError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('CLOSE_CONNECTION', reason, options);
  }
}

export interface FramedConnectionOptions {
  /** Largest accepted frame payload (Kafka `socket.request.max.bytes`). */
  readonly frameBytesMax: number;
  /** Close after this long without traffic (Kafka `connections.max.idle.ms`); 0 disables. */
  readonly idleTimeoutMs: number;
  /** Stop reading while this many requests await their responses. */
  readonly inFlightMax: number;
  /**
   * Stop reading while the frames of requests whose handlers have not finished hold more than this
   * many bytes (a larger frame still goes through, alone). Default: no bound.
   */
  readonly inFlightBytesMax?: number;
  /** Stop reading while the socket holds more than this many unsent bytes. */
  readonly writeBufferBytesHigh: number;
  /** Reusable memory for large frames (see `ConnectionInfo.releaseFrameWhenSettled`). */
  readonly framePool?: FrameBufferPool;
  /**
   * Set when the socket reads into buffers chosen here (Node's `onread`, see
   * `adoptWithReadBuffers`): the buffer for reads that do not go straight into a frame. The
   * socket's `onread` must call `readBuffer()` and `onRead()`.
   */
  readonly sharedReadBuffer?: Buffer;
}

interface Slot {
  done: boolean;
  /** Frame bytes, counted in `inFlightBytes` until the handler finishes. */
  readonly bytes: number;
  chunks: readonly Buffer[] | null;
  error: unknown;
}

type State = 'open' | 'closing' | 'closed';

/**
 * One TCP connection speaking length-prefixed frames: decodes frames, runs the handler for each,
 * writes responses in request order, and applies backpressure both ways.
 */
export class FramedConnection {
  readonly info: ConnectionInfo;
  readonly closed: Promise<void>;
  private readonly socket: Socket;
  private readonly options: FramedConnectionOptions;
  private readonly logger: Logger;
  private readonly decoder: FrameDecoder;
  private handler: FrameHandler | null = null;
  private readonly queue: Slot[] = [];
  private state: State = 'open';
  private pumping = false;
  private readPaused = false;
  /** The client shut down its sending side: answer what it sent, then close. */
  private peerEnded = false;
  /** While a handler's synchronous part runs: whether it released its frame. */
  private dispatching = false;
  private frameReleased = false;
  /** Bytes of the frames whose handlers have not finished. */
  private inFlightBytes = 0;

  constructor(socket: Socket, info: ConnectionInfo, options: FramedConnectionOptions, logger: Logger) {
    this.socket = socket;
    this.info = info;
    this.options = options;
    this.logger = logger;
    this.decoder = new FrameDecoder(
      options.frameBytesMax,
      options.framePool === undefined ? {} : { pool: options.framePool },
    );
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  get remote(): string {
    return formatRemote(this.info);
  }

  /** Requests received whose responses are not written yet. */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Starts reading; frames go to `handler`. */
  start(handler: FrameHandler): void {
    this.handler = handler;
    const socket = this.socket;
    socket.setNoDelay(true);
    if (this.options.idleTimeoutMs > 0) socket.setTimeout(this.options.idleTimeoutMs);
    if (this.options.sharedReadBuffer === undefined) socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Also for reads through onRead: flowing mode is what makes the socket emit 'end'. (The
    // server accepts sockets paused.)
    socket.resume();
    socket.on('drain', () => this.pump());
    socket.on('timeout', () => this.onIdle());
    socket.on('end', () => this.onPeerEnd());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // Resets and broken pipes are how clients leave; they are not worth more than a debug line.
      this.logger.debug('connection error', { remote: this.remote, error: err.code ?? err.message });
    });
    socket.on('close', () => {
      this.state = 'closed';
      this.queue.length = 0;
    });
  }

  /**
   * Graceful close: read no more requests, write the responses of those in flight, then close.
   * Resolves when the socket is closed.
   */
  close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.pauseReading();
      this.maybeFinishClosing();
    }
    return this.closed;
  }

  /** Closes at once, dropping anything unsent. */
  destroy(): void {
    this.state = 'closed';
    this.socket.destroy();
  }

  /** `onread`: where the next read goes (straight into the frame being assembled when there is one). */
  readBuffer(): Buffer {
    return this.decoder.readTarget() ?? this.options.sharedReadBuffer!;
  }

  /** `onread`: `n` bytes were read into `buffer`, which `readBuffer()` returned. */
  onRead(n: number, buffer: Buffer): void {
    if (this.state !== 'open') return;
    if (buffer === this.options.sharedReadBuffer) {
      // Shared by every connection: the decoder copies what it keeps before returning, each frame
      // into memory of its own (pooled when large), not the read as a whole into a fresh buffer.
      try {
        this.decoder.pushTransient(buffer.subarray(0, n));
      } catch (err) {
        this.fail(err);
        return;
      }
      this.pump();
      return;
    }
    try {
      this.decoder.filledBy(n);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.pump();
  }

  private onData(chunk: Buffer): void {
    if (this.state !== 'open') return;
    this.decoder.push(chunk);
    this.pump();
  }

  private overLimit(): boolean {
    return (
      this.queue.length >= this.options.inFlightMax ||
      this.inFlightBytes > (this.options.inFlightBytesMax ?? Number.POSITIVE_INFINITY) ||
      this.socket.writableLength > this.options.writeBufferBytesHigh
    );
  }

  /** Dispatches buffered frames while limits allow, then pauses or resumes reading. */
  private pump(): void {
    if (this.pumping) return; // the running loop re-checks its conditions on every turn
    this.pumping = true;
    try {
      while (this.state === 'open' && !this.overLimit()) {
        let frame: Buffer | null;
        try {
          frame = this.decoder.next();
        } catch (err) {
          this.fail(err);
          return;
        }
        if (frame === null) break;
        this.dispatch(frame);
      }
    } finally {
      this.pumping = false;
    }
    if (this.state !== 'open') return;
    if (this.peerEnded) {
      // Nothing more will arrive; a partial frame left in the decoder is dropped.
      if (this.queue.length === 0) {
        this.state = 'closed';
        this.socket.end();
      }
    } else if (this.overLimit()) this.pauseReading();
    else this.resumeReading();
  }

  /** For `ConnectionInfo.releaseFrameWhenSettled`. */
  releaseCurrentFrame(): void {
    if (this.dispatching) this.frameReleased = true;
  }

  private dispatch(frame: Buffer): void {
    const slot: Slot = { done: false, bytes: frame.length, chunks: null, error: undefined };
    this.queue.push(slot);
    this.inFlightBytes += frame.length;
    let result: ReturnType<FrameHandler>;
    this.dispatching = true;
    this.frameReleased = false;
    try {
      result = this.handler!(frame);
    } catch (err) {
      this.settle(slot, null, err);
      return;
    } finally {
      this.dispatching = false;
    }
    const pool = this.options.framePool;
    // Given back even when the connection has closed meanwhile: the handler has finished with it.
    const reusable = this.frameReleased && pool?.owns(frame) ? pool : null;
    if (isPromise(result)) {
      result.then(
        (chunks) => {
          reusable?.give(frame);
          this.settle(slot, chunks, undefined);
        },
        (err: unknown) => {
          reusable?.give(frame);
          this.settle(slot, null, err ?? new Error('handler rejected without a reason'));
        },
      );
    } else {
      reusable?.give(frame);
      this.settle(slot, result, undefined);
    }
  }

  private settle(slot: Slot, chunks: readonly Buffer[] | null, error: unknown): void {
    slot.done = true;
    this.inFlightBytes -= slot.bytes;
    slot.chunks = chunks;
    slot.error = error;
    this.flush();
  }

  /** Writes every completed response at the head of the queue, in order. */
  private flush(): void {
    if (this.state === 'closed') return;
    const socket = this.socket;
    let corked = false;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!;
      if (slot.error !== undefined) {
        if (corked) socket.uncork();
        this.fail(slot.error);
        return;
      }
      if (slot.chunks && slot.chunks.length > 0) {
        if (!corked) {
          socket.cork();
          corked = true;
        }
        for (const chunk of slot.chunks) socket.write(chunk);
      }
    }
    if (corked) socket.uncork();
    if (this.state === 'closing') this.maybeFinishClosing();
    else this.pump();
  }

  /** Logs one line saying why, then closes after the bytes already written are sent. */
  private fail(err: unknown): void {
    if (this.state === 'closed') return;
    const fields = { remote: this.remote, listener: this.info.listenerName };
    if (err instanceof FrameSizeError) {
      this.logger.warn('closing connection: invalid frame size', { ...fields, error: err.message });
    } else if (err instanceof DecodeError) {
      this.logger.warn('closing connection: malformed request', { ...fields, error: err.message });
    } else if (err instanceof CloseConnectionError) {
      this.logger.warn('closing connection', { ...fields, reason: err.message });
    } else {
      this.logger.error('closing connection: request handler failed', { ...fields, err });
    }
    this.state = 'closed';
    this.queue.length = 0;
    this.pauseReading();
    this.socket.destroySoon();
  }

  private maybeFinishClosing(): void {
    if (this.state === 'closing' && this.queue.length === 0) {
      this.state = 'closed';
      this.socket.end();
      // Drain (and ignore) what the peer still sends, so its FIN is read and 'close' fires;
      // a paused socket would hold the connection open until the grace period ends.
      this.socket.resume();
    }
  }

  private onPeerEnd(): void {
    // The client sent FIN: answer every complete request it sent, then close our side.
    this.peerEnded = true;
    this.pump();
  }

  private onIdle(): void {
    if (this.queue.length > 0 || this.state !== 'open') return; // busy, not idle
    this.logger.debug('closing idle connection', { remote: this.remote, idleMs: this.options.idleTimeoutMs });
    this.destroy();
  }

  private pauseReading(): void {
    if (!this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    }
  }

  private resumeReading(): void {
    if (this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
    }
  }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

export function formatRemote(info: Pick<ConnectionInfo, 'remoteAddress' | 'remotePort'>): string {
  return info.remoteAddress.includes(':')
    ? `[${info.remoteAddress}]:${info.remotePort}`
    : `${info.remoteAddress}:${info.remotePort}`;
}
