export { AssertionError, assert } from './assert.ts';
export { ByteReader } from './byte-reader.ts';
export { ByteWriter } from './byte-writer.ts';
export { type Crc32cFunction, crc32c, crc32cImplementation, crc32cNative, crc32cPure } from './crc32c.ts';
export { DecodeError, EncodeError, SluiceError } from './errors.ts';
