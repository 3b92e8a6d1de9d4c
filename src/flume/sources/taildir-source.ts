import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { atLeast, defineConfig, nonEmptyString } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { ChannelException } from '../api/channel.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { messageOf } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { PollableSource, ProcessStatus } from '../api/source.ts';
import { blankList, extendedConfig } from '../config/extended-config.ts';
import { compileJavaFullMatch } from '../interceptors/java-regex.ts';
import {
  formatTaildirPositions,
  parseTaildirPositions,
  readJsonFile,
  type TaildirPosition,
  writeFileAtomic,
} from './position-file.ts';

/** Header with the byte offset of a line in its file (byteOffsetHeader). */
export const BYTE_OFFSET_HEADER = 'byteoffset';

export interface TaildirGroup {
  readonly name: string;
  readonly dir: string;
  readonly pattern: RegExp;
  readonly headers: Readonly<Record<string, string>>;
}

/** Flume 1.11 TaildirSource (`TAILDIR`) keys and defaults, plus `filegroups.<g>` and `headers.<g>.<key>`. */
export const taildirSourceConfig = extendedConfig({
  fixed: defineConfig({
    filegroups: {
      type: 'string',
      validator: nonEmptyString(),
      importance: 'high',
      doc: 'File group names, blank-separated; each needs filegroups.<group>.',
    },
    positionFile: {
      type: 'string',
      default: '~/.flume/taildir_position.json',
      validator: nonEmptyString(),
      importance: 'high',
      doc: 'JSON file of the inode, path and committed position of each tailed file.',
    },
    byteOffsetHeader: {
      type: 'boolean',
      default: false,
      importance: 'low',
      doc: `Add the line's byte offset as header '${BYTE_OFFSET_HEADER}'.`,
    },
    skipToEnd: {
      type: 'boolean',
      default: false,
      importance: 'low',
      doc: 'Start files absent from the position file at their end.',
    },
    idleTimeout: {
      type: 'long',
      default: 120000,
      validator: atLeast(0),
      importance: 'low',
      doc: 'Milliseconds without new data before a file is closed.',
    },
    writePosInterval: {
      type: 'long',
      default: 3000,
      validator: atLeast(1),
      importance: 'low',
      doc: 'Milliseconds between writes of the position file.',
    },
    batchSize: {
      type: 'int',
      default: 100,
      validator: atLeast(1),
      importance: 'medium',
      doc: 'Lines per batch.',
    },
    maxBatchCount: {
      type: 'long',
      default: Number.MAX_SAFE_INTEGER,
      validator: atLeast(1),
      importance: 'low',
      doc: 'Batches read from one file before moving to the next (default: unlimited).',
    },
    backoffSleepIncrement: {
      type: 'long',
      default: 1000,
      validator: atLeast(0),
      importance: 'low',
      doc: 'Back-off step (ms) when no file had new lines.',
    },
    maxBackOffSleep: {
      type: 'long',
      default: 5000,
      validator: atLeast(0),
      importance: 'low',
      doc: 'Longest back-off (ms).',
    },
    cachePatternMatching: {
      type: 'boolean',
      default: true,
      importance: 'low',
      doc: 'Accepted; directories are listed on every pass.',
    },
    fileHeader: {
      type: 'boolean',
      default: false,
      importance: 'low',
      doc: 'Add the absolute path as a header.',
    },
    fileHeaderKey: {
      type: 'string',
      default: 'file',
      importance: 'low',
      doc: 'Header for the absolute path.',
    },
  }),
  prefixes: ['filegroups.', 'headers.'],
  familyRows: [
    {
      key: 'filegroups.<group>',
      type: 'string',
      default: '',
      validValues: '',
      importance: 'high',
      doc: 'Absolute path of the files of a group; the file-name part is a Java regex.',
    },
    {
      key: 'headers.<group>.<key>',
      type: 'string',
      default: '',
      validValues: '',
      importance: 'low',
      doc: 'Static header added to the events of a group.',
    },
  ],
  finish({ values }, families, fail, unknown) {
    const names = blankList(values.filegroups);
    const groups: TaildirGroup[] = [];
    for (const name of names) {
      const e = families.get(`filegroups.${name}`);
      if (e === undefined) {
        fail('filegroups', `a filegroups.${name} key for every listed group (missing: filegroups.${name})`);
        continue;
      }
      const path = e.value.trim();
      if (!path.startsWith('/')) {
        fail(e, 'an absolute path whose file-name part is a Java regular expression');
        continue;
      }
      let pattern: RegExp;
      try {
        pattern = compileJavaFullMatch(basename(path)).regex;
      } catch (err) {
        fail(e, `a file name that is a Java regular expression Sluice can run: ${messageOf(err)}`);
        continue;
      }
      const headers: Record<string, string> = {};
      for (const [k, h] of families) {
        if (k.startsWith(`headers.${name}.`) && k.length > `headers.${name}.`.length) {
          headers[k.slice(`headers.${name}.`.length)] = h.value;
        }
      }
      groups.push({ name, dir: dirname(path), pattern, headers });
    }
    for (const [k, e] of families) {
      const known = names.some((n) => k === `filegroups.${n}` || k.startsWith(`headers.${n}.`));
      if (!known) unknown(e);
    }
    return { groups };
  },
});

export interface TaildirSourceOptions {
  readonly groups: readonly TaildirGroup[];
  readonly positionFile: string;
  readonly byteOffsetHeader: boolean;
  readonly skipToEnd: boolean;
  readonly idleTimeoutMs: number;
  readonly writePosIntervalMs: number;
  readonly batchSize: number;
  readonly maxBatchCount: number;
  readonly backoffSleepIncrementMs: number;
  readonly maxBackoffSleepMs: number;
  readonly fileHeader: boolean;
  readonly fileHeaderKey: string;
}

export function taildirSourceOptions(s: Readonly<Record<string, unknown>>): TaildirSourceOptions {
  const pf = s.positionFile as string;
  return {
    groups: s.groups as TaildirGroup[],
    positionFile: pf.startsWith('~/') ? join(homedir(), pf.slice(2)) : pf,
    byteOffsetHeader: s.byteOffsetHeader as boolean,
    skipToEnd: s.skipToEnd as boolean,
    idleTimeoutMs: s.idleTimeout as number,
    writePosIntervalMs: s.writePosInterval as number,
    batchSize: s.batchSize as number,
    maxBatchCount: s.maxBatchCount as number,
    backoffSleepIncrementMs: s.backoffSleepIncrement as number,
    maxBackoffSleepMs: s.maxBackOffSleep as number,
    fileHeader: s.fileHeader as boolean,
    fileHeaderKey: s.fileHeaderKey as string,
  };
}

interface Tail {
  readonly inode: number;
  path: string;
  /** Committed position: everything before it is in the channel. */
  pos: number;
  group: TaildirGroup;
  fh: FileHandle | undefined;
  /** Still matched by its group's pattern in the last scan. */
  matched: boolean;
  lastDataAt: number;
}

const CHUNK = 64 * 1024;

/**
 * Flume's Taildir source: follows the files of each group (a directory plus a file-name regex) and
 * makes one event per complete line (`\n`, or `\r\n`, removed); a last line without its newline
 * waits until the newline arrives. Files are tracked by inode, and each keeps an open descriptor, so
 * a rename rotation (app.log → app.log.1, a new app.log) reads the rest of the old file and then the
 * new one from its start: nothing lost, nothing twice. A file renamed out of its group while its
 * descriptor was closed (idle, or the agent down) is found again by inode in its directory and read
 * to its end from its position. A file's position moves only after the
 * channels committed its lines, and the position file (Flume's JSON) is written every
 * writePosInterval and on stop, so a restart resumes where the last committed batch ended (lines
 * committed after the last write are sent again, as in Flume). A file shorter than its position
 * (truncated in place) is read again from the start.
 */
export class TaildirSource implements PollableSource {
  readonly kind = 'pollable';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly backoffSleepIncrementMs: number;
  readonly maxBackoffSleepMs: number;
  readonly #o: TaildirSourceOptions;
  readonly #logger: Logger;
  readonly #tails = new Map<number, Tail>();
  /** Positions loaded from the position file, by inode, during start. */
  #saved = new Map<number, TaildirPosition>();
  #processor: ChannelProcessor | undefined;
  #posTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(name: string, options: TaildirSourceOptions, logger: Logger) {
    this.name = name;
    this.#o = options;
    this.batchSize = options.batchSize;
    this.backoffSleepIncrementMs = options.backoffSleepIncrementMs;
    this.maxBackoffSleepMs = options.maxBackoffSleepMs;
    this.#logger = logger;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#processor = processor;
    this.#saved = new Map(
      parseTaildirPositions(await readJsonFile(this.#o.positionFile)).map((p) => [p.inode, p]),
    );
    await this.#scan(true);
    // Saved positions apply to the files present at startup only, as in Flume: a file that appears
    // later is new, even when the file system gives it the inode of a file deleted meanwhile.
    this.#saved.clear();
    await this.#writePositions();
    this.#posTimer = setInterval(() => void this.#writePositions(), this.#o.writePosIntervalMs);
    this.counters.start();
    this.#logger.info('taildir source started', {
      source: this.name,
      files: [...this.#tails.values()].map((t) => ({ file: t.path, pos: t.pos })),
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#posTimer);
    this.#posTimer = undefined;
    await this.#writePositions();
    for (const t of this.#tails.values()) await t.fh?.close().catch(() => {});
    this.#tails.clear();
    this.counters.stop();
  }

  /** The committed positions, as the position file holds them. */
  positions(): TaildirPosition[] {
    return [...this.#tails.values()].map((t) => ({ inode: t.inode, pos: t.pos, file: t.path }));
  }

  #writePositions(): Promise<void> {
    const text = formatTaildirPositions(this.positions());
    this.#writing = this.#writing
      .then(() => writeFileAtomic(this.#o.positionFile, text))
      .catch((err) =>
        this.#logger.error('taildir source: cannot write the position file', {
          source: this.name,
          file: this.#o.positionFile,
          err: messageOf(err),
        }),
      );
    return this.#writing;
  }

  /** Finds the files of every group, by inode: new ones start at their saved position (or 0, or the end). */
  async #scan(initial = false): Promise<void> {
    for (const t of this.#tails.values()) t.matched = false;
    const listings = new Map<string, string[]>();
    for (const g of this.#o.groups) {
      let names = listings.get(g.dir);
      if (names === undefined) {
        try {
          names = await readdir(g.dir);
        } catch {
          continue;
        }
        listings.set(g.dir, names);
      }
      for (const n of names) {
        if (!g.pattern.test(n)) continue;
        const path = join(g.dir, n);
        let st: Awaited<ReturnType<typeof stat>>;
        try {
          st = await stat(path);
        } catch {
          continue;
        }
        if (!st.isFile()) continue;
        const inode = st.ino;
        const known = this.#tails.get(inode);
        if (known) {
          known.path = path;
          known.group = g;
          known.matched = true;
          if (st.size < known.pos) {
            this.#logger.warn('taildir source: file shrank below its position; reading it from the start', {
              source: this.name,
              file: path,
            });
            known.pos = 0;
          }
          continue;
        }
        const saved = this.#saved.get(inode);
        this.#saved.delete(inode);
        let pos = saved !== undefined ? saved.pos : this.#o.skipToEnd ? st.size : 0;
        if (pos > st.size) pos = 0;
        this.#tails.set(inode, {
          inode,
          path,
          pos,
          group: g,
          fh: undefined,
          matched: true,
          lastDataAt: Date.now(),
        });
      }
    }
    await this.#findRenamed(listings, initial);
  }

  /**
   * A rotation renames a file out of its group's pattern (app.log → app.log.1). A file whose
   * descriptor is open is read to its end through it; one without (closed as idle, or not opened
   * yet, or renamed while the agent was down) is looked for by inode among the other names of its
   * directory, so the lines written before the rename are still read from its position.
   */
  async #findRenamed(listings: ReadonlyMap<string, string[]>, initial: boolean): Promise<void> {
    const lost = new Map<number, { dir: string; stem: string; adopt: () => Tail }>();
    for (const t of this.#tails.values()) {
      if (!t.matched && t.fh === undefined)
        lost.set(t.inode, { dir: t.group.dir, stem: stemOf(t.path), adopt: () => t });
    }
    if (initial) {
      for (const p of this.#saved.values()) {
        // The saved name may itself be a rotated one (renamed before the previous restart too).
        const inDir = this.#o.groups.filter((x) => x.dir === dirname(p.file));
        const g = inDir.find((x) => x.pattern.test(basename(p.file))) ?? inDir[0];
        if (g === undefined) continue;
        lost.set(p.inode, {
          dir: g.dir,
          stem: stemOf(p.file),
          adopt: () => {
            const t: Tail = {
              inode: p.inode,
              path: p.file,
              pos: p.pos,
              group: g,
              fh: undefined,
              matched: false,
              lastDataAt: Date.now(),
            };
            this.#tails.set(p.inode, t);
            this.#saved.delete(p.inode);
            return t;
          },
        });
      }
    }
    if (lost.size === 0) return;
    for (const [dir, names] of listings) {
      for (const n of names) {
        const path = join(dir, n);
        let fh: FileHandle | undefined;
        try {
          const st = await stat(path);
          const want = lost.get(st.ino);
          // The name check guards against an inode the file system handed to an unrelated file.
          if (want === undefined || want.dir !== dir || !n.startsWith(want.stem) || !st.isFile()) continue;
          fh = await open(path, 'r');
          const opened = await fh.stat();
          if (opened.ino !== st.ino) continue;
          const t = want.adopt();
          // A file now shorter than its position is not the one the position was saved for.
          if (opened.size < t.pos) continue;
          lost.delete(st.ino);
          t.path = path;
          t.fh = fh;
          fh = undefined;
          this.#logger.info('taildir source: following a file renamed out of its group to its end', {
            source: this.name,
            file: path,
            pos: t.pos,
          });
        } catch {
          // gone meanwhile
        } finally {
          await fh?.close().catch(() => {});
        }
      }
    }
  }

  async #handle(t: Tail): Promise<FileHandle | undefined> {
    if (t.fh) return t.fh;
    if (!t.matched) return undefined;
    try {
      const fh = await open(t.path, 'r');
      if ((await fh.stat()).ino !== t.inode) {
        await fh.close();
        return undefined;
      }
      t.fh = fh;
      return fh;
    } catch {
      return undefined;
    }
  }

  /** Complete lines from `t.pos`, at most batchSize; `end` is the position after the last one. */
  async #read(t: Tail, fh: FileHandle): Promise<{ events: FlumeEvent[]; end: number }> {
    const events: FlumeEvent[] = [];
    let at = t.pos;
    let carry = Buffer.alloc(0);
    let carryStart = at;
    while (events.length < this.#o.batchSize) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await fh.read(chunk, 0, CHUNK, carryStart + carry.length);
      if (bytesRead === 0) break;
      const buf =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        if (events.length >= this.#o.batchSize) break;
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0) break;
        const lineEnd = nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl;
        const headers: Record<string, string> = { ...t.group.headers };
        if (this.#o.byteOffsetHeader) headers[BYTE_OFFSET_HEADER] = String(carryStart + start);
        if (this.#o.fileHeader) headers[this.#o.fileHeaderKey] = t.path;
        events.push({ headers, body: Buffer.from(buf.subarray(start, lineEnd)) });
        start = nl + 1;
        at = carryStart + start;
      }
      carry = Buffer.from(buf.subarray(start));
      carryStart += start;
    }
    return { events, end: at };
  }

  async process(): Promise<ProcessStatus> {
    const processor = this.#processor;
    if (processor === undefined) return 'BACKOFF';
    await this.#scan();
    let sent = 0;
    for (const t of [...this.#tails.values()]) {
      const fh = await this.#handle(t);
      if (fh === undefined) {
        if (!t.matched) this.#tails.delete(t.inode);
        continue;
      }
      for (let n = 0; n < this.#o.maxBatchCount; n++) {
        let read: { events: FlumeEvent[]; end: number };
        try {
          read = await this.#read(t, fh);
        } catch (err) {
          this.counters.add('EventReadFail');
          this.#logger.error('taildir source: cannot read file', {
            source: this.name,
            file: t.path,
            err: messageOf(err),
          });
          break;
        }
        if (read.events.length === 0) break;
        this.counters.add('EventReceivedCount', read.events.length);
        this.counters.add('AppendBatchReceivedCount');
        try {
          await processor.processEventBatch(read.events);
        } catch (err) {
          if (!(err instanceof ChannelException)) throw err;
          this.counters.add('ChannelWriteFail');
          this.#logger.warn('taildir source: the channel refused a batch', {
            source: this.name,
            err: err.message,
          });
          return 'BACKOFF';
        }
        t.pos = read.end;
        t.lastDataAt = Date.now();
        sent += read.events.length;
        this.counters.add('EventAcceptedCount', read.events.length);
        this.counters.add('AppendBatchAcceptedCount');
        if (read.events.length < this.#o.batchSize) break;
      }
      await this.#maybeClose(t);
    }
    return sent > 0 ? 'READY' : 'BACKOFF';
  }

  /** Closes idle files; a file rotated out of its group is forgotten once read to its last line. */
  async #maybeClose(t: Tail): Promise<void> {
    if (Date.now() - t.lastDataAt < this.#o.idleTimeoutMs) return;
    await t.fh?.close().catch(() => {});
    t.fh = undefined;
    if (!t.matched) this.#tails.delete(t.inode);
  }
}

/** A file name without its last extension (app.log → app): rotated names keep it (app.log.1, app-2024.log). */
function stemOf(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}
