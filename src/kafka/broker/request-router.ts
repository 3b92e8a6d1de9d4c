import { CloseConnectionError, type ConnectionInfo, type FrameHandler } from '../../net/index.ts';
import { type Logger, type Metrics, noopMetrics } from '../../telemetry/index.ts';
import {
  apiCodecByKey,
  decodeRequest,
  encodeResponseFrame,
  errorName,
  fitResponseToVersion,
} from '../protocol/index.ts';
import type { ApiHandler, ApiVersionRange } from './api-handler.ts';
import { unsupportedApiVersionsResponse } from './handlers/api-versions.ts';

const API_VERSIONS_KEY = 18;

/**
 * Turns request frames into response frames: decodes the header and body, dispatches by api key to
 * the registered handler, and encodes the answer in the request's version.
 *
 * As Kafka does: an ApiVersions request in an unsupported version gets a v0 UNSUPPORTED_VERSION
 * response listing the supported ranges; any other unknown api or unsupported version closes the
 * connection (the client is expected to have asked ApiVersions first). Malformed frames raise
 * DecodeError, which closes the connection too. Every response is fitted to the request's version
 * (`fitResponseToVersion`) before encoding; a handler returning null sends nothing (acks=0).
 */
export class RequestRouter {
  private readonly handlers = new Map<number, ApiHandler>();
  private readonly logger: Logger;
  private readonly metrics: Metrics;

  constructor(handlers: readonly ApiHandler[], logger: Logger, metrics: Metrics = noopMetrics()) {
    for (const h of handlers) {
      if (this.handlers.has(h.apiKey)) throw new RangeError(`two handlers for api key ${h.apiKey}`);
      this.handlers.set(h.apiKey, h);
    }
    this.logger = logger;
    this.metrics = metrics;
  }

  /** The version ranges this broker implements, by api key (what ApiVersions reports). */
  supportedApis(): ApiVersionRange[] {
    return [...this.handlers.values()]
      .map(({ apiKey, minVersion, maxVersion }) => ({ apiKey, minVersion, maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  /** A frame handler for one connection. */
  forConnection(connection: ConnectionInfo): FrameHandler {
    return (frame) => this.route(frame, connection);
  }

  private route(
    frame: Buffer,
    connection: ConnectionInfo,
  ): readonly Buffer[] | null | Promise<readonly Buffer[] | null> {
    const decoded = decodeRequest(frame);
    const { header } = decoded;
    const apiKey = header.requestApiKey;
    const version = header.requestApiVersion;
    const handler = this.handlers.get(apiKey);
    const supported = handler !== undefined && version >= handler.minVersion && version <= handler.maxVersion;

    if (apiKey === API_VERSIONS_KEY && !supported) {
      this.logger.debug('ApiVersions in an unsupported version; answering with v0', {
        version,
        clientId: header.clientId,
      });
      return encodeResponseFrame(
        API_VERSIONS_KEY,
        0,
        header.correlationId,
        unsupportedApiVersionsResponse(this.supportedApis()),
      );
    }
    if (handler === undefined || decoded.status !== 'ok' || !supported) {
      const name = decoded.codec?.name ?? apiCodecByKey(apiKey)?.name ?? `api key ${apiKey}`;
      const what =
        handler === undefined
          ? `${name} (key ${apiKey}) is not supported`
          : `${name} v${version} is not supported (this broker implements v${handler.minVersion}-${handler.maxVersion})`;
      throw new CloseConnectionError(`${what}; client ${JSON.stringify(header.clientId)}`);
    }

    if (this.logger.isLevelEnabled('trace')) {
      this.logger.trace('request', { api: handler.name, version, correlationId: header.correlationId });
    }
    const ctx = { header, connection };
    // Handlers fill every field they know; fields the request's version lacks are reset here, so
    // the encoder (which refuses them, as Kafka's does) accepts the body. null = no response.
    const encode = (body: unknown): readonly Buffer[] | null =>
      body === null
        ? null
        : encodeResponseFrame(
            apiKey,
            version,
            header.correlationId,
            fitResponseToVersion(apiKey, version, body),
          );
    const started = performance.now();
    const done = (body: unknown): readonly Buffer[] | null => {
      this.metrics.request(handler.name, (performance.now() - started) / 1000);
      const errorCode = (body as { errorCode?: unknown } | null)?.errorCode;
      if (typeof errorCode === 'number' && errorCode !== 0) {
        this.metrics.requestError(handler.name, errorName(errorCode));
      }
      return encode(body);
    };
    const result = handler.handle(decoded.body, ctx);
    return result instanceof Promise ? result.then(done) : done(result);
  }
}
