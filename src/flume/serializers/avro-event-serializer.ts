import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { compressSync } from 'snappy';
import type { FlumeEvent } from '../api/event.ts';
import type { EventSerializer } from './event-serializer.ts';

export type AvroCodec = 'null' | 'deflate' | 'snappy';

/** The record Flume's `avro_event` serializer writes (FlumeEventAvroEventSerializer). */
export const FLUME_EVENT_SCHEMA = {
  type: 'record',
  name: 'Event',
  fields: [
    { name: 'headers', type: { type: 'map', values: 'string' } },
    { name: 'body', type: 'bytes' },
  ],
} as const;

const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const eventType = avro.Type.forSchema(FLUME_EVENT_SCHEMA as unknown as avro.Schema);
const metaType = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const longType = avro.Type.forSchema('long');

/**
 * Flume's `avro_event` serializer: an Avro object container file (magic, metadata with
 * `avro.schema` and `avro.codec`, a 16-byte sync marker, then blocks) whose records are
 * `{headers: map<string>, body: bytes}`. A block is closed once it holds `syncIntervalBytes` of
 * records and at the end of every batch (Flume's flush), so each synced batch ends on a block.
 * Codecs as Avro's spec: `deflate` is raw DEFLATE, `snappy` a Snappy block plus the big-endian
 * CRC-32 of the uncompressed data.
 */
export class AvroEventSerializer implements EventSerializer {
  readonly sync: Buffer;
  readonly #codec: AvroCodec;
  readonly #syncIntervalBytes: number;

  constructor(options: { codec: AvroCodec; syncIntervalBytes: number; sync?: Buffer }) {
    this.#codec = options.codec;
    this.#syncIntervalBytes = options.syncIntervalBytes;
    this.sync = options.sync ?? randomBytes(16);
  }

  header(): Buffer {
    const meta = metaType.toBuffer({
      'avro.schema': Buffer.from(JSON.stringify(FLUME_EVENT_SCHEMA), 'utf8'),
      'avro.codec': Buffer.from(this.#codec, 'utf8'),
    });
    return Buffer.concat([MAGIC, meta, this.sync]);
  }

  encode(events: readonly FlumeEvent[]): Buffer {
    const out: Buffer[] = [];
    let records: Buffer[] = [];
    let size = 0;
    for (const e of events) {
      const r = eventType.toBuffer({ headers: e.headers, body: e.body });
      records.push(r);
      size += r.length;
      if (size >= this.#syncIntervalBytes) {
        out.push(this.#block(records));
        records = [];
        size = 0;
      }
    }
    if (records.length > 0) out.push(this.#block(records));
    return Buffer.concat(out);
  }

  trailer(): Buffer {
    return Buffer.alloc(0);
  }

  #block(records: Buffer[]): Buffer {
    const raw = Buffer.concat(records);
    let data: Buffer;
    if (this.#codec === 'deflate') data = deflateRawSync(raw);
    else if (this.#codec === 'snappy') {
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(raw) >>> 0);
      data = Buffer.concat([compressSync(raw), crc]);
    } else data = raw;
    return Buffer.concat([
      longType.toBuffer(records.length),
      longType.toBuffer(data.length),
      data,
      this.sync,
    ]);
  }
}
