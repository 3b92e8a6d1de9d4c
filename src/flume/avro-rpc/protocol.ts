import { createHash } from 'node:crypto';
import type { FlumeEvent } from '../api/event.ts';
import { AvroDecodeError, type AvroReader, type AvroWriter } from './avro-binary.ts';

/**
 * Flume's AvroSourceProtocol (flume-ng-sdk/src/main/avro/flume.avdl) and the Avro IPC messages
 * around it: handshake, call and response.
 */

const LICENSE_DOC = [
  '* Licensed to the Apache Software Foundation (ASF) under one',
  ' * or more contributor license agreements.  See the NOTICE file',
  ' * distributed with this work for additional information',
  ' * regarding copyright ownership.  The ASF licenses this file',
  ' * to you under the Apache License, Version 2.0 (the',
  ' * "License"); you may not use this file except in compliance',
  ' * with the License.  You may obtain a copy of the License at',
  ' *',
  ' * http://www.apache.org/licenses/LICENSE-2.0',
  ' *',
  ' * Unless required by applicable law or agreed to in writing,',
  ' * software distributed under the License is distributed on an',
  ' * "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY',
  ' * KIND, either express or implied.  See the License for the',
  ' * specific language governing permissions and limitations',
  ' * under the License.',
].join('\n');

/**
 * The protocol as Avro 1.11.0's IDL compiler (Flume 1.11's build) prints it: the file's leading
 * license comment becomes the protocol's `doc`, and Java's `Protocol.toString()` writes compact
 * JSON in this key order. Its MD5 is the hash a Java peer sends in the handshake; a peer whose
 * text differs still works, it just costs one NONE round trip where the protocols are exchanged.
 */
export const AVRO_SOURCE_PROTOCOL_JSON = JSON.stringify({
  protocol: 'AvroSourceProtocol',
  namespace: 'org.apache.flume.source.avro',
  doc: LICENSE_DOC,
  types: [
    { type: 'enum', name: 'Status', symbols: ['OK', 'FAILED', 'UNKNOWN'] },
    {
      type: 'record',
      name: 'AvroFlumeEvent',
      fields: [
        { name: 'headers', type: { type: 'map', values: 'string' } },
        { name: 'body', type: 'bytes' },
      ],
    },
  ],
  messages: {
    append: { request: [{ name: 'event', type: 'AvroFlumeEvent' }], response: 'Status' },
    appendBatch: {
      request: [{ name: 'events', type: { type: 'array', items: 'AvroFlumeEvent' } }],
      response: 'Status',
    },
  },
});

export const AVRO_SOURCE_PROTOCOL_MD5: Buffer = createHash('md5').update(AVRO_SOURCE_PROTOCOL_JSON).digest();

export const STATUSES = ['OK', 'FAILED', 'UNKNOWN'] as const;
export type Status = (typeof STATUSES)[number];

export const MATCHES = ['BOTH', 'CLIENT', 'NONE'] as const;
export type HandshakeMatch = (typeof MATCHES)[number];

export type Meta = Map<string, Buffer>;

export interface HandshakeRequest {
  readonly clientHash: Buffer;
  readonly clientProtocol: string | null;
  readonly serverHash: Buffer;
  readonly meta: Meta | null;
}

export interface HandshakeResponse {
  readonly match: HandshakeMatch;
  readonly serverProtocol: string | null;
  readonly serverHash: Buffer | null;
  readonly meta: Meta | null;
}

export type MessageName = 'append' | 'appendBatch';

export interface CallRequest {
  readonly meta: Meta;
  /** The message name as sent (an unknown one is answered with an error response). */
  readonly message: string;
  /** `append`'s event, or `appendBatch`'s events; empty for an unknown message. */
  readonly events: readonly FlumeEvent[];
}

export type CallResponse =
  | { readonly meta: Meta; readonly error: false; readonly status: Status }
  | { readonly meta: Meta; readonly error: true; readonly message: string };

// --- Handshake ----------------------------------------------------------------------------------

function writeMeta(w: AvroWriter, meta: Meta | null): void {
  if (meta === null) w.long(0);
  else w.long(1).bytesMap(meta);
}

function readMeta(r: AvroReader): Meta | null {
  return r.index(2, 'meta union') === 0 ? null : r.bytesMap();
}

function writeNullableString(w: AvroWriter, s: string | null): void {
  if (s === null) w.long(0);
  else w.long(1).string(s);
}

function readNullableString(r: AvroReader, what: string): string | null {
  return r.index(2, what) === 0 ? null : r.string();
}

export function writeHandshakeRequest(w: AvroWriter, h: HandshakeRequest): void {
  w.fixed(md5Bytes(h.clientHash, 'clientHash'));
  writeNullableString(w, h.clientProtocol);
  w.fixed(md5Bytes(h.serverHash, 'serverHash'));
  writeMeta(w, h.meta);
}

export function readHandshakeRequest(r: AvroReader): HandshakeRequest {
  const clientHash = Buffer.from(r.fixed(16));
  const clientProtocol = readNullableString(r, 'clientProtocol union');
  const serverHash = Buffer.from(r.fixed(16));
  return { clientHash, clientProtocol, serverHash, meta: readMeta(r) };
}

export function writeHandshakeResponse(w: AvroWriter, h: HandshakeResponse): void {
  w.long(MATCHES.indexOf(h.match));
  writeNullableString(w, h.serverProtocol);
  if (h.serverHash === null) w.long(0);
  else w.long(1).fixed(md5Bytes(h.serverHash, 'serverHash'));
  writeMeta(w, h.meta);
}

export function readHandshakeResponse(r: AvroReader): HandshakeResponse {
  const match = MATCHES[r.index(MATCHES.length, 'match enum')]!;
  const serverProtocol = readNullableString(r, 'serverProtocol union');
  const serverHash = r.index(2, 'serverHash union') === 0 ? null : Buffer.from(r.fixed(16));
  return { match, serverProtocol, serverHash, meta: readMeta(r) };
}

function md5Bytes(b: Buffer, what: string): Buffer {
  if (b.length !== 16) throw new RangeError(`${what} must be 16 bytes, got ${b.length}`);
  return b;
}

// --- Calls --------------------------------------------------------------------------------------

export function writeEvent(w: AvroWriter, e: FlumeEvent): void {
  w.stringMap(e.headers).bytes(e.body);
}

export function readEvent(r: AvroReader): FlumeEvent {
  const headers = r.stringMap();
  return { headers, body: Buffer.from(r.bytes()) };
}

export function writeCallRequest(w: AvroWriter, c: CallRequest): void {
  w.bytesMap(c.meta).string(c.message);
  if (c.message === 'append') {
    const e = c.events[0];
    if (e === undefined || c.events.length !== 1) throw new RangeError('append carries exactly one event');
    writeEvent(w, e);
  } else if (c.message === 'appendBatch') {
    if (c.events.length > 0) {
      w.long(c.events.length);
      for (const e of c.events) writeEvent(w, e);
    }
    w.long(0);
  } else {
    throw new RangeError(`AvroSourceProtocol has no message ${c.message}`);
  }
}

/** Reads a call; the parameters of an unknown message are left unread (the answer is an error). */
export function readCallRequest(r: AvroReader): CallRequest {
  const meta = r.bytesMap();
  const message = r.string();
  const events: FlumeEvent[] = [];
  if (message === 'append') events.push(readEvent(r));
  // An event takes at least two bytes (empty map, empty body).
  else if (message === 'appendBatch') r.blocks(2, () => events.push(readEvent(r)));
  return { meta, message, events };
}

export function writeCallResponse(w: AvroWriter, c: CallResponse): void {
  w.bytesMap(c.meta).boolean(c.error);
  // Undeclared errors travel as the system error union, whose only branch is a string.
  if (c.error) w.long(0).string(c.message);
  else w.long(STATUSES.indexOf(c.status));
}

export function readCallResponse(r: AvroReader): CallResponse {
  const meta = r.bytesMap();
  if (r.boolean()) {
    r.index(1, 'error union');
    return { meta, error: true, message: r.string() };
  }
  return { meta, error: false, status: STATUSES[r.index(STATUSES.length, 'Status enum')]! };
}

/** Throws unless the reader consumed the whole message. */
export function expectEnd(r: AvroReader): void {
  if (r.remaining !== 0) throw new AvroDecodeError(`${r.remaining} trailing bytes at byte ${r.pos}`);
}
