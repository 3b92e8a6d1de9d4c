import { mkdirSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { atLeast, defineConfig, nonEmptyString } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import {
  type EventSerializer,
  type SerializerFactory,
  serializerFromSettings,
  serializerKeys,
} from '../serializers/event-serializer.ts';
import { drainBatch } from './null-sink.ts';

/** Flume 1.11 RollingFileSink (`file_roll`) keys and defaults. */
export const fileRollSinkConfig = defineConfig({
  'sink.directory': {
    type: 'string',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Directory the files are written to.',
  },
  'sink.pathManager': {
    type: 'enum',
    values: ['DEFAULT', 'ROLLTIME'],
    caseInsensitive: true,
    default: 'DEFAULT',
    importance: 'low',
    doc: 'File names: <start ms>-<n> (DEFAULT) or <yyyyMMddHHmmss>-<n> (ROLLTIME).',
  },
  'sink.pathManager.extension': {
    type: 'string',
    default: '',
    importance: 'low',
    doc: 'File name extension (without the dot).',
  },
  'sink.pathManager.prefix': { type: 'string', default: '', importance: 'low', doc: 'File name prefix.' },
  'sink.rollInterval': {
    type: 'int',
    default: 30,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Seconds before a new file (0 = one file).',
  },
  ...serializerKeys('sink.serializer'),
  'sink.batchSize': {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per transaction.',
  },
});

export interface FileRollSinkOptions {
  readonly directory: string;
  readonly pathManager: 'DEFAULT' | 'ROLLTIME';
  readonly extension: string;
  readonly prefix: string;
  readonly rollIntervalS: number;
  /** Makes the serializer of each new file (`sink.serializer` and its `sink.serializer.*` keys). */
  readonly serializer: SerializerFactory;
  readonly batchSize: number;
  readonly now?: () => number;
}

export function fileRollSinkOptions(s: Readonly<Record<string, unknown>>): FileRollSinkOptions {
  return {
    directory: s['sink.directory'] as string,
    pathManager: (s['sink.pathManager'] as string).toUpperCase() as 'DEFAULT' | 'ROLLTIME',
    extension: s['sink.pathManager.extension'] as string,
    prefix: s['sink.pathManager.prefix'] as string,
    rollIntervalS: s['sink.rollInterval'] as number,
    serializer: serializerFromSettings(s, 'sink.serializer'),
    batchSize: s['sink.batchSize'] as number,
  };
}

interface OpenFile {
  readonly fh: FileHandle;
  readonly path: string;
  readonly opened: number;
  readonly serializer: EventSerializer;
}

/**
 * Flume's file_roll sink: events appended to a file in `sink.directory`, a new file every
 * rollInterval seconds, named as Flume's path managers do. Each batch is written and fdatasynced
 * before the channel transaction commits (Flume only flushes), so a committed take is on disk.
 */
export class FileRollSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #options: FileRollSinkOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #started: number;
  #file: OpenFile | undefined;
  #index = 0;

  constructor(name: string, channel: Channel, options: FileRollSinkOptions, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.batchSize = options.batchSize;
    this.#options = options;
    this.#logger = logger;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }

  async start(): Promise<void> {
    mkdirSync(this.#options.directory, { recursive: true });
    this.counters.start();
  }

  async process(): Promise<ProcessStatus> {
    const o = this.#options;
    if (
      this.#file !== undefined &&
      o.rollIntervalS > 0 &&
      this.#now() - this.#file.opened >= o.rollIntervalS * 1000
    ) {
      await this.#closeFile();
    }
    return drainBatch(this, async (events) => {
      const file = this.#file ?? (await this.#openFile());
      try {
        await file.fh.write(file.serializer.encode(events));
        await file.fh.datasync();
      } catch (err) {
        this.counters.add('EventWriteFail');
        throw err;
      }
    });
  }

  #name(): string {
    const o = this.#options;
    this.#index++;
    let base: string;
    if (o.pathManager === 'ROLLTIME') {
      const d = new Date(this.#now());
      const p = (n: number) => String(n).padStart(2, '0');
      base = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${this.#index}`;
    } else base = `${this.#started}-${this.#index}`;
    return `${o.prefix}${base}${o.extension ? `.${o.extension}` : ''}`;
  }

  async #openFile(): Promise<OpenFile> {
    const path = join(this.#options.directory, this.#name());
    const fh = await open(path, 'a');
    this.counters.add('ConnectionCreatedCount');
    const serializer = this.#options.serializer();
    const header = serializer.header();
    if (header.length > 0) await fh.write(header);
    this.#file = { fh, path, opened: this.#now(), serializer };
    this.#logger.info('file_roll sink opened', { sink: this.name, file: path });
    return this.#file;
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    if (file === undefined) return;
    const trailer = file.serializer.trailer();
    if (trailer.length > 0) {
      await file.fh.write(trailer);
      await file.fh.datasync();
    }
    await file.fh.close();
    this.counters.add('ConnectionClosedCount');
  }

  async stop(): Promise<void> {
    await this.#closeFile();
    this.counters.stop();
  }
}
