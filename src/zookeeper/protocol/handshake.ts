/**
 * The session handshake: the first packet on a connection, with no RequestHeader/ReplyHeader.
 *
 *   ConnectRequest  := protocolVersion int | lastZxidSeen long | timeOut int | sessionId long |
 *                      passwd buffer | [readOnly boolean]        (44 or 45 bytes with a 16-byte passwd)
 *   ConnectResponse := protocolVersion int | timeOut int | sessionId long | passwd buffer |
 *                      [readOnly boolean]                        (36 or 37 bytes)
 *
 * `readOnly` was added to the IDL in 3.9, but clients since 3.4 send it; older ones (and
 * node-zookeeper-client) do not. Its presence is read from the bytes left after `passwd`, and the
 * server must answer in the form the client used (`hasReadOnly`).
 */
import { ByteReader, ByteWriter } from '../../base/index.ts';
import { checkFrameLength, JUTE_MAX_BUFFER_DEFAULT } from './frame.ts';
import { readBuffer, writeBuffer } from './jute.ts';
import type { ConnectRequest, ConnectResponse } from './records.generated.ts';

export interface Handshake<T> {
  /** The record; `readOnly` is false when the field was absent. */
  message: T;
  /** Whether the trailing `readOnly` byte was on the wire. */
  hasReadOnly: boolean;
}

function readTrailingReadOnly(r: ByteReader, what: string): boolean | null {
  if (r.remaining === 0) return null;
  const readOnly = r.boolean();
  r.expectEnd(what);
  return readOnly;
}

/** Decodes a ConnectRequest frame (server side). */
export function decodeConnectRequest(
  frame: Buffer,
  maxBytes: number = JUTE_MAX_BUFFER_DEFAULT,
): Handshake<ConnectRequest> {
  checkFrameLength(frame.length, maxBytes);
  const r = new ByteReader(frame);
  const protocolVersion = r.int32();
  const lastZxidSeen = r.int64();
  const timeOut = r.int32();
  const sessionId = r.int64();
  const passwd = readBuffer(r);
  const readOnly = readTrailingReadOnly(r, 'ConnectRequest');
  return {
    message: { protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly: readOnly ?? false },
    hasReadOnly: readOnly !== null,
  };
}

/** Encodes a ConnectRequest, length-prefixed (client side). */
export function encodeConnectRequest(m: ConnectRequest, hasReadOnly: boolean): Buffer[] {
  const w = new ByteWriter(64);
  const setLength = w.reserveInt32();
  w.int32(m.protocolVersion);
  w.int64(m.lastZxidSeen);
  w.int32(m.timeOut);
  w.int64(m.sessionId);
  writeBuffer(w, m.passwd);
  if (hasReadOnly) w.boolean(m.readOnly);
  setLength(w.length - 4);
  return w.toChunks();
}

/** Encodes a ConnectResponse, length-prefixed, in the form the client's request used (server side). */
export function encodeConnectResponse(m: ConnectResponse, hasReadOnly: boolean): Buffer[] {
  const w = new ByteWriter(64);
  const setLength = w.reserveInt32();
  w.int32(m.protocolVersion);
  w.int32(m.timeOut);
  w.int64(m.sessionId);
  writeBuffer(w, m.passwd);
  if (hasReadOnly) w.boolean(m.readOnly);
  setLength(w.length - 4);
  return w.toChunks();
}

/** Decodes a ConnectResponse frame (client side). `timeOut <= 0` means the session expired. */
export function decodeConnectResponse(
  frame: Buffer,
  maxBytes: number = JUTE_MAX_BUFFER_DEFAULT,
): Handshake<ConnectResponse> {
  checkFrameLength(frame.length, maxBytes);
  const r = new ByteReader(frame);
  const protocolVersion = r.int32();
  const timeOut = r.int32();
  const sessionId = r.int64();
  const passwd = readBuffer(r);
  const readOnly = readTrailingReadOnly(r, 'ConnectResponse');
  return {
    message: { protocolVersion, timeOut, sessionId, passwd, readOnly: readOnly ?? false },
    hasReadOnly: readOnly !== null,
  };
}
