export { AssertionError, assert } from './assert.ts';
export { ByteReader } from './byte-reader.ts';
export { ByteWriter } from './byte-writer.ts';
export {
  COMPRESSION_CODEC_NAMES,
  CompressionCodec,
  type CompressionCodecName,
  type CompressOptions,
  compress,
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  type DecompressOptions,
  decompress,
  isCompressionCodec,
  snappyFramingOf,
  xxh32,
} from './compression.ts';
export { type Crc32cFunction, crc32c, crc32cImplementation, crc32cNative, crc32cPure } from './crc32c.ts';
export { DecodeError, EncodeError, SluiceError } from './errors.ts';
