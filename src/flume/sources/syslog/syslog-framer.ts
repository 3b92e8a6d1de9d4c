/** Flume's smallest event size for the syslog sources (smaller settings are raised to it). */
const MIN_EVENT_SIZE = 10;

/** Receives one message: `buf[start, end)`, cut at the event size when `incomplete`. */
export type MessageSink = (buf: Buffer, start: number, end: number, incomplete: boolean) => void;

const LF = 0x0a;
const SP = 0x20;
const LT = 0x3c;
/** RFC 6587's MSG-LEN is unbounded; nine digits (< 1 GB) is far beyond any syslog message. */
const MAX_LEN_DIGITS = 9;
const UNDECIDED = -2;
const NOT_COUNTED = -1;

/**
 * Splits a TCP byte stream into syslog messages as Flume's syslog TCP sources do: a newline ends a
 * message (it is not part of it), empty lines are skipped, and a message that reaches `eventSize`
 * bytes is passed on as incomplete, the rest of it becoming the next message.
 *
 * Beyond Flume, RFC 6587 octet-counted frames (`MSG-LEN SP MSG`, as rsyslog and syslog-ng send
 * with octet counting) are read too: a message that starts with a length, a space and `<` is the
 * next MSG-LEN bytes, newlines included (a single trailing newline inside the frame is dropped).
 * Requiring the `<` of a PRI keeps newline-framed lines that merely start with a number, which
 * Flume would mark Invalid, newline-framed.
 *
 * Messages inside one chunk are passed as views of it; only a message split across chunks is
 * copied, and at most `eventSize` bytes are held between chunks.
 */
export class SyslogFramer {
  readonly eventSize: number;
  /** Bytes of the current message received so far (fewer than eventSize). */
  #carry: Buffer | null = null;
  /** Bytes of the current octet-counted frame still to come; 0 when reading a line. */
  #need = 0;
  /** The start of a message whose framing the last chunk could not decide (a few bytes). */
  #head: Buffer | null = null;
  /** Set by #countPrefix: the frame length it read. */
  #len = 0;
  /** The last message was a line cut at eventSize: what follows is the rest of that line. */
  #midLine = false;

  constructor(eventSize: number) {
    this.eventSize = Math.max(MIN_EVENT_SIZE, eventSize);
  }

  push(input: Buffer, emit: MessageSink): void {
    let chunk = input;
    if (this.#head !== null) {
      chunk = Buffer.concat([this.#head, input]);
      this.#head = null;
    }
    const max = this.eventSize;
    let pos = 0;
    if (this.#need > 0) pos = this.#continueFrame(chunk, 0, emit);
    else if (this.#carry !== null) {
      const carry = this.#carry;
      this.#carry = null;
      const nl = chunk.indexOf(LF);
      const upTo = nl < 0 ? chunk.length : nl;
      const room = max - carry.length;
      if (upTo >= room) {
        emit(Buffer.concat([carry, chunk.subarray(0, room)]), 0, max, true);
        this.#midLine = true;
        pos = room;
      } else if (nl < 0) {
        this.#carry = Buffer.concat([carry, chunk]);
        return;
      } else {
        const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
        emit(line, 0, line.length, false);
        this.#midLine = false;
        pos = nl + 1;
      }
    }
    while (pos < chunk.length) {
      const first = chunk[pos]!;
      // Only a message's first byte may start a length (not the rest of a line cut at eventSize).
      if (first >= 0x31 && first <= 0x39 && !this.#midLine) {
        const at = this.#countPrefix(chunk, pos);
        if (at === UNDECIDED) {
          this.#head = Buffer.from(chunk.subarray(pos));
          return;
        }
        if (at >= 0) {
          this.#need = this.#len;
          pos = this.#continueFrame(chunk, at, emit);
          continue;
        }
      }
      const nl = chunk.indexOf(LF, pos);
      const lineEnd = nl < 0 ? chunk.length : nl;
      if (lineEnd - pos >= max) {
        emit(chunk, pos, pos + max, true);
        this.#midLine = true;
        pos += max;
        continue;
      }
      if (nl < 0) {
        this.#carry = Buffer.from(chunk.subarray(pos));
        return;
      }
      if (nl > pos) emit(chunk, pos, nl, false);
      this.#midLine = false;
      pos = nl + 1;
    }
  }

  /**
   * `MSG-LEN SP <` at `pos` (first byte a non-zero digit): the index after the space, with the
   * length in #len; NOT_COUNTED when the bytes say otherwise; UNDECIDED when the chunk ends first.
   */
  #countPrefix(chunk: Buffer, pos: number): number {
    let len = 0;
    let i = pos;
    for (; i < chunk.length && i - pos < MAX_LEN_DIGITS; i++) {
      const b = chunk[i]!;
      if (b < 0x30 || b > 0x39) break;
      len = len * 10 + (b - 0x30);
    }
    if (i >= chunk.length) return UNDECIDED;
    if (chunk[i] !== SP) return NOT_COUNTED;
    if (i + 1 >= chunk.length) return UNDECIDED;
    if (chunk[i + 1] !== LT) return NOT_COUNTED;
    this.#len = len;
    return i + 1;
  }

  /**
   * Reads the current octet-counted frame (#need bytes still to come, after any carried part)
   * from `chunk[from]`; returns the index after what it consumed.
   */
  #continueFrame(chunk: Buffer, from: number, emit: MessageSink): number {
    const max = this.eventSize;
    const end = from + Math.min(this.#need, chunk.length - from);
    this.#need -= end - from;
    const done = this.#need === 0;
    let p = from;
    const carry = this.#carry;
    if (carry !== null) {
      this.#carry = null;
      const room = max - carry.length;
      if (end - from >= room) {
        emit(Buffer.concat([carry, chunk.subarray(from, from + room)]), 0, max, true);
        p = from + room;
      } else {
        const joined = Buffer.concat([carry, chunk.subarray(from, end)]);
        if (done) emitLast(joined, 0, joined.length, emit);
        else this.#carry = joined;
        return end;
      }
    }
    while (end - p >= max) {
      emit(chunk, p, p + max, true);
      p += max;
    }
    if (end > p) {
      if (done) emitLast(chunk, p, end, emit);
      else this.#carry = Buffer.from(chunk.subarray(p, end));
    }
    return end;
  }

  /** Bytes of an unfinished message held since the last chunk. */
  get pending(): number {
    return (this.#carry?.length ?? 0) + (this.#head?.length ?? 0);
  }
}

/** The last part of a counted frame, without one trailing newline; nothing when that leaves it empty. */
function emitLast(buf: Buffer, start: number, end: number, emit: MessageSink): void {
  const e = buf[end - 1] === LF ? end - 1 : end;
  if (e > start) emit(buf, start, e, false);
}
