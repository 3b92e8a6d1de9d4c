import type { CompressionAlgorithmValue, MessageToProduce } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import {
  clientBaseOptions,
  closeQuietly,
  collectValues,
  keyValueMap,
  loadClientProperties,
  loadKafkaClient,
  parseBootstrap,
  parseIntFlag,
  ToolError,
  toolError,
  usageErrorsExit2,
} from './kafka-tool.ts';

/**
 * `sluice console-producer`: kafka-console-producer.sh — one record per stdin line, flushed and
 * exit 0 at end of input. Lines are split on bytes (`\n`, a trailing `\r` dropped), so any bytes
 * other than the line terminator reach the broker unchanged.
 */

export interface ConsoleProducerFlags {
  bootstrapServer?: string[];
  topic?: string;
  property: string[];
  producerProperty: string[];
  /** commander keeps the dotted flag name `--producer.config` as the key. */
  'producer.config'?: string;
  compressionCodec?: string | true;
  requestRequiredAcks?: string;
  requestTimeoutMs?: number;
  messageSendMaxRetries?: number;
  retryBackoffMs?: number;
  batchSize: number;
  readerConfig?: string;
  sync?: boolean;
}

/** Flags of kafka-console-producer.sh about the Java producer's buffers: accepted, so scripts run. */
const NO_EFFECT = 'accepted for kafka-console-producer.sh compatibility; no effect';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export function registerConsoleProducerCommand(program: Command): void {
  usageErrorsExit2(program.command('console-producer'))
    .description('send each line of standard input as a record (as kafka-console-producer.sh)')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to (required)', parseBootstrap)
    .option('--topic <topic>', 'the topic to produce to (required)')
    .option(
      '--property <key=value>',
      'line reader property (repeatable): parse.key, key.separator, ignore.error, parse.headers, ' +
        'headers.delimiter, headers.separator, headers.key.separator, null.marker',
      collectValues,
      [],
    )
    .option(
      '--producer-property <key=value>',
      'producer property (repeatable), e.g. acks=1',
      collectValues,
      [],
    )
    .option('--producer.config <file>', 'producer properties file (--producer-property wins over it)')
    .option('--compression-codec [codec]', `compression: ${CODECS.join(', ')} (no value: gzip)`)
    .option('--request-required-acks <acks>', 'acks for produce requests: -1/all, 0 or 1 (default -1)')
    .option('--request-timeout-ms <ms>', 'produce request timeout', parseIntFlag('--request-timeout-ms', 1))
    .option(
      '--message-send-max-retries <n>',
      'retries of a failed send',
      parseIntFlag('--message-send-max-retries', 0),
    )
    .option('--retry-backoff-ms <ms>', 'wait before a retry', parseIntFlag('--retry-backoff-ms', 0))
    .option('--batch-size <n>', 'most records in one send', parseIntFlag('--batch-size', 1), 200)
    .option('--sync', 'send each record on its own and wait for it')
    .option('--reader-config <file>', 'line reader properties file (--property wins over it)')
    .option('--timeout <ms>', NO_EFFECT)
    .option('--max-block-ms <ms>', NO_EFFECT)
    .option('--metadata-expiry-ms <ms>', NO_EFFECT)
    .option('--socket-buffer-size <bytes>', NO_EFFECT)
    .option('--max-memory-bytes <bytes>', NO_EFFECT)
    .option('--max-partition-memory-bytes <bytes>', NO_EFFECT)
    .action(async (flags: ConsoleProducerFlags) => {
      await consoleProducerCommand(flags, process.stdin, (s) => process.stderr.write(s));
    });
}

/** How a line becomes a record (kafka-console-producer's LineMessageReader properties). */
export interface LineReaderOptions {
  parseKey: boolean;
  keySeparator: Buffer;
  ignoreError: boolean;
  parseHeaders: boolean;
  headersDelimiter: Buffer;
  headersSeparator: Buffer;
  headersKeySeparator: Buffer;
  nullMarker: Buffer | undefined;
}

export function lineReaderOptions(props: ReadonlyMap<string, string>): LineReaderOptions {
  const bool = (key: string) => (props.get(key) ?? 'false').trim().toLowerCase() === 'true';
  const bytes = (key: string, fallback: string) => Buffer.from(props.get(key) ?? fallback, 'utf8');
  const nullMarker = props.get('null.marker');
  const options: LineReaderOptions = {
    parseKey: bool('parse.key'),
    keySeparator: bytes('key.separator', '\t'),
    ignoreError: bool('ignore.error'),
    parseHeaders: bool('parse.headers'),
    headersDelimiter: bytes('headers.delimiter', '\t'),
    headersSeparator: bytes('headers.separator', ','),
    headersKeySeparator: bytes('headers.key.separator', ':'),
    nullMarker: nullMarker === undefined ? undefined : Buffer.from(nullMarker, 'utf8'),
  };
  for (const [name, value] of [
    ['key.separator', options.keySeparator],
    ['headers.delimiter', options.headersDelimiter],
    ['headers.separator', options.headersSeparator],
    ['headers.key.separator', options.headersKeySeparator],
  ] as const) {
    if (value.length === 0) throw new InvalidArgumentError(`--property ${name} must not be empty`);
  }
  return options;
}

export interface LineRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer, Buffer | null][];
}

function splitOnce(line: Buffer, sep: Buffer): [Buffer, Buffer] | undefined {
  const at = line.indexOf(sep);
  return at < 0 ? undefined : [line.subarray(0, at), line.subarray(at + sep.length)];
}

function splitAll(buf: Buffer, sep: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const at = buf.indexOf(sep, start);
    if (at < 0) break;
    out.push(buf.subarray(start, at));
    start = at + sep.length;
  }
  out.push(buf.subarray(start));
  return out;
}

/** Turns one input line (without its terminator) into a record; `lineNumber` is 1-based. */
export function parseLine(line: Buffer, o: LineReaderOptions, lineNumber: number): LineRecord {
  const orNull = (b: Buffer) => (o.nullMarker !== undefined && b.equals(o.nullMarker) ? null : b);
  let rest = line;
  const headers: [Buffer, Buffer | null][] = [];
  if (o.parseHeaders) {
    const parts = splitOnce(rest, o.headersDelimiter);
    if (parts === undefined) {
      if (!o.ignoreError) {
        throw new ToolError(
          `No headers delimiter found on line number ${lineNumber}: '${line.toString('utf8')}'`,
        );
      }
    } else {
      rest = parts[1];
      const text = parts[0];
      if (!(o.nullMarker !== undefined && text.equals(o.nullMarker))) {
        for (const h of splitAll(text, o.headersSeparator)) {
          const kv = splitOnce(h, o.headersKeySeparator);
          if (kv === undefined) {
            if (!o.ignoreError) {
              throw new ToolError(
                `No header key separator found in pair '${h.toString('utf8')}' on line number ${lineNumber}`,
              );
            }
            continue;
          }
          if (o.nullMarker !== undefined && kv[0].equals(o.nullMarker)) {
            throw new ToolError(
              `Header keys can not be equal to the null.marker on line number ${lineNumber}`,
            );
          }
          headers.push([kv[0], orNull(kv[1])]);
        }
      }
    }
  }
  if (!o.parseKey) return { key: null, value: orNull(rest), headers };
  const kv = splitOnce(rest, o.keySeparator);
  if (kv === undefined) {
    if (o.ignoreError) return { key: null, value: orNull(rest), headers };
    throw new ToolError(`No key separator found on line number ${lineNumber}: '${line.toString('utf8')}'`);
  }
  return { key: orNull(kv[0]), value: orNull(kv[1]), headers };
}

/** Splits a byte stream into lines; `push` returns complete lines, `end` the unterminated tail. */
export class LineSplitter {
  #pending: Buffer[] = [];

  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const at = chunk.indexOf(0x0a, start);
      if (at < 0) break;
      const piece = chunk.subarray(start, at);
      const line = this.#pending.length === 0 ? piece : Buffer.concat([...this.#pending, piece]);
      this.#pending = [];
      lines.push(stripCr(line));
      start = at + 1;
    }
    if (start < chunk.length) this.#pending.push(Buffer.from(chunk.subarray(start)));
    return lines;
  }

  end(): Buffer | undefined {
    if (this.#pending.length === 0) return undefined;
    const line = Buffer.concat(this.#pending);
    this.#pending = [];
    return stripCr(line);
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}

function parseAcks(value: string, source: string): -1 | 0 | 1 {
  const v = value.trim().toLowerCase();
  if (v === 'all' || v === '-1') return -1;
  if (v === '0') return 0;
  if (v === '1') return 1;
  throw new InvalidArgumentError(`${source} expects -1/all, 0 or 1, got "${value}"`);
}

function parseCodec(value: string, source: string): CompressionAlgorithmValue {
  const v = value.trim().toLowerCase();
  if ((CODECS as readonly string[]).includes(v)) return v as CompressionAlgorithmValue;
  throw new InvalidArgumentError(`${source} expects one of ${CODECS.join(', ')}, got "${value}"`);
}

const PRODUCER_PROPERTIES = new Set([
  'acks',
  'compression.type',
  'linger.ms',
  'batch.size',
  'enable.idempotence',
]);

export async function consoleProducerCommand(
  flags: ConsoleProducerFlags,
  input: NodeJS.ReadableStream,
  err: (s: string) => void,
): Promise<void> {
  if (flags.bootstrapServer === undefined) throw new InvalidArgumentError('--bootstrap-server is required');
  if (flags.topic === undefined) throw new InvalidArgumentError('--topic is required');
  const topic = flags.topic;
  const readerProps = await loadClientProperties(flags.readerConfig);
  for (const [k, v] of keyValueMap(flags.property, '--property')) readerProps.set(k, v);
  const reader = lineReaderOptions(readerProps);

  // Precedence as Kafka's tool: explicit flags, then --producer-property, then --producer.config.
  const props = await loadClientProperties(flags['producer.config']);
  for (const [k, v] of keyValueMap(flags.producerProperty, '--producer-property')) props.set(k, v);
  if (flags.requestTimeoutMs !== undefined) props.set('request.timeout.ms', String(flags.requestTimeoutMs));
  if (flags.messageSendMaxRetries !== undefined) props.set('retries', String(flags.messageSendMaxRetries));
  if (flags.retryBackoffMs !== undefined) props.set('retry.backoff.ms', String(flags.retryBackoffMs));

  const acks =
    flags.requestRequiredAcks !== undefined
      ? parseAcks(flags.requestRequiredAcks, '--request-required-acks')
      : parseAcks(props.get('acks') ?? '-1', 'acks');
  const compression =
    flags.compressionCodec !== undefined
      ? flags.compressionCodec === true
        ? 'gzip'
        : parseCodec(flags.compressionCodec, '--compression-codec')
      : parseCodec(props.get('compression.type') ?? 'none', 'compression.type');
  const idempotent = (props.get('enable.idempotence') ?? 'false').trim().toLowerCase() === 'true';

  const producer = new (await loadKafkaClient()).Producer({
    ...clientBaseOptions(flags.bootstrapServer, props, 'console-producer', PRODUCER_PROPERTIES, (l) =>
      err(`WARN ${l}\n`),
    ),
    // Like Java producers (allow.auto.create.topics=true), a missing topic is created by a broker
    // with auto.create.topics.enable=true.
    autocreateTopics: (props.get('allow.auto.create.topics') ?? 'true').trim().toLowerCase() === 'true',
    acks,
    compression,
    idempotent,
  });

  const batchMax = flags.sync === true ? 1 : flags.batchSize;
  let lineNumber = 0;
  const send = async (records: LineRecord[]): Promise<void> => {
    for (let i = 0; i < records.length; i += batchMax) {
      const messages: MessageToProduce[] = records.slice(i, i + batchMax).map((r) => {
        const m: MessageToProduce = { topic };
        if (r.key !== null) m.key = r.key;
        if (r.value !== null) m.value = r.value;
        if (r.headers.length > 0) {
          // Keys are distinct Buffer objects, so repeated header names all survive the Map.
          m.headers = new Map(r.headers.map(([k, v]) => [k, v ?? Buffer.alloc(0)]));
        }
        return m;
      });
      try {
        await producer.send({ messages });
      } catch (e) {
        throw toolError(e, `topic '${topic}'`);
      }
    }
  };

  try {
    const splitter = new LineSplitter();
    // Lines before a malformed one are still sent, as Kafka's tool does, then the error stops it.
    const sendLines = async (lines: Buffer[]): Promise<void> => {
      const records: LineRecord[] = [];
      try {
        for (const line of lines) records.push(parseLine(line, reader, ++lineNumber));
      } finally {
        if (records.length > 0) await send(records);
      }
    };
    for await (const chunk of input) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
      await sendLines(splitter.push(buf));
    }
    const tail = splitter.end();
    if (tail !== undefined) await sendLines([tail]);
  } finally {
    await closeQuietly(producer);
  }
}
