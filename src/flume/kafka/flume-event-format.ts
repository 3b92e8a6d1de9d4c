import { SluiceError } from '../../base/index.ts';
import type { FlumeEvent } from '../api/event.ts';

/**
 * Flume's AvroFlumeEvent (`org.apache.flume.source.avro.AvroFlumeEvent`): what the Kafka sink
 * writes with useFlumeEventFormat=true, the Kafka source reads with the same key, and the Kafka
 * channel stores with parseAsFlumeEvent=true. A bare Avro binary datum, no container or schema
 * fingerprint: a map<string> of headers, then the body as bytes.
 */
export const AVRO_FLUME_EVENT_SCHEMA = {
  type: 'record',
  name: 'AvroFlumeEvent',
  namespace: 'org.apache.flume.source.avro',
  fields: [
    { name: 'headers', type: { type: 'map', values: 'string' } },
    { name: 'body', type: 'bytes' },
  ],
} as const;

export class FlumeEventFormatError extends SluiceError {
  constructor(message: string) {
    super('FLUME_EVENT_FORMAT', message);
  }
}

/** Avro's zig-zag varint `long`, as written by Avro's binary encoder. */
function writeLong(out: number[], value: number): void {
  let n = BigInt(value);
  n = n >= 0n ? n << 1n : (-n << 1n) - 1n;
  while (n >= 0x80n) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
}

export function encodeAvroFlumeEvent(event: FlumeEvent): Buffer {
  const parts: Buffer[] = [];
  const prefix = (n: number) => {
    const b: number[] = [];
    writeLong(b, n);
    parts.push(Buffer.from(b));
  };
  const entries = Object.entries(event.headers);
  if (entries.length > 0) {
    prefix(entries.length);
    for (const [k, v] of entries) {
      const kb = Buffer.from(k, 'utf8');
      const vb = Buffer.from(v, 'utf8');
      prefix(kb.length);
      parts.push(kb);
      prefix(vb.length);
      parts.push(vb);
    }
  }
  prefix(0);
  prefix(event.body.length);
  parts.push(event.body);
  return Buffer.concat(parts);
}

/**
 * Decodes one AvroFlumeEvent datum. Written by hand rather than with avsc so hostile input cannot
 * make it loop: every count and length is checked against the bytes left before anything is read.
 * Anything but exactly one datum (truncated, trailing bytes, negative sizes) is a FlumeEventFormatError.
 */
export function decodeAvroFlumeEvent(data: Buffer): FlumeEvent {
  let pos = 0;
  const fail = (what: string): never => {
    throw new FlumeEventFormatError(`not an AvroFlumeEvent: ${what} at byte ${pos}`);
  };
  const readLong = (): number => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= data.length) fail('truncated varint');
      if (shift > 63n) fail('varint longer than 10 bytes');
      const b = data[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    const decoded = (result >> 1n) ^ -(result & 1n);
    if (decoded > BigInt(Number.MAX_SAFE_INTEGER) || decoded < BigInt(Number.MIN_SAFE_INTEGER)) {
      fail('size out of range');
    }
    return Number(decoded);
  };
  const readBytes = (): Buffer => {
    const n = readLong();
    if (n < 0) fail(`negative length ${n}`);
    if (n > data.length - pos) fail(`length ${n} beyond the end`);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const headers: Record<string, string> = {};
  for (;;) {
    let count = readLong();
    if (count === 0) break;
    if (count < 0) {
      // A negative block count is followed by the block's size in bytes (Avro's skippable blocks).
      count = -count;
      readLong();
    }
    // Each entry needs at least two bytes (two empty strings), so a count the input cannot hold is
    // refused before looping.
    if (count > (data.length - pos) / 2) fail(`map block of ${count} entries beyond the end`);
    for (let i = 0; i < count; i++) {
      const k = readBytes().toString('utf8');
      const v = readBytes().toString('utf8');
      // `__proto__` from the wire must stay a plain header, not replace the prototype.
      Object.defineProperty(headers, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  const body = Buffer.from(readBytes());
  if (pos !== data.length) fail(`${data.length - pos} trailing bytes`);
  return { headers, body };
}
