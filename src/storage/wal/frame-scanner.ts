import { FRAME_HEADER_BYTES, frameCrc, RECORD_BYTES_LIMIT, readSeq } from './wal-format.ts';
import type { WalFs } from './wal-fs.ts';

const CHUNK_BYTES = 1024 * 1024;

/** Where and why a scan stopped before the end of its range. */
export interface ScanStop {
  offset: number;
  reason: string;
}

/**
 * Reads the record frames of one log file in order, validating each one (length within bounds, seq
 * equal to the expected next seq, CRC), through a reusable chunk buffer so memory stays bounded by
 * max(1 MiB, largest record). Never trusts a length before checking it against the bytes that are
 * actually left, so garbage cannot make it allocate more than the file holds.
 *
 * `next()` returns a view into the chunk buffer that is only valid until the following call.
 */
export class FrameScanner {
  readonly #fs: WalFs;
  readonly #fd: number;
  readonly #end: number;
  #buf: Buffer;
  #bufStart = 0;
  #bufBytes = 0;
  /** File offset of the next frame. */
  position: number;
  /** Seq the next frame must carry. */
  nextSeq: number;
  /** Set when the scan ended on a frame that failed validation (null at a clean end). */
  stop: ScanStop | null = null;

  constructor(fs: WalFs, fd: number, start: number, end: number, firstSeq: number) {
    this.#fs = fs;
    this.#fd = fd;
    this.#end = end;
    this.position = start;
    this.nextSeq = firstSeq;
    this.#buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(end - start, FRAME_HEADER_BYTES)));
  }

  /** The next valid record, or null at the end of the range or at the first invalid frame. */
  async next(): Promise<{ seq: number; payload: Buffer } | null> {
    const pos = this.position;
    const left = this.#end - pos;
    if (left === 0 || this.stop !== null) return null;
    if (left < FRAME_HEADER_BYTES) return this.#fail(`torn frame header (${left} bytes left)`);
    if (!(await this.#ensure(pos, FRAME_HEADER_BYTES))) return null;
    let at = pos - this.#bufStart;
    const length = this.#buf.readUInt32BE(at);
    if (length > RECORD_BYTES_LIMIT || length > left - FRAME_HEADER_BYTES) {
      return this.#fail(`frame of ${length} payload bytes runs past the end (${left} bytes left)`);
    }
    const seq = readSeq(this.#buf, at + 8);
    if (seq !== this.nextSeq)
      return this.#fail(`frame seq ${seq ?? 'out of range'}, expected ${this.nextSeq}`);
    if (!(await this.#ensure(pos, FRAME_HEADER_BYTES + length))) return null;
    at = pos - this.#bufStart;
    const crc = this.#buf.readUInt32BE(at + 4);
    if (frameCrc(this.#buf, at + 8, length) !== crc) return this.#fail('frame CRC mismatch');
    this.position = pos + FRAME_HEADER_BYTES + length;
    this.nextSeq = seq + 1;
    return { seq, payload: this.#buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) };
  }

  #fail(reason: string): null {
    this.stop = { offset: this.position, reason };
    return null;
  }

  /** Makes file bytes [pos, pos + n) available in the buffer; false (and `stop`) on a short read. */
  async #ensure(pos: number, n: number): Promise<boolean> {
    if (pos >= this.#bufStart && pos + n <= this.#bufStart + this.#bufBytes) return true;
    if (n > this.#buf.length) this.#buf = Buffer.allocUnsafe(Math.max(n, CHUNK_BYTES));
    const want = Math.min(this.#buf.length, this.#end - pos);
    let got = 0;
    while (got < want) {
      const r = await this.#fs.read(this.#fd, this.#buf, got, want - got, pos + got);
      if (r === 0) break;
      got += r;
    }
    this.#bufStart = pos;
    this.#bufBytes = got;
    if (got < n) {
      this.#fail(`file ends at byte ${pos + got}, before the ${n}-byte read`);
      return false;
    }
    return true;
  }
}
