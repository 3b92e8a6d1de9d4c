export { AssertionError, assert } from './assert.ts';
export { ByteReader } from './byte-reader.ts';
export { ByteWriter } from './byte-writer.ts';
export { DecodeError, EncodeError, SluiceError } from './errors.ts';
