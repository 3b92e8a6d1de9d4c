import { mkdir, open, readFile, rename, statfs, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { assert, DecodeError } from '../../base/index.ts';
import { atLeast, defineConfig, nonEmptyList, nonEmptyString } from '../../config/index.ts';
import { WalCorruptError, WriteAheadLog } from '../../storage/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { type Channel, ChannelException, ChannelFullException, type Transaction } from '../api/channel.ts';
import { CHANNEL_COUNTERS, CounterGroup } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import { extendedConfig } from '../config/extended-config.ts';
import {
  type Checkpoint,
  COMMIT,
  decodeCheckpoint,
  decodeLogRecord,
  type EventPointer,
  encodeCheckpoint,
  encodeCommit,
  encodePuts,
  eventBytes,
  pointerKey,
} from './file-channel-format.ts';

const fixedKeys = defineConfig({
  checkpointDir: {
    type: 'string',
    default: '~/.flume/file-channel/checkpoint',
    validator: nonEmptyString(),
    importance: 'high',
    doc: 'Directory of the checkpoint (a leading ~ is the home directory).',
  },
  useDualCheckpoints: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Also copy each checkpoint to backupCheckpointDir.',
  },
  backupCheckpointDir: {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'Backup checkpoint directory (required with useDualCheckpoints; must differ from the others).',
  },
  dataDirs: {
    type: 'list',
    default: ['~/.flume/file-channel/data'],
    validator: nonEmptyList(),
    importance: 'high',
    doc: 'Comma-separated log directories; transactions are spread over them.',
  },
  transactionCapacity: {
    type: 'int',
    default: 10000,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Most events one transaction puts or takes.',
  },
  checkpointInterval: {
    type: 'long',
    default: 30000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Milliseconds between checkpoints.',
  },
  maxFileSize: {
    type: 'long',
    default: 2146435071,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Largest log file in bytes (at least 1 MiB is used).',
  },
  minimumRequiredSpace: {
    type: 'long',
    default: 524288000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Free bytes a data dir must keep; below it puts and commits are refused.',
  },
  capacity: {
    type: 'int',
    default: 1000000,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Most events the channel holds.',
  },
  'keep-alive': {
    type: 'int',
    default: 3,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Seconds a take waits for an event, and a commit for space.',
  },
  'use-log-replay-v1': {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Accepted for compatibility; Sluice has one replay procedure.',
  },
  'use-fast-replay': {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Accepted for compatibility; Sluice has one replay procedure.',
  },
  checkpointOnClose: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Write a checkpoint on stop, so the next start replays little.',
  },
  fsyncPerTransaction: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Accepted (undocumented Flume key); Sluice always syncs before a commit resolves.',
  },
  fsyncInterval: {
    type: 'int',
    default: 5,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Accepted (undocumented Flume key, seconds); not used.',
  },
  compressBackupCheckpoint: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Accepted (undocumented Flume key); the backup checkpoint is a plain copy.',
  },
});

const ENCRYPTION = 'encryption.';

/** Flume 1.11 FileChannel keys and defaults; every `encryption.*` key fails startup. */
export const fileChannelConfig = extendedConfig({
  fixed: fixedKeys,
  prefixes: [ENCRYPTION],
  familyRows: [
    {
      key: `${ENCRYPTION}*`,
      type: 'string',
      default: '',
      validValues: 'none',
      importance: 'low',
      doc: 'Not supported: any encryption key fails startup.',
    },
  ],
  finish(parsed, families, fail) {
    for (const e of families.values()) {
      fail(
        e,
        "no such key: encryption is not supported by Sluice's file channel (remove every encryption.* key)",
      );
    }
    const v = parsed.values;
    if (v.transactionCapacity > v.capacity) {
      fail('transactionCapacity', `at most the channel's capacity (${v.capacity})`);
    }
    if (v.useDualCheckpoints && v.backupCheckpointDir === null) {
      fail('useDualCheckpoints', 'backupCheckpointDir to be set when useDualCheckpoints is true');
    }
    return {};
  },
});

export interface FileChannelOptions {
  readonly checkpointDir: string;
  readonly dataDirs: readonly string[];
  readonly useDualCheckpoints?: boolean;
  readonly backupCheckpointDir?: string | null;
  readonly capacity?: number;
  readonly transactionCapacity?: number;
  readonly checkpointIntervalMs?: number;
  readonly maxFileSize?: number;
  readonly minimumRequiredSpace?: number;
  readonly keepAliveMs?: number;
  readonly checkpointOnClose?: boolean;
  readonly logger?: Logger;
  /** Free bytes available to this user in `dir` (tests inject low values). Default fs.statfs. */
  readonly freeBytes?: (dir: string) => Promise<number>;
  /** Whether a process id is alive, for stale lock files. Default: signal 0. */
  readonly isProcessAlive?: (pid: number) => boolean;
}

type Settings = Readonly<Record<string, unknown>>;

const expandHome = (p: string): string =>
  resolve(p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

/** Options from the parsed `fileChannelConfig` settings. */
export function fileChannelOptions(
  s: Settings,
  keepAliveMs: number | undefined,
  logger: Logger,
): FileChannelOptions {
  const backup = s.backupCheckpointDir as string | null;
  return {
    checkpointDir: expandHome(s.checkpointDir as string),
    dataDirs: (s.dataDirs as string[]).map(expandHome),
    useDualCheckpoints: s.useDualCheckpoints as boolean,
    backupCheckpointDir: backup === null ? null : expandHome(backup),
    capacity: s.capacity as number,
    transactionCapacity: s.transactionCapacity as number,
    checkpointIntervalMs: s.checkpointInterval as number,
    maxFileSize: s.maxFileSize as number,
    minimumRequiredSpace: s.minimumRequiredSpace as number,
    keepAliveMs: keepAliveMs ?? (s['keep-alive'] as number) * 1000,
    checkpointOnClose: s.checkpointOnClose as boolean,
    logger,
  };
}

const FILE_CHANNEL_COUNTERS = [
  ...CHANNEL_COUNTERS,
  'EventPutErrorCount',
  'EventTakeErrorCount',
  'CheckpointWriteErrorCount',
  'CheckpointBackupWriteErrorCount',
  'Unhealthy',
] as const;

const LOCK_FILE = 'in_use.lock';
const CHECKPOINT_FILE = 'checkpoint';
const RECORD_BYTES_CAP = 64 * 1024 * 1024;
const MIN_FILE_BYTES = 1024 * 1024;
/** After a failed log write, how often reopening the log is attempted. */
const HEAL_INTERVAL_MS = 1000;

/** Locks held by this process: a second channel here on the same dirs is refused too. */
const heldLocks = new Set<string>();

/** A queued event and where it is in the log (one object per event: it is also its pointer). */
interface Entry extends EventPointer {
  readonly event: FlumeEvent;
  /** Arrival stamp, to put the events taken by open transactions back in queue order. */
  readonly n: number;
}

/**
 * Flume's durable file channel, with Sluice's own on-disk format (file-channel-format.ts). Each
 * commit writes its puts and takes to the write-ahead log of one data dir (round robin) and resolves
 * after the log's sync, shared by concurrent commits. Commits are applied in the order they were
 * numbered, which is also their replay order. Every `checkpointInterval` the queue of event pointers
 * is written atomically to `checkpointDir` (and `backupCheckpointDir`), and log files below every
 * pointer still needed are deleted. Start-up loads the checkpoint (else the backup, else replays
 * every log file) and replays the log after it. Queued events are also held in memory (Flume reads
 * them back from its files), so `capacity` bounds memory as well.
 */
export class FileChannel implements Channel {
  readonly name: string;
  readonly counters: CounterGroup<(typeof FILE_CHANNEL_COUNTERS)[number]>;
  readonly capacity: number;
  readonly transactionCapacity: number;
  readonly keepAliveMs: number;
  readonly checkpointDir: string;
  readonly backupCheckpointDir: string | null;
  readonly dataDirs: readonly string[];
  readonly #o: FileChannelOptions;
  readonly #recordBytesMax: number;
  #wals: WriteAheadLog[] = [];
  #locks: string[] = [];
  #queue: Entry[] = [];
  #head = 0;
  /** Queue + events taken by open transactions + puts of commits in progress. */
  #used = 0;
  #stamp = 0;
  readonly #inflightTakes = new Set<Entry>();
  /** First log seq of each commit being written, per data dir (replay must start at or before it). */
  readonly #inflightCommits = new Map<number, { dir: number; seq: number }>();
  #nextOrder = 0;
  /** Commits below this order are applied. */
  #appliedOrder = 0;
  #applyChain: Promise<void> = Promise.resolve();
  #txIds = 0;
  #nextDir = 0;
  #lowSpace: string | null = null;
  #spaceRecheck: Promise<void> | null = null;
  #unhealthy: string | null = null;
  #healing: Promise<void> | null = null;
  #healedAt = 0;
  #open = false;
  #timer: NodeJS.Timeout | null = null;
  #checkpointing: Promise<void> | null = null;
  readonly #waiters = new Set<() => void>();

  constructor(name: string, options: FileChannelOptions) {
    this.name = name;
    this.#o = options;
    this.capacity = options.capacity ?? 1000000;
    this.transactionCapacity = options.transactionCapacity ?? 10000;
    assert(this.capacity >= 1 && this.transactionCapacity >= 1, 'capacities are positive');
    this.keepAliveMs = options.keepAliveMs ?? 3000;
    this.checkpointDir = resolve(options.checkpointDir);
    this.dataDirs = options.dataDirs.map((d) => resolve(d));
    this.backupCheckpointDir = options.useDualCheckpoints
      ? resolve(options.backupCheckpointDir ?? missingBackup(name))
      : null;
    const all = [
      this.checkpointDir,
      ...this.dataDirs,
      ...(this.backupCheckpointDir ? [this.backupCheckpointDir] : []),
    ];
    if (new Set(all).size !== all.length) {
      throw new ChannelException(
        `file channel ${name}: checkpointDir, backupCheckpointDir and dataDirs must all be different directories (${all.join(', ')})`,
      );
    }
    this.#recordBytesMax = Math.min(RECORD_BYTES_CAP, Math.floor(this.#fileBytesMax() / 2));
    this.counters = new CounterGroup('CHANNEL', name, FILE_CHANNEL_COUNTERS);
    this.counters.set('ChannelCapacity', this.capacity);
    this.counters.gauge('ChannelFillPercentage', () => (this.size / this.capacity) * 100);
    this.counters.gauge('Open', () => String(this.#open));
  }

  /** Committed events waiting to be taken. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  getTransaction(): Transaction {
    return new FileTransaction(this, this.#txIds++);
  }

  async start(): Promise<void> {
    assert(!this.#open, `file channel ${this.name} already started`);
    for (const d of [
      this.checkpointDir,
      ...this.dataDirs,
      ...(this.backupCheckpointDir ? [this.backupCheckpointDir] : []),
    ]) {
      await mkdir(d, { recursive: true });
      await this.#lock(d);
    }
    try {
      await this.#openWals();
      await this.#recover();
      this.#open = true;
      await this.checkpoint();
    } catch (err) {
      this.#open = false;
      await this.#closeAll();
      throw err;
    }
    this.counters.start();
    this.#schedule();
  }

  interruptWaits(): void {
    this.#wake();
  }

  async stop(): Promise<void> {
    if (!this.#open) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#wake();
    await this.#applyChain;
    await this.#healing;
    if (this.#o.checkpointOnClose ?? true) {
      try {
        await this.checkpoint();
      } catch {
        // counted; the next start replays the log instead
      }
    }
    this.#open = false;
    await this.#closeAll();
    this.counters.stop();
  }

  /**
   * Writes a checkpoint now (also done every checkpointInterval) and deletes the log files no
   * longer needed. Rejects when the checkpoint could not be written.
   */
  async checkpoint(): Promise<void> {
    while (this.#checkpointing) await this.#checkpointing;
    this.#checkpointing = this.#writeCheckpoint();
    try {
      await this.#checkpointing;
    } finally {
      this.#checkpointing = null;
    }
  }

  // --- used by FileTransaction ------------------------------------------------------------------

  /** @internal */
  checkOpen(): void {
    if (!this.#open) throw new ChannelException(`file channel ${this.name} is not open`);
    if (this.#unhealthy) {
      this.#heal();
      throw new ChannelException(`file channel ${this.name} is unhealthy: ${this.#unhealthy}`);
    }
  }

  /** Checks a put; returns the event's size bound (eventBytes). @internal */
  checkPut(event: FlumeEvent): number {
    this.checkOpen();
    if (this.#lowSpace) {
      // Puts stay refused until a check finds space again; it runs in the background.
      this.#spaceRecheck ??= this.#recheckSpace().finally(() => {
        this.#spaceRecheck = null;
      });
      throw new ChannelException(this.#lowSpace);
    }
    const bytes = eventBytes(event);
    if (bytes + 64 > this.#recordBytesMax) {
      throw new ChannelException(
        `event of ${event.body.length} bytes is larger than the file channel ${this.name} can log (${this.#recordBytesMax} bytes with maxFileSize ${this.#fileBytesMax()})`,
      );
    }
    return bytes;
  }

  /** @internal */
  takeHead(): Entry | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const e = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined as unknown as Entry;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#inflightTakes.add(e);
    this.#syncSize();
    return e;
  }

  /** Puts rolled-back takes back at the head, in their original order. @internal */
  returnTakes(taken: readonly Entry[]): void {
    let takes = taken;
    // After a reopen, events taken before it are already back in the queue.
    takes = takes.filter((e) => this.#inflightTakes.delete(e));
    if (takes.length === 0) return;
    if (this.#head >= takes.length) {
      this.#head -= takes.length;
      for (let i = 0; i < takes.length; i++) this.#queue[this.#head + i] = takes[i]!;
    } else {
      this.#queue = [...takes, ...this.#queue.slice(this.#head)];
      this.#head = 0;
    }
    this.#syncSize();
    this.#wake();
  }

  /**
   * Logs and applies one transaction: space check, capacity reservation (waiting up to the
   * keep-alive), PUTS records + COMMIT record, one sync, then in commit order the takes leave and
   * the puts join the tail. Throws ChannelException with nothing applied.
   * @internal
   */
  async commit(
    txId: number,
    puts: readonly FlumeEvent[],
    takes: readonly Entry[],
    putBytes?: number,
  ): Promise<void> {
    this.checkOpen();
    const dir = this.#nextDir;
    this.#nextDir = (this.#nextDir + 1) % this.dataDirs.length;
    if (puts.length > 0) await this.#checkSpace(dir);
    const grow = puts.length - takes.length;
    if (grow > 0) {
      const deadline = Date.now() + this.keepAliveMs;
      while (this.#used + grow > this.capacity) {
        const left = deadline - Date.now();
        if (left <= 0 || !this.#open) {
          throw new ChannelFullException(
            `Space for commit to queue couldn't be acquired. Sinks are likely not keeping up with sources, or the buffer size is too tight (channel ${this.name}, capacity ${this.capacity})`,
          );
        }
        await this.#waitForChange(left);
      }
    }
    this.checkOpen();
    if (takes.some((t) => !this.#inflightTakes.has(t))) {
      throw new ChannelException(
        `file channel ${this.name} reopened its log since this transaction's takes; they are back in the queue`,
      );
    }
    this.#used += puts.length;
    const order = this.#nextOrder++;
    const prev = this.#applyChain;
    let settle!: () => void;
    this.#applyChain = new Promise((r) => {
      settle = r;
    });
    const wal = this.#wals[dir]!;
    let putSeqs: number[] = [];
    let chunks: { events: readonly FlumeEvent[]; bytes: number }[] = [];
    try {
      chunks = this.#chunk(puts, putBytes);
      putSeqs = chunks.map((c) => wal.appendNoSync(encodePuts(txId, c.events, c.bytes)));
      this.#inflightCommits.set(order, { dir, seq: putSeqs[0] ?? wal.nextSeq });
      await wal.append(encodeCommit(txId, order, putSeqs, takes));
    } catch (err) {
      // Set first: no checkpoint may record log positions past what the disk really holds.
      this.#unhealthy = `log write failed: ${err instanceof Error ? err.message : String(err)}`;
      this.counters.set('Unhealthy', 1);
      this.#inflightCommits.delete(order);
      this.#used -= puts.length;
      await prev;
      this.#appliedOrder = order + 1;
      settle();
      throw new ChannelException(
        `file channel ${this.name}: commit failed in ${this.dataDirs[dir]}: ${this.#unhealthy}`,
        {
          cause: err,
        },
      );
    }
    await prev;
    for (const t of takes) this.#inflightTakes.delete(t);
    this.#used -= takes.length;
    for (let c = 0; c < chunks.length; c++) {
      const seq = putSeqs[c]!;
      const events = chunks[c]!.events;
      for (let index = 0; index < events.length; index++) {
        this.#queue.push({ dir, seq, index, event: events[index]!, n: this.#stamp++ });
      }
    }
    this.#inflightCommits.delete(order);
    this.#appliedOrder = order + 1;
    settle();
    this.#syncSize();
    this.#wake();
  }

  /** Resolves when the channel changes or `ms` passes, whichever is first. @internal */
  waitForChange(ms: number): Promise<void> {
    return this.#waitForChange(ms);
  }

  // --- internals ---------------------------------------------------------------------------------

  async #openWals(): Promise<void> {
    for (const d of this.dataDirs) {
      const wal = await WriteAheadLog.open(d, {
        fileBytesMax: this.#fileBytesMax(),
        recordBytesMax: this.#recordBytesMax,
      });
      if (wal.recovery.truncated) {
        const t = wal.recovery.truncated;
        this.#o.logger?.warn('file channel: cut a torn log tail', {
          channel: this.name,
          dir: d,
          file: t.file,
          offset: t.offset,
          reason: t.reason,
          bytes: t.bytesDiscarded,
        });
      }
      this.#wals.push(wal);
    }
  }

  /**
   * After a failed log write (a full disk, an I/O error) the channel refuses everything until it
   * has reopened its logs and rebuilt its queue from them, exactly as a restart would: the torn
   * tail is cut, every committed transaction comes back, and events that open transactions had
   * taken return to the queue (their commits then fail, their rollbacks do nothing). Attempted at
   * most once a second, when the channel is next used.
   */
  #heal(): void {
    if (this.#healing || Date.now() - this.#healedAt < HEAL_INTERVAL_MS || !this.#open) return;
    this.#healedAt = Date.now();
    this.#healing = (async () => {
      await this.#applyChain;
      while (this.#checkpointing) await this.#checkpointing.catch(() => {});
      const old = this.#wals;
      this.#wals = [];
      for (const w of old) await w.close().catch(() => {});
      try {
        await this.#openWals();
        this.#inflightTakes.clear();
        this.#inflightCommits.clear();
        this.#queue = [];
        this.#head = 0;
        await this.#recover();
        this.#unhealthy = null;
        this.counters.set('Unhealthy', 0);
        this.#o.logger?.info('file channel reopened its log after a write failure', {
          channel: this.name,
          events: this.size,
        });
        this.#wake();
      } catch (err) {
        const wals = this.#wals;
        this.#wals = [];
        for (const w of wals) await w.close().catch(() => {});
        this.#unhealthy = `cannot reopen the log: ${err instanceof Error ? err.message : String(err)}`;
      }
    })().finally(() => {
      this.#healing = null;
    });
  }

  #fileBytesMax(): number {
    return Math.max(MIN_FILE_BYTES, this.#o.maxFileSize ?? 2146435071);
  }

  /** The puts split into PUTS records under the log's record limit, with their event bytes. */
  #chunk(puts: readonly FlumeEvent[], total?: number): { events: readonly FlumeEvent[]; bytes: number }[] {
    if (total !== undefined && 16 + total <= this.#recordBytesMax) return [{ events: puts, bytes: total }];
    const out: { events: readonly FlumeEvent[]; bytes: number }[] = [];
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < puts.length; i++) {
      const n = eventBytes(puts[i]!);
      if (i > from && 16 + bytes + n > this.#recordBytesMax) {
        out.push({ events: puts.slice(from, i), bytes });
        from = i;
        bytes = 0;
      }
      bytes += n;
    }
    if (puts.length > from) out.push({ events: from === 0 ? puts : puts.slice(from), bytes });
    return out;
  }

  async #checkSpace(dir: number): Promise<void> {
    const path = this.dataDirs[dir]!;
    const min = this.#o.minimumRequiredSpace ?? 524288000;
    const free = await (this.#o.freeBytes ?? defaultFreeBytes)(path);
    if (free < min) {
      this.#lowSpace = `file channel ${this.name}: usable space in ${path} is ${free} bytes, below minimumRequiredSpace ${min}; refusing puts`;
      throw new ChannelException(this.#lowSpace);
    }
    this.#lowSpace = null;
  }

  async #recheckSpace(): Promise<void> {
    try {
      for (let d = 0; d < this.dataDirs.length; d++) await this.#checkSpace(d);
    } catch {
      // still low (or unreadable): #lowSpace keeps the message
    }
  }

  #waitForChange(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #syncSize(): void {
    this.counters.set('ChannelSize', this.size);
  }

  #schedule(): void {
    const ms = this.#o.checkpointIntervalMs ?? 30000;
    this.#timer = setTimeout(() => {
      this.checkpoint()
        .catch(() => {})
        .finally(() => {
          if (this.#open && this.#timer) this.#schedule();
        });
    }, ms);
    this.#timer.unref();
  }

  /** A consistent snapshot, taken synchronously so no commit is half in it. */
  #snapshot(): { checkpoint: Checkpoint; keepFrom: number[] } {
    const taken = [...this.#inflightTakes].sort((a, b) => a.n - b.n);
    const queue: EventPointer[] = taken;
    for (let i = this.#head; i < this.#queue.length; i++) queue.push(this.#queue[i]!);
    const replayFrom = this.#wals.map((w) => w.nextSeq);
    for (const { dir, seq } of this.#inflightCommits.values())
      replayFrom[dir] = Math.min(replayFrom[dir]!, seq);
    const keepFrom = [...replayFrom];
    for (const p of queue) keepFrom[p.dir] = Math.min(keepFrom[p.dir]!, p.seq);
    return { checkpoint: { nextOrder: this.#appliedOrder, replayFrom, queue }, keepFrom };
  }

  async #writeCheckpoint(): Promise<void> {
    // While unhealthy the logs' positions are not what the disk holds; the reopen decides.
    if (!this.#open || this.#unhealthy) return;
    if (this.#lowSpace) await this.#recheckSpace();
    const { checkpoint, keepFrom } = this.#snapshot();
    const bytes = encodeCheckpoint(checkpoint);
    try {
      await writeAtomically(this.checkpointDir, CHECKPOINT_FILE, bytes);
    } catch (err) {
      this.counters.add('CheckpointWriteErrorCount');
      this.#o.logger?.error('file channel: checkpoint write failed', {
        channel: this.name,
        dir: this.checkpointDir,
        err: String(err),
      });
      throw err;
    }
    if (this.backupCheckpointDir) {
      try {
        await writeAtomically(this.backupCheckpointDir, CHECKPOINT_FILE, bytes);
      } catch (err) {
        this.counters.add('CheckpointBackupWriteErrorCount');
        // Files the stale backup still needs must stay: skip this round's deletion.
        this.#o.logger?.error('file channel: backup checkpoint write failed', {
          channel: this.name,
          dir: this.backupCheckpointDir,
          err: String(err),
        });
        return;
      }
    }
    for (let d = 0; d < this.#wals.length; d++) await this.#wals[d]!.truncateBefore(keepFrom[d]!);
  }

  async #readCheckpoint(dir: string): Promise<Checkpoint | null | Error> {
    let buf: Buffer;
    try {
      buf = await readFile(join(dir, CHECKPOINT_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return err as Error;
    }
    try {
      const c = decodeCheckpoint(buf);
      if (c.replayFrom.length !== this.dataDirs.length) {
        return new Error(
          `checkpoint has ${c.replayFrom.length} data dirs, configuration has ${this.dataDirs.length}`,
        );
      }
      return c;
    } catch (err) {
      return err as Error;
    }
  }

  /** Loads the checkpoint, else the backup, else nothing (full replay), and replays the logs. */
  async #recover(): Promise<void> {
    const candidates: { what: string; c: Checkpoint | null }[] = [];
    for (const [what, dir] of [
      ['checkpoint', this.checkpointDir],
      ['backup checkpoint', this.backupCheckpointDir],
    ] as const) {
      if (dir === null) continue;
      const c = await this.#readCheckpoint(dir);
      if (c instanceof Error) {
        this.#o.logger?.warn(`file channel: ${what} unusable`, { channel: this.name, dir, err: c.message });
      } else if (c !== null) candidates.push({ what, c });
    }
    candidates.push({ what: 'full replay', c: null });
    let lastErr: unknown;
    for (const { what, c } of candidates) {
      try {
        await this.#replay(c);
        this.#o.logger?.info('file channel recovered', { channel: this.name, from: what, events: this.size });
        return;
      } catch (err) {
        if (err instanceof WalCorruptError || err instanceof ChannelException) throw err;
        if (!(err instanceof RecoveryMismatch)) throw err;
        lastErr = err;
        this.#o.logger?.warn(`file channel: cannot recover from ${what}`, {
          channel: this.name,
          err: err.message,
        });
      }
    }
    throw new ChannelException(`file channel ${this.name}: cannot recover: ${String(lastErr)}`);
  }

  async #replay(c: Checkpoint | null): Promise<void> {
    const puts = new Map<string, FlumeEvent[]>();
    const commits: { dir: number; order: number; putSeqs: number[]; takes: EventPointer[] }[] = [];
    for (let d = 0; d < this.#wals.length; d++) {
      const wal = this.#wals[d]!;
      let from = wal.firstSeq;
      if (c) {
        from = c.replayFrom[d]!;
        for (const p of c.queue) if (p.dir === d) from = Math.min(from, p.seq);
        if (from < wal.firstSeq) {
          throw new RecoveryMismatch(
            `checkpoint needs ${this.dataDirs[d]} from log seq ${from}, oldest kept is ${wal.firstSeq}`,
          );
        }
      }
      for await (const { seq, payload } of wal.replay(from)) {
        let rec: ReturnType<typeof decodeLogRecord>;
        try {
          rec = decodeLogRecord(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          throw new ChannelException(
            `file channel ${this.name}: log ${this.dataDirs[d]} record seq ${seq} is corrupt: ${err.message}`,
            { cause: err },
          );
        }
        if (rec.type === COMMIT) {
          commits.push({ dir: d, order: rec.order, putSeqs: rec.putSeqs, takes: rec.takes });
        } else puts.set(`${d}:${seq}`, rec.events);
      }
    }
    const entries: Entry[] = [];
    const eventAt = (p: EventPointer): FlumeEvent | undefined => puts.get(`${p.dir}:${p.seq}`)?.[p.index];
    for (const p of c?.queue ?? []) {
      const event = eventAt(p);
      if (!event) throw new RecoveryMismatch(`checkpoint names event ${pointerKey(p)}, not in the log`);
      entries.push({ dir: p.dir, seq: p.seq, index: p.index, event, n: 0 });
    }
    commits.sort((a, b) => a.order - b.order);
    const minOrder = c?.nextOrder ?? 0;
    let live = new Map(entries.map((e) => [pointerKey(e), e]));
    let order = minOrder;
    for (const k of commits) {
      order = Math.max(order, k.order + 1);
      if (k.order < minOrder) continue;
      for (const t of k.takes) live.delete(pointerKey(t));
      for (const seq of k.putSeqs) {
        const events = puts.get(`${k.dir}:${seq}`);
        if (!events) {
          // A full replay meets commits whose puts were in deleted files: every such event was
          // taken before a checkpoint let its file go.
          if (c === null && seq < this.#wals[k.dir]!.firstSeq) continue;
          throw new RecoveryMismatch(`commit ${k.order} names log record ${k.dir}:${seq}, not in the log`);
        }
        events.forEach((event, index) => {
          const e = { dir: k.dir, seq, index, event, n: 0 };
          live.set(pointerKey(e), e);
        });
      }
    }
    this.#queue = [...live.values()].map((e) => ({ ...e, n: this.#stamp++ }));
    live = new Map();
    this.#head = 0;
    this.#used = this.#queue.length;
    this.#nextOrder = order;
    this.#appliedOrder = order;
    this.#syncSize();
  }

  async #lock(dir: string): Promise<void> {
    const path = join(dir, LOCK_FILE);
    const alive = this.#o.isProcessAlive ?? defaultIsAlive;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (heldLocks.has(path)) break;
      try {
        await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
        heldLocks.add(path);
        this.#locks.push(path);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) break;
      // Left by a process that died (or by this one, for a channel no longer running here).
      await unlink(path).catch(() => {});
    }
    await this.#closeAll();
    throw new ChannelException(
      `file channel ${this.name}: ${dir} is in use by another channel or agent (${path}); give each file channel its own directories`,
    );
  }

  async #closeAll(): Promise<void> {
    const wals = this.#wals;
    this.#wals = [];
    for (const w of wals) await w.close().catch(() => {});
    for (const l of this.#locks) {
      heldLocks.delete(l);
      await unlink(l).catch(() => {});
    }
    this.#locks = [];
  }
}

class RecoveryMismatch extends Error {}

function missingBackup(name: string): never {
  throw new ChannelException(
    `file channel ${name}: useDualCheckpoints is true but backupCheckpointDir is not set`,
  );
}

async function defaultFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** temp file + fsync + rename + directory fsync: a crash leaves the old or the new file, whole. */
async function writeAtomically(dir: string, name: string, bytes: Buffer): Promise<void> {
  const temp = join(dir, `${name}.tmp`);
  const fh = await open(temp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(temp, join(dir, name));
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

type TxState = 'NEW' | 'OPEN' | 'COMPLETED' | 'CLOSED';

class FileTransaction implements Transaction {
  readonly #channel: FileChannel;
  readonly #id: number;
  #state: TxState = 'NEW';
  #puts: FlumeEvent[] = [];
  #putBytes = 0;
  #takes: Entry[] = [];
  #committing = false;

  constructor(channel: FileChannel, id: number) {
    this.#channel = channel;
    this.#id = id;
  }

  begin(): void {
    assert(this.#state === 'NEW', `begin() called when transaction is ${this.#state}`);
    this.#state = 'OPEN';
  }

  put(event: FlumeEvent): void {
    // Checked before building the message: this runs once per event.
    if (this.#state !== 'OPEN' || this.#committing)
      assert(false, `put() called when transaction is ${this.#state}`);
    const c = this.#channel;
    c.counters.add('EventPutAttemptCount');
    if (this.#puts.length >= c.transactionCapacity) {
      throw new ChannelException(
        `Put queue for FileBackedTransaction of capacity ${c.transactionCapacity} full, consider committing more frequently, increasing capacity or increasing thread count (channel ${c.name})`,
      );
    }
    try {
      this.#putBytes += c.checkPut(event);
    } catch (err) {
      c.counters.add('EventPutErrorCount');
      throw err;
    }
    this.#puts.push(event);
  }

  async take(): Promise<FlumeEvent | null> {
    // Checked before building the message: this runs once per event.
    if (this.#state !== 'OPEN' || this.#committing)
      assert(false, `take() called when transaction is ${this.#state}`);
    const c = this.#channel;
    c.counters.add('EventTakeAttemptCount');
    if (this.#takes.length >= c.transactionCapacity) {
      throw new ChannelException(
        `Take list for FileBackedTransaction, capacity ${c.transactionCapacity} full, consider committing more frequently, increasing capacity, or increasing thread count (channel ${c.name})`,
      );
    }
    try {
      c.checkOpen();
    } catch (err) {
      c.counters.add('EventTakeErrorCount');
      throw err;
    }
    let e = c.takeHead();
    if (e === undefined && this.#takes.length === 0) {
      await c.waitForChange(c.keepAliveMs);
      assert(this.#state === 'OPEN', `transaction became ${this.#state} during take()`);
      e = c.takeHead();
    }
    if (e === undefined) return null;
    this.#takes.push(e);
    return e.event;
  }

  takeAvailable(max: number): FlumeEvent[] {
    if (this.#state !== 'OPEN' || this.#committing)
      assert(false, `takeAvailable() called when transaction is ${this.#state}`);
    const c = this.#channel;
    try {
      c.checkOpen();
    } catch (err) {
      c.counters.add('EventTakeErrorCount');
      throw err;
    }
    const out: FlumeEvent[] = [];
    const n = Math.min(max, c.transactionCapacity - this.#takes.length);
    for (let i = 0; i < n; i++) {
      const e = c.takeHead();
      if (e === undefined) break;
      this.#takes.push(e);
      out.push(e.event);
    }
    c.counters.add('EventTakeAttemptCount', out.length);
    return out;
  }

  async commit(): Promise<void> {
    assert(this.#state === 'OPEN' && !this.#committing, `commit() called when transaction is ${this.#state}`);
    const c = this.#channel;
    this.#committing = true;
    try {
      if (this.#puts.length > 0 || this.#takes.length > 0) {
        await c.commit(this.#id, this.#puts, this.#takes, this.#putBytes);
      }
    } finally {
      this.#committing = false;
    }
    c.counters.add('EventPutSuccessCount', this.#puts.length);
    c.counters.add('EventTakeSuccessCount', this.#takes.length);
    this.#puts = [];
    this.#putBytes = 0;
    this.#takes = [];
    this.#state = 'COMPLETED';
  }

  rollback(): void {
    assert(
      this.#state === 'OPEN' && !this.#committing,
      `rollback() called when transaction is ${this.#state}`,
    );
    this.#channel.returnTakes(this.#takes);
    this.#puts = [];
    this.#putBytes = 0;
    this.#takes = [];
    this.#state = 'COMPLETED';
  }

  close(): void {
    assert(
      this.#state === 'NEW' || this.#state === 'COMPLETED',
      this.#state === 'OPEN'
        ? 'close() called when transaction is OPEN - you must either commit or rollback first'
        : `close() called when transaction is ${this.#state}`,
    );
    this.#state = 'CLOSED';
  }
}
