/** Flume's smallest event size for the syslog sources (smaller settings are raised to it). */
export const MIN_EVENT_SIZE = 10;

/** Receives one message: `buf[start, end)`, cut at the event size when `incomplete`. */
export type MessageSink = (buf: Buffer, start: number, end: number, incomplete: boolean) => void;

/**
 * Splits a TCP byte stream into syslog messages as Flume's syslog TCP sources do: a newline ends a
 * message (it is not part of it), empty lines are skipped, and a message that reaches `eventSize`
 * bytes is passed on as incomplete, the rest of its line becoming the next message. Messages
 * inside one chunk are passed as views of it; only a message split across chunks is copied, and
 * at most `eventSize` bytes are held between chunks.
 */
export class SyslogFramer {
  readonly eventSize: number;
  #carry: Buffer | null = null;

  constructor(eventSize: number) {
    this.eventSize = Math.max(MIN_EVENT_SIZE, eventSize);
  }

  push(chunk: Buffer, emit: MessageSink): void {
    const max = this.eventSize;
    let pos = 0;
    const carry = this.#carry;
    if (carry !== null) {
      this.#carry = null;
      const nl = chunk.indexOf(0x0a);
      const upTo = nl < 0 ? chunk.length : nl;
      const room = max - carry.length;
      if (upTo >= room) {
        emit(Buffer.concat([carry, chunk.subarray(0, room)]), 0, max, true);
        pos = room;
      } else if (nl < 0) {
        this.#carry = Buffer.concat([carry, chunk]);
        return;
      } else {
        const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
        emit(line, 0, line.length, false);
        pos = nl + 1;
      }
    }
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const lineEnd = nl < 0 ? chunk.length : nl;
      if (lineEnd - pos >= max) {
        emit(chunk, pos, pos + max, true);
        pos += max;
        continue;
      }
      if (nl < 0) {
        this.#carry = Buffer.from(chunk.subarray(pos));
        return;
      }
      if (nl > pos) emit(chunk, pos, nl, false);
      pos = nl + 1;
    }
  }

  /** Bytes of an unfinished message held since the last chunk. */
  get pending(): number {
    return this.#carry?.length ?? 0;
  }
}
