import { mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { atLeast, defineConfig, nonEmptyString, oneOf } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { ChannelException } from '../api/channel.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { EventDrivenSource } from '../api/source.ts';
import { compileJavaFullMatch } from '../interceptors/java-regex.ts';
import { AvroDeserializer, type AvroSchemaType } from './avro-deserializer.ts';
import {
  canonicalCharset,
  DECODE_ERROR_POLICIES,
  type DecodeErrorPolicy,
  type EventDeserializer,
  type FilePosition,
  INPUT_CHARSETS,
  LineDeserializer,
  OUTPUT_CHARSETS,
} from './line-deserializer.ts';
import { javaFullMatchRegex, readJsonFile, writeFileAtomic } from './position-file.ts';

const charsetValidator = (allowed: readonly string[]) => ({
  expected: `one of ${allowed.join(', ')}`,
  test: (v: string) => allowed.includes(canonicalCharset(v) ?? ''),
});

const DESERIALIZERS: Readonly<Record<string, 'LINE' | 'AVRO'>> = {
  line: 'LINE',
  avro: 'AVRO',
  'org.apache.flume.serialization.linedeserializer$builder': 'LINE',
  'org.apache.flume.serialization.avroeventdeserializer$builder': 'AVRO',
};

/** Flume 1.11 SpoolDirectorySource (`spooldir`) keys and defaults. */
export const spoolDirSourceConfig = defineConfig({
  spoolDir: { type: 'string', validator: nonEmptyString(), importance: 'high', doc: 'Directory to ingest.' },
  fileSuffix: {
    type: 'string',
    default: '.COMPLETED',
    validator: nonEmptyString(),
    importance: 'medium',
    doc: 'Suffix appended to (or, with trackingPolicy tracker_dir, marking) fully ingested files.',
  },
  deletePolicy: {
    type: 'string',
    default: 'never',
    validator: oneOf(['never', 'immediate']),
    importance: 'medium',
    doc: 'Delete completed files at once (immediate) or keep them (never).',
  },
  fileHeader: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Add the absolute path as a header.',
  },
  fileHeaderKey: { type: 'string', default: 'file', importance: 'low', doc: 'Header for the absolute path.' },
  basenameHeader: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Add the file name as a header.',
  },
  basenameHeaderKey: {
    type: 'string',
    default: 'basename',
    importance: 'low',
    doc: 'Header for the file name.',
  },
  includePattern: {
    type: 'string',
    default: '^.*$',
    validator: javaFullMatchRegex(),
    importance: 'medium',
    doc: 'Java regex a file name must match to be ingested.',
  },
  ignorePattern: {
    type: 'string',
    default: '^$',
    validator: javaFullMatchRegex(),
    importance: 'medium',
    doc: 'Java regex of file names to skip (wins over includePattern).',
  },
  trackerDir: {
    type: 'string',
    default: '.flumespool',
    validator: nonEmptyString(),
    importance: 'low',
    doc: 'Directory (relative to spoolDir unless absolute) holding the read position and tracker files.',
  },
  trackingPolicy: {
    type: 'string',
    default: 'rename',
    validator: oneOf(['rename', 'tracker_dir']),
    importance: 'low',
    doc: 'rename: completed files get fileSuffix; tracker_dir: an empty <name><fileSuffix> file in trackerDir.',
  },
  consumeOrder: {
    type: 'string',
    default: 'oldest',
    validator: oneOf(['oldest', 'youngest', 'random'], { caseInsensitive: true }),
    importance: 'low',
    doc: 'Which eligible file next: oldest or youngest modification time, or random.',
  },
  pollDelay: {
    type: 'int',
    default: 500,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Milliseconds between polls for new files.',
  },
  recursiveDirectorySearch: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Also ingest files in subdirectories.',
  },
  maxBackoff: {
    type: 'int',
    default: 4000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Longest wait (ms) between retries while the channel is full.',
  },
  batchSize: {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per batch.',
  },
  inputCharset: {
    type: 'string',
    default: 'UTF-8',
    validator: charsetValidator(INPUT_CHARSETS),
    importance: 'low',
    doc: 'Charset of text files (LINE).',
  },
  decodeErrorPolicy: {
    type: 'string',
    default: 'FAIL',
    validator: oneOf(DECODE_ERROR_POLICIES, { caseInsensitive: true }),
    importance: 'low',
    doc: 'Undecodable bytes: FAIL the file, REPLACE them with U+FFFD, or IGNORE them.',
  },
  deserializer: {
    type: 'string',
    default: 'LINE',
    validator: {
      expected: 'LINE or AVRO',
      test: (v: string) => DESERIALIZERS[v.toLowerCase()] !== undefined,
    },
    importance: 'medium',
    doc: 'How files become events: LINE (one per line) or AVRO (one per record of an Avro container file).',
  },
  'deserializer.maxLineLength': {
    type: 'int',
    default: 2048,
    validator: atLeast(1),
    importance: 'low',
    doc: 'LINE: longest event in characters; the rest of a longer line comes as the next event.',
  },
  'deserializer.outputCharset': {
    type: 'string',
    default: 'UTF-8',
    validator: charsetValidator(OUTPUT_CHARSETS),
    importance: 'low',
    doc: 'LINE: charset of event bodies.',
  },
  'deserializer.schemaType': {
    type: 'string',
    default: 'HASH',
    validator: oneOf(['HASH', 'LITERAL'], { caseInsensitive: true }),
    importance: 'low',
    doc: 'AVRO: header flume.avro.schema.hash (HASH) or flume.avro.schema.literal (LITERAL).',
  },
});

export interface SpoolDirSourceOptions {
  readonly spoolDir: string;
  readonly fileSuffix: string;
  readonly deletePolicy: 'never' | 'immediate';
  readonly fileHeader: boolean;
  readonly fileHeaderKey: string;
  readonly basenameHeader: boolean;
  readonly basenameHeaderKey: string;
  readonly includePattern: RegExp;
  readonly ignorePattern: RegExp;
  readonly trackerDir: string;
  readonly trackingPolicy: 'rename' | 'tracker_dir';
  readonly consumeOrder: 'oldest' | 'youngest' | 'random';
  readonly pollDelayMs: number;
  readonly recursiveDirectorySearch: boolean;
  readonly maxBackoffMs: number;
  readonly batchSize: number;
  readonly inputCharset: string;
  readonly decodeErrorPolicy: DecodeErrorPolicy;
  readonly deserializer: 'LINE' | 'AVRO';
  readonly maxLineLength: number;
  readonly outputCharset: string;
  readonly schemaType: AvroSchemaType;
}

export function spoolDirSourceOptions(s: Readonly<Record<string, unknown>>): SpoolDirSourceOptions {
  const str = (k: string) => s[k] as string;
  return {
    spoolDir: str('spoolDir'),
    fileSuffix: str('fileSuffix'),
    deletePolicy: str('deletePolicy') as 'never' | 'immediate',
    fileHeader: s.fileHeader as boolean,
    fileHeaderKey: str('fileHeaderKey'),
    basenameHeader: s.basenameHeader as boolean,
    basenameHeaderKey: str('basenameHeaderKey'),
    includePattern: compileJavaFullMatch(str('includePattern')).regex,
    ignorePattern: compileJavaFullMatch(str('ignorePattern')).regex,
    trackerDir: str('trackerDir'),
    trackingPolicy: str('trackingPolicy') as 'rename' | 'tracker_dir',
    consumeOrder: str('consumeOrder').toLowerCase() as 'oldest' | 'youngest' | 'random',
    pollDelayMs: s.pollDelay as number,
    recursiveDirectorySearch: s.recursiveDirectorySearch as boolean,
    maxBackoffMs: s.maxBackoff as number,
    batchSize: s.batchSize as number,
    inputCharset: canonicalCharset(str('inputCharset'))!,
    decodeErrorPolicy: str('decodeErrorPolicy').toUpperCase() as DecodeErrorPolicy,
    deserializer: DESERIALIZERS[str('deserializer').toLowerCase()]!,
    maxLineLength: s['deserializer.maxLineLength'] as number,
    outputCharset: canonicalCharset(str('deserializer.outputCharset'))!,
    schemaType: str('deserializer.schemaType').toUpperCase() as AvroSchemaType,
  };
}

/** Name of the read-position file in trackerDir (Flume's DurablePositionTracker file). */
export const META_FILE = '.flumespool-main.meta';

interface Current {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly deserializer: EventDeserializer;
}

/**
 * Flume's spooling directory source. Files dropped into spoolDir (complete and never written again)
 * are read one at a time, in consumeOrder, and sent in batches of batchSize events. After each
 * committed batch the read position is saved (fsynced) in `<trackerDir>/.flumespool-main.meta`, so a
 * restart resumes the file after the last committed event without repeating it. A file is marked
 * completed (renamed with fileSuffix, a tracker file, or deleted) only once every event of it is
 * committed. A file that changes size or modification time while being read, a name re-used after
 * completion, or bytes that cannot be decoded stop that file with an error in the log; the source
 * goes on with the other files. A batch the channels refuse is retried (same events) with back-off
 * from 250 ms doubling up to maxBackoff.
 */
export class SpoolDirSource implements EventDrivenSource {
  readonly kind = 'event-driven';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly #o: SpoolDirSourceOptions;
  readonly #logger: Logger;
  readonly #spoolDir: string;
  readonly #trackerDir: string;
  /** Files that failed, by path; skipped until the agent restarts. */
  readonly #failed = new Set<string>();
  #current: Current | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(name: string, options: SpoolDirSourceOptions, logger: Logger) {
    this.name = name;
    this.#o = options;
    this.batchSize = options.batchSize;
    this.#logger = logger;
    this.#spoolDir = resolve(options.spoolDir);
    this.#trackerDir = isAbsolute(options.trackerDir)
      ? options.trackerDir
      : join(this.#spoolDir, options.trackerDir);
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  get #metaPath(): string {
    return join(this.#trackerDir, META_FILE);
  }

  async start(processor: ChannelProcessor): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.#spoolDir);
    } catch (err) {
      throw new Error(
        `spooldir source ${this.name}: spoolDir ${this.#spoolDir} cannot be read: ${messageOf(err)}`,
      );
    }
    if (!st.isDirectory())
      throw new Error(`spooldir source ${this.name}: spoolDir ${this.#spoolDir} is not a directory`);
    await mkdir(this.#trackerDir, { recursive: true });
    this.counters.start();
    this.#stopping = false;
    this.#loop = this.#run(processor);
    this.#logger.info('spooldir source started', { source: this.name, spoolDir: this.#spoolDir });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = undefined;
    await this.#current?.deserializer.close();
    this.#current = undefined;
    this.counters.stop();
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#stopping) return;
    await new Promise<void>((done) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        done();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        done();
      };
    });
  }

  async #run(processor: ChannelProcessor): Promise<void> {
    while (!this.#stopping) {
      try {
        if (this.#current === undefined) {
          this.#current = await this.#openNext();
          if (this.#current === undefined) {
            await this.#sleep(this.#o.pollDelayMs);
            continue;
          }
        }
        await this.#step(processor, this.#current);
      } catch (err) {
        this.counters.add('GenericProcessingFail');
        this.#logger.error('spooldir source error', { source: this.name, err: messageOf(err) });
        await this.#sleep(this.#o.pollDelayMs);
      }
    }
  }

  /** Reads, delivers and marks one batch of the current file, or completes it at its end. */
  async #step(processor: ChannelProcessor, cur: Current): Promise<void> {
    let events: FlumeEvent[];
    try {
      await this.#checkUnchanged(cur);
      events = await cur.deserializer.readEvents(this.#o.batchSize);
    } catch (err) {
      this.counters.add('EventReadFail');
      await this.#failFile(cur, messageOf(err));
      return;
    }
    if (events.length === 0) {
      await this.#complete(cur);
      return;
    }
    const headers: Record<string, string> = {};
    if (this.#o.fileHeader) headers[this.#o.fileHeaderKey] = cur.path;
    if (this.#o.basenameHeader) headers[this.#o.basenameHeaderKey] = basename(cur.path);
    const batch = events.map((e) => ({ headers: { ...e.headers, ...headers }, body: e.body }));
    this.counters.add('EventReceivedCount', batch.length);
    this.counters.add('AppendBatchReceivedCount');
    let backoff = 250;
    for (;;) {
      try {
        await processor.processEventBatch(batch);
        break;
      } catch (err) {
        this.counters.add('ChannelWriteFail');
        if (!(err instanceof ChannelException)) {
          cur.deserializer.reset();
          throw err;
        }
        this.#logger.warn('spooldir source: the channel refused a batch; retrying', {
          source: this.name,
          err: err.message,
          retryInMs: backoff,
        });
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, this.#o.maxBackoffMs);
        if (this.#stopping) {
          cur.deserializer.reset();
          return;
        }
      }
    }
    cur.deserializer.mark();
    await this.#saveMeta(cur.path, cur.deserializer.markPosition);
    this.counters.add('EventAcceptedCount', batch.length);
    this.counters.add('AppendBatchAcceptedCount');
  }

  async #checkUnchanged(cur: Current): Promise<void> {
    const st = await stat(cur.path);
    if (st.size !== cur.size) throw new Error(`File has changed size since being read: ${cur.path}`);
    if (st.mtimeMs !== cur.mtimeMs) throw new Error(`File has been modified since being read: ${cur.path}`);
  }

  async #failFile(cur: Current, reason: string): Promise<void> {
    this.#logger.error(
      'spooldir source: giving up on file (it stays in the spool directory, not completed)',
      {
        source: this.name,
        file: cur.path,
        err: reason,
      },
    );
    this.#failed.add(cur.path);
    await cur.deserializer.close();
    this.#current = undefined;
  }

  async #complete(cur: Current): Promise<void> {
    try {
      await this.#checkUnchanged(cur);
    } catch (err) {
      await this.#failFile(cur, messageOf(err));
      return;
    }
    await cur.deserializer.close();
    this.#current = undefined;
    const o = this.#o;
    if (o.deletePolicy === 'immediate') {
      await unlink(cur.path);
    } else if (o.trackingPolicy === 'tracker_dir') {
      const marker = join(this.#trackerDir, `${relative(this.#spoolDir, cur.path)}${o.fileSuffix}`);
      await mkdir(join(marker, '..'), { recursive: true });
      await writeFile(marker, '');
    } else {
      const dest = `${cur.path}${o.fileSuffix}`;
      if (await exists(dest)) {
        this.#failed.add(cur.path);
        this.#logger.error('spooldir source: file name re-used, spooling assumptions violated', {
          source: this.name,
          file: cur.path,
          err: `File name has been re-used with different files. Spooling assumptions violated for ${dest}`,
        });
        return;
      }
      await rename(cur.path, dest);
    }
    await unlink(this.#metaPath).catch(() => {});
    this.#logger.info('spooldir source: file completed', { source: this.name, file: cur.path });
  }

  async #saveMeta(path: string, pos: FilePosition): Promise<void> {
    await writeFileAtomic(this.#metaPath, JSON.stringify({ file: path, ...pos }));
  }

  async #openNext(): Promise<Current | undefined> {
    const candidates = await this.#candidates();
    if (candidates.length === 0) return undefined;
    // A file read before a restart comes first, from its saved position.
    const meta = (await readJsonFile(this.#metaPath)) as {
      file?: unknown;
      offset?: unknown;
      record?: unknown;
    };
    let path: string | undefined;
    let start: FilePosition | undefined;
    if (meta && typeof meta.file === 'string' && typeof meta.offset === 'number') {
      const saved = candidates.find((c) => c.path === meta.file);
      if (saved) {
        path = saved.path;
        start = { offset: meta.offset, ...(typeof meta.record === 'number' ? { record: meta.record } : {}) };
      }
    }
    if (path === undefined) {
      const order = this.#o.consumeOrder;
      if (order === 'random') {
        path = candidates[Math.floor(Math.random() * candidates.length)]!.path;
      } else {
        candidates.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        path = (order === 'oldest' ? candidates[0] : candidates.at(-1))!.path;
      }
    }
    const st = await stat(path);
    let deserializer: EventDeserializer;
    try {
      deserializer =
        this.#o.deserializer === 'AVRO'
          ? await AvroDeserializer.open(path, this.#o.schemaType, start)
          : await LineDeserializer.open(
              path,
              {
                maxLineLength: this.#o.maxLineLength,
                inputCharset: this.#o.inputCharset,
                outputCharset: this.#o.outputCharset,
                decodeErrorPolicy: this.#o.decodeErrorPolicy,
              },
              start?.offset ?? 0,
            );
    } catch (err) {
      this.counters.add('EventReadFail');
      this.#failed.add(path);
      this.#logger.error(
        'spooldir source: giving up on file (it stays in the spool directory, not completed)',
        {
          source: this.name,
          file: path,
          err: messageOf(err),
        },
      );
      return undefined;
    }
    if (start === undefined) await this.#saveMeta(path, deserializer.markPosition);
    this.#logger.info('spooldir source: reading file', {
      source: this.name,
      file: path,
      ...(start ? { resumeAt: start } : {}),
    });
    return { path, size: st.size, mtimeMs: st.mtimeMs, deserializer };
  }

  /** Eligible files: not hidden, not completed, not the tracker dir, matching the patterns. */
  async #candidates(): Promise<{ path: string; mtimeMs: number }[]> {
    const out: { path: string; mtimeMs: number }[] = [];
    const o = this.#o;
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.name.startsWith('.') || path === this.#trackerDir) continue;
        if (e.isDirectory()) {
          if (o.recursiveDirectorySearch) await walk(path);
          continue;
        }
        if (!e.isFile()) continue;
        if (o.trackingPolicy === 'rename' && e.name.endsWith(o.fileSuffix)) continue;
        if (!o.includePattern.test(e.name) || o.ignorePattern.test(e.name)) continue;
        if (this.#failed.has(path)) continue;
        if (
          o.trackingPolicy === 'tracker_dir' &&
          (await exists(join(this.#trackerDir, `${relative(this.#spoolDir, path)}${o.fileSuffix}`)))
        ) {
          continue;
        }
        try {
          out.push({ path, mtimeMs: (await stat(path)).mtimeMs });
        } catch {
          // removed meanwhile
        }
      }
    };
    await walk(this.#spoolDir);
    return out;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
