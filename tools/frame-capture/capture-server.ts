import { createServer, type Server, type Socket } from 'node:net';
import { fitToVersion } from '../../src/kafka/protocol/fit-to-version.ts';
import { decodeRequest, encodeResponseFrame } from '../../src/kafka/protocol/frame.ts';
import type { ProduceRequest } from '../../src/kafka/protocol/messages/produce.generated.ts';
import { apiSchemas } from '../../src/kafka/protocol/messages/schemas.generated.ts';
import type { CaptureStore } from './capture-store.ts';
import type { FakeBroker } from './fake-broker.ts';

const API_VERSIONS_KEY = 18;
const PRODUCE_KEY = 0;
/** Frames above this are a client bug or not Kafka; the connection is closed. */
const FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Byte offset of the attributes int16 in a v2 record batch; codec = low 3 bits. */
const BATCH_ATTRIBUTES_AT = 21;
const BATCH_MAGIC_AT = 16;
const BATCH_PRODUCER_ID_AT = 43;
const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface CaptureServerOptions {
  host: string;
  port: number;
  store: CaptureStore;
  /** Built once the port is known (Metadata advertises it). */
  makeBroker: (port: number) => FakeBroker;
  log: (line: string) => void;
}

export interface CaptureServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The fixture variant of a decoded request. Produce keeps one capture per compression codec (from
 * the first record batch's attributes); other APIs keep only their first capture per version.
 */
export function requestVariant(apiKey: number, body: unknown): string {
  if (apiKey !== PRODUCE_KEY) return '';
  const req = body as ProduceRequest;
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const batch = p.records;
      if (batch === null || batch.length < BATCH_PRODUCER_ID_AT + 8) continue;
      const magic = batch[BATCH_MAGIC_AT];
      if (magic !== 2) return `magic${magic}`;
      const codec = batch.readInt16BE(BATCH_ATTRIBUTES_AT) & 0x07;
      const name = CODEC_NAMES[codec] ?? `codec${codec}`;
      // An idempotent producer's batches carry a producer id and sequence: worth a fixture of their own.
      return batch.readBigInt64BE(BATCH_PRODUCER_ID_AT) >= 0n ? `${name}-idempotent` : name;
    }
  }
  return 'empty';
}

/**
 * Listens for Kafka clients, records each request frame in the store and answers through the fake
 * broker. Requests on one connection are handled strictly in order, as a broker must.
 */
export function startCaptureServer(opts: CaptureServerOptions): Promise<CaptureServer> {
  let broker: FakeBroker | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    serveConnection(socket, opts, () => broker!);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : opts.port;
      broker = opts.makeBroker(port);
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function serveConnection(socket: Socket, opts: CaptureServerOptions, broker: () => FakeBroker): void {
  let pending: Buffer = Buffer.alloc(0);
  const queue: Buffer[] = [];
  let busy = false;
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;

  const drain = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length > 0 && !socket.destroyed) {
        const frame = queue.shift()!;
        const out = await handleFrame(frame, opts, broker(), peer);
        if (out === 'close') {
          socket.destroy();
          return;
        }
        if (out !== null) for (const chunk of out) socket.write(chunk);
      }
    } finally {
      busy = false;
    }
  };

  socket.on('data', (data: Buffer) => {
    pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (size < 0 || size > FRAME_BYTES_MAX) {
        opts.log(`${peer}: bad frame size ${size}; closing`);
        socket.destroy();
        return;
      }
      if (pending.length < 4 + size) break;
      queue.push(Buffer.from(pending.subarray(4, 4 + size)));
      pending = pending.subarray(4 + size);
    }
    void drain();
  });
}

async function handleFrame(
  frame: Buffer,
  opts: CaptureServerOptions,
  broker: FakeBroker,
  peer: string,
): Promise<Buffer[] | null | 'close'> {
  let decoded: ReturnType<typeof decodeRequest>;
  try {
    decoded = decodeRequest(frame);
  } catch (err) {
    // Keep the frame: a client request our codecs cannot read is exactly what fixtures are for.
    const apiKey = frame.length >= 4 ? frame.readInt16BE(0) : -1;
    const apiVersion = frame.length >= 4 ? frame.readInt16BE(2) : -1;
    const file = opts.store.record({
      apiKey,
      apiName: `Api${apiKey}`,
      apiVersion,
      variant: 'undecodable',
      frame,
      note: `decode failed: ${(err as Error).message}`,
    });
    opts.log(
      `${peer}: api ${apiKey} v${apiVersion} did not decode (${(err as Error).message}); saved ${file}`,
    );
    return 'close';
  }
  const { header } = decoded;
  const apiKey = header.requestApiKey;
  const version = header.requestApiVersion;
  if (decoded.status === 'unknown-api') {
    opts.log(`${peer}: unknown api key ${apiKey} v${version}; closing`);
    return 'close';
  }
  const codec = decoded.codec;
  if (decoded.status === 'unsupported-version') {
    if (apiKey === API_VERSIONS_KEY) {
      opts.log(`${peer}: ApiVersions v${version} unsupported; answering v0 with UNSUPPORTED_VERSION`);
      return encodeResponse(apiKey, 0, header.correlationId, broker.unsupportedApiVersions());
    }
    opts.log(`${peer}: ${codec.name} v${version} unsupported; closing`);
    return 'close';
  }
  const variant = requestVariant(apiKey, decoded.body);
  const file = opts.store.record({
    apiKey,
    apiName: codec.name,
    apiVersion: version,
    variant,
    frame,
    note: `client.id=${header.clientId ?? 'null'}${variant ? `; ${variant}` : ''}`,
  });
  if (file) opts.log(`captured ${file}`);
  let reply: Awaited<ReturnType<FakeBroker['handle']>>;
  try {
    reply = await broker.handle(codec, version, decoded.body);
  } catch (err) {
    opts.log(`${peer}: ${codec.name} v${version}: ${(err as Error).message}; closing`);
    return 'close';
  }
  if (reply === null) return null;
  try {
    return encodeResponse(apiKey, version, header.correlationId, reply.body);
  } catch (err) {
    opts.log(
      `${peer}: ${codec.name} v${version} response did not encode: ${(err as Error).message}; closing`,
    );
    return 'close';
  }
}

function encodeResponse(apiKey: number, version: number, correlationId: number, body: unknown): Buffer[] {
  const schema = apiSchemas.find((s) => s.apiKey === apiKey);
  const fitted = schema ? fitToVersion(schema.response, version, body) : body;
  return encodeResponseFrame(apiKey, version, correlationId, fitted);
}
