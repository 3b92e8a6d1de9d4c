/**
 * Kafka compression codecs for the records section of a batch (and legacy wrapper messages).
 *
 * id | codec  | format on the wire
 * ---+--------+---------------------------------------------------------------------------------
 *  0 | none   | bytes as they are
 *  1 | gzip   | gzip stream (RFC 1952), possibly several members
 *  2 | snappy | a raw snappy block, or xerial framing:
 *    |        |   magic 82 53 4E 41 50 50 59 00 | int32 version | int32 minCompatibleVersion
 *    |        |   then repeated { int32 BE blockLength | raw snappy block }
 *  3 | lz4    | LZ4 frame: magic 04 22 4D 18 | FLG | BD | [contentSize u64le] [dictId u32le] | HC
 *    |        |   then blocks { u32le size (bit 31 = stored) | data | [u32le block checksum] },
 *    |        |   end mark u32le 0, [u32le content checksum]
 *  4 | zstd   | zstd frame
 *
 * Decompression never trusts sizes written by the sender: every codec is capped at `maxBytes` of
 * output, and for snappy and lz4 the cap is checked against declared or provable sizes before the
 * native library allocates anything. Garbage input raises DecodeError with the library error as cause.
 */
import {
  gunzipSync,
  gzipSync,
  constants as zlibConstants,
  zstdCompressSync,
  zstdDecompressSync,
} from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompressSync, uncompressSync as snappyUncompressSync } from 'snappy';
import { assert } from './assert.ts';
import { DecodeError, EncodeError } from './errors.ts';

export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];
export type CompressionCodecName = keyof typeof CompressionCodec;

/** Codec names indexed by id, as used by the `compression.type` config key. */
export const COMPRESSION_CODEC_NAMES: readonly CompressionCodecName[] = [
  'none',
  'gzip',
  'snappy',
  'lz4',
  'zstd',
];

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= 0 && id <= 4;
}

/** Default cap on decompressed output: far above Kafka's 1 MiB default batch, far below memory trouble. */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

/** Block size the Java client's xerial SnappyOutputStream uses; we frame the same way when asked to. */
const XERIAL_BLOCK_BYTES = 32 * 1024;
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** A snappy copy element emits at most 64 bytes from 3 input bytes, so output <= 64/3 * input. */
const SNAPPY_EXPANSION_MAX = 22;

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
/** An LZ4 sequence adds at most 255 output bytes per input byte (match-length continuation bytes). */
const LZ4_EXPANSION_MAX = 255;

export interface CompressOptions {
  /** gzip: 0-9 (default 6 as in zlib); zstd: 1-22 (default 3). Ignored by snappy and lz4. */
  level?: number;
  /** snappy: `raw` (one block, default; what librdkafka and franz-go write) or `xerial` (the Java client). */
  snappyFraming?: 'raw' | 'xerial';
  /**
   * lz4: write the header checksum the way Kafka's magic v0 message format did (computed over the frame
   * magic as well, KAFKA-3160). Only for down-converting to v0 message sets.
   */
  lz4LegacyHeaderChecksum?: boolean;
}

export interface DecompressOptions {
  /** Output larger than this raises DecodeError. Default DECOMPRESSED_BYTES_MAX_DEFAULT. */
  maxBytes?: number;
  /** lz4: accept any frame header checksum (magic v0 message sets carry a wrong one, KAFKA-3160). */
  lz4IgnoreHeaderChecksum?: boolean;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Compresses `data` with `codec`. Codec 0 returns the input bytes (as a Buffer view, no copy). */
export function compress(codec: number, data: Uint8Array, options: CompressOptions = {}): Buffer {
  const input = asBuffer(data);
  try {
    switch (codec) {
      case CompressionCodec.none:
        return input;
      case CompressionCodec.gzip:
        return options.level === undefined ? gzipSync(input) : gzipSync(input, { level: options.level });
      case CompressionCodec.snappy:
        return options.snappyFraming === 'xerial' ? xerialCompress(input) : snappyCompressSync(input);
      case CompressionCodec.lz4: {
        const frame = compressFrameSync(input);
        if (options.lz4LegacyHeaderChecksum) stampLegacyLz4HeaderChecksum(frame);
        return frame;
      }
      case CompressionCodec.zstd:
        return options.level === undefined
          ? zstdCompressSync(input)
          : zstdCompressSync(input, { params: { [zlibConstants.ZSTD_c_compressionLevel]: options.level } });
      default:
        throw new EncodeError(`unknown compression codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof EncodeError) throw err;
    const name = COMPRESSION_CODEC_NAMES[codec] ?? String(codec);
    throw new EncodeError(`${name}: compression failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Decompresses `data` written with `codec`. Raises DecodeError on corrupt input, an unknown codec, or
 * output beyond `maxBytes`. Codec 0 returns the input bytes (no copy).
 */
export function decompress(codec: number, data: Uint8Array, options: DecompressOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT;
  assert(
    Number.isSafeInteger(maxBytes) && maxBytes >= 0,
    `maxBytes must be a non-negative integer: ${maxBytes}`,
  );
  const input = asBuffer(data);
  switch (codec) {
    case CompressionCodec.none:
      if (input.length > maxBytes) throw tooLarge('none', input.length, maxBytes);
      return input;
    case CompressionCodec.gzip:
      return zlibDecompress('gzip', gunzipSync, input, maxBytes);
    case CompressionCodec.snappy:
      return snappyDecompress(input, maxBytes);
    case CompressionCodec.lz4:
      return lz4Decompress(input, maxBytes, options.lz4IgnoreHeaderChecksum === true);
    case CompressionCodec.zstd:
      return zlibDecompress('zstd', zstdDecompressSync, input, maxBytes);
    default:
      throw new DecodeError(`unknown compression codec ${codec}`, 0);
  }
}

function tooLarge(codec: string, bytes: number, maxBytes: number, offset = 0): DecodeError {
  return new DecodeError(
    `${codec}: decompressed size ${bytes} exceeds the limit of ${maxBytes} bytes`,
    offset,
  );
}

function zlibDecompress(
  codec: string,
  fn: (buf: Buffer, options: { maxOutputLength: number }) => Buffer,
  input: Buffer,
  maxBytes: number,
): Buffer {
  let out: Buffer;
  try {
    // zlib stops inflating once the output passes maxOutputLength, so a bomb never materialises.
    out = fn(input, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(`${codec}: decompressed size exceeds the limit of ${maxBytes} bytes`, 0, {
        cause: err,
      });
    }
    throw new DecodeError(`${codec}: corrupt data: ${(err as Error).message}`, 0, { cause: err });
  }
  if (out.length > maxBytes) throw tooLarge(codec, out.length, maxBytes);
  return out;
}

// ---------------------------------------------------------------------------------------------
// snappy

/**
 * The snappy framing of a compressed payload: `xerial` when it starts with the Java client's stream
 * header, else `raw`. Lets a rewriter (the log cleaner) recompress the way the producer did.
 */
export function snappyFramingOf(data: Uint8Array): 'raw' | 'xerial' {
  const input = asBuffer(data);
  return input.length >= XERIAL_HEADER_BYTES && input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)
    ? 'xerial'
    : 'raw';
}

function xerialCompress(input: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (let at = 0; at < input.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappyCompressSync(input.subarray(at, at + XERIAL_BLOCK_BYTES));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** Uncompressed length from a raw snappy block's preamble (unsigned varint, at most 32 bits). */
function snappyDeclaredLength(block: Buffer, offset: number): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new DecodeError('snappy: truncated length preamble', offset + i);
    const b = block[i]!;
    result += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return result;
  }
  throw new DecodeError('snappy: length preamble longer than 5 bytes', offset);
}

/** Checks a raw block's declared size against the limit and its own length; returns the size. */
function checkSnappyBlock(block: Buffer, offset: number, maxBytes: number): number {
  const declared = snappyDeclaredLength(block, offset);
  if (declared > maxBytes) throw tooLarge('snappy', declared, maxBytes, offset);
  if (declared > block.length * SNAPPY_EXPANSION_MAX) {
    throw new DecodeError(`snappy: block of ${block.length} bytes cannot expand to ${declared}`, offset);
  }
  return declared;
}

function snappyBlock(block: Buffer, offset: number, declared: number): Buffer {
  let out: Buffer;
  try {
    out = snappyUncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw new DecodeError(`snappy: corrupt block: ${(err as Error).message}`, offset, { cause: err });
  }
  if (out.length !== declared) {
    throw new DecodeError(`snappy: block decoded to ${out.length} bytes, declared ${declared}`, offset);
  }
  return out;
}

function isXerial(input: Buffer): boolean {
  return input.length >= XERIAL_MAGIC.length && input.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  if (!isXerial(input)) return snappyBlock(input, 0, checkSnappyBlock(input, 0, maxBytes));
  if (input.length < XERIAL_HEADER_BYTES) throw new DecodeError('snappy: truncated xerial header', 0);
  // Pass 1: walk the framing and add up declared sizes, so nothing is inflated past the limit.
  const blocks: Array<{ block: Buffer; offset: number; declared: number }> = [];
  let total = 0;
  let at = XERIAL_HEADER_BYTES;
  while (at < input.length) {
    if (input.length - at < 4) throw new DecodeError('snappy: truncated xerial block length', at);
    const len = input.readInt32BE(at);
    if (len <= 0 || len > input.length - at - 4) {
      throw new DecodeError(
        `snappy: xerial block length ${len} invalid, ${input.length - at - 4} bytes left`,
        at,
      );
    }
    const offset = at + 4;
    const block = input.subarray(offset, offset + len);
    const declared = checkSnappyBlock(block, offset, maxBytes);
    total += declared;
    if (total > maxBytes) throw tooLarge('snappy', total, maxBytes, offset);
    blocks.push({ block, offset, declared });
    at = offset + len;
  }
  if (blocks.length === 1) {
    const only = blocks[0]!;
    return snappyBlock(only.block, only.offset, only.declared);
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const b of blocks) {
    pos += snappyBlock(b.block, b.offset, b.declared).copy(out, pos);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// lz4

interface Lz4Frame {
  start: number;
  end: number;
  /** Offset of the header checksum byte. */
  hcAt: number;
}

/**
 * Walks LZ4 frames (and skippable frames) without decompressing, bounding the output size from block
 * sizes: a stored block contributes its length, a compressed one at most min(blockMax, 255 * length).
 * Writers fill every block but the last, so the bound overshoots by less than one block; a bound up to
 * `maxBytes` plus one block is let through and the real size is checked after decompression. The
 * most memory a hostile frame can cost is therefore `maxBytes` + 4 MiB (the largest block size).
 */
function scanLz4(input: Buffer, maxBytes: number): Lz4Frame[] {
  const frames: Lz4Frame[] = [];
  let bound = 0;
  let pos = 0;
  const need = (at: number, n: number, what: string): void => {
    if (n > input.length - at) throw new DecodeError(`lz4: truncated ${what}`, at);
  };
  if (input.length === 0) throw new DecodeError('lz4: empty input', 0);
  while (pos < input.length) {
    need(pos, 4, 'frame magic');
    const magic = input.readUInt32LE(pos);
    if ((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      need(pos + 4, 4, 'skippable frame size');
      const size = input.readUInt32LE(pos + 4);
      need(pos + 8, size, 'skippable frame');
      pos += 8 + size;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) {
      throw new DecodeError(`lz4: bad frame magic 0x${magic.toString(16).padStart(8, '0')}`, pos);
    }
    need(pos + 4, 3, 'frame descriptor');
    const flg = input[pos + 4]!;
    const bd = input[pos + 5]!;
    if (flg >> 6 !== 1) throw new DecodeError(`lz4: unsupported frame version ${flg >> 6}`, pos + 4);
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) {
      throw new DecodeError('lz4: reserved descriptor bits set', pos + 4);
    }
    if ((flg & 0x01) !== 0) {
      throw new DecodeError('lz4: frames with a dictionary id are not supported', pos + 4);
    }
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const blockMaxCode = (bd >> 4) & 0x07;
    if (blockMaxCode < 4) {
      throw new DecodeError(`lz4: invalid block maximum size code ${blockMaxCode}`, pos + 5);
    }
    const blockMax = 1 << (8 + 2 * blockMaxCode);
    const hcAt = pos + 6 + (hasContentSize ? 8 : 0);
    need(pos, hcAt + 1 - pos, 'frame descriptor');
    if (hasContentSize) {
      const contentSize = input.readBigUInt64LE(pos + 6);
      if (contentSize > BigInt(maxBytes - bound)) {
        throw new DecodeError(
          `lz4: declared content size ${contentSize} exceeds the limit of ${maxBytes}`,
          pos,
        );
      }
    }
    let at = hcAt + 1;
    for (;;) {
      need(at, 4, 'block size');
      const word = input.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const stored = word >>> 31 === 1;
      const size = word & 0x7fffffff;
      if (size > blockMax) {
        throw new DecodeError(`lz4: block of ${size} bytes exceeds block maximum ${blockMax}`, at - 4);
      }
      need(at, size + (blockChecksum ? 4 : 0), 'block');
      bound += stored ? size : Math.min(blockMax, size * LZ4_EXPANSION_MAX);
      if (bound > maxBytes + blockMax) throw tooLarge('lz4', bound, maxBytes, at - 4);
      at += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      need(at, 4, 'content checksum');
      at += 4;
    }
    frames.push({ start: pos, end: at, hcAt });
    pos = at;
  }
  if (frames.length === 0) throw new DecodeError('lz4: no frame in input', 0);
  return frames;
}

function lz4Decompress(input: Buffer, maxBytes: number, ignoreHeaderChecksum: boolean): Buffer {
  const frames = scanLz4(input, maxBytes);
  const outputs: Buffer[] = [];
  let total = 0;
  for (const f of frames) {
    let frame = input.subarray(f.start, f.end);
    if (ignoreHeaderChecksum) {
      const hc = lz4HeaderChecksum(input.subarray(f.start + 4, f.hcAt));
      if (input[f.hcAt] !== hc) {
        frame = Buffer.from(frame);
        frame[f.hcAt - f.start] = hc;
      }
    }
    let out: Buffer;
    try {
      out = decompressFrameSync(frame);
    } catch (err) {
      throw new DecodeError(`lz4: corrupt frame: ${(err as Error).message}`, f.start, { cause: err });
    }
    total += out.length;
    if (total > maxBytes) throw tooLarge('lz4', total, maxBytes, f.start);
    outputs.push(out);
  }
  return outputs.length === 1 ? outputs[0]! : Buffer.concat(outputs, total);
}

/** The frame header checksum: second byte of xxHash32 (seed 0) over the descriptor (FLG..before HC). */
function lz4HeaderChecksum(descriptor: Uint8Array): number {
  return (xxh32(descriptor) >>> 8) & 0xff;
}

/** Rewrites HC the way Kafka's magic v0 writer did: hashed from the frame magic on. */
function stampLegacyLz4HeaderChecksum(frame: Buffer): void {
  const flg = frame[4]!;
  const hcAt = 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
  frame[hcAt] = (xxh32(frame.subarray(0, hcAt)) >>> 8) & 0xff;
}

const XXH_P1 = 0x9e3779b1;
const XXH_P2 = 0x85ebca77;
const XXH_P3 = 0xc2b2ae3d;
const XXH_P4 = 0x27d4eb2f;
const XXH_P5 = 0x165667b1;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function readU32LE(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function xxhRound(acc: number, lane: number): number {
  return Math.imul(rotl32((acc + Math.imul(lane, XXH_P2)) | 0, 13), XXH_P1);
}

/** xxHash32, used only for LZ4 frame header checksums (a handful of bytes). */
export function xxh32(b: Uint8Array, seed = 0): number {
  const n = b.length;
  let i = 0;
  let h: number;
  if (n >= 16) {
    let v1 = (seed + XXH_P1 + XXH_P2) | 0;
    let v2 = (seed + XXH_P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - XXH_P1) | 0;
    for (; i <= n - 16; i += 16) {
      v1 = xxhRound(v1, readU32LE(b, i));
      v2 = xxhRound(v2, readU32LE(b, i + 4));
      v3 = xxhRound(v3, readU32LE(b, i + 8));
      v4 = xxhRound(v4, readU32LE(b, i + 12));
    }
    h = (rotl32(v1, 1) + rotl32(v2, 7) + rotl32(v3, 12) + rotl32(v4, 18)) | 0;
  } else {
    h = (seed + XXH_P5) | 0;
  }
  h = (h + n) | 0;
  for (; i + 4 <= n; i += 4) h = Math.imul(rotl32((h + Math.imul(readU32LE(b, i), XXH_P3)) | 0, 17), XXH_P4);
  for (; i < n; i++) h = Math.imul(rotl32((h + Math.imul(b[i]!, XXH_P5)) | 0, 11), XXH_P1);
  h ^= h >>> 15;
  h = Math.imul(h, XXH_P2);
  h ^= h >>> 13;
  h = Math.imul(h, XXH_P3);
  h ^= h >>> 16;
  return h >>> 0;
}
