import type { ConnectionInfo } from '../../net/index.ts';
import type { ApiCodec, RequestHeader } from '../protocol/index.ts';

/** What a handler knows about the request besides its body. */
export interface RequestContext {
  readonly header: RequestHeader;
  readonly connection: ConnectionInfo;
}

/** A version range this broker answers for one API. */
export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * The broker side of one API: the versions it implements and the function that answers a decoded
 * request body with a response body (encoded by the router in the request's version).
 */
export interface ApiHandler extends ApiVersionRange {
  readonly name: string;
  /** The response body, or null to send no response at all (Produce with acks=0). */
  handle(request: unknown, ctx: RequestContext): unknown;
}

/** Ties a handler to its codec's request and response types. */
export function defineApiHandler<Req, Res>(
  codec: ApiCodec<Req, Res>,
  versions: { readonly minVersion: number; readonly maxVersion: number },
  handle: (request: Req, ctx: RequestContext) => Res | null | Promise<Res | null>,
): ApiHandler {
  if (versions.minVersion < codec.minVersion || versions.maxVersion > codec.maxVersion) {
    throw new RangeError(
      `${codec.name}: handler versions ${versions.minVersion}-${versions.maxVersion} exceed the codec's ${codec.minVersion}-${codec.maxVersion}`,
    );
  }
  return {
    apiKey: codec.apiKey,
    name: codec.name,
    minVersion: versions.minVersion,
    maxVersion: versions.maxVersion,
    handle: (request, ctx) => handle(request as Req, ctx),
  };
}
