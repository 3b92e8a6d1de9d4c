import { mkdirSync } from 'node:fs';
import { type FileHandle, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { atLeast, defineConfig, matches } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { type EscapeOptions, escapePath } from './hdfs-path.ts';
import { drainBatch } from './null-sink.ts';
import { SequenceFileEncoder, type SequenceValueFormat } from './sequence-file.ts';
import { serializeText } from './text-serializer.ts';

const accepted = (doc: string) => ({
  type: 'string' as const,
  default: null,
  importance: 'low' as const,
  doc,
});

/** Flume 1.11 HDFSEventSink (`hdfs`) keys and defaults; Sluice writes local (`file://`) paths. */
export const hdfsSinkConfig = defineConfig({
  'hdfs.path': {
    type: 'string',
    validator: matches(
      /^(file:\/\/)?\//,
      'a file:// URI or an absolute local path (hdfs:// over WebHDFS is not implemented yet)',
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
    validator: matches(/^gzip$/i, 'gzip (other codecs are not implemented)'),
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
  serializer: {
    type: 'enum',
    values: [
      'text',
      'header_and_text',
      'org.apache.flume.serialization.BodyTextEventSerializer$Builder',
      'org.apache.flume.serialization.HeaderAndBodyTextEventSerializer$Builder',
    ],
    caseInsensitive: true,
    default: 'text',
    importance: 'medium',
    doc: 'Event serializer of DataStream and CompressedStream files.',
  },
  'serializer.appendNewline': {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Newline after each event.',
  },
  'hdfs.callTimeout': accepted('Accepted (local writes have no call timeout).'),
  'hdfs.threadsPoolSize': accepted('Accepted, not used.'),
  'hdfs.rollTimerPoolSize': accepted('Accepted, not used.'),
  'hdfs.minBlockReplicas': accepted('Accepted, not used (local files).'),
  'hdfs.closeTries': accepted('Accepted, not used (a local rename does not fail transiently).'),
  'hdfs.retryInterval': accepted('Accepted, not used.'),
  'hdfs.kerberosPrincipal': accepted('Accepted, not used.'),
  'hdfs.kerberosKeytab': accepted('Accepted, not used.'),
  'hdfs.proxyUser': accepted('Accepted, not used.'),
});

export interface HdfsSinkOptions {
  readonly path: string;
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
  readonly serializer: 'text' | 'header_and_text';
  readonly appendNewline: boolean;
  readonly escape: EscapeOptions;
  readonly now?: () => number;
  /** How often open files are checked for rollInterval and idleTimeout (ms). */
  readonly checkEveryMs?: number;
}

/** The settings of an `hdfs` sink as parsed by hdfsSinkConfig, as HdfsSinkOptions. */
export function hdfsSinkOptions(s: Readonly<Record<string, unknown>>): HdfsSinkOptions {
  const zone = s['hdfs.timeZone'] as string;
  const serializer = (s.serializer as string).toLowerCase();
  return {
    path: (s['hdfs.path'] as string).replace(/^file:\/\//, ''),
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
    serializer: serializer.includes('header') ? 'header_and_text' : 'text',
    appendNewline: s['serializer.appendNewline'] as boolean,
    escape: {
      round: s['hdfs.round'] as boolean,
      roundValue: s['hdfs.roundValue'] as number,
      roundUnit: s['hdfs.roundUnit'] as 'second' | 'minute' | 'hour',
      useLocalTimeStamp: s['hdfs.useLocalTimeStamp'] as boolean,
      timeZone: zone === 'Local Time' ? undefined : zone,
    },
  };
}

interface Bucket {
  readonly key: string;
  readonly inUsePath: string;
  readonly finalPath: string;
  readonly fh: FileHandle;
  readonly seq: SequenceFileEncoder | null;
  readonly opened: number;
  lastWrite: number;
  events: number;
  bytes: number;
  pending: Buffer[];
}

/**
 * Flume's HDFS sink on local paths: events go to files named `<prefix>.<counter><suffix>` under
 * the escaped path, written as `<inUsePrefix>name<inUseSuffix>` and renamed when the file rolls
 * (rollInterval, rollSize, rollCount, idleTimeout) or the sink stops. Each batch is written and
 * fdatasynced before the channel transaction commits (Flume only flushes to HDFS), so a committed
 * take is on disk; a crash between the write and the commit repeats the batch, as in Flume.
 */
export class HdfsSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: HdfsSinkOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  #counter: number;
  #lock: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(name: string, channel: Channel, options: HdfsSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.batchSize = options.batchSize;
    this.#options = options;
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
    await this.#locked(async () => {
      for (const b of [...this.#buckets.values()]) await this.#close(b);
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
    const touched = new Set<Bucket>();
    for (const e of events) {
      const dir = escapePath(o.path, e.headers, o.escape);
      const prefix = escapePath(o.filePrefix, e.headers, o.escape);
      const key = join(dir, prefix);
      let bucket = this.#buckets.get(key);
      if (bucket === undefined) bucket = await this.#open(key, dir, prefix);
      const bytes = this.#encode(bucket, e);
      bucket.pending.push(bytes);
      bucket.events++;
      bucket.bytes += bytes.length;
      touched.add(bucket);
    }
    const now = this.#now();
    for (const b of touched) {
      let data = Buffer.concat(b.pending);
      b.pending = [];
      // One gzip member per batch: a file of concatenated members is a valid gzip stream, and each
      // synced batch is complete on its own.
      if (o.fileType === 'CompressedStream') data = gzipSync(data);
      try {
        await b.fh.write(data);
        await b.fh.datasync();
      } catch (err) {
        this.counters.add('EventWriteFail');
        throw err;
      }
      b.lastWrite = now;
      if ((o.rollCount > 0 && b.events >= o.rollCount) || (o.rollSize > 0 && b.bytes >= o.rollSize)) {
        await this.#close(b);
      }
    }
  }

  #encode(b: Bucket, e: FlumeEvent): Buffer {
    if (b.seq !== null) {
      const ts = Number(e.headers.timestamp);
      return b.seq.record(Number.isSafeInteger(ts) ? ts : this.#now(), e.body);
    }
    return serializeText(e, this.#options.serializer === 'header_and_text', this.#options.appendNewline);
  }

  async #open(key: string, dir: string, prefix: string): Promise<Bucket> {
    const o = this.#options;
    if (this.#buckets.size >= o.maxOpenFiles) {
      // The least recently written file makes room, as Flume's LRU of writers does.
      const oldest = [...this.#buckets.values()].reduce((a, b) => (b.lastWrite < a.lastWrite ? b : a));
      await this.#close(oldest);
    }
    mkdirSync(dir, { recursive: true });
    this.#counter = Math.max(this.#counter + 1, this.#now());
    const ext = o.fileType === 'CompressedStream' ? '.gz' : '';
    const name = `${prefix}.${this.#counter}${o.fileSuffix}${ext}`;
    const inUsePath = join(dir, `${o.inUsePrefix}${name}${o.inUseSuffix}`);
    const fh = await open(inUsePath, 'wx');
    this.counters.add('ConnectionCreatedCount');
    const seq = o.fileType === 'SequenceFile' ? new SequenceFileEncoder(o.writeFormat) : null;
    const now = this.#now();
    const bucket: Bucket = {
      key,
      inUsePath,
      finalPath: join(dir, name),
      fh,
      seq,
      opened: now,
      lastWrite: now,
      events: 0,
      bytes: 0,
      pending: seq === null ? [] : [seq.header()],
    };
    this.#buckets.set(key, bucket);
    this.#logger.info('creating', { sink: this.name, file: inUsePath });
    return bucket;
  }

  async #close(b: Bucket): Promise<void> {
    this.#buckets.delete(b.key);
    try {
      if (b.pending.length > 0) {
        await b.fh.write(Buffer.concat(b.pending));
        await b.fh.datasync();
      }
      await b.fh.close();
      if (b.inUsePath !== b.finalPath) await rename(b.inUsePath, b.finalPath);
      this.counters.add('ConnectionClosedCount');
      this.#logger.info('renaming', { sink: this.name, from: b.inUsePath, to: b.finalPath });
    } catch (err) {
      this.counters.add('ConnectionFailedCount');
      throw err;
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
