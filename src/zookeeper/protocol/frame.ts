/**
 * ZooKeeper packets after the handshake. Every packet, in both directions, is `int32 length |
 * payload`; the functions here take a frame (the payload, without the length) or return the
 * length-prefixed chunks ready for `socket.writev`.
 *
 *   request       := RequestHeader{xid int, type int} body(type)
 *   reply         := ReplyHeader{xid int, zxid long, err int} [body(type) when err = 0]
 *   notification  := ReplyHeader{-1, zxid, 0} WatcherEvent{type, state, path}
 *   multi body    := (MultiHeader{type, done=false, err} op)* MultiHeader{-1, true, -1}
 *
 * A request body must fill its frame exactly. A reply with err ≠ 0 carries no body, as ZooKeeper
 * sends it; multi and multiRead instead answer err 0 with one result per operation.
 */
import { ByteReader, ByteWriter, DecodeError, EncodeError } from '../../base/index.ts';
import { OpCode } from './op-codes.ts';
import type {
  AddWatchRequest,
  AuthPacket,
  CheckVersionRequest,
  CheckWatchesRequest,
  Create2Response,
  CreateRequest,
  CreateResponse,
  CreateTTLRequest,
  DeleteRequest,
  ErrorResponse,
  ExistsRequest,
  ExistsResponse,
  GetACLRequest,
  GetACLResponse,
  GetAllChildrenNumberRequest,
  GetAllChildrenNumberResponse,
  GetChildren2Request,
  GetChildren2Response,
  GetChildrenRequest,
  GetChildrenResponse,
  GetDataRequest,
  GetDataResponse,
  GetEphemeralsRequest,
  GetEphemeralsResponse,
  GetSASLRequest,
  ReconfigRequest,
  RemoveWatchesRequest,
  ReplyHeader,
  SetACLRequest,
  SetACLResponse,
  SetDataRequest,
  SetDataResponse,
  SetSASLResponse,
  SetWatches,
  SetWatches2,
  SyncRequest,
  SyncResponse,
  WatcherEvent,
  WhoAmIResponse,
} from './records.generated.ts';
import {
  decodeAddWatchRequest,
  decodeAuthPacket,
  decodeCheckVersionRequest,
  decodeCheckWatchesRequest,
  decodeCreate2Response,
  decodeCreateRequest,
  decodeCreateResponse,
  decodeCreateTTLRequest,
  decodeDeleteRequest,
  decodeErrorResponse,
  decodeExistsRequest,
  decodeExistsResponse,
  decodeGetACLRequest,
  decodeGetACLResponse,
  decodeGetAllChildrenNumberRequest,
  decodeGetAllChildrenNumberResponse,
  decodeGetChildren2Request,
  decodeGetChildren2Response,
  decodeGetChildrenRequest,
  decodeGetChildrenResponse,
  decodeGetDataRequest,
  decodeGetDataResponse,
  decodeGetEphemeralsRequest,
  decodeGetEphemeralsResponse,
  decodeGetSASLRequest,
  decodeMultiHeader,
  decodeReconfigRequest,
  decodeRemoveWatchesRequest,
  decodeReplyHeader,
  decodeRequestHeader,
  decodeSetACLRequest,
  decodeSetACLResponse,
  decodeSetDataRequest,
  decodeSetDataResponse,
  decodeSetSASLResponse,
  decodeSetWatches,
  decodeSetWatches2,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeWatcherEvent,
  decodeWhoAmIResponse,
  encodeAddWatchRequest,
  encodeAuthPacket,
  encodeCheckVersionRequest,
  encodeCheckWatchesRequest,
  encodeCreate2Response,
  encodeCreateRequest,
  encodeCreateResponse,
  encodeCreateTTLRequest,
  encodeDeleteRequest,
  encodeErrorResponse,
  encodeExistsRequest,
  encodeExistsResponse,
  encodeGetACLRequest,
  encodeGetACLResponse,
  encodeGetAllChildrenNumberRequest,
  encodeGetAllChildrenNumberResponse,
  encodeGetChildren2Request,
  encodeGetChildren2Response,
  encodeGetChildrenRequest,
  encodeGetChildrenResponse,
  encodeGetDataRequest,
  encodeGetDataResponse,
  encodeGetEphemeralsRequest,
  encodeGetEphemeralsResponse,
  encodeGetSASLRequest,
  encodeMultiHeader,
  encodeReconfigRequest,
  encodeRemoveWatchesRequest,
  encodeReplyHeader,
  encodeRequestHeader,
  encodeSetACLRequest,
  encodeSetACLResponse,
  encodeSetDataRequest,
  encodeSetDataResponse,
  encodeSetSASLResponse,
  encodeSetWatches,
  encodeSetWatches2,
  encodeSyncRequest,
  encodeSyncResponse,
  encodeWatcherEvent,
  encodeWhoAmIResponse,
} from './records.generated.ts';
import { Xid } from './special-xids.ts';

/**
 * jute.maxbuffer's default (0xfffff bytes): ZooKeeper closes a connection whose packet length is
 * negative or larger, and the Java client refuses larger replies.
 */
export const JUTE_MAX_BUFFER_DEFAULT = 0xfffff;

/** Checks a packet's length prefix; a DecodeError means "close the connection" ("Len error"). */
export function checkFrameLength(length: number, maxBytes: number = JUTE_MAX_BUFFER_DEFAULT): void {
  if (!Number.isInteger(length) || length < 0 || length > maxBytes) {
    throw new DecodeError(`packet length ${length} outside [0, ${maxBytes}] (jute.maxbuffer)`, 0);
  }
}

function checkFrame(frame: Buffer, maxBytes: number): void {
  if (frame.length > maxBytes) {
    throw new DecodeError(`packet of ${frame.length} bytes exceeds jute.maxbuffer ${maxBytes}`, 0);
  }
}

interface BodyCodec<T> {
  decode(r: ByteReader): T;
  encode(w: ByteWriter, m: T): void;
}

/** Operations without a body (ping, closeSession, whoAmI requests; delete, setWatches... replies). */
const empty: BodyCodec<null> = {
  decode: () => null,
  encode: (_w, m) => {
    if (m !== null) throw new EncodeError('this operation has no body: pass null');
  },
};

function codec<T>(decode: (r: ByteReader) => T, encode: (w: ByteWriter, m: T) => void): BodyCodec<T> {
  return { decode, encode };
}

// ---- multi ----

/**
 * An operation inside multi (create*, delete, setData, check) or multiRead (getChildren, getData).
 * Decoding accepts every listed type in both, as ZooKeeper's own deserializer does; the server
 * rejects a read inside multi or a write inside multiRead.
 */
export type MultiOp =
  | {
      type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer;
      body: CreateRequest;
    }
  | { type: typeof OpCode.createTTL; body: CreateTTLRequest }
  | { type: typeof OpCode.delete | typeof OpCode.deleteContainer; body: DeleteRequest }
  | { type: typeof OpCode.setData; body: SetDataRequest }
  | { type: typeof OpCode.check; body: CheckVersionRequest }
  | { type: typeof OpCode.getChildren; body: GetChildrenRequest }
  | { type: typeof OpCode.getData; body: GetDataRequest };

export interface MultiRequest {
  ops: MultiOp[];
}

/**
 * One result of multi/multiRead. A failed operation is `{type: error, body: {err}}`; in a failed
 * multi every result is an error (0 before the failing op, its code, then RUNTIMEINCONSISTENCY).
 */
export type MultiResult =
  | { type: typeof OpCode.create; body: CreateResponse }
  | {
      type: typeof OpCode.create2 | typeof OpCode.createContainer | typeof OpCode.createTTL;
      body: Create2Response;
    }
  | { type: typeof OpCode.delete | typeof OpCode.deleteContainer | typeof OpCode.check; body: null }
  | { type: typeof OpCode.setData; body: SetDataResponse }
  | { type: typeof OpCode.getChildren; body: GetChildrenResponse }
  | { type: typeof OpCode.getData; body: GetDataResponse }
  | { type: typeof OpCode.error; body: ErrorResponse };

export interface MultiResponse {
  results: MultiResult[];
}

const multiOpCodecs = new Map<number, BodyCodec<never>>([
  [OpCode.create, codec(decodeCreateRequest, encodeCreateRequest)],
  [OpCode.create2, codec(decodeCreateRequest, encodeCreateRequest)],
  [OpCode.createContainer, codec(decodeCreateRequest, encodeCreateRequest)],
  [OpCode.createTTL, codec(decodeCreateTTLRequest, encodeCreateTTLRequest)],
  [OpCode.delete, codec(decodeDeleteRequest, encodeDeleteRequest)],
  [OpCode.deleteContainer, codec(decodeDeleteRequest, encodeDeleteRequest)],
  [OpCode.setData, codec(decodeSetDataRequest, encodeSetDataRequest)],
  [OpCode.check, codec(decodeCheckVersionRequest, encodeCheckVersionRequest)],
  [OpCode.getChildren, codec(decodeGetChildrenRequest, encodeGetChildrenRequest)],
  [OpCode.getData, codec(decodeGetDataRequest, encodeGetDataRequest)],
] as [number, BodyCodec<never>][]);

const multiResultCodecs = new Map<number, BodyCodec<never>>([
  [OpCode.create, codec(decodeCreateResponse, encodeCreateResponse)],
  [OpCode.create2, codec(decodeCreate2Response, encodeCreate2Response)],
  [OpCode.createContainer, codec(decodeCreate2Response, encodeCreate2Response)],
  [OpCode.createTTL, codec(decodeCreate2Response, encodeCreate2Response)],
  [OpCode.delete, empty],
  [OpCode.deleteContainer, empty],
  [OpCode.check, empty],
  [OpCode.setData, codec(decodeSetDataResponse, encodeSetDataResponse)],
  [OpCode.getChildren, codec(decodeGetChildrenResponse, encodeGetChildrenResponse)],
  [OpCode.getData, codec(decodeGetDataResponse, encodeGetDataResponse)],
  [OpCode.error, codec(decodeErrorResponse, encodeErrorResponse)],
] as [number, BodyCodec<never>][]);

const END_OF_MULTI = { type: -1, done: true, err: -1 };

function decodeMultiRequest(r: ByteReader): MultiRequest {
  const ops: MultiOp[] = [];
  // Each pass consumes a 9-byte header, so the loop ends within the frame.
  for (;;) {
    const h = decodeMultiHeader(r);
    if (h.done) return { ops };
    const c = multiOpCodecs.get(h.type);
    if (c === undefined) r.fail(`multi: operation type ${h.type} is not allowed`);
    ops.push({ type: h.type, body: c.decode(r) } as MultiOp);
  }
}

function encodeMultiRequest(w: ByteWriter, m: MultiRequest): void {
  for (const op of m.ops) {
    const c = multiOpCodecs.get(op.type);
    if (c === undefined) throw new EncodeError(`multi: operation type ${op.type} is not allowed`);
    encodeMultiHeader(w, { type: op.type, done: false, err: -1 });
    c.encode(w, op.body as never);
  }
  encodeMultiHeader(w, END_OF_MULTI);
}

/** A result's MultiHeader.err is read but not kept: an error result carries its code in the body. */
function decodeMultiResponse(r: ByteReader): MultiResponse {
  const results: MultiResult[] = [];
  for (;;) {
    const h = decodeMultiHeader(r);
    if (h.done) return { results };
    const c = multiResultCodecs.get(h.type);
    if (c === undefined) r.fail(`multi: result type ${h.type} is not known`);
    results.push({ type: h.type, body: c.decode(r) } as MultiResult);
  }
}

function encodeMultiResponse(w: ByteWriter, m: MultiResponse): void {
  for (const result of m.results) {
    const c = multiResultCodecs.get(result.type);
    if (c === undefined) throw new EncodeError(`multi: result type ${result.type} is not known`);
    const err = result.type === OpCode.error ? result.body.err : 0;
    encodeMultiHeader(w, { type: result.type, done: false, err });
    c.encode(w, result.body as never);
  }
  encodeMultiHeader(w, END_OF_MULTI);
}

// ---- requests ----

/** The request body of each opcode a client may send after the handshake. */
export interface RequestBodies {
  [OpCode.create]: CreateRequest;
  [OpCode.delete]: DeleteRequest;
  [OpCode.exists]: ExistsRequest;
  [OpCode.getData]: GetDataRequest;
  [OpCode.setData]: SetDataRequest;
  [OpCode.getACL]: GetACLRequest;
  [OpCode.setACL]: SetACLRequest;
  [OpCode.getChildren]: GetChildrenRequest;
  [OpCode.sync]: SyncRequest;
  [OpCode.ping]: null;
  [OpCode.getChildren2]: GetChildren2Request;
  [OpCode.check]: CheckVersionRequest;
  [OpCode.multi]: MultiRequest;
  [OpCode.create2]: CreateRequest;
  [OpCode.reconfig]: ReconfigRequest;
  [OpCode.checkWatches]: CheckWatchesRequest;
  [OpCode.removeWatches]: RemoveWatchesRequest;
  [OpCode.createContainer]: CreateRequest;
  [OpCode.createTTL]: CreateTTLRequest;
  [OpCode.multiRead]: MultiRequest;
  [OpCode.auth]: AuthPacket;
  [OpCode.setWatches]: SetWatches;
  [OpCode.sasl]: GetSASLRequest;
  [OpCode.getEphemerals]: GetEphemeralsRequest;
  [OpCode.getAllChildrenNumber]: GetAllChildrenNumberRequest;
  [OpCode.setWatches2]: SetWatches2;
  [OpCode.addWatch]: AddWatchRequest;
  [OpCode.whoAmI]: null;
  [OpCode.closeSession]: null;
}

export type RequestType = keyof RequestBodies;

/** A decoded request; narrow on `type` to get the body's type. */
export type ZooRequest = {
  [K in RequestType]: { known: true; xid: number; type: K; body: RequestBodies[K] };
}[RequestType];

/** A request whose opcode is not one clients send (ZooKeeper closes such a connection). */
export interface UnknownRequest {
  known: false;
  xid: number;
  type: number;
}

const requestCodecs = new Map<number, BodyCodec<never>>([
  [OpCode.create, codec(decodeCreateRequest, encodeCreateRequest)],
  [OpCode.delete, codec(decodeDeleteRequest, encodeDeleteRequest)],
  [OpCode.exists, codec(decodeExistsRequest, encodeExistsRequest)],
  [OpCode.getData, codec(decodeGetDataRequest, encodeGetDataRequest)],
  [OpCode.setData, codec(decodeSetDataRequest, encodeSetDataRequest)],
  [OpCode.getACL, codec(decodeGetACLRequest, encodeGetACLRequest)],
  [OpCode.setACL, codec(decodeSetACLRequest, encodeSetACLRequest)],
  [OpCode.getChildren, codec(decodeGetChildrenRequest, encodeGetChildrenRequest)],
  [OpCode.sync, codec(decodeSyncRequest, encodeSyncRequest)],
  [OpCode.ping, empty],
  [OpCode.getChildren2, codec(decodeGetChildren2Request, encodeGetChildren2Request)],
  [OpCode.check, codec(decodeCheckVersionRequest, encodeCheckVersionRequest)],
  [OpCode.multi, codec(decodeMultiRequest, encodeMultiRequest)],
  [OpCode.create2, codec(decodeCreateRequest, encodeCreateRequest)],
  [OpCode.reconfig, codec(decodeReconfigRequest, encodeReconfigRequest)],
  [OpCode.checkWatches, codec(decodeCheckWatchesRequest, encodeCheckWatchesRequest)],
  [OpCode.removeWatches, codec(decodeRemoveWatchesRequest, encodeRemoveWatchesRequest)],
  [OpCode.createContainer, codec(decodeCreateRequest, encodeCreateRequest)],
  [OpCode.createTTL, codec(decodeCreateTTLRequest, encodeCreateTTLRequest)],
  [OpCode.multiRead, codec(decodeMultiRequest, encodeMultiRequest)],
  [OpCode.auth, codec(decodeAuthPacket, encodeAuthPacket)],
  [OpCode.setWatches, codec(decodeSetWatches, encodeSetWatches)],
  [OpCode.sasl, codec(decodeGetSASLRequest, encodeGetSASLRequest)],
  [OpCode.getEphemerals, codec(decodeGetEphemeralsRequest, encodeGetEphemeralsRequest)],
  [OpCode.getAllChildrenNumber, codec(decodeGetAllChildrenNumberRequest, encodeGetAllChildrenNumberRequest)],
  [OpCode.setWatches2, codec(decodeSetWatches2, encodeSetWatches2)],
  [OpCode.addWatch, codec(decodeAddWatchRequest, encodeAddWatchRequest)],
  [OpCode.whoAmI, empty],
  [OpCode.closeSession, empty],
] as [number, BodyCodec<never>][]);

/** The opcodes with a request codec, ascending. */
export const REQUEST_TYPES: readonly RequestType[] = Object.freeze(
  [...requestCodecs.keys()].sort((a, b) => a - b) as RequestType[],
);

/**
 * Decodes a request frame (server side). An opcode clients do not send is reported, not thrown, so
 * the server decides what to do; a known body must fill the frame exactly.
 */
export function decodeRequest(
  frame: Buffer,
  maxBytes: number = JUTE_MAX_BUFFER_DEFAULT,
): ZooRequest | UnknownRequest {
  checkFrame(frame, maxBytes);
  const r = new ByteReader(frame);
  const { xid, type } = decodeRequestHeader(r);
  const c = requestCodecs.get(type);
  if (c === undefined) return { known: false, xid, type };
  const body = c.decode(r);
  r.expectEnd(`request type ${type}`);
  return { known: true, xid, type, body } as ZooRequest;
}

/** Encodes a request as length-prefixed chunks (client side). */
export function encodeRequest<K extends RequestType>(xid: number, type: K, body: RequestBodies[K]): Buffer[] {
  const c = requestCodecs.get(type);
  if (c === undefined) throw new EncodeError(`no request codec for type ${type}`);
  const w = new ByteWriter();
  const setLength = w.reserveInt32();
  encodeRequestHeader(w, { xid, type });
  c.encode(w, body as never);
  setLength(w.length - 4);
  return w.toChunks();
}

// ---- responses ----

/** The reply body of each opcode when err is 0. */
export interface ResponseBodies {
  [OpCode.create]: CreateResponse;
  [OpCode.delete]: null;
  [OpCode.exists]: ExistsResponse;
  [OpCode.getData]: GetDataResponse;
  [OpCode.setData]: SetDataResponse;
  [OpCode.getACL]: GetACLResponse;
  [OpCode.setACL]: SetACLResponse;
  [OpCode.getChildren]: GetChildrenResponse;
  [OpCode.sync]: SyncResponse;
  [OpCode.ping]: null;
  [OpCode.getChildren2]: GetChildren2Response;
  /** ZooKeeper answers a lone check with a SetDataResponse. */
  [OpCode.check]: SetDataResponse;
  [OpCode.multi]: MultiResponse;
  [OpCode.create2]: Create2Response;
  /** The new /zookeeper/config data and stat. */
  [OpCode.reconfig]: GetDataResponse;
  [OpCode.checkWatches]: null;
  [OpCode.removeWatches]: null;
  [OpCode.createContainer]: Create2Response;
  [OpCode.createTTL]: Create2Response;
  [OpCode.multiRead]: MultiResponse;
  [OpCode.auth]: null;
  [OpCode.setWatches]: null;
  [OpCode.sasl]: SetSASLResponse;
  [OpCode.getEphemerals]: GetEphemeralsResponse;
  [OpCode.getAllChildrenNumber]: GetAllChildrenNumberResponse;
  [OpCode.setWatches2]: null;
  /** Not in the IDL: ZooKeeper (3.6+) answers addWatch with an ErrorResponse{err: 0} body. */
  [OpCode.addWatch]: ErrorResponse;
  [OpCode.whoAmI]: WhoAmIResponse;
  [OpCode.closeSession]: null;
}

export type ResponseType = keyof ResponseBodies;

/** A decoded reply (client side); `body` is null when err ≠ 0. */
export type ZooResponse = {
  [K in ResponseType]: { xid: number; zxid: bigint; err: number; type: K; body: ResponseBodies[K] | null };
}[ResponseType];

const responseCodecs = new Map<number, BodyCodec<never>>([
  [OpCode.create, codec(decodeCreateResponse, encodeCreateResponse)],
  [OpCode.delete, empty],
  [OpCode.exists, codec(decodeExistsResponse, encodeExistsResponse)],
  [OpCode.getData, codec(decodeGetDataResponse, encodeGetDataResponse)],
  [OpCode.setData, codec(decodeSetDataResponse, encodeSetDataResponse)],
  [OpCode.getACL, codec(decodeGetACLResponse, encodeGetACLResponse)],
  [OpCode.setACL, codec(decodeSetACLResponse, encodeSetACLResponse)],
  [OpCode.getChildren, codec(decodeGetChildrenResponse, encodeGetChildrenResponse)],
  [OpCode.sync, codec(decodeSyncResponse, encodeSyncResponse)],
  [OpCode.ping, empty],
  [OpCode.getChildren2, codec(decodeGetChildren2Response, encodeGetChildren2Response)],
  [OpCode.check, codec(decodeSetDataResponse, encodeSetDataResponse)],
  [OpCode.multi, codec(decodeMultiResponse, encodeMultiResponse)],
  [OpCode.create2, codec(decodeCreate2Response, encodeCreate2Response)],
  [OpCode.reconfig, codec(decodeGetDataResponse, encodeGetDataResponse)],
  [OpCode.checkWatches, empty],
  [OpCode.removeWatches, empty],
  [OpCode.createContainer, codec(decodeCreate2Response, encodeCreate2Response)],
  [OpCode.createTTL, codec(decodeCreate2Response, encodeCreate2Response)],
  [OpCode.multiRead, codec(decodeMultiResponse, encodeMultiResponse)],
  [OpCode.auth, empty],
  [OpCode.setWatches, empty],
  [OpCode.sasl, codec(decodeSetSASLResponse, encodeSetSASLResponse)],
  [OpCode.getEphemerals, codec(decodeGetEphemeralsResponse, encodeGetEphemeralsResponse)],
  [
    OpCode.getAllChildrenNumber,
    codec(decodeGetAllChildrenNumberResponse, encodeGetAllChildrenNumberResponse),
  ],
  [OpCode.setWatches2, empty],
  [OpCode.addWatch, codec(decodeErrorResponse, encodeErrorResponse)],
  [OpCode.whoAmI, codec(decodeWhoAmIResponse, encodeWhoAmIResponse)],
  [OpCode.closeSession, empty],
] as [number, BodyCodec<never>][]);

/**
 * Encodes a reply as length-prefixed chunks (server side). When `err` ≠ 0 only the header is sent
 * and `body` is ignored (pass null).
 */
export function encodeResponse<K extends ResponseType>(
  xid: number,
  zxid: bigint,
  err: number,
  type: K,
  body: ResponseBodies[K] | null,
): Buffer[] {
  const c = responseCodecs.get(type);
  if (c === undefined) throw new EncodeError(`no response codec for type ${type}`);
  const w = new ByteWriter();
  const setLength = w.reserveInt32();
  encodeReplyHeader(w, { xid, zxid, err });
  if (err === 0) {
    if (body === null && c !== empty) throw new EncodeError(`type ${type}: a reply with err 0 needs a body`);
    c.encode(w, body as never);
  }
  setLength(w.length - 4);
  return w.toChunks();
}

/** The xid of a reply frame, to tell notifications, pings and auth replies from answers. */
export function peekXid(frame: Buffer): number {
  return new ByteReader(frame).int32();
}

/**
 * Decodes a reply to a request of `type` (client side). The body must fill the frame; a reply with
 * err ≠ 0 must be the header alone.
 */
export function decodeResponse<K extends ResponseType>(
  frame: Buffer,
  type: K,
  maxBytes: number = JUTE_MAX_BUFFER_DEFAULT,
): ZooResponse & { type: K } {
  checkFrame(frame, maxBytes);
  const c = responseCodecs.get(type);
  if (c === undefined) throw new DecodeError(`no response codec for type ${type}`, 0);
  const r = new ByteReader(frame);
  const header: ReplyHeader = decodeReplyHeader(r);
  const body = header.err === 0 ? c.decode(r) : null;
  r.expectEnd(`reply to type ${type}`);
  return { ...header, type, body } as ZooResponse & { type: K };
}

// ---- notifications ----

/** Encodes a watch notification: ReplyHeader{-1, zxid, 0} + WatcherEvent, length-prefixed. */
export function encodeNotification(zxid: bigint, event: WatcherEvent): Buffer[] {
  const w = new ByteWriter();
  const setLength = w.reserveInt32();
  encodeReplyHeader(w, { xid: Xid.notification, zxid, err: 0 });
  encodeWatcherEvent(w, event);
  setLength(w.length - 4);
  return w.toChunks();
}

/** Decodes a notification frame (client side); its xid must be -1. */
export function decodeNotification(frame: Buffer): { zxid: bigint; event: WatcherEvent } {
  const r = new ByteReader(frame);
  const header = decodeReplyHeader(r);
  if (header.xid !== Xid.notification) r.fail(`notification: xid ${header.xid}, expected -1`);
  const event = decodeWatcherEvent(r);
  r.expectEnd('notification');
  return { zxid: header.zxid, event };
}
