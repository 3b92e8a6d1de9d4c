import { dirname, join } from 'node:path';
import { assert } from '../../base/index.ts';
import { FrameScanner } from './frame-scanner.ts';
import { WalCorruptError, WalError } from './wal-errors.ts';
import {
  decodeFileHeader,
  encodeFileHeader,
  FILE_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  parseWalFileName,
  RECORD_BYTES_LIMIT,
  SEQ_MAX,
  TEMP_SUFFIX,
  walFileName,
  writeFrameHeader,
} from './wal-format.ts';
import { nodeWalFs, type WalFs } from './wal-fs.ts';

export interface WalOptions {
  /**
   * 'always' (default): an append resolves once its record is durable. 'never': after the write only, for tests
   * and for callers that accept losing the page cache on a machine crash (a process crash loses
   * nothing that was written).
   */
  fsync?: 'always' | 'never';
  /**
   * How a group is made durable when fsync is 'always'. 'dsync' (default where the platform has
   * O_DSYNC): the active file is opened O_DSYNC, so the group's one writev is also its sync, one
   * thread-pool round trip instead of two. 'fdatasync': a plain writev followed by fdatasync.
   */
  syncMethod?: 'dsync' | 'fdatasync';
  /** Files roll before they would exceed this size. Default 64 MiB. */
  fileBytesMax?: number;
  /** Largest payload accepted by append; larger ones fail with WAL_RECORD_TOO_LARGE. Default 1 MiB. */
  recordBytesMax?: number;
  /**
   * Most bytes one group commit writes (one writev and one sync), bounding the latency of a group;
   * also how much appendNoSync may buffer before a write starts on its own. Default 4 MiB.
   */
  groupBytesMax?: number;
  /** Seq of the first record when the directory holds no log yet. Default 1. */
  firstSeq?: number;
  /**
   * Grow the active file ahead of the records by writing zeros, this many bytes at a time (capped at
   * fileBytesMax), so that a sync into space that already exists flushes data only, not the file size
   * too (on ext4 that saves a journal commit per sync). Default 0: the file grows with each group.
   */
  preallocateBytes?: number;
  /** File-system port; tests inject a counting or failing one. */
  fs?: WalFs;
  /**
   * Runs a callback once the current burst of synchronous work and microtasks has finished, so that
   * appends made in the same turn of the event loop join one group. Default `setImmediate` (no time
   * involved: it fires as soon as the loop reaches its check phase).
   */
  defer?: (run: () => void) => void;
}

export interface WalRecord {
  seq: number;
  payload: Buffer;
}

export interface WalStats {
  /** Records accepted by append/appendNoSync since open. */
  appends: number;
  /** Group commits: one writev each (made durable by O_DSYNC or a following fdatasync). */
  groups: number;
  /**
   * Durability points on log files: group commits, new-file headers, recovery truncation. Each is
   * an fdatasync, or with syncMethod 'dsync' a write to the O_DSYNC file.
   */
  syncs: number;
  /** Directory syncs (new files, deleted files). */
  dirSyncs: number;
  bytesWritten: number;
  rolls: number;
  filesDeleted: number;
  /** Zero-filled extensions of the active file (preallocateBytes). */
  preallocations: number;
}

/** What recovery found and did on open; callers log it. */
export interface WalRecovery {
  files: number;
  records: number;
  /** Set when the last file ended in a torn or corrupt tail that was cut off. */
  truncated: { file: string; offset: number; reason: string; bytesDiscarded: number } | null;
  /** Files deleted: leftover temporaries of an interrupted roll, a last file without a valid header. */
  removedFiles: string[];
}

/** Payloads up to this size are copied into a slab next to their frame header. */
const COPY_BYTES_MAX = 16 * 1024;
const SLAB_BYTES = 256 * 1024;

interface LogFile {
  name: string;
  firstSeq: number;
  /** One past the last durable record. */
  endSeq: number;
  /** Durable bytes, header included. */
  bytes: number;
}

/**
 * A record waiting to be written: bytes [start, end) of `slab` (its frame header, followed by the
 * payload when that was small enough to copy), then `tail`, the payload pieces that were not copied.
 * Consecutive slab ranges of a group go out as one iovec.
 */
interface PendingRecord {
  seq: number;
  bytes: number;
  slab: Buffer;
  start: number;
  end: number;
  tail: readonly Uint8Array[] | null;
}

interface Waiter {
  seq: number;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

interface ResolvedOptions {
  fsync: boolean;
  /** Files are opened O_DSYNC and writes need no fdatasync. */
  dsync: boolean;
  fileBytesMax: number;
  recordBytesMax: number;
  groupBytesMax: number;
  firstSeq: number;
  preallocateBytes: number;
  fs: WalFs;
  defer: (run: () => void) => void;
}

function resolveOptions(o: WalOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    fsync: (o.fsync ?? 'always') === 'always',
    dsync: false,
    fileBytesMax: o.fileBytesMax ?? 64 * 1024 * 1024,
    recordBytesMax: o.recordBytesMax ?? 1024 * 1024,
    groupBytesMax: o.groupBytesMax ?? 4 * 1024 * 1024,
    firstSeq: o.firstSeq ?? 1,
    preallocateBytes: o.preallocateBytes ?? 0,
    fs: o.fs ?? nodeWalFs,
    defer: o.defer ?? setImmediate,
  };
  r.dsync = r.fsync && (o.syncMethod ?? 'dsync') === 'dsync' && r.fs.dsyncSupported;
  assert(
    Number.isSafeInteger(r.recordBytesMax) && r.recordBytesMax >= 0 && r.recordBytesMax <= RECORD_BYTES_LIMIT,
    `recordBytesMax must be an integer in [0, ${RECORD_BYTES_LIMIT}]`,
  );
  assert(
    Number.isSafeInteger(r.fileBytesMax) &&
      r.fileBytesMax >= FILE_HEADER_BYTES + FRAME_HEADER_BYTES + r.recordBytesMax,
    'fileBytesMax must hold the file header and one record of recordBytesMax',
  );
  assert(
    Number.isSafeInteger(r.groupBytesMax) && r.groupBytesMax > 0,
    'groupBytesMax must be a positive integer',
  );
  assert(Number.isSafeInteger(r.firstSeq) && r.firstSeq >= 0, 'firstSeq must be a non-negative safe integer');
  assert(
    Number.isSafeInteger(r.preallocateBytes) && r.preallocateBytes >= 0,
    'preallocateBytes must be a non-negative integer',
  );
  return r;
}

/**
 * A write-ahead log: a directory of numbered files of checksummed, sequence-numbered records, with
 * group commit (appends that arrive while a sync is in flight share the next writev and sync).
 * Single writer: one process and one instance per directory. See README.md.
 */
export class WriteAheadLog {
  readonly dir: string;
  readonly recovery: WalRecovery;
  readonly stats: WalStats;
  readonly #o: ResolvedOptions;
  readonly #fs: WalFs;
  /** Oldest first; the last one is the active file. */
  readonly #files: LogFile[];
  #fd: number;
  /** Bytes written to the active file (ahead of its durable `bytes` while a sync is in flight). */
  #writeOffset: number;
  /** Size of the active file: from #writeOffset up to here it holds zeros (preallocated). */
  #fileEnd: number;
  /** A zero-fill of the active file beyond #fileEnd in flight (it moves #fileEnd when done). */
  #extending: Promise<void> | null = null;
  #nextSeq: number;
  #pending: PendingRecord[] = [];
  #slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES);
  #slabUsed = 0;
  #pendingBytes = 0;
  #waiters: Waiter[] = [];
  #waiterHead = 0;
  #running = false;
  #closing = false;
  #closed: Promise<void> | null = null;
  #failure: WalError | null = null;
  #maintenance: Promise<unknown> = Promise.resolve();

  private constructor(
    dir: string,
    o: ResolvedOptions,
    files: LogFile[],
    fd: number,
    fileEnd: number,
    recovery: WalRecovery,
    stats: WalStats,
  ) {
    this.dir = dir;
    this.stats = stats;
    this.#o = o;
    this.#fs = o.fs;
    this.#files = files;
    this.#fd = fd;
    const active = files.at(-1);
    assert(active !== undefined, 'an open log has an active file');
    this.#writeOffset = active.bytes;
    this.#fileEnd = Math.max(fileEnd, active.bytes);
    this.#nextSeq = active.endSeq;
    this.recovery = recovery;
    this.#growAhead();
  }

  /**
   * Opens (creating if needed) the log in `dir` and recovers it: every record of every file is
   * validated; a torn or corrupt tail of the last file is cut off (reported in `recovery`); anything
   * wrong in an earlier file raises WalCorruptError naming the file and offset.
   */
  static async open(dir: string, options: WalOptions = {}): Promise<WriteAheadLog> {
    const o = resolveOptions(options);
    const fs = o.fs;
    const io = <T>(what: string, p: Promise<T>) => withIoError(dir, what, p);
    await io('mkdir', fs.mkdir(dir));
    // The directory may be new: make its own entry durable before any acknowledged record needs it.
    if (o.fsync) await io('sync parent directory', fs.syncDir(dirname(dir)));
    const names = await io('readdir', fs.readdir(dir));
    const recovery: WalRecovery = { files: 0, records: 0, truncated: null, removedFiles: [] };
    const stats: WalStats = {
      appends: 0,
      groups: 0,
      syncs: 0,
      dirSyncs: 0,
      bytesWritten: 0,
      rolls: 0,
      filesDeleted: 0,
      preallocations: 0,
    };

    // A temporary is a new file whose header was not yet durable: it never holds records.
    for (const name of names) {
      if (name.endsWith(TEMP_SUFFIX) && parseWalFileName(name.slice(0, -TEMP_SUFFIX.length)) !== null) {
        await io('unlink', fs.unlink(join(dir, name)));
        recovery.removedFiles.push(name);
      }
    }
    const logs = names
      .map((name) => ({ name, firstSeq: parseWalFileName(name) }))
      .filter((l): l is { name: string; firstSeq: number } => l.firstSeq !== null)
      .sort((a, b) => a.firstSeq - b.firstSeq);

    const files: LogFile[] = [];
    let activeFd = -1;
    let activeEnd = 0;
    try {
      for (let i = 0; i < logs.length; i++) {
        const log = logs[i]!;
        const isLast = i === logs.length - 1;
        const prev = files.at(-1);
        if (prev !== undefined && prev.endSeq !== log.firstSeq) {
          // A file cut short (or a missing file) shows as a gap; the damaged file is the earlier one.
          throw new WalCorruptError(
            dir,
            prev.name,
            prev.bytes,
            `records end before seq ${prev.endSeq} but the next file ${log.name} starts at seq ${log.firstSeq}`,
          );
        }
        const path = join(dir, log.name);
        const fd = await io('open', fs.open(path, isLast ? 'r+' : 'r', isLast && o.dsync));
        let keepOpen = false;
        try {
          const size = await io('fstat', fs.size(fd));
          const head = Buffer.alloc(FILE_HEADER_BYTES);
          const got =
            size >= FILE_HEADER_BYTES ? await io('read', fs.read(fd, head, 0, FILE_HEADER_BYTES, 0)) : 0;
          const header = got === FILE_HEADER_BYTES ? decodeFileHeader(head) : { reason: 'torn file header' };
          const reason =
            'reason' in header
              ? header.reason
              : header.firstSeq !== log.firstSeq
                ? `header says first seq ${header.firstSeq}, name says ${log.firstSeq}`
                : null;
          if (reason !== null) {
            if (!isLast) throw new WalCorruptError(dir, log.name, 0, reason);
            // Cannot hold acknowledged records: headers are durable before a file is renamed into place.
            await io('unlink', fs.unlink(path));
            if (o.fsync) {
              await io('sync directory', fs.syncDir(dir));
              stats.dirSyncs++;
            }
            recovery.removedFiles.push(log.name);
            recovery.truncated = { file: log.name, offset: 0, reason, bytesDiscarded: size };
            continue;
          }
          const scanner = new FrameScanner(fs, fd, FILE_HEADER_BYTES, size, log.firstSeq);
          while ((await io('read', scanner.next())) !== null) recovery.records++;
          // A preallocated tail: zeros are never a valid frame (a frame's CRC of zeros is not
          // zero), and nothing stale lies behind them, so they are the clean end of the log.
          const zeroTail =
            isLast &&
            scanner.stop !== null &&
            (await io('read', isZeroRange(fs, fd, scanner.position, size)));
          if (scanner.stop !== null && !zeroTail) {
            if (!isLast) throw new WalCorruptError(dir, log.name, scanner.stop.offset, scanner.stop.reason);
            // Cut the tail so that bytes after it can never be mistaken for records again.
            await io('truncate', fs.ftruncate(fd, scanner.position));
            if (o.fsync) {
              await io('fdatasync', fs.fdatasync(fd));
              stats.syncs++;
            }
            recovery.truncated = {
              file: log.name,
              offset: scanner.stop.offset,
              reason: scanner.stop.reason,
              bytesDiscarded: size - scanner.position,
            };
          }
          files.push({
            name: log.name,
            firstSeq: log.firstSeq,
            endSeq: scanner.nextSeq,
            bytes: scanner.position,
          });
          recovery.files++;
          if (isLast) {
            activeFd = fd;
            activeEnd = zeroTail ? size : scanner.position;
            keepOpen = true;
          }
        } finally {
          if (!keepOpen) await fs.close(fd).catch(() => {});
        }
      }
      if (activeFd === -1) {
        const last = files.at(-1);
        const firstSeq = last?.endSeq ?? logs.at(-1)?.firstSeq ?? o.firstSeq;
        activeFd = await createLogFile(dir, o, firstSeq, files, stats);
        activeEnd = FILE_HEADER_BYTES;
      }
    } catch (err) {
      if (activeFd !== -1) await fs.close(activeFd).catch(() => {});
      throw err;
    }
    return new WriteAheadLog(dir, o, files, activeFd, activeEnd, recovery, stats);
  }

  /** Seq of the oldest record still kept (truncateBefore moves it forward). */
  get firstSeq(): number {
    return this.#files[0]!.firstSeq;
  }

  /** Seq the next append will get. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Highest seq that is durable (written, when fsync is 'never'); firstSeq - 1 when none is. */
  get durableSeq(): number {
    return this.#files.at(-1)!.endSeq - 1;
  }

  /** Number of log files, the active one included. */
  get fileCount(): number {
    return this.#files.length;
  }

  /**
   * Appends one record and resolves with its seq once it is durable. Appends are ordered by call:
   * seqs are assigned here, synchronously. The payload is one buffer or pieces written back to
   * back; up to 16 KiB it is copied at once, above that it is written from the caller's buffers,
   * which must not change until the promise settles. A rejected append (WAL_IO) may or may not be
   * found by a later recovery: the outcome of a failed write is unknown.
   */
  append(payload: Uint8Array | readonly Uint8Array[]): Promise<number> {
    let seq: number;
    try {
      seq = this.#enqueue(payload);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#waitFor(seq);
  }

  /**
   * Appends one record without waiting: returns its seq at once. It becomes durable with the next
   * sync(), with any later append() (groups are written in order), or on close. Buffered records
   * are written on their own once they reach groupBytesMax.
   */
  appendNoSync(payload: Uint8Array | readonly Uint8Array[]): number {
    const seq = this.#enqueue(payload);
    if (this.#pendingBytes >= this.#o.groupBytesMax) this.#schedule();
    return seq;
  }

  /** Resolves with the highest seq appended before the call once everything up to it is durable. */
  sync(): Promise<number> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#closed !== null && !this.#closing) return Promise.reject(closedError(this.dir));
    const last = this.#nextSeq - 1;
    if (last <= this.durableSeq) return Promise.resolve(last);
    return this.#waitFor(last);
  }

  /**
   * Yields the records with seq >= fromSeq, in order, that were durable when the call was made.
   * Records below the oldest kept file start at firstSeq. Each payload is a fresh copy. A file
   * deleted by a concurrent truncateBefore fails the iteration with WAL_IO.
   */
  replay(fromSeq = 0): AsyncGenerator<WalRecord, void, undefined> {
    // Taken now, not at the first next(): the range is fixed when replay is called.
    return this.#replayFiles(
      this.#files.map((f) => ({ ...f })),
      fromSeq,
    );
  }

  async *#replayFiles(snapshot: LogFile[], fromSeq: number): AsyncGenerator<WalRecord, void, undefined> {
    for (const f of snapshot) {
      if (f.endSeq <= fromSeq || f.endSeq === f.firstSeq) continue;
      const fd = await withIoError(this.dir, 'open', this.#fs.open(join(this.dir, f.name), 'r'));
      try {
        const scanner = new FrameScanner(this.#fs, fd, FILE_HEADER_BYTES, f.bytes, f.firstSeq);
        for (;;) {
          const r = await withIoError(this.dir, 'read', scanner.next());
          if (r === null) break;
          if (r.seq >= fromSeq) yield { seq: r.seq, payload: Buffer.from(r.payload) };
        }
        if (scanner.stop !== null)
          throw new WalCorruptError(this.dir, f.name, scanner.stop.offset, scanner.stop.reason);
        if (scanner.nextSeq !== f.endSeq) {
          throw new WalCorruptError(this.dir, f.name, scanner.position, `ends before seq ${f.endSeq}`);
        }
      } finally {
        await this.#fs.close(fd).catch(() => {});
      }
    }
  }

  /**
   * Deletes whole files whose records all have seq < `seq` (checkpointing): never the active file,
   * never a file holding seq itself. Oldest first, each deletion made durable before the next, so a
   * crash leaves a contiguous run of files. Resolves with the number of files deleted.
   */
  truncateBefore(seq: number): Promise<number> {
    const run = this.#maintenance.then(async () => {
      let deleted = 0;
      while (this.#files.length > 1 && this.#files[1]!.firstSeq <= seq) {
        const f = this.#files.shift()!;
        await withIoError(this.dir, 'unlink', this.#fs.unlink(join(this.dir, f.name)));
        if (this.#o.fsync) {
          await withIoError(this.dir, 'sync directory', this.#fs.syncDir(this.dir));
          this.stats.dirSyncs++;
        }
        this.stats.filesDeleted++;
        deleted++;
      }
      return deleted;
    });
    this.#maintenance = run.catch(() => {});
    return run;
  }

  /**
   * Makes everything appended so far durable, then closes the active file. Appends made after the
   * call are rejected with WAL_CLOSED. After a WAL_IO failure it only releases the file.
   */
  close(): Promise<void> {
    if (this.#closed !== null) return this.#closed;
    this.#closing = true;
    this.#closed = (async () => {
      try {
        if (this.#failure === null && this.#nextSeq - 1 > this.durableSeq)
          await this.#waitFor(this.#nextSeq - 1);
        await this.#maintenance;
        await this.#extending?.catch(() => {});
      } finally {
        this.#closing = false;
        const fd = this.#fd;
        this.#fd = -1;
        if (fd !== -1) await withIoError(this.dir, 'close', this.#fs.close(fd));
      }
    })();
    return this.#closed;
  }

  #enqueue(payload: Uint8Array | readonly Uint8Array[]): number {
    if (this.#failure !== null) throw this.#failure;
    if (this.#closed !== null) throw closedError(this.dir);
    const pieces: readonly Uint8Array[] = payload instanceof Uint8Array ? [payload] : payload;
    let length = 0;
    for (const p of pieces) length += p.length;
    if (length > this.#o.recordBytesMax) {
      throw new WalError(
        'WAL_RECORD_TOO_LARGE',
        `record of ${length} bytes exceeds recordBytesMax ${this.#o.recordBytesMax} (write-ahead log ${this.dir})`,
      );
    }
    const seq = this.#nextSeq;
    assert(seq <= SEQ_MAX, 'write-ahead log sequence numbers exhausted');
    this.#nextSeq = seq + 1;
    // Small payloads are copied next to their header: one CRC call, one iovec per group, and the
    // caller may reuse its buffer at once. Large ones are written from the caller's buffers.
    const copy = length <= COPY_BYTES_MAX;
    const slabBytes = FRAME_HEADER_BYTES + (copy ? length : 0);
    if (this.#slab.length - this.#slabUsed < slabBytes) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const slab = this.#slab;
    const start = this.#slabUsed;
    if (copy) {
      let at = start + FRAME_HEADER_BYTES;
      for (const p of pieces) {
        slab.set(p, at);
        at += p.length;
      }
    }
    writeFrameHeader(slab, start, seq, length, copy ? null : pieces);
    this.#slabUsed = start + slabBytes;
    const bytes = FRAME_HEADER_BYTES + length;
    this.#pending.push({ seq, bytes, slab, start, end: start + slabBytes, tail: copy ? null : pieces });
    this.#pendingBytes += bytes;
    this.stats.appends++;
    return seq;
  }

  #waitFor(seq: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#waiters.push({ seq, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running) return;
    this.#running = true;
    this.#o.defer(() => void this.#run());
  }

  /** The group-commit loop: at most one group (write + sync) in flight at any time. */
  async #run(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#failure === null) {
        await this.#commitGroup();
        // Let the appenders just released (and anyone else in this turn) join the next group.
        if (this.#pending.length > 0) await new Promise<void>((resolve) => this.#o.defer(resolve));
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#running = false;
    }
  }

  async #commitGroup(): Promise<void> {
    const o = this.#o;
    const first = this.#pending[0]!;
    const active = this.#files.at(-1)!;
    if (active.endSeq > active.firstSeq && this.#writeOffset + first.bytes > o.fileBytesMax) {
      await this.#roll(first.seq);
    }
    const file = this.#files.at(-1)!;
    const room = o.fileBytesMax - this.#writeOffset;
    const limit = Math.min(room, o.groupBytesMax);
    let n = 0;
    let bytes = 0;
    const iov: Uint8Array[] = [];
    let slab: Buffer | null = null;
    let from = 0;
    let to = 0;
    for (const r of this.#pending) {
      if (n > 0 && bytes + r.bytes > limit) break;
      bytes += r.bytes;
      n++;
      if (r.slab === slab && r.start === to) to = r.end;
      else {
        if (slab !== null) iov.push(slab.subarray(from, to));
        slab = r.slab;
        from = r.start;
        to = r.end;
      }
      if (r.tail !== null) {
        iov.push(r.slab.subarray(from, to));
        for (const p of r.tail) if (p.length > 0) iov.push(p);
        slab = null;
      }
    }
    if (slab !== null) iov.push(slab.subarray(from, to));
    const lastSeq = this.#pending[n - 1]!.seq;
    if (n === this.#pending.length) this.#pending = [];
    else this.#pending.splice(0, n);
    this.#pendingBytes -= bytes;

    if (o.preallocateBytes > 0) {
      while (this.#writeOffset + bytes > this.#fileEnd) {
        if (this.#extending === null) this.#extend(this.#writeOffset + bytes);
        await this.#extending;
      }
    }
    await writeAll(this.dir, this.#fs, this.#fd, iov, this.#writeOffset, bytes);
    this.#writeOffset += bytes;
    this.stats.bytesWritten += bytes;
    this.stats.groups++;
    if (o.fsync) {
      if (!o.dsync) await withIoError(this.dir, 'fdatasync', this.#fs.fdatasync(this.#fd));
      this.stats.syncs++;
    }
    file.endSeq = lastSeq + 1;
    file.bytes = this.#writeOffset;
    this.#release(lastSeq);
    this.#growAhead();
  }

  /** Starts the next preallocation step once less than half a step is left, off the groups' path. */
  #growAhead(): void {
    const o = this.#o;
    if (
      o.preallocateBytes > 0 &&
      this.#extending === null &&
      this.#failure === null &&
      this.#fileEnd < o.fileBytesMax &&
      this.#fileEnd - this.#writeOffset < o.preallocateBytes / 2
    ) {
      this.#extend(this.#writeOffset);
    }
  }

  /**
   * Starts writing zeros after the end of the active file: one preallocateBytes step (at least up
   * to `needed`), within fileBytesMax. Only space past #fileEnd is touched, where no group writes
   * until the step is done. A failure fails the log like any write.
   */
  #extend(needed: number): void {
    const o = this.#o;
    const from = this.#fileEnd;
    const to = Math.max(needed, Math.min(o.fileBytesMax, from + o.preallocateBytes));
    const fd = this.#fd;
    const run = (async () => {
      await writeAll(this.dir, this.#fs, fd, [Buffer.alloc(to - from)], from, to - from);
      if (o.fsync && !o.dsync) await withIoError(this.dir, 'fdatasync', this.#fs.fdatasync(fd));
      if (this.#fd === fd) this.#fileEnd = to;
      this.stats.preallocations++;
    })();
    this.#extending = run;
    run.then(
      () => {
        if (this.#extending === run) this.#extending = null;
      },
      (err: unknown) => {
        if (this.#extending === run) this.#extending = null;
        this.#fail(err);
      },
    );
  }

  async #roll(firstSeq: number): Promise<void> {
    const old = this.#fd;
    if (this.#extending !== null) await this.#extending;
    // Only the last file may end in zeros: cut the preallocated tail (durably) before a new file
    // exists, so recovery keeps its strict rule for earlier files (no trailing bytes at all).
    if (this.#fileEnd > this.#writeOffset) {
      await withIoError(this.dir, 'truncate', this.#fs.ftruncate(old, this.#writeOffset));
      if (this.#o.fsync) {
        await withIoError(this.dir, 'fdatasync', this.#fs.fdatasync(old));
        this.stats.syncs++;
      }
    }
    this.#fd = -1;
    await withIoError(this.dir, 'close', this.#fs.close(old));
    this.#fd = await createLogFile(this.dir, this.#o, firstSeq, this.#files, this.stats);
    this.#writeOffset = FILE_HEADER_BYTES;
    this.#fileEnd = FILE_HEADER_BYTES;
    this.stats.rolls++;
    this.#growAhead();
  }

  #release(seq: number): void {
    const w = this.#waiters;
    let i = this.#waiterHead;
    while (i < w.length && w[i]!.seq <= seq) {
      const waiter = w[i]!;
      waiter.resolve(waiter.seq);
      i++;
    }
    if (i === w.length) {
      this.#waiters = [];
      this.#waiterHead = 0;
    } else if (i > 1024 && i * 2 > w.length) {
      this.#waiters = w.slice(i);
      this.#waiterHead = 0;
    } else {
      this.#waiterHead = i;
    }
  }

  #fail(err: unknown): void {
    const failure =
      err instanceof WalError
        ? err
        : new WalError('WAL_IO', `write-ahead log ${this.dir} failed`, { cause: err });
    this.#failure = failure;
    this.#pending = [];
    this.#pendingBytes = 0;
    const w = this.#waiters;
    for (let i = this.#waiterHead; i < w.length; i++) w[i]!.reject(failure);
    this.#waiters = [];
    this.#waiterHead = 0;
  }
}

/** Whether file bytes [from, to) are all zero (read in 1 MiB pieces). */
async function isZeroRange(fs: WalFs, fd: number, from: number, to: number): Promise<boolean> {
  const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, Math.max(to - from, 1)));
  for (let pos = from; pos < to; ) {
    const n = await fs.read(fd, buf, 0, Math.min(buf.length, to - pos), pos);
    if (n === 0) return false;
    for (let i = 0; i < n; i++) if (buf[i] !== 0) return false;
    pos += n;
  }
  return true;
}

function closedError(dir: string): WalError {
  return new WalError('WAL_CLOSED', `write-ahead log ${dir} is closed`);
}

async function withIoError<T>(dir: string, what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof WalError) throw err;
    const code = (err as { code?: unknown }).code;
    throw new WalError(
      'WAL_IO',
      `write-ahead log ${dir}: ${what} failed${typeof code === 'string' ? ` (${code})` : ''}`,
      {
        cause: err,
      },
    );
  }
}

async function writeAll(
  dir: string,
  fs: WalFs,
  fd: number,
  iov: Uint8Array[],
  position: number,
  bytes: number,
) {
  let done = await withIoError(dir, 'write', fs.writev(fd, iov, position));
  // libuv already loops over short writes; this only guards a port that does not.
  while (done < bytes) {
    const rest = Buffer.concat(iov).subarray(done);
    const n = await withIoError(dir, 'write', fs.writev(fd, [rest], position + done));
    if (n <= 0) throw new WalError('WAL_IO', `write-ahead log ${dir}: write made no progress`);
    done += n;
  }
}

/**
 * Creates the log file starting at `firstSeq` so that it appears under its final name only with a
 * durable header: write the header to a temporary, sync, rename, sync the directory. Appends the
 * entry to `files` and returns the open descriptor.
 */
async function createLogFile(
  dir: string,
  o: ResolvedOptions,
  firstSeq: number,
  files: LogFile[],
  stats: WalStats,
): Promise<number> {
  const fs = o.fs;
  const name = walFileName(firstSeq);
  const temp = join(dir, name + TEMP_SUFFIX);
  const fd = await withIoError(dir, 'create', fs.open(temp, 'wx+', o.dsync));
  try {
    await writeAll(dir, fs, fd, [encodeFileHeader(firstSeq)], 0, FILE_HEADER_BYTES);
    if (o.fsync) {
      if (!o.dsync) await withIoError(dir, 'fdatasync', fs.fdatasync(fd));
      stats.syncs++;
    }
    await withIoError(dir, 'rename', fs.rename(temp, join(dir, name)));
    if (o.fsync) {
      await withIoError(dir, 'sync directory', fs.syncDir(dir));
      stats.dirSyncs++;
    }
  } catch (err) {
    await fs.close(fd).catch(() => {});
    throw err;
  }
  files.push({ name, firstSeq, endSeq: firstSeq, bytes: FILE_HEADER_BYTES });
  return fd;
}
