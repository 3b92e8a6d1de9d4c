import {
  type ApiVersionsRequest,
  type ApiVersionsResponse,
  apiVersionsApi,
  defaultApiVersionsResponse,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, type ApiVersionRange, defineApiHandler } from '../api-handler.ts';

/**
 * ApiVersions (key 18), v0-4.
 *
 * Lists exactly the version ranges this broker implements. v3+ requests carry the client's
 * software name and version, which Kafka validates (INVALID_REQUEST when malformed). A request
 * for a version above 4 is not parsed at all: the router answers it with
 * `unsupportedApiVersionsResponse` in a v0 response (KIP-511), so the client retries lower.
 * The response header is always v0, even for flexible versions (handled by the frame codec).
 */
export const API_VERSIONS_VERSIONS = { minVersion: 0, maxVersion: 4 } as const;

/** Kafka's rule for client software names and versions (v3+). */
const SOFTWARE_NAME_OR_VERSION = /^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?$/;

function apiKeysOf(supported: readonly ApiVersionRange[]): ApiVersionsResponse['apiKeys'] {
  return [...supported]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }));
}

/** The answer to an ApiVersions request in a version this broker does not support (send as v0). */
export function unsupportedApiVersionsResponse(supported: readonly ApiVersionRange[]): ApiVersionsResponse {
  return {
    ...defaultApiVersionsResponse(),
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: apiKeysOf(supported),
  };
}

export function createApiVersionsHandler(supported: () => readonly ApiVersionRange[]): ApiHandler {
  return defineApiHandler(apiVersionsApi, API_VERSIONS_VERSIONS, (request: ApiVersionsRequest, ctx) => {
    if (
      ctx.header.requestApiVersion >= 3 &&
      !(
        SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareName) &&
        SOFTWARE_NAME_OR_VERSION.test(request.clientSoftwareVersion)
      )
    ) {
      // As Kafka: an error response without the version list.
      return { ...defaultApiVersionsResponse(), errorCode: ErrorCode.INVALID_REQUEST };
    }
    return { ...defaultApiVersionsResponse(), apiKeys: apiKeysOf(supported()) };
  });
}
