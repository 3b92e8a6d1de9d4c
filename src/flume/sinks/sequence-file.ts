import { randomBytes } from 'node:crypto';

/**
 * Hadoop's SequenceFile format (version 6, uncompressed), as Flume's HDFS sink writes it with
 * `hdfs.fileType = SequenceFile`: key `LongWritable` (the event's timestamp), value `BytesWritable`
 * (`hdfs.writeFormat = Writable`) or `Text` (`Text`).
 *
 *   header:  "SEQ" 6, keyClass, valueClass (Text strings), compress=0, blockCompress=0,
 *            metadata count int32 = 0, 16-byte sync marker
 *   record:  int32 record length, int32 key length, key bytes, value bytes
 *   sync:    int32 -1 and the marker, before a record once SYNC_INTERVAL bytes passed since the last
 */

export const SYNC_INTERVAL = 2000;
export type SequenceValueFormat = 'Writable' | 'Text';

const VALUE_CLASS: Record<SequenceValueFormat, string> = {
  Writable: 'org.apache.hadoop.io.BytesWritable',
  Text: 'org.apache.hadoop.io.Text',
};

/** Hadoop's WritableUtils.writeVLong encoding (zero-compressed, 1 to 9 bytes). */
export function encodeVLong(value: number): Buffer {
  if (value >= -112 && value <= 127) return Buffer.from([value & 0xff]);
  let i = BigInt(value);
  let len = -112;
  if (i < 0n) {
    i = ~i;
    len = -120;
  }
  for (let tmp = i; tmp !== 0n; tmp >>= 8n) len--;
  const bytes = len < -120 ? -(len + 120) : -(len + 112);
  const out = Buffer.alloc(1 + bytes);
  out.writeInt8(len, 0);
  for (let idx = bytes; idx !== 0; idx--) out[1 + bytes - idx] = Number((i >> BigInt((idx - 1) * 8)) & 0xffn);
  return out;
}

function text(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([encodeVLong(bytes.length), bytes]);
}

/** Builds the bytes of a SequenceFile piece by piece; the caller writes them out. */
export class SequenceFileEncoder {
  readonly sync: Buffer;
  readonly #format: SequenceValueFormat;
  /** Bytes produced so far (the file position) and the position of the last sync. */
  #position = 0;
  #lastSync = 0;

  constructor(format: SequenceValueFormat, sync: Buffer = randomBytes(16)) {
    this.#format = format;
    this.sync = sync;
  }

  header(): Buffer {
    const out = Buffer.concat([
      Buffer.from([0x53, 0x45, 0x51, 6]),
      text('org.apache.hadoop.io.LongWritable'),
      text(VALUE_CLASS[this.#format]),
      Buffer.from([0, 0, 0, 0, 0, 0]),
      this.sync,
    ]);
    this.#position += out.length;
    this.#lastSync = this.#position;
    return out;
  }

  /** One record (preceded by a sync escape when due). */
  record(timestamp: number, body: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (this.#position >= this.#lastSync + SYNC_INTERVAL) {
      const marker = Buffer.alloc(4);
      marker.writeInt32BE(-1);
      parts.push(marker, this.sync);
      this.#position += 20;
      this.#lastSync = this.#position;
    }
    const key = Buffer.alloc(8);
    key.writeBigInt64BE(BigInt(timestamp));
    let value: Buffer[];
    if (this.#format === 'Writable') {
      const len = Buffer.alloc(4);
      len.writeInt32BE(body.length);
      value = [len, body];
    } else value = [encodeVLong(body.length), body];
    const valueLength = value.reduce((n, b) => n + b.length, 0);
    const head = Buffer.alloc(8);
    head.writeInt32BE(key.length + valueLength, 0);
    head.writeInt32BE(key.length, 4);
    parts.push(head, key, ...value);
    this.#position += head.length + key.length + valueLength;
    return Buffer.concat(parts);
  }
}
