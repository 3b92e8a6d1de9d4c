import type { Readable } from 'node:stream';
import type { FlumeEvent } from '../api/event.ts';
import { AvroRpcClient } from './avro-rpc-client.ts';

/** flume-ng avro-client's batch size (AvroCLIClient's BATCH_SIZE) when no `--rpcProps` says otherwise. */
export const AVRO_CLIENT_BATCH_SIZE = 5;

export interface AvroClientRunOptions {
  readonly host: string;
  readonly port: number;
  /** Headers put on every event (the `--headerFile` properties). */
  readonly headers: Readonly<Record<string, string>>;
  readonly batchSize?: number;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly deflate?: boolean;
}

/**
 * Splits a byte stream into lines as Java's BufferedReader.readLine does: `\n`, `\r\n` or a lone
 * `\r` ends a line, and a last line without a terminator still counts.
 */
export async function* readLines(input: Readable): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let skipLf = false;
  for await (const raw of input) {
    let chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : (raw as Buffer);
    if (skipLf && chunk.length > 0) {
      if (chunk[0] === 0x0a) chunk = chunk.subarray(1);
      skipLf = false;
    }
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c !== 0x0a && c !== 0x0d) continue;
      const piece = chunk.subarray(start, i);
      yield pending.length > 0 ? Buffer.concat([pending, piece]) : Buffer.from(piece);
      pending = Buffer.alloc(0);
      if (c === 0x0d) {
        if (i + 1 < chunk.length) {
          if (chunk[i + 1] === 0x0a) i++;
        } else {
          skipLf = true;
        }
      }
      start = i + 1;
    }
    if (start < chunk.length) pending = Buffer.concat([pending, chunk.subarray(start)]);
  }
  if (pending.length > 0) yield pending;
}

/** One stream of lines for the client; `completed` runs once all its events were acknowledged. */
export interface AvroClientInput {
  readonly stream: Readable;
  readonly completed?: () => Promise<void>;
}

/**
 * What `flume-ng avro-client` does: every line of each input becomes one event (with `headers`),
 * sent in `appendBatch` calls of `batchSize` (an input's last batch is sent before the next input
 * starts, then its `completed` runs); resolves with the number of events once the source
 * acknowledged all of them, rejects on the first batch not answered OK.
 */
export async function runAvroClient(
  options: AvroClientRunOptions,
  inputs: Iterable<AvroClientInput> | AsyncIterable<AvroClientInput>,
): Promise<number> {
  const client = await AvroRpcClient.connect({
    host: options.host,
    port: options.port,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
    deflate: options.deflate ?? false,
  });
  const batchSize = options.batchSize ?? AVRO_CLIENT_BATCH_SIZE;
  let sent = 0;
  try {
    let batch: FlumeEvent[] = [];
    const flush = async () => {
      const status = await client.appendBatch(batch);
      if (status !== 'OK') throw new Error(`the avro source answered ${status} after ${sent} events`);
      sent += batch.length;
      batch = [];
    };
    for await (const input of inputs) {
      for await (const line of readLines(input.stream)) {
        batch.push({ headers: { ...options.headers }, body: line });
        if (batch.length >= batchSize) await flush();
      }
      if (batch.length > 0) await flush();
      await input.completed?.();
    }
  } finally {
    client.close();
  }
  return sent;
}
