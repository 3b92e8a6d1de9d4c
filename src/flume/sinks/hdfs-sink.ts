import { mkdirSync } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { gzipSync } from 'node:zlib';
import { atLeast, defineConfig, matches } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { extendedConfig } from '../config/extended-config.ts';
import {
  type EventSerializer,
  type SerializerFactory,
  serializerFromSettings,
  serializerKeys,
} from '../serializers/event-serializer.ts';
import { type EscapeOptions, escapePath } from './hdfs-path.ts';
import { drainBatch } from './null-sink.ts';
import { SequenceFileEncoder, type SequenceValueFormat } from './sequence-file.ts';
import { WebHdfsClient } from './webhdfs-client.ts';

const accepted = (doc: string) => ({
  type: 'string' as const,
  default: null,
  importance: 'low' as const,
  doc,
});

const fixedKeys = defineConfig({
  'hdfs.path': {
    type: 'string',
    validator: matches(
      /^(file:\/\/|hdfs:\/\/[^/%]+)?\//,
      'an absolute local path, a file:// URI or an hdfs://namenode[:port]/path URI',
    ),
    importance: 'high',
    doc: 'Directory, with escapes (%{header}, %Y-%m-%d/%H, ...).',
  },
  'hdfs.filePrefix': {
    type: 'string',
    default: 'FlumeData',
    importance: 'medium',
    doc: 'File name prefix, with escapes.',
  },
  'hdfs.fileSuffix': {
    type: 'string',
    default: '',
    importance: 'low',
    doc: 'File name suffix (e.g. .avro).',
  },
  'hdfs.inUsePrefix': {
    type: 'string',
    default: '',
    importance: 'low',
    doc: 'Prefix of a file being written.',
  },
  'hdfs.inUseSuffix': {
    type: 'string',
    default: '.tmp',
    importance: 'low',
    doc: 'Suffix of a file being written.',
  },
  'hdfs.emptyInUseSuffix': {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Write in-use files without hdfs.inUseSuffix.',
  },
  'hdfs.rollInterval': {
    type: 'int',
    default: 30,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Seconds before a file is rolled (0 = never).',
  },
  'hdfs.rollSize': {
    type: 'long',
    default: 1024,
    importance: 'medium',
    doc: 'Bytes before a file is rolled (0 = never).',
  },
  'hdfs.rollCount': {
    type: 'long',
    default: 10,
    importance: 'medium',
    doc: 'Events before a file is rolled (0 = never).',
  },
  'hdfs.idleTimeout': {
    type: 'int',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Seconds without writes before a file is closed (0 = never).',
  },
  'hdfs.batchSize': {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per transaction.',
  },
  'hdfs.codeC': {
    type: 'string',
    default: null,
    validator: matches(
      /^(gzip|gzipcodec|org\.apache\.hadoop\.io\.compress\.GzipCodec)$/i,
      'gzip (bzip2, lzo, lzop, snappy and zstd are not implemented)',
    ),
    importance: 'low',
    doc: 'Compression of CompressedStream files.',
  },
  'hdfs.fileType': {
    type: 'enum',
    values: ['SequenceFile', 'DataStream', 'CompressedStream'],
    default: 'SequenceFile',
    importance: 'high',
    doc: 'SequenceFile (Hadoop), DataStream (serializer output), CompressedStream (gzip of it).',
  },
  'hdfs.maxOpenFiles': {
    type: 'int',
    default: 5000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Open files kept; the oldest is closed beyond it.',
  },
  'hdfs.writeFormat': {
    type: 'enum',
    values: ['Writable', 'Text'],
    default: 'Writable',
    importance: 'low',
    doc: 'SequenceFile value class: BytesWritable or Text.',
  },
  'hdfs.round': { type: 'boolean', default: false, importance: 'low', doc: 'Round the timestamp down.' },
  'hdfs.roundValue': {
    type: 'int',
    default: 1,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Rounding multiple.',
  },
  'hdfs.roundUnit': {
    type: 'enum',
    values: ['second', 'minute', 'hour'],
    default: 'second',
    importance: 'low',
    doc: 'Rounding unit.',
  },
  'hdfs.timeZone': {
    type: 'string',
    default: 'Local Time',
    importance: 'low',
    doc: 'Zone of the time escapes (an IANA name).',
  },
  'hdfs.useLocalTimeStamp': {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Use the clock, not the timestamp header.',
  },
  ...serializerKeys('serializer'),
  'hdfs.callTimeout': {
    type: 'long',
    default: 30000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Milliseconds allowed for each WebHDFS call.',
  },
  'hdfs.closeTries': {
    type: 'int',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Rename attempts for a closed file (0 = until it works).',
  },
  'hdfs.retryInterval': {
    type: 'long',
    default: 180,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Seconds between rename attempts.',
  },
  'hdfs.threadsPoolSize': {
    type: 'int',
    default: 10,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Accepted (Sluice needs no I/O thread pool).',
  },
  'hdfs.rollTimerPoolSize': {
    type: 'int',
    default: 1,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Accepted (one roll timer per sink).',
  },
  'hdfs.minBlockReplicas': {
    type: 'int',
    default: null,
    importance: 'low',
    doc: 'Accepted, not used (WebHDFS does not report under-replicated blocks).',
  },
  'hdfs.proxyUser': {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'User to write as (WebHDFS doas).',
  },
  'sluice.webhdfs.port': {
    type: 'int',
    default: 9870,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Sluice only: the namenode HTTP port WebHDFS is reached on for hdfs:// paths.',
  },
  'sluice.webhdfs.user': {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'Sluice only: the WebHDFS user.name (default: the user running the agent).',
  },
  'hdfs.kerberosPrincipal': accepted('Accepted, not used (Kerberos is not supported).'),
  'hdfs.kerberosKeytab': accepted('Accepted, not used (Kerberos is not supported).'),
});

/**
 * Flume 1.11 HDFSEventSink (`hdfs`) keys and defaults, with Flume's cross-key rules: DataStream
 * takes no codec, CompressedStream needs one. A codec on a SequenceFile (Hadoop's block-compressed
 * SequenceFile) is not implemented and refused.
 */
export const hdfsSinkConfig = extendedConfig({
  fixed: fixedKeys,
  finish(parsed, _families, fail) {
    const v = parsed.values;
    if (v['hdfs.codeC'] !== null && v['hdfs.fileType'] === 'DataStream') {
      fail('hdfs.codeC', 'no codec with hdfs.fileType = DataStream (use CompressedStream)');
    } else if (v['hdfs.codeC'] !== null && v['hdfs.fileType'] === 'SequenceFile') {
      fail('hdfs.codeC', 'no codec with a SequenceFile (compressed SequenceFiles are not implemented)');
    } else if (v['hdfs.codeC'] === null && v['hdfs.fileType'] === 'CompressedStream') {
      fail('hdfs.fileType', 'hdfs.codeC to be set for CompressedStream (gzip)');
    }
    return {};
  },
});

/** Where the sink writes: the local file system or a namenode over WebHDFS. */
export type HdfsTarget =
  | { readonly kind: 'local' }
  | { readonly kind: 'webhdfs'; readonly client: WebHdfsClient };

export interface HdfsSinkOptions {
  /** The directory template, without scheme and authority. */
  readonly path: string;
  readonly target: HdfsTarget;
  readonly filePrefix: string;
  readonly fileSuffix: string;
  readonly inUsePrefix: string;
  readonly inUseSuffix: string;
  readonly rollIntervalS: number;
  readonly rollSize: number;
  readonly rollCount: number;
  readonly idleTimeoutS: number;
  readonly batchSize: number;
  readonly fileType: 'SequenceFile' | 'DataStream' | 'CompressedStream';
  readonly writeFormat: SequenceValueFormat;
  readonly maxOpenFiles: number;
  readonly serializer: SerializerFactory;
  readonly closeTries: number;
  readonly retryIntervalS: number;
  readonly escape: EscapeOptions;
  readonly now?: () => number;
  /** How often open files are checked for rollInterval and idleTimeout (ms). */
  readonly checkEveryMs?: number;
}

/**
 * The settings of an `hdfs` sink as parsed by hdfsSinkConfig. `hdfs://nn:8020/p` is written over
 * WebHDFS at `http://nn:<sluice.webhdfs.port>` (9870, Hadoop 3's namenode HTTP port): the RPC port
 * of the URI is not used.
 */
export function hdfsSinkOptions(s: Readonly<Record<string, unknown>>): HdfsSinkOptions {
  const zone = s['hdfs.timeZone'] as string;
  const raw = s['hdfs.path'] as string;
  let path = raw.replace(/^file:\/\//, '');
  let target: HdfsTarget = { kind: 'local' };
  const hdfs = /^hdfs:\/\/([^/:]+)(?::\d+)?(\/.*)$/.exec(raw);
  if (hdfs !== null) {
    path = hdfs[2]!;
    const host = hdfs[1]!.includes(':') ? `[${hdfs[1]}]` : hdfs[1]!;
    const user = (s['sluice.webhdfs.user'] as string | null) ?? safeUser();
    target = {
      kind: 'webhdfs',
      client: new WebHdfsClient({
        url: `http://${host}:${s['sluice.webhdfs.port'] as number}`,
        user,
        doAs: (s['hdfs.proxyUser'] as string | null) ?? undefined,
        timeoutMs: s['hdfs.callTimeout'] as number,
      }),
    };
  }
  return {
    path,
    target,
    filePrefix: s['hdfs.filePrefix'] as string,
    fileSuffix: s['hdfs.fileSuffix'] as string,
    inUsePrefix: s['hdfs.inUsePrefix'] as string,
    inUseSuffix: s['hdfs.emptyInUseSuffix'] ? '' : (s['hdfs.inUseSuffix'] as string),
    rollIntervalS: s['hdfs.rollInterval'] as number,
    rollSize: s['hdfs.rollSize'] as number,
    rollCount: s['hdfs.rollCount'] as number,
    idleTimeoutS: s['hdfs.idleTimeout'] as number,
    batchSize: s['hdfs.batchSize'] as number,
    fileType: s['hdfs.fileType'] as HdfsSinkOptions['fileType'],
    writeFormat: s['hdfs.writeFormat'] as SequenceValueFormat,
    maxOpenFiles: s['hdfs.maxOpenFiles'] as number,
    serializer: serializerFromSettings(s, 'serializer'),
    closeTries: s['hdfs.closeTries'] as number,
    retryIntervalS: s['hdfs.retryInterval'] as number,
    escape: {
      round: s['hdfs.round'] as boolean,
      roundValue: s['hdfs.roundValue'] as number,
      roundUnit: s['hdfs.roundUnit'] as 'second' | 'minute' | 'hour',
      useLocalTimeStamp: s['hdfs.useLocalTimeStamp'] as boolean,
      timeZone: zone === 'Local Time' ? undefined : zone,
    },
  };
}

function safeUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/** An output file being written: each append is durable when it resolves. */
interface OutputFile {
  append(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** The few file-system calls the sink makes, on local disk or over WebHDFS. */
interface SinkFileSystem {
  readonly join: (dir: string, name: string) => string;
  mkdirs(dir: string): Promise<void>;
  /** Creates `path` (which must not exist) holding `data`. */
  create(path: string, data: Buffer): Promise<OutputFile>;
  rename(from: string, to: string): Promise<void>;
}

const localFileSystem: SinkFileSystem = {
  join,
  async mkdirs(dir) {
    mkdirSync(dir, { recursive: true });
  },
  async create(path, data) {
    const fh: FileHandle = await open(path, 'wx');
    const file: OutputFile = {
      async append(bytes) {
        if (bytes.length === 0) return;
        await fh.write(bytes);
        await fh.datasync();
      },
      close: () => fh.close(),
    };
    try {
      await file.append(data);
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
    return file;
  },
  rename: (from, to) => rename(from, to),
};

function webHdfsFileSystem(client: WebHdfsClient): SinkFileSystem {
  return {
    join: posix.join,
    async mkdirs(dir) {
      await client.mkdirs(dir);
    },
    async create(path, data) {
      // The datanode acknowledges a CREATE or APPEND only once its pipeline has the bytes, which is
      // what Flume's hflush gives; each batch is one such call.
      await client.create(path, data, false);
      return {
        append: async (bytes) => {
          if (bytes.length > 0) await client.append(path, bytes);
        },
        close: async () => {},
      };
    },
    async rename(from, to) {
      if (!(await client.rename(from, to))) throw new Error(`WebHDFS refused to rename ${from} to ${to}`);
    },
  };
}

interface Bucket {
  readonly key: string;
  readonly inUsePath: string;
  readonly finalPath: string;
  /** Created on the first write, so an empty bucket leaves no file. */
  file: OutputFile | null;
  readonly seq: SequenceFileEncoder | null;
  readonly serializer: EventSerializer | null;
  readonly opened: number;
  lastWrite: number;
  events: number;
  bytes: number;
  /** Bytes due before the next batch (the file's header). */
  pending: Buffer[];
}

/**
 * Flume's HDFS sink: events go to files named `<prefix>.<counter><suffix>` under the escaped
 * path, on local disk (`file://` or a plain path) or on HDFS over WebHDFS (`hdfs://`), written as
 * `<inUsePrefix>name<inUseSuffix>` and renamed when the file rolls (rollInterval, rollSize,
 * rollCount, idleTimeout) or the sink stops. Each batch is written and made durable (fdatasync
 * locally, the datanode's acknowledgement over WebHDFS) before the channel transaction commits,
 * so a committed take is stored; a crash between the write and the commit repeats the batch, as
 * in Flume.
 */
export class HdfsSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: HdfsSinkOptions;
  readonly #fs: SinkFileSystem;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #retries = new Set<NodeJS.Timeout>();
  #counter: number;
  #lock: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(name: string, channel: Channel, options: HdfsSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.batchSize = options.batchSize;
    this.#options = options;
    this.#fs = options.target.kind === 'webhdfs' ? webHdfsFileSystem(options.target.client) : localFileSystem;
    this.#logger = logger;
    this.#now = options.now ?? Date.now;
    this.#counter = this.#now();
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }

  async start(): Promise<void> {
    this.counters.start();
    const o = this.#options;
    if (o.rollIntervalS > 0 || o.idleTimeoutS > 0) {
      this.#timer = setInterval(() => {
        this.#locked(() => this.#closeExpired()).catch((err: unknown) =>
          this.#logger.warn('closing an HDFS sink file failed', { sink: this.name, err: String(err) }),
        );
      }, o.checkEveryMs ?? 1000);
      this.#timer.unref();
    }
  }

  async process(): Promise<ProcessStatus> {
    return drainBatch(this, (events) => this.#locked(() => this.#write(events)));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const t of this.#retries) clearTimeout(t);
    this.#retries.clear();
    await this.#locked(async () => {
      for (const b of [...this.#buckets.values()]) {
        await this.#close(b).catch((err: unknown) =>
          this.#logger.warn('closing an HDFS sink file failed', { sink: this.name, err: String(err) }),
        );
      }
    });
    this.counters.stop();
  }

  /** Writes and closes are serialised (the roll timer runs beside the sink runner). */
  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  async #write(events: readonly FlumeEvent[]): Promise<void> {
    const o = this.#options;
    const byBucket = new Map<Bucket, FlumeEvent[]>();
    for (const e of events) {
      const dir = escapePath(o.path, e.headers, o.escape);
      const prefix = escapePath(o.filePrefix, e.headers, o.escape);
      const key = this.#fs.join(dir, prefix);
      let bucket = this.#buckets.get(key);
      if (bucket === undefined) bucket = await this.#open(key, dir, prefix);
      const list = byBucket.get(bucket);
      if (list) list.push(e);
      else byBucket.set(bucket, [e]);
    }
    const now = this.#now();
    for (const [b, list] of byBucket) {
      const encoded = this.#encode(b, list);
      let data = Buffer.concat([...b.pending, encoded]);
      // One gzip member per batch: a file of concatenated members is a valid gzip stream, and each
      // stored batch is complete on its own.
      if (o.fileType === 'CompressedStream') data = gzipSync(data);
      try {
        if (b.file === null) {
          b.file = await this.#fs.create(b.inUsePath, data);
          this.counters.add('ConnectionCreatedCount');
          this.#logger.info('creating', { sink: this.name, file: b.inUsePath });
        } else await b.file.append(data);
      } catch (err) {
        this.counters.add('EventWriteFail');
        if (b.file === null) this.counters.add('ConnectionFailedCount');
        throw err;
      }
      b.pending = [];
      b.events += list.length;
      // Flume's rollSize counts event bodies, not the bytes the serializer wrote.
      for (const e of list) b.bytes += e.body.length;
      b.lastWrite = now;
      if ((o.rollCount > 0 && b.events >= o.rollCount) || (o.rollSize > 0 && b.bytes >= o.rollSize)) {
        await this.#close(b);
      }
    }
  }

  #encode(b: Bucket, events: readonly FlumeEvent[]): Buffer {
    if (b.seq !== null) {
      const seq = b.seq;
      return Buffer.concat(
        events.map((e) => {
          const ts = Number(e.headers.timestamp);
          return seq.record(Number.isSafeInteger(ts) ? ts : this.#now(), e.body);
        }),
      );
    }
    return b.serializer!.encode(events);
  }

  async #open(key: string, dir: string, prefix: string): Promise<Bucket> {
    const o = this.#options;
    if (this.#buckets.size >= o.maxOpenFiles) {
      // The least recently written file makes room, as Flume's LRU of writers does.
      const oldest = [...this.#buckets.values()].reduce((a, b) => (b.lastWrite < a.lastWrite ? b : a));
      await this.#close(oldest);
    }
    await this.#fs.mkdirs(dir);
    this.#counter = Math.max(this.#counter + 1, this.#now());
    // Flume appends the codec's extension only when there is no hdfs.fileSuffix.
    const ext = o.fileSuffix === '' && o.fileType === 'CompressedStream' ? '.gz' : '';
    const name = `${prefix}.${this.#counter}${o.fileSuffix}${ext}`;
    const seq = o.fileType === 'SequenceFile' ? new SequenceFileEncoder(o.writeFormat) : null;
    const serializer = seq === null ? o.serializer() : null;
    const now = this.#now();
    const bucket: Bucket = {
      key,
      inUsePath: this.#fs.join(dir, `${o.inUsePrefix}${name}${o.inUseSuffix}`),
      finalPath: this.#fs.join(dir, name),
      file: null,
      seq,
      serializer,
      opened: now,
      lastWrite: now,
      events: 0,
      bytes: 0,
      pending: [seq !== null ? seq.header() : serializer!.header()],
    };
    this.#buckets.set(key, bucket);
    return bucket;
  }

  async #close(b: Bucket): Promise<void> {
    this.#buckets.delete(b.key);
    const file = b.file;
    if (file === null) return;
    try {
      const trailer = b.serializer?.trailer() ?? Buffer.alloc(0);
      if (trailer.length > 0) {
        await file.append(this.#options.fileType === 'CompressedStream' ? gzipSync(trailer) : trailer);
      }
      await file.close();
      this.counters.add('ConnectionClosedCount');
    } catch (err) {
      this.counters.add('ConnectionFailedCount');
      throw err;
    }
    await this.#rename(b, 1);
  }

  /** Renames the closed file; a failure is retried every hdfs.retryInterval, hdfs.closeTries times (0 = forever). */
  async #rename(b: Bucket, attempt: number): Promise<void> {
    if (b.inUsePath === b.finalPath) return;
    try {
      await this.#fs.rename(b.inUsePath, b.finalPath);
      this.#logger.info('renaming', { sink: this.name, from: b.inUsePath, to: b.finalPath });
    } catch (err) {
      this.counters.add('ConnectionFailedCount');
      const o = this.#options;
      const more = o.closeTries === 0 || attempt < o.closeTries;
      this.#logger.warn('renaming an HDFS sink file failed', {
        sink: this.name,
        file: b.inUsePath,
        attempt,
        retry: more,
        err: String(err),
      });
      if (!more) return;
      const t = setTimeout(() => {
        this.#retries.delete(t);
        this.#rename(b, attempt + 1).catch(() => {});
      }, o.retryIntervalS * 1000);
      t.unref();
      this.#retries.add(t);
    }
  }

  async #closeExpired(): Promise<void> {
    const o = this.#options;
    const now = this.#now();
    for (const b of [...this.#buckets.values()]) {
      const rolled = o.rollIntervalS > 0 && now - b.opened >= o.rollIntervalS * 1000;
      const idle = o.idleTimeoutS > 0 && now - b.lastWrite >= o.idleTimeoutS * 1000;
      if (rolled || idle) await this.#close(b);
    }
  }
}
