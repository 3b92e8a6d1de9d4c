import { ByteReader, ByteWriter, crc32c, DecodeError } from '../../base/index.ts';
import type { FlumeEvent } from '../api/event.ts';

/**
 * Sluice's own on-disk formats for the file channel (not Flume's protobuf files: a Flume data or
 * checkpoint directory cannot be reused, and the reverse). Log records are payloads of the storage
 * unit's WriteAheadLog, which owns framing, CRCs and torn-tail handling; these are the payloads.
 *
 * PUTS   : u8 1, txId i64, count i32, count × event (headers i32 + (key bytes, value bytes)…, body bytes)
 * COMMIT : u8 2, txId i64, order i64, puts i32 × seq i64, takes i32 × pointer (dir i16, seq i64, index i32)
 *
 * A transaction's puts go into PUTS records (split so a record stays under the log's limit), then a
 * COMMIT record names those records (same data dir), carries its takes and its commit order; PUTS
 * records no COMMIT names are discarded at replay. All are written when the transaction commits,
 * made durable by one sync (shared with concurrent commits).
 */

export const PUTS = 1;
export const COMMIT = 2;

/** Where a committed event lives: data dir index, WAL record seq, position inside the record. */
export interface EventPointer {
  readonly dir: number;
  readonly seq: number;
  readonly index: number;
}

export type LogRecord =
  | { readonly type: typeof PUTS; readonly txId: number; readonly events: FlumeEvent[] }
  | {
      readonly type: typeof COMMIT;
      readonly txId: number;
      readonly order: number;
      readonly putSeqs: number[];
      readonly takes: EventPointer[];
    };

export const pointerKey = (p: EventPointer): string => `${p.dir}:${p.seq}:${p.index}`;

/**
 * At least the bytes an event takes inside a PUTS record, computed cheaply as it runs for every
 * put: short header strings count 3 bytes per UTF-16 unit (UTF-8's most), long ones exactly.
 */
export function eventBytes(e: FlumeEvent): number {
  let n = 8 + e.body.length;
  const h = e.headers;
  for (const k in h) n += 8 + utf8Max(k) + utf8Max(h[k]!);
  return n;
}

const utf8Max = (s: string): number => (s.length > 32 ? Buffer.byteLength(s, 'utf8') : 3 * s.length);

/** A PUTS record; `bytes`, when the caller already summed eventBytes of `events`, saves a pass. */
export function encodePuts(txId: number, events: readonly FlumeEvent[], bytes?: number): Buffer {
  let size = 13;
  if (bytes !== undefined) size += bytes;
  else for (const e of events) size += eventBytes(e);
  const out = Buffer.allocUnsafe(size);
  out[0] = PUTS;
  out.writeBigInt64BE(BigInt(txId), 1);
  out.writeInt32BE(events.length, 9);
  let p = 13;
  for (const e of events) {
    const h = e.headers;
    const countAt = p;
    p += 4;
    let n = 0;
    for (const k in h) {
      n++;
      p = putString(out, p, k);
      p = putString(out, p, h[k]!);
    }
    putInt32(out, countAt, n);
    const body = e.body;
    putInt32(out, p, body.length);
    p += 4;
    if (body.length < 64) {
      for (let i = 0; i < body.length; i++) out[p + i] = body[i]!;
      p += body.length;
    } else p += body.copy(out, p);
  }
  return out.subarray(0, p);
}

/** Big-endian i32 by byte stores (cheaper than a checked method call per field). */
function putInt32(out: Buffer, p: number, v: number): void {
  out[p] = v >>> 24;
  out[p + 1] = v >>> 16;
  out[p + 2] = v >>> 8;
  out[p + 3] = v;
}

/**
 * An i32 byte length and the UTF-8 bytes of `s` at `p`; the position after them. Short ASCII
 * strings (most header keys and values) are copied by a loop: a native call per string costs more.
 */
function putString(out: Buffer, p: number, s: string): number {
  const len = s.length;
  if (len <= 32) {
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[p + 4 + i] = c;
    }
    if (i === len) {
      putInt32(out, p, len);
      return p + 4 + len;
    }
  }
  const n = out.write(s, p + 4, 'utf8');
  putInt32(out, p, n);
  return p + 4 + n;
}

export function encodeCommit(
  txId: number,
  order: number,
  putSeqs: readonly number[],
  takes: readonly EventPointer[],
): Buffer {
  const out = Buffer.allocUnsafe(25 + putSeqs.length * 8 + takes.length * 14);
  out[0] = COMMIT;
  writeU64(out, 1, txId);
  writeU64(out, 9, order);
  out.writeInt32BE(putSeqs.length, 17);
  let p = 21;
  for (const s of putSeqs) p = writeU64(out, p, s);
  out.writeInt32BE(takes.length, p);
  p += 4;
  for (const t of takes) {
    out.writeInt16BE(t.dir, p);
    writeU64(out, p + 2, t.seq);
    out.writeInt32BE(t.index, p + 10);
    p += 14;
  }
  return out;
}

/** A non-negative safe integer as a big-endian u64, without a BigInt; the position after it. */
function writeU64(out: Buffer, p: number, v: number): number {
  out.writeUInt32BE(Math.floor(v / 0x100000000), p);
  out.writeUInt32BE(v >>> 0, p + 4);
  return p + 8;
}

function safeInt(r: ByteReader, what: string): number {
  const v = r.int64();
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) r.fail(`${what} ${v} out of range`);
  return Number(v);
}

function count(r: ByteReader, minBytes: number, what: string): number {
  const n = r.int32();
  if (n < 0) r.fail(`${what}: negative count ${n}`);
  if (n * minBytes > r.remaining) r.fail(`${what}: count ${n} cannot fit in the ${r.remaining} bytes left`);
  return n;
}

function blob(r: ByteReader, what: string): Buffer {
  const n = r.int32();
  if (n < 0) r.fail(`${what}: negative length ${n}`);
  return r.raw(n, what);
}

/** Decodes one log record; any malformed input is a DecodeError (never another exception). */
export function decodeLogRecord(buf: Buffer): LogRecord {
  const r = new ByteReader(buf);
  const type = r.int8();
  const txId = safeInt(r, 'transaction id');
  let rec: LogRecord;
  if (type === PUTS) {
    const n = count(r, 8, 'events');
    const events: FlumeEvent[] = [];
    for (let i = 0; i < n; i++) {
      const h = count(r, 8, 'headers');
      const pairs: [string, string][] = [];
      for (let j = 0; j < h; j++) {
        const k = blob(r, 'header key').toString('utf8');
        pairs.push([k, blob(r, 'header value').toString('utf8')]);
      }
      // fromEntries keeps a `__proto__` header an own key. The body is copied: replay reuses its buffer.
      events.push({ headers: Object.fromEntries(pairs), body: Buffer.from(blob(r, 'body')) });
    }
    rec = { type: PUTS, txId, events };
  } else if (type === COMMIT) {
    const order = safeInt(r, 'commit order');
    const puts = count(r, 8, 'put records');
    const putSeqs: number[] = [];
    for (let i = 0; i < puts; i++) putSeqs.push(safeInt(r, 'put record seq'));
    const n = count(r, 14, 'takes');
    const takes: EventPointer[] = [];
    for (let i = 0; i < n; i++) {
      const dir = r.int16();
      const seq = safeInt(r, 'pointer seq');
      const index = r.int32();
      if (dir < 0 || index < 0) r.fail(`bad event pointer ${dir}:${seq}:${index}`);
      takes.push({ dir, seq, index });
    }
    rec = { type: COMMIT, txId, order, putSeqs, takes };
  } else {
    throw new DecodeError(`unknown file channel record type ${type}`, 0);
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes after the record`);
  return rec;
}

// --- checkpoint ------------------------------------------------------------------------------

const CHECKPOINT_MAGIC = 0x534c4643; // "SLFC"
const CHECKPOINT_VERSION = 1;

/**
 * The state at one moment: the queue of committed event pointers (events taken by open
 * transactions first, as a crash returns them to the head), the next commit order (commits below
 * it are in `queue`), and per data dir the WAL seq replay must start from.
 */
export interface Checkpoint {
  readonly nextOrder: number;
  readonly replayFrom: readonly number[];
  readonly queue: readonly EventPointer[];
}

/** magic u32, version u16, nextOrder i64, dirs i32 × i64, queue i32 × pointer, CRC-32C u32 of all before. */
export function encodeCheckpoint(c: Checkpoint): Buffer {
  const w = new ByteWriter(32 + c.replayFrom.length * 8 + c.queue.length * 14);
  w.uint32(CHECKPOINT_MAGIC).uint16(CHECKPOINT_VERSION).int64(BigInt(c.nextOrder));
  w.int32(c.replayFrom.length);
  for (const s of c.replayFrom) w.int64(BigInt(s));
  w.int32(c.queue.length);
  for (const p of c.queue) w.int16(p.dir).int64(BigInt(p.seq)).int32(p.index);
  const body = w.toBuffer();
  const out = Buffer.allocUnsafe(body.length + 4);
  body.copy(out);
  out.writeUInt32BE(crc32c(body), body.length);
  return out;
}

export function decodeCheckpoint(buf: Buffer): Checkpoint {
  if (buf.length < 10) throw new DecodeError(`checkpoint too short (${buf.length} bytes)`, 0);
  const body = buf.subarray(0, buf.length - 4);
  if (crc32c(body) !== buf.readUInt32BE(buf.length - 4)) {
    throw new DecodeError('checkpoint CRC mismatch', buf.length - 4);
  }
  const r = new ByteReader(body);
  if (r.uint32() !== CHECKPOINT_MAGIC) r.fail('not a Sluice file channel checkpoint (bad magic)');
  const version = r.uint16();
  if (version !== CHECKPOINT_VERSION) r.fail(`unsupported checkpoint version ${version}`);
  const nextOrder = safeInt(r, 'next order');
  const dirs = count(r, 8, 'data dirs');
  const replayFrom: number[] = [];
  for (let i = 0; i < dirs; i++) replayFrom.push(safeInt(r, 'replay seq'));
  const n = count(r, 14, 'queue');
  const queue: EventPointer[] = [];
  for (let i = 0; i < n; i++) {
    const dir = r.int16();
    const seq = safeInt(r, 'pointer seq');
    const index = r.int32();
    if (dir < 0 || dir >= dirs || index < 0) r.fail(`bad event pointer ${dir}:${seq}:${index}`);
    queue.push({ dir, seq, index });
  }
  if (r.remaining !== 0) r.fail(`${r.remaining} trailing bytes in checkpoint`);
  return { nextOrder, replayFrom, queue };
}
