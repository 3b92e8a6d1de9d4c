import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { open, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../base/index.ts';
import {
  ATTRIBUTES_AT,
  BATCH_HEADER_BYTES,
  type BatchesSummary,
  batchAttributes,
  batchBaseOffset,
  batchLastOffset,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchSize,
  crcMatches,
  MAX_TIMESTAMP_AT,
  PARTITION_LEADER_EPOCH_AT,
  restampCrc,
  TIMESTAMP_TYPE_BIT,
  validateBatches,
  writeInt64,
} from './batch-framing.ts';
import { formatOffsetCheckpoint, readOffsetCheckpoint, writeCheckpointFile } from './checkpoint-file.ts';
import { FileHandleCache, type FileLease } from './file-handle-cache.ts';
import { fsyncDirectory } from './fsync-directory.ts';
import { LEADER_EPOCH_CHECKPOINT_FILE, LeaderEpochCache } from './leader-epoch-cache.ts';
import {
  type AppendOptions,
  type AppendResult,
  type CompactionStats,
  EMPTY_COMPACTION,
  type EpochEndOffset,
  type Log,
  type ReadOptions,
  type ReadResult,
  type StorageLogger,
  silentLogger,
  type TimestampOffset,
} from './log.ts';
import { compactSegments, DEFAULT_DEDUPE_BUFFER_BYTES } from './log-cleaner.ts';
import { compacts, deletes, type LogConfig, resolveLogConfig } from './log-config.ts';
import {
  CorruptRecordError,
  InvalidRecordError,
  LogStorageError,
  OffsetOutOfRangeError,
} from './log-errors.ts';
import { Mutex } from './mutex.ts';
import { firstRecordAtOrAfter, type RecordFormat } from './record-format.ts';
import {
  CLEANED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  parseSegmentFileName,
  readAt,
  Segment,
  SWAP_SUFFIX,
  segmentFileName,
  TIME_INDEX_SUFFIX,
  writevAtSync,
} from './segment.ts';

/** Kafka's clean-shutdown marker name; here one per partition directory, holding the active state. */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';

/** Offsets are numbers: every assigned offset stays below this (see batch-framing.ts). */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER - 0x8000_0000;
const READ_HINTS_MAX = 32;
/** Group commit bounds: appends per writev (IOV_MAX is 1024) and bytes per group. */
const GROUP_APPENDS_MAX = 512;
const GROUP_BYTES_MAX = 64 * 1024 * 1024;

interface PendingAppend {
  batches: Buffer;
  options: AppendOptions;
  summary: BatchesSummary;
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

export interface SegmentLogOptions {
  config?: Partial<LogConfig>;
  /** Shared LRU of open segment files (a LogManager passes its own); default: a private one. */
  handles?: FileHandleCache;
  /** Wall clock in ms (segment.ms, retention, LogAppendTime, flush.ms). */
  now?: () => number;
  logger?: StorageLogger;
  name?: string;
  /**
   * Record-level access (compaction, timestamp lookups inside a batch): kafka/protocol's
   * `kafkaRecordFormat`. Without it offsetForTimestamp answers at batch level and compact() raises.
   */
  recordFormat?: RecordFormat;
  /** Bound on the compaction key map (Kafka's log.cleaner.dedupe.buffer.size); default 128 MiB. */
  dedupeBufferBytes?: number;
}

interface CleanShutdownState {
  version: 1;
  logEndOffset: number;
  highWatermark: number;
  activeBaseOffset: number;
  activeSize: number;
  activeCreatedMs: number;
}

/** What recovery did on open (for logs and tests). */
export interface RecoveryReport {
  clean: boolean;
  segmentsRecovered: number;
  bytesTruncated: number;
  segmentsDeleted: number;
}

/**
 * A partition log in a directory of segment files, Kafka's layout:
 *
 *   <dir>/00000000000000000000.log        record batches v2, byte for byte as appended
 *         00000000000000000000.index      sparse offset index  (relative offset, position)
 *         00000000000000000000.timeindex  time index           (timestamp, relative offset)
 *         leader-epoch-checkpoint, log-start-offset-checkpoint, recovery-point-offset-checkpoint
 *         .kafka_cleanshutdown            present only while closed cleanly
 *
 * Appends run one at a time (a mutex) and make one positional write each; reads run concurrently
 * on committed sizes with positional reads. See README.md for recovery and bounds.
 */
export class SegmentLog implements Log {
  readonly dir: string;
  readonly name: string;
  readonly config: Readonly<LogConfig>;
  readonly recovery: RecoveryReport;
  private readonly handles: FileHandleCache;
  private readonly ownsHandles: boolean;
  private readonly now: () => number;
  private readonly logger: StorageLogger;
  private readonly recordFormat: RecordFormat | undefined;
  private readonly dedupeBufferBytes: number;
  private readonly mutex = new Mutex();
  private segments: Segment[];
  private epochs: LeaderEpochCache;
  private startOffset: number;
  private endOffset: number;
  private hw: number;
  private flushed: number;
  private recoveryPoint: number;
  private unflushedRecords = 0;
  private lastFlushMs: number;
  /** Background fsyncs of rolled segments, in roll order. */
  private rollFlush: Promise<void> = Promise.resolve();
  private closed = false;
  private compacting = false;
  /** Next-offset → position hints left by reads, so a consumer's next fetch skips the index scan. */
  private readonly readHints = new Map<number, { segmentId: number; position: number }>();
  private pendingAppends: PendingAppend[] = [];
  private draining = false;

  private constructor(
    dir: string,
    init: {
      config: LogConfig;
      handles: FileHandleCache;
      ownsHandles: boolean;
      now: () => number;
      logger: StorageLogger;
      name: string;
      recordFormat: RecordFormat | undefined;
      dedupeBufferBytes: number;
      segments: Segment[];
      epochs: LeaderEpochCache;
      startOffset: number;
      endOffset: number;
      hw: number;
      recoveryPoint: number;
      recovery: RecoveryReport;
    },
  ) {
    this.dir = dir;
    this.name = init.name;
    this.config = init.config;
    this.handles = init.handles;
    this.ownsHandles = init.ownsHandles;
    this.now = init.now;
    this.logger = init.logger;
    this.recordFormat = init.recordFormat;
    this.dedupeBufferBytes = init.dedupeBufferBytes;
    this.segments = init.segments;
    this.epochs = init.epochs;
    this.startOffset = init.startOffset;
    this.endOffset = init.endOffset;
    this.hw = init.hw;
    this.flushed = init.endOffset;
    this.recoveryPoint = init.recoveryPoint;
    this.recovery = init.recovery;
    this.lastFlushMs = init.now();
  }

  /**
   * Opens (creating if needed) the log in `dir`. Without a valid clean-shutdown marker, the segments
   * from the recovery point on are checked batch by batch (length, magic, CRC-32C, offset order), a
   * torn or corrupt tail is truncated, and later segments are deleted; indexes are rebuilt.
   */
  static async open(dir: string, options: SegmentLogOptions = {}): Promise<SegmentLog> {
    const config = resolveLogConfig(options.config);
    const now = options.now ?? Date.now;
    const logger = options.logger ?? silentLogger;
    const handles = options.handles ?? new FileHandleCache(64);
    const name = options.name ?? dir;
    mkdirSync(dir, { recursive: true });

    const names = new Set(readdirSync(dir));
    const namesBefore = names.size;
    let renamed = false;
    for (const file of [...names]) {
      // Unfinished compaction output and checkpoint temporaries are garbage.
      if (file.endsWith(CLEANED_SUFFIX) || file.endsWith('.tmp') || file.endsWith('.deleted')) {
        unlinkSync(join(dir, file));
        names.delete(file);
      }
    }
    for (const file of [...names]) {
      // A complete compaction output: finish the replacement (its old indexes no longer apply).
      const base = parseSegmentFileName(file, LOG_SUFFIX + SWAP_SUFFIX);
      if (base === null) continue;
      for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
        const f = segmentFileName(base, suffix);
        if (names.delete(f)) unlinkSync(join(dir, f));
      }
      renameSync(join(dir, file), join(dir, segmentFileName(base, LOG_SUFFIX)));
      names.delete(file);
      names.add(segmentFileName(base, LOG_SUFFIX));
      renamed = true;
      logger('info', 'completed an interrupted compaction swap', { log: name, baseOffset: base });
    }
    if (renamed || names.size !== namesBefore) await fsyncDirectory(dir);

    let marker: CleanShutdownState | null = null;
    if (names.has(CLEAN_SHUTDOWN_FILE)) {
      marker = parseMarker(readFileSync(join(dir, CLEAN_SHUTDOWN_FILE), 'utf8'));
      unlinkSync(join(dir, CLEAN_SHUTDOWN_FILE));
    }
    const epochText = names.has(LEADER_EPOCH_CHECKPOINT_FILE)
      ? readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8')
      : null;
    let epochs = epochText === null ? new LeaderEpochCache() : LeaderEpochCache.parse(epochText);
    const epochsValid = epochs !== null;
    epochs ??= new LeaderEpochCache();
    const lsoCheckpoint = readOffsetCheckpoint(join(dir, LOG_START_OFFSET_CHECKPOINT_FILE)) ?? 0;
    const recoveryCheckpoint = readOffsetCheckpoint(join(dir, RECOVERY_POINT_CHECKPOINT_FILE)) ?? 0;

    const bases = [...names]
      .map((f) => parseSegmentFileName(f))
      .filter((b): b is number => b !== null)
      .sort((a, b) => a - b);
    const segments: Segment[] = bases.map((baseOffset) => {
      const st = statSync(join(dir, segmentFileName(baseOffset, LOG_SUFFIX)));
      return new Segment({
        dir,
        baseOffset,
        handles,
        indexIntervalBytes: config.indexIntervalBytes,
        size: st.size,
        nextOffset: -1,
        verified: marker !== null,
        createdMs: Math.floor(st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs),
      });
    });
    if (segments.length === 0) {
      segments.push(
        await Segment.create({
          dir,
          baseOffset: lsoCheckpoint,
          handles,
          indexIntervalBytes: config.indexIntervalBytes,
          createdMs: now(),
        }),
      );
      await fsyncDirectory(dir);
    }

    const recovery: RecoveryReport = {
      clean: true,
      segmentsRecovered: 0,
      bytesTruncated: 0,
      segmentsDeleted: 0,
    };
    const active = segments.at(-1)!;
    // A brand-new log has nothing to recover.
    if (bases.length === 0) marker = { ...freshMarker(active.baseOffset), activeCreatedMs: active.createdMs };
    const clean =
      marker !== null && marker.activeBaseOffset === active.baseOffset && marker.activeSize === active.size;
    let endOffset: number;
    let hw: number;
    let recoveryPoint = recoveryCheckpoint;
    if (clean && marker) {
      active.nextOffset = marker.logEndOffset;
      active.createdMs = marker.activeCreatedMs;
      endOffset = marker.logEndOffset;
      hw = marker.highWatermark;
      recoveryPoint = endOffset;
    } else {
      recovery.clean = false;
      for (const s of segments) s.verified = false;
      const result = await recoverSegments(segments, recoveryCheckpoint, epochs, logger, name);
      recovery.segmentsRecovered = result.segmentsRecovered;
      recovery.bytesTruncated = result.bytesTruncated;
      recovery.segmentsDeleted = result.segmentsDeleted;
      endOffset = segments.at(-1)!.nextOffset;
      // Unknown after a crash: the owner (replication) restores it.
      hw = 0;
      recoveryPoint = endOffset;
    }

    const startOffset = Math.max(lsoCheckpoint, segments[0]!.baseOffset);
    const log = new SegmentLog(dir, {
      config,
      handles,
      ownsHandles: options.handles === undefined,
      now,
      logger,
      name,
      recordFormat: options.recordFormat,
      dedupeBufferBytes: options.dedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES,
      segments,
      epochs,
      startOffset: Math.min(startOffset, endOffset),
      endOffset,
      hw: 0,
      recoveryPoint,
      recovery,
    });
    if (startOffset > endOffset) {
      // DeleteRecords had moved the start past what survived the crash: restart empty there.
      await log.truncateFullyAndStartAt(startOffset);
    }
    log.markActive();
    log.hw = Math.max(log.startOffset, Math.min(hw, log.endOffset));
    let epochsChanged = !epochsValid;
    epochsChanged = log.epochs.truncateFromEnd(log.endOffset) || epochsChanged;
    epochsChanged = log.epochs.truncateFromStart(log.startOffset) || epochsChanged;
    if (epochsChanged) await log.persistEpochs();
    if (!clean) await log.persistRecoveryPoint();
    if (!recovery.clean) {
      logger('warn', 'recovered log after an unclean shutdown', {
        log: name,
        ...recovery,
        logEndOffset: log.endOffset,
      });
    }
    return log;
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.hw;
  }

  get flushedOffset(): number {
    return this.flushed;
  }

  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }

  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first (for tests and tools). */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Segments whose indexes are in memory now (bounded by the open-file LRU, plus the active one). */
  get segmentsWithIndexesLoaded(): number {
    return this.segments.filter((s) => s.indexesLoaded).length;
  }

  get leaderEpochEntries(): ReadonlyArray<{ epoch: number; startOffset: number }> {
    return this.epochs.all;
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogStorageError(`log ${this.name} is closed`);
  }

  private get active(): Segment {
    return this.segments.at(-1)!;
  }

  /** Only the last segment is active (keeps its indexes in memory); call after changing the list. */
  private markActive(): void {
    const last = this.segments.length - 1;
    for (let i = 0; i < this.segments.length; i++) this.segments[i]!.isActive = i === last;
  }

  /**
   * Appends are queued and written in groups (group commit): whatever queued up while the previous
   * group was in flight (opening a segment, rolling, an fdatasync) goes out in one synchronous
   * positional writev, with one fdatasync under flushBeforeAck.
   * Batches are validated before they queue, so a bad one fails alone.
   */
  async append(batches: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    this.ensureOpen();
    const summary = validateBatches(batches, options.crcValidated !== true);
    return await new Promise<AppendResult>((resolve, reject) => {
      this.pendingAppends.push({ batches, options, summary, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.mutex.run(() => this.drainAppends());
      }
    });
  }

  private async drainAppends(): Promise<void> {
    try {
      while (this.pendingAppends.length > 0) {
        const queue = this.pendingAppends;
        this.pendingAppends = [];
        try {
          await this.appendGroups(queue);
        } catch (err) {
          for (const item of queue) item.reject(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Stamps offsets (and epoch, LogAppendTime) into an append starting at `next`; idempotent. */
  private stamp(
    item: PendingAppend,
    next: number,
    now: number,
  ): { first: number; next: number; appendTime: number } {
    const { batches, options } = item;
    const assign = options.assignOffsets ?? true;
    const appendTime = this.config.messageTimestampType === 'LogAppendTime' ? now : -1;
    const first = assign ? next : batchBaseOffset(batches, 0);
    let cursor = first;
    for (let at = 0; at < batches.length; ) {
      const size = batchSize(batches, at);
      if (assign) writeInt64(batches, at, cursor);
      else if (batchBaseOffset(batches, at) < Math.max(cursor, next)) {
        throw new InvalidRecordError(
          `replica append at ${batchBaseOffset(batches, at)} is below the expected offset ${Math.max(cursor, next)}`,
        );
      }
      cursor = batchLastOffset(batches, at) + 1;
      if (options.leaderEpoch !== undefined)
        batches.writeInt32BE(options.leaderEpoch, at + PARTITION_LEADER_EPOCH_AT);
      if (appendTime >= 0) {
        batches.writeInt16BE(batchAttributes(batches, at) | TIMESTAMP_TYPE_BIT, at + ATTRIBUTES_AT);
        writeInt64(batches, at + MAX_TIMESTAMP_AT, appendTime);
        restampCrc(batches, at, size);
      }
      at += size;
    }
    if (cursor > MAX_OFFSET)
      throw new InvalidRecordError(`offset ${cursor} exceeds the supported bound ${MAX_OFFSET}`);
    return { first, next: cursor, appendTime };
  }

  private async appendGroups(queue: PendingAppend[]): Promise<void> {
    let i = 0;
    while (i < queue.length) {
      this.ensureOpen();
      const now = this.now();
      let seg = this.active;
      const group: Array<{ item: PendingAppend; first: number; next: number; appendTime: number }> = [];
      let groupBytes = 0;
      let next = this.endOffset;
      for (; i < queue.length && group.length < GROUP_APPENDS_MAX; i++) {
        const item = queue[i]!;
        let stamped: { first: number; next: number; appendTime: number };
        try {
          stamped = this.stamp(item, next, now);
        } catch (err) {
          item.reject(err);
          continue;
        }
        const length = item.batches.length;
        const replica = item.options.assignOffsets === false;
        if (group.length === 0) {
          if (this.shouldRoll(seg, 0, length, stamped.next - 1, now))
            seg = await this.rollLocked(stamped.first, now);
          else if (seg.size === 0 && stamped.first > seg.baseOffset && replica) {
            // A replica append past an empty active segment's base: start the segment at the real offset.
            seg = await this.replaceEmptyActive(stamped.first, now);
          }
        } else if (
          groupBytes + length > GROUP_BYTES_MAX ||
          this.shouldRoll(seg, groupBytes, length, stamped.next - 1, now) ||
          (replica && seg.size === 0 && stamped.first > seg.baseOffset)
        ) {
          break; // This one starts the next group (stamping again is idempotent).
        }
        group.push({ item, ...stamped });
        groupBytes += length;
        next = stamped.next;
      }
      if (group.length > 0) await this.writeGroup(seg, group);
    }
  }

  private async writeGroup(
    seg: Segment,
    group: Array<{ item: PendingAppend; first: number; next: number; appendTime: number }>,
  ): Promise<void> {
    if (!seg.indexesLoaded) await seg.loadIndexes();
    const position = seg.size;
    const maybe = this.acquire(seg);
    const lease = 'then' in maybe ? await maybe : maybe;
    try {
      writevAtSync(
        lease,
        group.map((g) => g.item.batches),
        position,
      );
      if (this.config.flushBeforeAck) await lease.fh.datasync();
    } catch (err) {
      for (const g of group)
        g.item.reject(new LogStorageError(`append to ${seg.path} failed`, { cause: err }));
      return;
    } finally {
      lease.release();
    }
    let at = position;
    let epochsChanged = false;
    let records = 0;
    for (const g of group) {
      const batches = g.item.batches;
      for (let off = 0; off < batches.length; ) {
        const size = batchSize(batches, off);
        const base = batchBaseOffset(batches, off);
        seg.indexBatch(at + off, size, base, batchMaxTimestamp(batches, off));
        epochsChanged = this.epochs.assign(batchLeaderEpoch(batches, off), base) || epochsChanged;
        off += size;
      }
      at += batches.length;
      records += g.item.summary.recordCount;
    }
    const next = group.at(-1)!.next;
    seg.size = at;
    seg.nextOffset = next;
    this.endOffset = next;
    try {
      if (epochsChanged) await this.persistEpochs();
      if (this.config.flushBeforeAck) {
        this.flushed = next;
        this.lastFlushMs = this.now();
      } else {
        this.unflushedRecords += records;
        if (this.unflushedRecords >= this.config.flushMessages) await this.flushLocked();
      }
    } catch (err) {
      for (const g of group) g.item.reject(err);
      return;
    }
    for (const { item, first, next: end, appendTime } of group) {
      item.resolve({
        baseOffset: first,
        lastOffset: end - 1,
        logAppendTime: appendTime,
        logStartOffset: this.startOffset,
        batchCount: item.summary.batchCount,
        recordCount: item.summary.recordCount,
        maxTimestamp: appendTime >= 0 ? appendTime : item.summary.maxTimestamp,
        sizeBytes: item.batches.length,
      });
    }
  }

  private acquire(seg: Segment): FileLease | Promise<FileLease> {
    return seg.handles.tryAcquire(seg.id) ?? this.acquireSlow(seg);
  }

  private async acquireSlow(seg: Segment): Promise<FileLease> {
    try {
      return await seg.acquire();
    } catch (err) {
      throw new LogStorageError(`cannot open segment ${seg.path}`, { cause: err });
    }
  }

  /** Kafka's roll rules for an append of `appendBytes` after `queuedBytes` already bound for `seg`. */
  private shouldRoll(
    seg: Segment,
    queuedBytes: number,
    appendBytes: number,
    lastOffset: number,
    now: number,
  ): boolean {
    const current = seg.size + queuedBytes;
    if (current === 0) return false;
    const c = this.config;
    return (
      current + appendBytes > c.segmentBytes ||
      now - seg.createdMs > c.segmentMs ||
      seg.offsetIndexEntries() >= Math.floor(c.segmentIndexBytes / 8) ||
      seg.timeIndexEntries() >= Math.floor(c.segmentIndexBytes / 12) ||
      lastOffset - seg.baseOffset > 0x7fffffff
    );
  }

  /** Closes the active segment and starts a new one at the log end (no-op when it is empty). */
  async roll(): Promise<void> {
    this.ensureOpen();
    return await this.mutex.run(async () => {
      if (this.active.size > 0) await this.rollLocked(this.endOffset, this.now());
    });
  }

  private async rollLocked(baseOffset: number, now: number): Promise<Segment> {
    const old = this.active;
    assert(baseOffset >= this.endOffset, 'a new segment starts at or after the log end');
    if (!old.indexesLoaded) await old.loadIndexes();
    old.finishTimeIndex(this.endOffset);
    old.nextOffset = this.endOffset;
    await old.writeIndexes();
    const seg = await Segment.create({
      dir: this.dir,
      baseOffset,
      handles: this.handles,
      indexIntervalBytes: this.config.indexIntervalBytes,
      createdMs: now,
    });
    // The new segment's directory entries must be durable before anything appended to it is.
    await fsyncDirectory(this.dir);
    this.segments.push(seg);
    this.markActive();
    // Kafka flushes rolled segments in the background; so do we, then advance the recovery point.
    this.rollFlush = this.rollFlush.then(() => this.flushRolled(old, baseOffset));
    return seg;
  }

  private async replaceEmptyActive(baseOffset: number, now: number): Promise<Segment> {
    const old = this.segments.pop()!;
    await this.deleteSegmentFiles(old);
    const seg = await Segment.create({
      dir: this.dir,
      baseOffset,
      handles: this.handles,
      indexIntervalBytes: this.config.indexIntervalBytes,
      createdMs: now,
    });
    await fsyncDirectory(this.dir);
    this.segments.push(seg);
    this.markActive();
    if (this.segments.length === 1) this.startOffset = Math.max(this.startOffset, baseOffset);
    return seg;
  }

  private async flushRolled(seg: Segment, upTo: number): Promise<void> {
    try {
      if (!seg.deleted) {
        const lease = await seg.acquire();
        try {
          await lease.fh.datasync();
        } finally {
          lease.release();
        }
        await seg.writeIndexes();
        await fsyncPath(seg.indexPath);
        await fsyncPath(seg.timeIndexPath);
      }
      if (upTo > this.recoveryPoint && upTo <= this.endOffset && !this.closed) {
        this.recoveryPoint = upTo;
        await this.persistRecoveryPoint();
      }
      if (upTo > this.flushed && upTo <= this.endOffset) this.flushed = upTo;
    } catch (err) {
      if (!seg.deleted)
        this.logger('error', 'background flush of a rolled segment failed', { log: this.name, err });
    }
  }

  async read(offset: number, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    this.ensureOpen();
    const lso = this.startOffset;
    const leo = this.endOffset;
    if (offset < lso || offset > leo) throw new OffsetOutOfRangeError(offset, lso, leo);
    const maxOffset = Math.min(options.maxOffset ?? leo, leo);
    const empty: ReadResult = {
      records: Buffer.alloc(0),
      firstOffset: -1,
      nextOffset: offset,
      highWatermark: this.hw,
      logStartOffset: lso,
      logEndOffset: leo,
    };
    if (offset >= maxOffset) return empty;
    const segments = this.segments;
    for (let i = this.floorSegment(offset); i < segments.length; i++) {
      const seg = segments[i]!;
      const end = seg.size;
      if (end === 0) continue;
      if (!seg.indexesLoaded) await seg.loadIndexes();
      const lease = await this.acquire(seg);
      try {
        let result: Awaited<ReturnType<SegmentLog['readSegment']>>;
        try {
          result = await this.readSegment(seg, lease, offset, end, maxBytes, maxOffset);
        } catch (err) {
          if (!(err instanceof CorruptRecordError)) throw err;
          // Maybe a damaged index pointed into the middle of a batch: rebuild it from the log once
          // (checking CRCs, so it stops before a damaged batch) and retry.
          this.logger('warn', 'rebuilding the indexes of a segment after a CRC failure', {
            segment: seg.path,
          });
          this.readHints.clear();
          await seg.rebuildIndexes(true);
          if (!seg.isActive) await seg.writeIndexes();
          result = await this.readSegment(seg, lease, offset, end, maxBytes, maxOffset);
        }
        if (result === 'next') continue;
        if (result === null) return empty;
        return { ...empty, ...result };
      } finally {
        lease.release();
      }
    }
    return empty;
  }

  private async readSegment(
    seg: Segment,
    lease: FileLease,
    offset: number,
    end: number,
    maxBytes: number,
    maxOffset: number,
  ): Promise<{ records: Buffer; firstOffset: number; nextOffset: number } | 'next' | null> {
    let position = -1;
    let buf: Buffer | null = null;
    const hint = this.readHints.get(offset);
    if (hint && hint.segmentId === seg.id && hint.position < end) {
      buf = await readAt(
        lease,
        hint.position,
        Math.min(Math.max(maxBytes, BATCH_HEADER_BYTES), end - hint.position),
      );
      if (
        buf.length >= BATCH_HEADER_BYTES &&
        batchSize(buf, 0) >= BATCH_HEADER_BYTES &&
        batchLastOffset(buf, 0) >= offset
      ) {
        position = hint.position;
      } else buf = null;
    }
    if (position < 0) {
      const loc = await seg.locate(lease, offset, seg.lookupPosition(offset), end);
      if (!loc) return 'next';
      position = loc.position;
      buf = await readAt(lease, position, Math.min(Math.max(maxBytes, loc.size), end - position));
    }
    if (buf!.length >= BATCH_HEADER_BYTES) {
      const first = batchSize(buf!, 0);
      if (first > buf!.length && position + first <= end) buf = await readAt(lease, position, first);
    }
    const data = buf!;
    const verify = this.config.verifyReads || !seg.verified;
    let at = 0;
    let firstOffset = -1;
    let nextOffset = offset;
    while (at + BATCH_HEADER_BYTES <= data.length) {
      const size = batchSize(data, at);
      if (size < BATCH_HEADER_BYTES || at + size > data.length) break;
      const last = batchLastOffset(data, at);
      if (last >= maxOffset) break;
      if (verify && !crcMatches(data, at, size)) {
        if (at === 0) {
          throw new CorruptRecordError(`batch at position ${position} of ${seg.path} fails its CRC-32C`);
        }
        break;
      }
      if (firstOffset < 0) firstOffset = batchBaseOffset(data, at);
      nextOffset = last + 1;
      at += size;
    }
    if (at === 0) return null;
    this.rememberReadHint(nextOffset, seg.id, position + at);
    return { records: data.subarray(0, at), firstOffset, nextOffset };
  }

  private rememberReadHint(offset: number, segmentId: number, position: number): void {
    if (this.readHints.size >= READ_HINTS_MAX) {
      const oldest = this.readHints.keys().next().value;
      if (oldest !== undefined) this.readHints.delete(oldest);
    }
    this.readHints.set(offset, { segmentId, position });
  }

  /** Index of the last segment whose base offset is <= `offset` (0 when none). */
  private floorSegment(offset: number): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    this.ensureOpen();
    for (const seg of this.segments.slice()) {
      if (seg.size === 0 || seg.deleted) continue;
      if ((await seg.largestTimestamp()) < timestamp) continue;
      if (!seg.indexesLoaded) await seg.loadIndexes();
      const lso = this.startOffset;
      const from = seg.lookupPosition(Math.max(seg.lookupTimestamp(timestamp), lso));
      let found: TimestampOffset | null = null;
      await seg.scan(from, seg.size, this.config.verifyReads || !seg.verified, (b) => {
        if (b.lastOffset < lso || b.maxTimestamp < timestamp) return null;
        found = firstRecordAtOrAfter(b.bytes, timestamp, lso, this.recordFormat);
        return found ? 'found' : null;
      });
      if (found) return found;
    }
    return null;
  }

  async maxTimestamp(): Promise<TimestampOffset | null> {
    this.ensureOpen();
    let max = -1;
    for (const seg of this.segments.slice()) {
      if (seg.size === 0) continue;
      max = Math.max(max, await seg.largestTimestamp());
    }
    return max < 0 ? null : this.offsetForTimestamp(max);
  }

  setHighWatermark(offset: number): void {
    this.ensureOpen();
    this.hw = Math.max(this.startOffset, Math.min(offset, this.endOffset));
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    this.ensureOpen();
    return await this.mutex.run(async () => {
      if (offset > this.hw || offset < 0) {
        throw new OffsetOutOfRangeError(offset, this.startOffset, this.hw, 'DeleteRecords offset');
      }
      if (offset <= this.startOffset) return this.startOffset;
      this.startOffset = offset;
      await writeCheckpointFile(
        join(this.dir, LOG_START_OFFSET_CHECKPOINT_FILE),
        formatOffsetCheckpoint(offset),
      );
      if ((await this.deleteSegmentsBelowStart()) > 0) await fsyncDirectory(this.dir);
      if (this.epochs.truncateFromStart(this.startOffset)) await this.persistEpochs();
      return this.startOffset;
    });
  }

  /** Deletes non-active segments lying entirely below the log start offset. */
  private async deleteSegmentsBelowStart(): Promise<number> {
    let bytes = 0;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.startOffset) {
      const seg = this.segments.shift()!;
      bytes += seg.size;
      await this.deleteSegmentFiles(seg);
    }
    return bytes;
  }

  async truncateTo(offset: number): Promise<void> {
    this.ensureOpen();
    return await this.mutex.run(async () => {
      if (offset >= this.endOffset) return;
      if (offset < this.startOffset || offset <= this.segments[0]!.baseOffset) {
        await this.truncateFullyLocked(Math.max(offset, 0));
        return;
      }
      await this.rollFlush;
      while (this.active.baseOffset > offset) await this.deleteSegmentFiles(this.segments.pop()!);
      this.markActive();
      const seg = this.active;
      if (!seg.indexesLoaded) await seg.loadIndexes();
      const lease = await this.acquire(seg);
      let newEnd = offset;
      try {
        const loc = await seg.locate(lease, offset, seg.lookupPosition(offset), seg.size);
        if (loc) {
          newEnd = Math.min(offset, loc.baseOffset);
          await lease.fh.truncate(loc.position);
          seg.size = loc.position;
        }
      } finally {
        lease.release();
      }
      seg.nextOffset = newEnd;
      const rebuilt = await seg.rebuildIndexes(false);
      seg.nextOffset = Math.max(rebuilt.nextOffset, newEnd);
      this.endOffset = seg.nextOffset;
      this.afterTruncation();
      if (this.epochs.truncateFromEnd(this.endOffset)) await this.persistEpochs();
      await this.persistRecoveryPoint();
    });
  }

  private afterTruncation(): void {
    this.hw = Math.min(this.hw, this.endOffset);
    this.flushed = Math.min(this.flushed, this.endOffset);
    this.recoveryPoint = Math.min(this.recoveryPoint, this.endOffset);
    this.readHints.clear();
  }

  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.ensureOpen();
    return await this.mutex.run(() => this.truncateFullyLocked(offset));
  }

  private async truncateFullyLocked(offset: number): Promise<void> {
    await this.rollFlush;
    for (const seg of this.segments.splice(0)) await this.deleteSegmentFiles(seg);
    this.segments.push(
      await Segment.create({
        dir: this.dir,
        baseOffset: offset,
        handles: this.handles,
        indexIntervalBytes: this.config.indexIntervalBytes,
        createdMs: this.now(),
      }),
    );
    this.markActive();
    this.startOffset = offset;
    this.endOffset = offset;
    this.hw = offset;
    this.flushed = offset;
    this.recoveryPoint = offset;
    this.readHints.clear();
    await writeCheckpointFile(
      join(this.dir, LOG_START_OFFSET_CHECKPOINT_FILE),
      formatOffsetCheckpoint(offset),
    );
    await this.persistRecoveryPoint();
    if (this.epochs.clear()) await this.persistEpochs();
  }

  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(epoch, this.endOffset);
  }

  /**
   * Retention, whole segments only, oldest first, never above the high watermark: segments whose
   * largest timestamp is older than retention.ms, then while the log exceeds retention.bytes by at
   * least a segment, then segments below the log start offset. When every segment qualifies, the
   * active one is rolled first, so an empty active segment always remains.
   */
  async applyRetention(nowMs?: number): Promise<number> {
    this.ensureOpen();
    return await this.mutex.run(async () => {
      const now = nowMs ?? this.now();
      let deleted = 0;
      if (deletes(this.config)) {
        const c = this.config;
        if (c.retentionMs >= 0) {
          deleted += await this.deletePrefix(async (seg) => {
            const largest = await seg.largestTimestamp();
            const ts = largest >= 0 ? largest : fileMtime(seg.path);
            return now - ts > c.retentionMs;
          });
        }
        if (c.retentionBytes >= 0) {
          let excess = this.sizeBytes - c.retentionBytes;
          deleted += await this.deletePrefix(async (seg) => {
            if (excess - seg.size < 0) return false;
            excess -= seg.size;
            return true;
          });
        }
      }
      const belowStart = await this.deleteSegmentsBelowStart();
      if (belowStart > 0) await fsyncDirectory(this.dir);
      deleted += belowStart;
      if (deleted > 0) {
        this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
        if (this.epochs.truncateFromStart(this.startOffset)) await this.persistEpochs();
      }
      return deleted;
    });
  }

  /** Deletes the longest prefix of segments matching `deletable` and lying below the HW. */
  private async deletePrefix(deletable: (seg: Segment) => Promise<boolean>): Promise<number> {
    let count = 0;
    while (count < this.segments.length) {
      const seg = this.segments[count]!;
      const upper = count + 1 < this.segments.length ? this.segments[count + 1]!.baseOffset : this.endOffset;
      const isActive = count === this.segments.length - 1;
      if (isActive && seg.size === 0) break;
      if (upper > this.hw || !(await deletable(seg))) break;
      count++;
    }
    if (count === 0) return 0;
    if (count === this.segments.length) await this.rollLocked(this.endOffset, this.now());
    let bytes = 0;
    for (const seg of this.segments.splice(0, count)) {
      bytes += seg.size;
      await this.deleteSegmentFiles(seg);
    }
    await fsyncDirectory(this.dir);
    this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
    return bytes;
  }

  private async deleteSegmentFiles(seg: Segment): Promise<void> {
    seg.deleted = true;
    this.handles.invalidate(seg.id);
    this.readHints.clear();
    for (const path of [seg.path, seg.indexPath, seg.timeIndexPath]) {
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }

  /**
   * Compaction (cleanup.policy compact or compact,delete): keeps the latest record per key in the
   * inactive segments, see log-cleaner.ts. Reads and appends go on meanwhile; each cleaned segment
   * replaces its original under the mutex.
   */
  async compact(nowMs?: number): Promise<CompactionStats> {
    this.ensureOpen();
    if (!compacts(this.config) || this.compacting) return { ...EMPTY_COMPACTION };
    const format = this.recordFormat;
    if (format === undefined) {
      throw new LogStorageError(
        `log ${this.name}: compaction needs record-level access; open the log with a recordFormat`,
      );
    }
    this.compacting = true;
    try {
      return await compactSegments(this.cleanerAccess(format), nowMs ?? this.now());
    } finally {
      this.compacting = false;
    }
  }

  /** The narrow view of this log the cleaner works through. */
  private cleanerAccess(format: RecordFormat) {
    return {
      name: this.name,
      config: this.config,
      logger: this.logger,
      format,
      dedupeBufferBytes: this.dedupeBufferBytes,
      /** Inactive segments with their end offsets (a snapshot). */
      inactiveSegments: () => {
        const segs = this.segments;
        return segs.slice(0, -1).map((seg, i) => ({ seg, endOffset: segs[i + 1]!.baseOffset }));
      },
      /** Replaces `old` (if still present) by the file `cleanedPath`; runs under the mutex. */
      swap: (old: Segment, cleanedPath: string, build: (seg: Segment) => Promise<void>) =>
        this.mutex.run(async () => {
          const i = this.segments.indexOf(old);
          if (i < 0 || i === this.segments.length - 1 || this.closed) {
            await unlink(cleanedPath).catch(() => {});
            return false;
          }
          const swapPath = old.path + SWAP_SUFFIX;
          renameSyncSafe(cleanedPath, swapPath);
          // `.swap` durable first: from here a crash completes the replacement on open.
          await fsyncDirectory(this.dir);
          // The old indexes must not outlive the old log file: delete them before the rename.
          await unlink(old.indexPath).catch(() => {});
          await unlink(old.timeIndexPath).catch(() => {});
          renameSyncSafe(swapPath, old.path);
          await fsyncDirectory(this.dir);
          old.deleted = true;
          this.handles.invalidate(old.id);
          this.readHints.clear();
          const fresh = new Segment({
            dir: this.dir,
            baseOffset: old.baseOffset,
            handles: this.handles,
            indexIntervalBytes: this.config.indexIntervalBytes,
            size: statSync(old.path).size,
            nextOffset: this.segments[i + 1]!.baseOffset,
            verified: true,
            createdMs: old.createdMs,
          });
          await build(fresh);
          await fresh.writeIndexes();
          this.segments[i] = fresh;
          return true;
        }),
    };
  }

  /** Periodic duties the owner calls (flush.ms); returns whether it flushed. */
  async maintain(nowMs?: number): Promise<boolean> {
    if (this.closed) return false;
    const now = nowMs ?? this.now();
    if (this.flushed < this.endOffset && now - this.lastFlushMs >= this.config.flushMs) {
      await this.flush();
      return true;
    }
    return false;
  }

  async flush(): Promise<void> {
    this.ensureOpen();
    await this.flushLocked();
  }

  /** fsyncs every segment holding unflushed data (log files; index files are rebuilt if lost). */
  private async flushLocked(): Promise<void> {
    const target = this.endOffset;
    if (target <= this.flushed) return;
    const segs = this.segments.slice();
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const upper = i + 1 < segs.length ? segs[i + 1]!.baseOffset : target;
      if (upper <= this.flushed || seg.deleted) continue;
      try {
        const lease = await seg.acquire();
        try {
          await lease.fh.datasync();
        } finally {
          lease.release();
        }
      } catch (err) {
        if (!seg.deleted) throw new LogStorageError(`flush of ${seg.path} failed`, { cause: err });
      }
    }
    if (target > this.flushed) this.flushed = Math.min(target, this.endOffset);
    this.unflushedRecords = 0;
    this.lastFlushMs = this.now();
  }

  private async persistEpochs(): Promise<void> {
    await writeCheckpointFile(join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE), this.epochs.format());
  }

  private async persistRecoveryPoint(): Promise<void> {
    await writeCheckpointFile(
      join(this.dir, RECOVERY_POINT_CHECKPOINT_FILE),
      formatOffsetCheckpoint(this.recoveryPoint),
    );
  }

  /** Flushes everything, writes the indexes and the clean-shutdown marker, releases file handles. */
  async close(): Promise<void> {
    if (this.closed) return;
    return await this.mutex.run(async () => {
      if (this.closed) return;
      await this.rollFlush;
      const active = this.active;
      if (active.indexesLoaded) active.finishTimeIndex(this.endOffset);
      for (const seg of this.segments) await seg.writeIndexes();
      await this.flushLocked();
      this.closed = true;
      const state: CleanShutdownState = {
        version: 1,
        logEndOffset: this.endOffset,
        highWatermark: this.hw,
        activeBaseOffset: active.baseOffset,
        activeSize: active.size,
        activeCreatedMs: active.createdMs,
      };
      for (const seg of this.segments) this.handles.invalidate(seg.id);
      if (this.ownsHandles) await this.handles.closeAll();
      await writeFile(join(this.dir, CLEAN_SHUTDOWN_FILE), JSON.stringify(state));
    });
  }

  /** Closes without the marker or final flush, as a crash would leave it (tests, shutdown on error). */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.rollFlush;
    for (const seg of this.segments) this.handles.invalidate(seg.id);
    if (this.ownsHandles) await this.handles.closeAll();
  }
}

/** Recovers the segments from the one holding `recoveryPoint` on; mutates `segments`. */
async function recoverSegments(
  segments: Segment[],
  recoveryPoint: number,
  epochs: LeaderEpochCache,
  logger: StorageLogger,
  name: string,
): Promise<{ segmentsRecovered: number; bytesTruncated: number; segmentsDeleted: number }> {
  let first = 0;
  for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= recoveryPoint) first = i;
  let segmentsRecovered = 0;
  let bytesTruncated = 0;
  let segmentsDeleted = 0;
  let expectedMin = first > 0 ? segments[first]!.baseOffset : 0;
  for (let i = first; i < segments.length; i++) {
    const seg = segments[i]!;
    const fileSize = seg.size;
    const { stop, nextOffset, validBytes } = await seg.rebuildIndexes(true, (b) => {
      epochs.assign(batchLeaderEpoch(b.bytes, 0), b.baseOffset);
    });
    segmentsRecovered++;
    let cut = stop !== null;
    const nextBase = segments[i + 1]?.baseOffset;
    if (seg.baseOffset < expectedMin || (nextBase !== undefined && nextOffset > nextBase)) cut = true;
    seg.verified = true;
    seg.nextOffset = nextOffset;
    if (validBytes < fileSize || cut) {
      if (validBytes < fileSize) {
        logger('warn', 'truncating a torn or corrupt segment tail', {
          log: name,
          segment: seg.path,
          position: validBytes,
          reason: stop?.reason,
        });
        const fh = await open(seg.path, 'r+');
        try {
          await fh.truncate(validBytes);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        bytesTruncated += fileSize - validBytes;
        seg.size = validBytes;
        seg.truncateIndexes(validBytes, nextOffset);
      }
      if (cut || stop !== null) {
        // Everything after a corrupt point is unreachable by offset order: drop later segments.
        for (const later of segments.splice(i + 1)) {
          bytesTruncated += later.size;
          segmentsDeleted++;
          later.deleted = true;
          for (const p of [later.path, later.indexPath, later.timeIndexPath]) await unlink(p).catch(() => {});
        }
      }
    }
    await seg.writeIndexes();
    expectedMin = nextOffset;
  }
  // Earlier segments are not rescanned: reads check their CRCs (verified = false).
  for (let i = 0; i < first; i++) segments[i]!.nextOffset = -1;
  return { segmentsRecovered, bytesTruncated, segmentsDeleted };
}

function freshMarker(baseOffset: number): CleanShutdownState {
  return {
    version: 1,
    logEndOffset: baseOffset,
    highWatermark: baseOffset,
    activeBaseOffset: baseOffset,
    activeSize: 0,
    activeCreatedMs: 0,
  };
}

function parseMarker(text: string): CleanShutdownState | null {
  try {
    const v = JSON.parse(text) as Partial<CleanShutdownState>;
    const nums = [v.logEndOffset, v.highWatermark, v.activeBaseOffset, v.activeSize, v.activeCreatedMs];
    if (v.version !== 1 || !nums.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
      return null;
    }
    return v as CleanShutdownState;
  } catch {
    return null;
  }
}

function fileMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

async function fsyncPath(path: string): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function renameSyncSafe(from: string, to: string): void {
  renameSync(from, to);
}
