/**
 * Legacy message sets, magic v0 and v1 (Kafka ≤ 0.10 clients; Produce v0-v2, Fetch v0-v3).
 *
 * MessageSet => [offset int64 | messageSize int32 | Message]        (entries back to back, no count)
 * Message v0 => crc uint32 | magic int8 = 0 | attributes int8 | key bytes | value bytes
 * Message v1 => crc uint32 | magic int8 = 1 | attributes int8 | timestamp int64 | key bytes | value bytes
 *   crc: CRC-32 (IEEE) over magic .. end of message
 *   attributes: bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4), bit 3 timestampType (v1, 1 = LogAppendTime)
 *   bytes: int32 length, -1 = null
 *
 * Compression wraps a whole message set in the value of one "wrapper" message whose offset is the
 * offset of the last inner message. Inner offsets are absolute in v0 and relative (0, 1, ...) in v1
 * (KIP-31), where inner absolute offset = wrapperOffset - lastInnerOffset + innerOffset. With v1 and
 * LogAppendTime, every inner message takes the wrapper's timestamp. lz4 wrappers of magic v0 carry a
 * frame header checksum computed the wrong way (KAFKA-3160), which the reader ignores.
 *
 * Sluice reads these (an old client's data is converted, not rejected) and writes them only to
 * down-convert for old consumers and for tests.
 */
import { crc32 } from 'node:zlib';
import {
  ByteReader,
  type CompressionCodec,
  type CompressOptions,
  compress,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  DecodeError,
  decompress,
  EncodeError,
} from '../../base/index.ts';
import { encodeRecordBatch, type RecordInput, type TimestampType } from './record-batch.ts';

export interface LegacyRecord {
  /** Absolute offset (inner v1 offsets already resolved). */
  offset: bigint;
  magic: 0 | 1;
  /** Attributes of the (inner) message itself. */
  attributes: number;
  /** Codec of the wrapper the message came in, 0 when it was not compressed. */
  compression: CompressionCodec;
  /** null for magic v0, which has no timestamp. */
  timestampType: TimestampType | null;
  /** -1n for magic v0. */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface DecodeLegacyMessageSetOptions {
  /** Stop quietly at an incomplete final message (Fetch v0-v3 responses may end with one). */
  allowPartialTrailing?: boolean;
  /** Cap on all decompressed bytes of the set together (default DECOMPRESSED_BYTES_MAX_DEFAULT). */
  maxBytes?: number;
  /** Check each message's CRC-32 (default true). */
  verifyCrc?: boolean;
}

const LOG_OVERHEAD_BYTES = 12;
const MESSAGE_BYTES_MIN = [14, 22] as const;
const ATTR_CODEC_MASK = 0x07;
const ATTR_LOG_APPEND_TIME = 0x08;

interface ParsedMessage {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** Absolute position of the message in the buffer it was parsed from, for error messages. */
  at: number;
}

/** Parses one level of a message set: entries back to back until the end (or a tolerated partial tail). */
function parseLevel(buf: Buffer, allowPartial: boolean, verifyCrc: boolean): ParsedMessage[] {
  const out: ParsedMessage[] = [];
  const r: ByteReader = new ByteReader(buf);
  while (r.remaining > 0) {
    const at = r.offset;
    if (r.remaining < LOG_OVERHEAD_BYTES) {
      if (allowPartial) break;
      r.fail(`message set: truncated entry header (${r.remaining} bytes left)`);
    }
    const offset = r.int64();
    const size = r.int32();
    if (size < MESSAGE_BYTES_MIN[0]) {
      r.fail(`message set: message size ${size} below ${MESSAGE_BYTES_MIN[0]}`);
    }
    if (size > r.remaining) {
      if (allowPartial) break;
      r.fail(`message set: message size ${size} but ${r.remaining} bytes left`);
    }
    const end = r.offset + size;
    const m: ByteReader = new ByteReader(buf, r.offset, end);
    const crc = m.uint32();
    const magic = m.int8();
    if (magic !== 0 && magic !== 1) m.fail(`message: magic ${magic}, expected 0 or 1`);
    if (size < MESSAGE_BYTES_MIN[magic]) {
      m.fail(`message: size ${size} below ${MESSAGE_BYTES_MIN[magic]} for v${magic}`);
    }
    if (verifyCrc) {
      const actual = crc32(buf.subarray(m.offset - 1, end));
      if (actual !== crc) {
        throw new DecodeError(
          `message: CRC mismatch, stored 0x${crc.toString(16)} computed 0x${actual.toString(16)}`,
          at,
        );
      }
    }
    const attributes = m.int8();
    const timestamp = magic === 1 ? m.int64() : -1n;
    const key = m.nullableBytes();
    const value = m.nullableBytes();
    m.expectEnd('message');
    out.push({ offset, magic, attributes, timestamp, key, value, at });
    r.offset = end;
  }
  return out;
}

/**
 * Decodes a v0/v1 message set into its records, unwrapping compressed wrapper messages. DecodeError on any
 * malformed input, a v2 batch inside, nested compression or a CRC mismatch.
 */
export function decodeLegacyMessageSet(
  buf: Buffer,
  options: DecodeLegacyMessageSetOptions = {},
): LegacyRecord[] {
  const verifyCrc = options.verifyCrc !== false;
  let budget = options.maxBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
  const records: LegacyRecord[] = [];
  for (const w of parseLevel(buf, options.allowPartialTrailing === true, verifyCrc)) {
    const codec = w.attributes & ATTR_CODEC_MASK;
    const timestampType: TimestampType | null =
      w.magic === 0 ? null : w.attributes & ATTR_LOG_APPEND_TIME ? 'LogAppendTime' : 'CreateTime';
    if (codec === 0) {
      records.push({ ...plain(w), compression: 0, timestampType });
      continue;
    }
    if (codec > 3) throw new DecodeError(`message: codec ${codec} not allowed with magic ${w.magic}`, w.at);
    if (w.value === null) throw new DecodeError('message: compressed wrapper without a value', w.at);
    const inner = decompress(codec, w.value, { maxBytes: budget, lz4IgnoreHeaderChecksum: w.magic === 0 });
    budget -= inner.length;
    const messages = parseLevel(inner, false, verifyCrc);
    const last = messages.at(-1);
    if (last === undefined) throw new DecodeError('message: compressed wrapper holds no messages', w.at);
    const base = w.magic === 1 ? w.offset - last.offset : 0n;
    for (const m of messages) {
      if ((m.attributes & ATTR_CODEC_MASK) !== 0) {
        throw new DecodeError('message: compressed message nested inside a compressed wrapper', w.at);
      }
      const logAppend = timestampType === 'LogAppendTime';
      records.push({
        ...plain(m),
        offset: base + m.offset,
        compression: codec as CompressionCodec,
        timestampType: m.magic === 0 ? null : logAppend ? 'LogAppendTime' : 'CreateTime',
        timestamp: m.magic === 0 ? -1n : logAppend ? w.timestamp : m.timestamp,
      });
    }
  }
  return records;
}

function plain(m: ParsedMessage): Omit<LegacyRecord, 'compression' | 'timestampType'> {
  return {
    offset: m.offset,
    magic: m.magic,
    attributes: m.attributes,
    timestamp: m.timestamp,
    key: m.key,
    value: m.value,
  };
}

export interface LegacyRecordInput {
  /** Default: baseOffset + index. */
  offset?: bigint | number;
  /** v1 only; default -1. */
  timestamp?: bigint | number;
  key?: Uint8Array | null;
  value?: Uint8Array | null;
}

export interface EncodeLegacyMessageSetInput {
  magic: 0 | 1;
  /** 0 none, 1 gzip, 2 snappy, 3 lz4 (zstd does not exist for v0/v1). */
  compression?: 0 | 1 | 2 | 3;
  /** v1 only. With LogAppendTime, the wrapper (or each uncompressed message) carries the flag. */
  timestampType?: TimestampType;
  baseOffset?: bigint | number;
  records: readonly LegacyRecordInput[];
  compressOptions?: CompressOptions;
}

function bigintMax(values: readonly bigint[]): bigint {
  let max = values[0]!;
  for (const v of values) if (v > max) max = v;
  return max;
}

function int64(v: bigint | number, what: string): bigint {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`${what} is not a safe integer: ${v}`);
    return BigInt(v);
  }
  if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn) {
    throw new EncodeError(`${what} out of int64 range: ${v}`);
  }
  return v;
}

/** One message set entry: offset, size, crc, and the message body. */
function encodeMessage(
  offset: bigint,
  magic: 0 | 1,
  attributes: number,
  timestamp: bigint,
  key: Uint8Array | null,
  value: Uint8Array | null,
): Buffer {
  const size = MESSAGE_BYTES_MIN[magic] + (key?.length ?? 0) + (value?.length ?? 0);
  if (size > 0x7fffffff) throw new EncodeError(`message of ${size} bytes is too large`);
  const out = Buffer.allocUnsafe(LOG_OVERHEAD_BYTES + size);
  out.writeBigInt64BE(offset, 0);
  out.writeInt32BE(size, 8);
  let at = 16;
  out.writeInt8(magic, at++);
  out.writeInt8(attributes, at++);
  if (magic === 1) {
    out.writeBigInt64BE(timestamp, at);
    at += 8;
  }
  for (const field of [key, value]) {
    if (field === null) {
      out.writeInt32BE(-1, at);
      at += 4;
    } else {
      out.writeInt32BE(field.length, at);
      out.set(field, at + 4);
      at += 4 + field.length;
    }
  }
  out.writeUInt32BE(crc32(out.subarray(16)), 12);
  return out;
}

/** Encodes records as a v0/v1 message set, compressed into one wrapper message when a codec is given. */
export function encodeLegacyMessageSet(input: EncodeLegacyMessageSetInput): Buffer {
  const { magic, records } = input;
  if (magic !== 0 && magic !== 1) throw new EncodeError(`legacy message set: magic ${String(magic)}`);
  const codec = input.compression ?? 0;
  if (codec < 0 || codec > 3) throw new EncodeError(`legacy message set: codec ${codec} not allowed`);
  const logAppend = magic === 1 && input.timestampType === 'LogAppendTime' ? ATTR_LOG_APPEND_TIME : 0;
  const base = int64(input.baseOffset ?? 0, 'baseOffset');
  const offsets = records.map((r, i) =>
    r.offset === undefined ? base + BigInt(i) : int64(r.offset, 'offset'),
  );
  const timestamps = records.map((r) => (magic === 1 ? int64(r.timestamp ?? -1, 'timestamp') : -1n));
  if (codec === 0) {
    return Buffer.concat(
      records.map((r, i) =>
        encodeMessage(offsets[i]!, magic, logAppend, timestamps[i]!, r.key ?? null, r.value ?? null),
      ),
    );
  }
  if (records.length === 0) return Buffer.alloc(0);
  const inner = Buffer.concat(
    records.map((r, i) =>
      encodeMessage(
        magic === 1 ? BigInt(i) : offsets[i]!,
        magic,
        0,
        timestamps[i]!,
        r.key ?? null,
        r.value ?? null,
      ),
    ),
  );
  const packed = compress(codec, inner, { ...input.compressOptions, lz4LegacyHeaderChecksum: magic === 0 });
  const maxTimestamp = bigintMax(timestamps);
  return encodeMessage(offsets.at(-1)!, magic, codec | logAppend, maxTimestamp, null, packed);
}

export interface ConvertLegacyOptions {
  /** Codec of the new batch (default 0: Kafka re-compresses with the topic's codec anyway). */
  compression?: CompressionCodec;
  partitionLeaderEpoch?: number;
  /**
   * Offset deltas 0, 1, 2... whatever offsets the messages carry (default false: deltas from the
   * first message's offset). A producer's offsets mean nothing: the broker assigns them, as Kafka
   * does when it converts an old producer's messages.
   */
  sequentialOffsets?: boolean;
  /** Timestamp type of the new batch (default: the first record's, CreateTime for magic 0). */
  timestampType?: TimestampType;
}

/**
 * Up-converts decoded legacy records to one v2 batch (what a broker stores for an old producer):
 * baseOffset and baseTimestamp from the first record, deltas from there, no producer id. Magic 0
 * records keep their missing timestamp (-1, NO_TIMESTAMP). Offsets must span less than 2^31.
 */
export function convertLegacyToBatch(
  records: readonly LegacyRecord[],
  options: ConvertLegacyOptions = {},
): Buffer {
  const first = records[0];
  if (first === undefined) throw new EncodeError('convertLegacyToBatch: no records');
  const sequential = options.sequentialOffsets === true;
  const converted: RecordInput[] = records.map((r, index) => {
    const offsetDelta = sequential ? BigInt(index) : r.offset - first.offset;
    if (offsetDelta < 0n || offsetDelta > 0x7fffffffn) {
      throw new EncodeError(`convertLegacyToBatch: offset ${r.offset} not within 2^31 after ${first.offset}`);
    }
    return {
      offsetDelta: Number(offsetDelta),
      timestampDelta: Number(r.timestamp - first.timestamp),
      key: r.key,
      value: r.value,
    };
  });
  const maxTimestamp = bigintMax(records.map((r) => r.timestamp));
  return encodeRecordBatch({
    baseOffset: sequential ? 0 : first.offset,
    ...(options.partitionLeaderEpoch === undefined
      ? {}
      : { partitionLeaderEpoch: options.partitionLeaderEpoch }),
    compression: options.compression ?? 0,
    timestampType:
      options.timestampType ?? (first.timestampType === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime'),
    baseTimestamp: first.timestamp,
    maxTimestamp,
    records: converted,
  });
}
