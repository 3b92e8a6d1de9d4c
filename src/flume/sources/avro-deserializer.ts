import { type FileHandle, open } from 'node:fs/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { uncompressSync } from 'snappy';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import { type EventDeserializer, type FilePosition, FileSourceError } from './line-deserializer.ts';

export const AVRO_SCHEMA_HASH_HEADER = 'flume.avro.schema.hash';
export const AVRO_SCHEMA_LITERAL_HEADER = 'flume.avro.schema.literal';
export type AvroSchemaType = 'HASH' | 'LITERAL';

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]);
const SYNC_SIZE = 16;
/** Largest block (compressed or not) we accept; a corrupt length must not allocate gigabytes. */
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

const CRC64_EMPTY = 0xc15d213aa4d7a795n;
const CRC64_TABLE = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (CRC64_EMPTY & -(fp & 1n));
    table.push(fp);
  }
  return table;
})();

/**
 * The CRC-64-AVRO fingerprint (Avro spec, "Schema Fingerprints") of a schema's parsing canonical
 * form, as 8 little-endian bytes in hex: what Flume's HASH schema type puts in
 * `flume.avro.schema.hash`.
 */
export function avroSchemaHash(type: avro.Type): string {
  let fp = CRC64_EMPTY;
  for (const b of Buffer.from(JSON.stringify(type.schema()), 'utf8')) {
    fp = (fp >> 8n) ^ CRC64_TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out.toString('hex');
}

/** Reads an Avro zig-zag varint long at `pos`; undefined when the bytes end first. */
function readLong(buf: Buffer, pos: number): { value: number; next: number } | undefined {
  let n = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!;
    n |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      const v = (n >> 1n) ^ -(n & 1n);
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      return { value: Number(v), next: i + 1 };
    }
  }
  return undefined;
}

/**
 * Flume's AVRO deserializer: reads an Avro object container file and makes one event per record,
 * whose body is the record's binary Avro encoding (no schema, no container framing) and whose
 * header names the writer schema: its fingerprint (HASH) or its JSON (LITERAL). Codecs: null,
 * deflate, snappy. Positions are (block offset, records consumed in it), so a restart or a reset
 * resumes at the exact record instead of Flume's last sync point.
 */
export class AvroDeserializer implements EventDeserializer {
  readonly #path: string;
  readonly #schemaType: AvroSchemaType;
  #fh: FileHandle | undefined;
  #size = 0;
  #type!: avro.Type;
  #codec = 'null';
  #sync = Buffer.alloc(0);
  #headerValue = '';
  #dataStart = 0;
  /** The decoded current block: its file offset, its records' encodings, the next block's offset. */
  #block: { offset: number; records: Buffer[]; next: number } | undefined;
  #cursor: Required<FilePosition> = { offset: 0, record: 0 };
  #mark: Required<FilePosition> = { offset: 0, record: 0 };

  private constructor(path: string, schemaType: AvroSchemaType) {
    this.#path = path;
    this.#schemaType = schemaType;
  }

  static async open(
    path: string,
    schemaType: AvroSchemaType,
    start?: FilePosition,
  ): Promise<AvroDeserializer> {
    const d = new AvroDeserializer(path, schemaType);
    d.#fh = await open(path, 'r');
    try {
      d.#size = (await d.#fh.stat()).size;
      await d.#readHeader();
    } catch (err) {
      await d.close();
      throw err;
    }
    const pos =
      start !== undefined && start.offset >= d.#dataStart
        ? { offset: start.offset, record: start.record ?? 0 }
        : { offset: d.#dataStart, record: 0 };
    d.#cursor = pos;
    d.#mark = { ...pos };
    return d;
  }

  #fail(what: string, cause?: unknown): never {
    throw new FileSourceError(
      `${this.#path}: not a readable Avro container file: ${what}`,
      cause === undefined ? undefined : { cause },
    );
  }

  async #readAt(offset: number, length: number): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, this.#size - offset));
    const buf = Buffer.alloc(len);
    if (len > 0) await this.#fh!.read(buf, 0, len, offset);
    return buf;
  }

  async #readHeader(): Promise<void> {
    // The header is small; read up to 1 MiB and fail cleanly if it does not fit.
    const buf = await this.#readAt(0, 1024 * 1024);
    if (buf.length < MAGIC.length || !buf.subarray(0, 4).equals(MAGIC)) this.#fail('bad magic bytes');
    let pos = 4;
    const meta = new Map<string, Buffer>();
    for (;;) {
      const count = readLong(buf, pos);
      if (count === undefined) this.#fail('truncated metadata');
      pos = count.next;
      if (count.value === 0) break;
      let n = count.value;
      if (n < 0) {
        n = -n;
        const size = readLong(buf, pos);
        if (size === undefined) this.#fail('truncated metadata');
        pos = size.next;
      }
      if (n > buf.length) this.#fail('metadata count out of range');
      for (let i = 0; i < n; i++) {
        const kl = readLong(buf, pos);
        if (kl === undefined || kl.value < 0 || kl.next + kl.value > buf.length)
          this.#fail('bad metadata key');
        const key = buf.toString('utf8', kl.next, kl.next + kl.value);
        pos = kl.next + kl.value;
        const vl = readLong(buf, pos);
        if (vl === undefined || vl.value < 0 || vl.next + vl.value > buf.length)
          this.#fail('bad metadata value');
        meta.set(key, buf.subarray(vl.next, vl.next + vl.value));
        pos = vl.next + vl.value;
      }
    }
    if (pos + SYNC_SIZE > buf.length) this.#fail('truncated header');
    this.#sync = Buffer.from(buf.subarray(pos, pos + SYNC_SIZE));
    this.#dataStart = pos + SYNC_SIZE;
    const schemaText = meta.get('avro.schema')?.toString('utf8');
    if (schemaText === undefined) this.#fail('no avro.schema in the header');
    try {
      this.#type = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema, { wrapUnions: true });
    } catch (err) {
      this.#fail(`invalid schema: ${(err as Error).message}`, err);
    }
    this.#codec = meta.get('avro.codec')?.toString('utf8') || 'null';
    if (!['null', 'deflate', 'snappy'].includes(this.#codec)) this.#fail(`unsupported codec ${this.#codec}`);
    this.#headerValue =
      this.#schemaType === 'LITERAL'
        ? JSON.stringify(this.#type.schema({ exportAttrs: true }))
        : avroSchemaHash(this.#type);
  }

  /** Loads the block at `offset`; undefined at the end of the file. */
  async #loadBlock(offset: number): Promise<{ offset: number; records: Buffer[]; next: number } | undefined> {
    if (offset >= this.#size) return undefined;
    const head = await this.#readAt(offset, 20);
    const count = readLong(head, 0);
    const size = count === undefined ? undefined : readLong(head, count.next);
    if (count === undefined || size === undefined) this.#fail(`truncated block header at byte ${offset}`);
    if (count.value < 0 || size.value < 0 || size.value > MAX_BLOCK_BYTES) {
      this.#fail(`bad block header at byte ${offset}`);
    }
    const dataAt = offset + size.next;
    if (dataAt + size.value + SYNC_SIZE > this.#size) this.#fail(`truncated block at byte ${offset}`);
    const raw = await this.#readAt(dataAt, size.value + SYNC_SIZE);
    if (!raw.subarray(size.value).equals(this.#sync))
      this.#fail(`bad sync marker after the block at byte ${offset}`);
    let data: Buffer;
    try {
      data = this.#decompress(raw.subarray(0, size.value));
    } catch (err) {
      this.#fail(
        `cannot decompress the block at byte ${offset} (${this.#codec}): ${(err as Error).message}`,
        err,
      );
    }
    if (count.value > data.length) this.#fail(`record count out of range in the block at byte ${offset}`);
    const records: Buffer[] = [];
    let pos = 0;
    for (let i = 0; i < count.value; i++) {
      let res: { value: unknown; offset: number };
      try {
        res = this.#type.decode(data, pos);
      } catch (err) {
        this.#fail(`bad record ${i} in the block at byte ${offset}`, err);
      }
      if (res.offset < 0) this.#fail(`truncated record ${i} in the block at byte ${offset}`);
      records.push(Buffer.from(data.subarray(pos, res.offset)));
      pos = res.offset;
    }
    return { offset, records, next: dataAt + size.value + SYNC_SIZE };
  }

  #decompress(buf: Buffer): Buffer {
    if (this.#codec === 'deflate') return inflateRawSync(buf, { maxOutputLength: MAX_BLOCK_BYTES });
    if (this.#codec === 'snappy') {
      if (buf.length < 4) throw new Error('no checksum');
      const out = uncompressSync(buf.subarray(0, buf.length - 4)) as Buffer;
      if (crc32(out) !== buf.readUInt32BE(buf.length - 4)) throw new Error('checksum mismatch');
      return out;
    }
    return buf;
  }

  get markPosition(): FilePosition {
    return { ...this.#mark };
  }

  mark(): void {
    this.#mark = { ...this.#cursor };
  }

  reset(): void {
    this.#cursor = { ...this.#mark };
  }

  async readEvents(max: number): Promise<FlumeEvent[]> {
    const out: FlumeEvent[] = [];
    const header = this.#schemaType === 'LITERAL' ? AVRO_SCHEMA_LITERAL_HEADER : AVRO_SCHEMA_HASH_HEADER;
    while (out.length < max) {
      if (this.#block?.offset !== this.#cursor.offset) {
        const block = await this.#loadBlock(this.#cursor.offset);
        if (block === undefined) break;
        this.#block = block;
      }
      const block = this.#block;
      if (this.#cursor.record >= block.records.length) {
        this.#cursor = { offset: block.next, record: 0 };
        continue;
      }
      out.push(flumeEvent(block.records[this.#cursor.record]!, { [header]: this.#headerValue }));
      this.#cursor = { offset: block.offset, record: this.#cursor.record + 1 };
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
  }
}
