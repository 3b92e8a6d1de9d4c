import { ByteReader, ByteWriter, DecodeError, EncodeError } from '../../base/index.ts';
import type { ApiCodec } from './api.ts';
import { apiCodecByKey } from './messages/apis.generated.ts';
import type { RequestHeader } from './messages/request-header.generated.ts';
import {
  decodeRequestHeader as decodeRequestHeaderVersion,
  encodeRequestHeader,
} from './messages/request-header.generated.ts';
import {
  decodeResponseHeader as decodeResponseHeaderVersion,
  encodeResponseHeader,
} from './messages/response-header.generated.ts';

/**
 * Framing of Kafka requests and responses: `int32 size` + header + body. The header version follows
 * from the api key and version (flexible versions use request header v2 / response header v1), with
 * two exceptions: ApiVersions responses always use header v0 (clients parse it before they know the
 * broker's versions), and ControlledShutdown v0 requests use header v0 (no client id).
 *
 * Request header: api_key int16, api_version int16, correlation_id int32,
 *   client_id NULLABLE_STRING (v1+, int16 length even in v2), tagged fields (v2+).
 * Response header: correlation_id int32, tagged fields (v1+).
 */

export type { RequestHeader };

const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

/** The request header version a client uses for this api key and version. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  const codec = apiCodecByKey(apiKey);
  if (codec === undefined) return 1;
  return codec.flexibleMin !== null && apiVersion >= codec.flexibleMin ? 2 : 1;
}

/** The response header version a broker uses for this api key and version. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === API_VERSIONS_KEY) return 0;
  const codec = apiCodecByKey(apiKey);
  if (codec === undefined) return 0;
  return codec.flexibleMin !== null && apiVersion >= codec.flexibleMin ? 1 : 0;
}

/**
 * Reads a request header, choosing its version from the api key and version it starts with. Unknown
 * apis and versions are not an error here: the header layout does not depend on the body.
 */
export function decodeRequestHeader(r: ByteReader): RequestHeader {
  r.need(4, 'request header');
  const apiKey = r.buf.readInt16BE(r.offset);
  const apiVersion = r.buf.readInt16BE(r.offset + 2);
  return decodeRequestHeaderVersion(r, requestHeaderVersion(apiKey, apiVersion));
}

/**
 * A decoded request frame. `status` tells whether the body could be decoded: `unknown-api` (no codec
 * for the key) and `unsupported-version` (version outside the codec's range) leave `body` undefined
 * so the caller can answer UNSUPPORTED_VERSION (for ApiVersions, a v0 response) or close.
 */
export type DecodedRequest =
  | {
      readonly status: 'ok';
      readonly header: RequestHeader;
      readonly codec: ApiCodec;
      readonly body: unknown;
    }
  | {
      readonly status: 'unsupported-version';
      readonly header: RequestHeader;
      readonly codec: ApiCodec;
      readonly body: undefined;
    }
  | {
      readonly status: 'unknown-api';
      readonly header: RequestHeader;
      readonly codec: undefined;
      readonly body: undefined;
    };

/**
 * Decodes a request frame (without its 4-byte size prefix). Raises DecodeError when the header is
 * malformed, or when the body of a known api/version is malformed or does not fill the frame exactly.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const r = new ByteReader(frame);
  const header = decodeRequestHeader(r);
  const codec = apiCodecByKey(header.requestApiKey);
  if (codec === undefined) return { status: 'unknown-api', header, codec, body: undefined };
  const version = header.requestApiVersion;
  if (version < codec.minVersion || version > codec.maxVersion) {
    return { status: 'unsupported-version', header, codec, body: undefined };
  }
  const body = codec.decodeRequest(r, version);
  r.expectEnd(`${codec.name} request v${version}`);
  return { status: 'ok', header, codec, body };
}

function knownCodec(apiKey: number, apiVersion: number): ApiCodec {
  const codec = apiCodecByKey(apiKey);
  if (codec === undefined) throw new EncodeError(`unknown api key ${apiKey}`);
  if (apiVersion < codec.minVersion || apiVersion > codec.maxVersion) {
    throw new EncodeError(`${codec.name} v${apiVersion} is not supported`);
  }
  return codec;
}

/** Encodes a response as size-prefixed chunks, ready for `socket.writev`/`cork`+`write`. */
export function encodeResponseFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
): Buffer[] {
  const codec = knownCodec(apiKey, apiVersion);
  const w = new ByteWriter();
  const setSize = w.reserveInt32();
  encodeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  codec.encodeResponse(w, apiVersion, body);
  setSize(w.length - 4);
  return w.toChunks();
}

/** Encodes a request as size-prefixed chunks (client side: tools, tests, inter-broker calls). */
export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer[] {
  const codec = knownCodec(apiKey, apiVersion);
  const w = new ByteWriter();
  const setSize = w.reserveInt32();
  encodeRequestHeader(w, requestHeaderVersion(apiKey, apiVersion), {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId,
  });
  codec.encodeRequest(w, apiVersion, body);
  setSize(w.length - 4);
  return w.toChunks();
}

/**
 * Decodes a response frame (without its size prefix) for the request it answers (client side). The
 * body must fill the frame exactly.
 */
export function decodeResponse(
  frame: Buffer,
  apiKey: number,
  apiVersion: number,
): { correlationId: number; body: unknown } {
  const codec = apiCodecByKey(apiKey);
  const r = new ByteReader(frame);
  if (codec === undefined) throw new DecodeError(`unknown api key ${apiKey}`, 0);
  if (apiVersion < codec.minVersion || apiVersion > codec.maxVersion) {
    throw new DecodeError(`${codec.name} v${apiVersion} is not supported`, 0);
  }
  const header = decodeResponseHeaderVersion(r, responseHeaderVersion(apiKey, apiVersion));
  const body = codec.decodeResponse(r, apiVersion);
  r.expectEnd(`${codec.name} response v${apiVersion}`);
  return { correlationId: header.correlationId, body };
}
