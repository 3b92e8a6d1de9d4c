import { crc32c } from '../../base/index.ts';

/*
 * On-disk format of the write-ahead log (see README.md for the full description).
 *
 * File header, FILE_HEADER_BYTES long:
 *   magic     4 bytes  "SLWL"
 *   version   uint16   1
 *   flags     uint16   0 (reserved)
 *   firstSeq  uint64   sequence number of the first record this file holds (matches the file name)
 *   crc       uint32   CRC-32C of the 16 bytes above
 *
 * Record frame, FRAME_HEADER_BYTES + length long, big-endian:
 *   length    uint32   payload bytes
 *   crc       uint32   CRC-32C of seq (8 bytes as stored) followed by the payload
 *   seq       uint64   the record's sequence number (always < 2^53, see SEQ_MAX)
 *   payload   length bytes
 *
 * Sequence numbers are dense: record n of a file has seq firstSeq + n, so a stale but well-formed
 * frame left behind by an earlier incarnation of the bytes can never pass as the next record.
 */

export const FILE_MAGIC = 0x534c574c; // "SLWL"
export const FILE_VERSION = 1;
export const FILE_HEADER_BYTES = 20;
export const FRAME_HEADER_BYTES = 16;

/**
 * Largest payload the format accepts, whatever `recordBytesMax` says at the moment: recovery checks
 * lengths against this constant (and the bytes left in the file), so lowering `recordBytesMax` later
 * never turns old, valid records into "corruption".
 */
export const RECORD_BYTES_LIMIT = 256 * 1024 * 1024;

/** Sequence numbers stay JavaScript-safe integers: 2^53 appends is ~285 years at 1M appends/s. */
export const SEQ_MAX = Number.MAX_SAFE_INTEGER;

const TWO_32 = 0x1_0000_0000;
const FILE_NAME_RE = /^wal-(\d{20})\.log$/;
export const TEMP_SUFFIX = '.tmp';

export function walFileName(firstSeq: number): string {
  return `wal-${String(firstSeq).padStart(20, '0')}.log`;
}

/** The first seq encoded in a log file name, or null if the name is not a log file's. */
export function parseWalFileName(name: string): number | null {
  const m = FILE_NAME_RE.exec(name);
  if (m === null) return null;
  const seq = Number(m[1]);
  return seq <= SEQ_MAX ? seq : null;
}

export function encodeFileHeader(firstSeq: number): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  b.writeUInt32BE(FILE_MAGIC, 0);
  b.writeUInt16BE(FILE_VERSION, 4);
  b.writeUInt16BE(0, 6);
  writeSeq(b, 8, firstSeq);
  b.writeUInt32BE(crc32c(b.subarray(0, 16)), 16);
  return b;
}

/** Validates a file header; returns its firstSeq or a reason string when it is not valid. */
export function decodeFileHeader(b: Buffer): { firstSeq: number } | { reason: string } {
  if (b.length < FILE_HEADER_BYTES) return { reason: `file header needs ${FILE_HEADER_BYTES} bytes` };
  if (b.readUInt32BE(0) !== FILE_MAGIC) return { reason: 'bad magic' };
  if (b.readUInt32BE(16) !== crc32c(b.subarray(0, 16))) return { reason: 'file header CRC mismatch' };
  const version = b.readUInt16BE(4);
  if (version !== FILE_VERSION) return { reason: `unsupported version ${version}` };
  const firstSeq = readSeq(b, 8);
  if (firstSeq === null) return { reason: 'first sequence number out of range' };
  return { firstSeq };
}

/**
 * Writes the frame header for a record of `payloadBytes` into `b` at `at` and returns its CRC. When
 * `payload` is null the payload pieces must already sit right after the header in `b`; otherwise
 * they are the pieces that will be written after it (the CRC chains over them without copying).
 */
export function writeFrameHeader(
  b: Buffer,
  at: number,
  seq: number,
  payloadBytes: number,
  payload: readonly Uint8Array[] | null,
): void {
  b.writeUInt32BE(payloadBytes, at);
  writeSeq(b, at + 8, seq);
  let crc: number;
  if (payload === null) crc = frameCrc(b, at + 8, payloadBytes);
  else {
    crc = crc32c(b.subarray(at + 8, at + 16));
    for (const piece of payload) crc = crc32c(piece, crc);
  }
  b.writeUInt32BE(crc, at + 4);
}

/** CRC of a frame whose seq and payload sit contiguously at `b[start .. start + 8 + length)`. */
export function frameCrc(b: Buffer, seqStart: number, payloadBytes: number): number {
  return crc32c(b.subarray(seqStart, seqStart + 8 + payloadBytes));
}

function writeSeq(b: Buffer, at: number, seq: number): void {
  b.writeUInt32BE(Math.floor(seq / TWO_32), at);
  b.writeUInt32BE(seq % TWO_32, at + 4);
}

/** Reads a stored uint64 seq; null when it is not below 2^53 (never written by this format). */
export function readSeq(b: Buffer, at: number): number | null {
  const hi = b.readUInt32BE(at);
  if (hi >= 0x20_0000) return null;
  return hi * TWO_32 + b.readUInt32BE(at + 4);
}
