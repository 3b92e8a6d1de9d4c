import { createRequire } from 'node:module';
import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { CorruptRecordError } from './log-errors.ts';

/*
 * The record batch codecs (attributes bits 0-2), used only where the log must look inside batches:
 * compaction and timestamp lookups. Appends and reads never decompress.
 */
export const CODEC_NONE = 0;
export const CODEC_GZIP = 1;
export const CODEC_SNAPPY = 2;
export const CODEC_LZ4 = 3;
export const CODEC_ZSTD = 4;

interface SnappyModule {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean }): string | Buffer;
}
interface Lz4Module {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}

const require = createRequire(import.meta.url);
let snappy: SnappyModule | null = null;
let lz4: Lz4Module | null = null;

function snappyModule(): SnappyModule {
  snappy ??= require('snappy') as SnappyModule;
  return snappy;
}

function lz4Module(): Lz4Module {
  lz4 ??= require('lz4-napi') as Lz4Module;
  return lz4;
}

/** The Java client's xerial snappy stream header: magic, version 1, compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** Block size the Java client uses when writing xerial framing. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

function snappyUncompress(data: Buffer): Buffer {
  const mod = snappyModule();
  if (!isXerial(data)) return mod.uncompressSync(data, { asBuffer: true }) as Buffer;
  const parts: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < data.length) {
    if (at + 4 > data.length) throw new CorruptRecordError('xerial snappy: truncated block length');
    const n = data.readInt32BE(at);
    at += 4;
    if (n < 0 || at + n > data.length) throw new CorruptRecordError('xerial snappy: block past the end');
    parts.push(mod.uncompressSync(data.subarray(at, at + n), { asBuffer: true }) as Buffer);
    at += n;
  }
  return Buffer.concat(parts);
}

function snappyCompressXerial(data: Buffer): Buffer {
  const mod = snappyModule();
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = mod.compressSync(data.subarray(at, Math.min(data.length, at + XERIAL_BLOCK_BYTES)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** Decompresses a batch's records section. Raises CorruptRecordError on undecodable input. */
export function decompressRecords(codec: number, data: Buffer): Buffer {
  try {
    switch (codec) {
      case CODEC_NONE:
        return data;
      case CODEC_GZIP:
        return gunzipSync(data);
      case CODEC_SNAPPY:
        return snappyUncompress(data);
      case CODEC_LZ4:
        return lz4Module().decompressFrameSync(data);
      case CODEC_ZSTD:
        return zstdDecompressSync(data);
      default:
        throw new CorruptRecordError(`unknown compression codec ${codec}`);
    }
  } catch (err) {
    if (err instanceof CorruptRecordError) throw err;
    throw new CorruptRecordError(`cannot decompress records (codec ${codec})`, { cause: err });
  }
}

/**
 * Compresses a records section with `codec`; `xerial` keeps the snappy framing the original used
 * (the Java client writes xerial, librdkafka raw blocks).
 */
export function compressRecords(codec: number, data: Buffer, xerial = false): Buffer {
  switch (codec) {
    case CODEC_NONE:
      return data;
    case CODEC_GZIP:
      return gzipSync(data);
    case CODEC_SNAPPY:
      return xerial ? snappyCompressXerial(data) : snappyModule().compressSync(data);
    case CODEC_LZ4:
      return lz4Module().compressFrameSync(data);
    case CODEC_ZSTD:
      return zstdCompressSync(data);
    default:
      throw new CorruptRecordError(`unknown compression codec ${codec}`);
  }
}

export function usesXerialFraming(codec: number, data: Buffer): boolean {
  return codec === CODEC_SNAPPY && isXerial(data);
}
