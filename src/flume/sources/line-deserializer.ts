import { type FileHandle, open } from 'node:fs/promises';
import { SluiceError } from '../../base/index.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';

/**
 * Java charset names the file sources accept. Input charsets must keep `\n` a single 0x0A byte
 * (lines are found in the raw bytes so positions stay byte-exact), which rules out UTF-16 on input.
 */
export const INPUT_CHARSETS = ['UTF-8', 'ISO-8859-1', 'US-ASCII'] as const;
export const OUTPUT_CHARSETS = ['UTF-8', 'ISO-8859-1', 'US-ASCII', 'UTF-16BE', 'UTF-16LE', 'UTF-16'] as const;
export const DECODE_ERROR_POLICIES = ['FAIL', 'REPLACE', 'IGNORE'] as const;
export type DecodeErrorPolicy = (typeof DECODE_ERROR_POLICIES)[number];

/** A file could not be read as configured (bad bytes under FAIL, a corrupt container...). */
export class FileSourceError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FLUME_FILE_SOURCE', message, options);
  }
}

/** Canonical upper-case name of a Java charset alias we support, or undefined. */
export function canonicalCharset(name: string): string | undefined {
  const n = name.trim().toUpperCase().replace(/_/g, '-');
  const aliases: Record<string, string> = {
    'UTF-8': 'UTF-8',
    UTF8: 'UTF-8',
    'ISO-8859-1': 'ISO-8859-1',
    LATIN1: 'ISO-8859-1',
    'ISO8859-1': 'ISO-8859-1',
    'US-ASCII': 'US-ASCII',
    ASCII: 'US-ASCII',
    'UTF-16BE': 'UTF-16BE',
    'UTF-16LE': 'UTF-16LE',
    'UTF-16': 'UTF-16',
  };
  return aliases[n];
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Decodes `bytes` in `charset` (canonical input name). Returns the text and whether it was clean;
 * under FAIL a malformed input throws.
 */
export function decodeJava(
  bytes: Buffer,
  charset: string,
  policy: DecodeErrorPolicy,
): { text: string; clean: boolean } {
  if (charset === 'ISO-8859-1') return { text: bytes.toString('latin1'), clean: true };
  if (charset === 'US-ASCII') {
    let clean = true;
    for (const b of bytes) if (b > 0x7f) clean = false;
    if (clean) return { text: bytes.toString('latin1'), clean };
    if (policy === 'FAIL') throw new FileSourceError('input is not valid US-ASCII');
    let text = '';
    for (const b of bytes) {
      if (b <= 0x7f) text += String.fromCharCode(b);
      else if (policy === 'REPLACE') text += '\uFFFD';
    }
    return { text, clean: false };
  }
  try {
    return { text: fatalUtf8.decode(bytes), clean: true };
  } catch {
    if (policy === 'FAIL') throw new FileSourceError('input is not valid UTF-8');
    if (policy === 'REPLACE') return { text: lenientUtf8.decode(bytes), clean: false };
    return { text: dropInvalidUtf8(bytes), clean: false };
  }
}

/** UTF-8 text of the well-formed sequences of `bytes`, skipping every malformed byte. */
function dropInvalidUtf8(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) {
      i++;
      continue;
    }
    const seq = bytes.subarray(i, i + len);
    try {
      out += fatalUtf8.decode(seq);
      i += len;
    } catch {
      i++;
    }
  }
  return out;
}

/** Encodes like Java's String.getBytes(charset): unmappable characters become '?'. */
export function encodeJava(text: string, charset: string): Buffer {
  switch (charset) {
    case 'ISO-8859-1':
    case 'US-ASCII': {
      const max = charset === 'US-ASCII' ? 0x7f : 0xff;
      const out = Buffer.allocUnsafe(text.length);
      let n = 0;
      for (const ch of text) out[n++] = ch.codePointAt(0)! <= max ? ch.codePointAt(0)! : 0x3f;
      return out.subarray(0, n);
    }
    case 'UTF-16LE':
      return Buffer.from(text, 'utf16le');
    case 'UTF-16BE':
    case 'UTF-16': {
      const le = Buffer.from(text, 'utf16le');
      le.swap16();
      return charset === 'UTF-16' && le.length > 0 ? Buffer.concat([Buffer.from([0xfe, 0xff]), le]) : le;
    }
    default:
      return Buffer.from(text, 'utf8');
  }
}

/** Where a deserializer stands in its file: a byte offset, plus a record index inside an Avro block. */
export interface FilePosition {
  readonly offset: number;
  readonly record?: number;
}

/**
 * Reads events from one file with Flume's mark/reset contract: `readEvents` moves a cursor,
 * `mark()` records the cursor as committed, `reset()` goes back to the mark (after a channel
 * refused a batch). `markPosition` is what a restart resumes from.
 */
export interface EventDeserializer {
  readEvents(max: number): Promise<FlumeEvent[]>;
  mark(): void;
  reset(): void;
  readonly markPosition: FilePosition;
  close(): Promise<void>;
}

export interface LineDeserializerOptions {
  readonly maxLineLength: number;
  readonly inputCharset: string;
  readonly outputCharset: string;
  readonly decodeErrorPolicy: DecodeErrorPolicy;
}

const CHUNK = 64 * 1024;

/**
 * Flume's LINE deserializer: one event per `\n`-terminated line (the `\n` is dropped, a `\r` is
 * kept, as Flume does). A line longer than maxLineLength characters is cut; the rest comes as the
 * next event(s). The final line of the file is an event even without its newline (spooled files are
 * complete).
 */
export class LineDeserializer implements EventDeserializer {
  readonly #path: string;
  readonly #options: LineDeserializerOptions;
  #fh: FileHandle | undefined;
  #buf = Buffer.alloc(0);
  /** File offset of #buf[0]. */
  #bufStart = 0;
  #cursor: number;
  #mark: number;
  #eof = false;

  private constructor(path: string, options: LineDeserializerOptions, start: number) {
    this.#path = path;
    this.#options = options;
    this.#cursor = start;
    this.#mark = start;
    this.#bufStart = start;
  }

  static async open(path: string, options: LineDeserializerOptions, start = 0): Promise<LineDeserializer> {
    const d = new LineDeserializer(path, options, start);
    d.#fh = await open(path, 'r');
    return d;
  }

  get markPosition(): FilePosition {
    return { offset: this.#mark };
  }

  mark(): void {
    this.#mark = this.#cursor;
  }

  reset(): void {
    this.#cursor = this.#mark;
    if (this.#cursor < this.#bufStart) {
      this.#buf = Buffer.alloc(0);
      this.#bufStart = this.#cursor;
      this.#eof = false;
    }
  }

  async readEvents(max: number): Promise<FlumeEvent[]> {
    const out: FlumeEvent[] = [];
    while (out.length < max) {
      const e = await this.#readLine();
      if (e === null) break;
      out.push(e);
    }
    return out;
  }

  async #readLine(): Promise<FlumeEvent | null> {
    const o = this.#options;
    for (;;) {
      const rel = this.#cursor - this.#bufStart;
      const nl = this.#buf.indexOf(0x0a, rel);
      // A line is complete at its newline, at end of file, or once it surely exceeds the limit
      // (4 bytes per character is the most any input charset needs).
      const enough = this.#buf.length - rel > o.maxLineLength * 4;
      if (nl < 0 && !this.#eof && !enough) {
        await this.#fill();
        continue;
      }
      const end = nl >= 0 ? nl : this.#buf.length;
      if (end === rel && nl < 0) return null;
      const bytes = this.#buf.subarray(rel, end);
      let decoded: { text: string; clean: boolean };
      try {
        decoded = decodeJava(bytes, o.inputCharset, o.decodeErrorPolicy);
      } catch (err) {
        throw new FileSourceError(
          `${this.#path}: cannot decode the line at byte ${this.#cursor} as ${o.inputCharset} (decodeErrorPolicy FAIL): ${(err as Error).message}`,
          { cause: err },
        );
      }
      const text = decoded.text;
      if (text.length < o.maxLineLength) {
        this.#cursor = this.#bufStart + (nl >= 0 ? nl + 1 : end);
        this.#compact();
        return flumeEvent(encodeJava(text, o.outputCharset));
      }
      // Flume stops reading a line after maxLineLength characters; the rest is the next event.
      let cut = o.maxLineLength;
      const last = text.charCodeAt(cut - 1);
      if (last >= 0xd800 && last <= 0xdbff && cut > 1) cut--;
      const head = text.slice(0, cut);
      if (decoded.clean) {
        this.#cursor += encodeJava(head, o.inputCharset === 'UTF-8' ? 'UTF-8' : 'ISO-8859-1').length;
        this.#compact();
        return flumeEvent(encodeJava(head, o.outputCharset));
      }
      // Malformed bytes make character offsets unmappable to bytes: the whole line is one event,
      // cut to the limit, and the rest of it is skipped.
      this.#cursor = this.#bufStart + (nl >= 0 ? nl + 1 : end);
      this.#compact();
      return flumeEvent(encodeJava(head, o.outputCharset));
    }
  }

  async #fill(): Promise<void> {
    const fh = this.#fh!;
    const chunk = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await fh.read(chunk, 0, CHUNK, this.#bufStart + this.#buf.length);
    if (bytesRead === 0) this.#eof = true;
    else this.#buf = Buffer.concat([this.#buf, chunk.subarray(0, bytesRead)]);
  }

  /** Drops buffered bytes before the mark (they are never re-read). */
  #compact(): void {
    const keepFrom = Math.min(this.#mark, this.#cursor);
    const drop = keepFrom - this.#bufStart;
    if (drop > CHUNK) {
      this.#buf = this.#buf.subarray(drop);
      this.#bufStart = keepFrom;
    }
  }

  async close(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
  }
}
