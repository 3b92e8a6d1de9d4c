import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FileHandleCache } from './file-handle-cache.ts';
import { fsyncDirectory } from './fsync-directory.ts';
import { type StorageLogger, silentLogger } from './log.ts';
import { compacts, type LogConfig, resolveLogConfig } from './log-config.ts';
import { LogStorageError } from './log-errors.ts';
import type { RecordFormat } from './record-format.ts';
import { SegmentLog, type SegmentLogOptions } from './segment-log.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface LogManagerOptions {
  /** `log.dirs`: one or more directories; new partitions go to the one holding the fewest. */
  logDirs: readonly string[];
  /** Broker-level defaults (from `log.*` keys). */
  defaultConfig?: Partial<LogConfig>;
  /** Per-topic overrides (topic configs), consulted when a log is loaded or created. */
  topicConfig?: (topic: string) => Partial<LogConfig> | undefined;
  /** Bound on open segment files across every log (default 1024). */
  maxOpenFiles?: number;
  /** `log.retention.check.interval.ms` (default 300000). */
  retentionCheckIntervalMs?: number;
  now?: () => number;
  logger?: StorageLogger;
  /**
   * Record-level access for every log (compaction, timestamp lookups inside a batch): kafka/protocol's
   * `kafkaRecordFormat`. Without it, compacted topics fail their compaction (logged by maintain) and
   * timestamp lookups answer at batch level.
   */
  recordFormat?: RecordFormat;
  /** `log.cleaner.dedupe.buffer.size`: bound on the compaction key map (default 128 MiB). */
  dedupeBufferBytes?: number;
}

/** What `maintain` did, for metrics and tests. */
export interface MaintenanceReport {
  flushed: number;
  retentionBytesDeleted: number;
  compactedRecords: number;
}

const DELETE_SUFFIX = '-delete';
/** Logs opened or closed at the same time. */
const PARALLEL_LOGS = 16;

/** `<topic>-<partition>` → parts, or null for other directory names. */
export function parsePartitionDirName(name: string): TopicPartition | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const partitionText = name.slice(dash + 1);
  if (!/^\d+$/.test(partitionText)) return null;
  const partition = Number(partitionText);
  if (!Number.isSafeInteger(partition) || partition > 0x7fffffff) return null;
  return { topic: name.slice(0, dash), partition };
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Every partition log of a broker, under `log.dirs` (Kafka's LogManager): loads them on open,
 * creates and deletes them, runs the periodic duties (flush.ms, retention, compaction) when the owner
 * calls `maintain`, and shares one LRU of open files among them. Storage owns no timers: the broker
 * schedules `maintain`.
 */
export class LogManager {
  readonly logDirs: readonly string[];
  readonly handles: FileHandleCache;
  private readonly options: LogManagerOptions;
  private readonly now: () => number;
  private readonly logger: StorageLogger;
  private readonly logs = new Map<string, { log: SegmentLog; dir: string; tp: TopicPartition }>();
  private readonly creating = new Map<string, Promise<SegmentLog>>();
  private lastRetentionMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  private constructor(options: LogManagerOptions) {
    if (options.logDirs.length === 0) throw new LogStorageError('log.dirs is empty');
    this.options = options;
    this.logDirs = options.logDirs;
    this.handles = new FileHandleCache(options.maxOpenFiles ?? 1024);
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /** Opens every partition directory found under the log dirs (recovering unclean ones). */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(options);
    const found: Array<{ root: string; path: string; tp: TopicPartition }> = [];
    const seen = new Map<string, string>();
    for (const root of manager.logDirs) {
      mkdirSync(root, { recursive: true });
      for (const name of readdirSync(root)) {
        const path = join(root, name);
        if (name.endsWith(DELETE_SUFFIX)) {
          // A deletion interrupted by a crash: finish it.
          await rm(path, { recursive: true, force: true });
          continue;
        }
        const tp = parsePartitionDirName(name);
        if (!tp || !statSync(path).isDirectory()) continue;
        const key = partitionDirName(tp.topic, tp.partition);
        if (seen.has(key))
          throw new LogStorageError(`partition ${key} exists in two log dirs: ${seen.get(key)}, ${root}`);
        seen.set(key, root);
        found.push({ root, path, tp });
      }
    }
    // Several logs at a time: a clean open is a few synchronous reads, a recovery mostly waits on I/O.
    let next = 0;
    const workers = Array.from({ length: Math.min(PARALLEL_LOGS, found.length) }, async () => {
      for (let item = found[next++]; item; item = found[next++]) {
        const log = await SegmentLog.open(item.path, manager.logOptions(item.tp));
        manager.logs.set(partitionDirName(item.tp.topic, item.tp.partition), {
          log,
          dir: item.root,
          tp: item.tp,
        });
      }
    });
    try {
      await Promise.all(workers);
    } catch (err) {
      await manager.close().catch(() => {});
      throw err;
    }
    return manager;
  }

  private logOptions(tp: TopicPartition): SegmentLogOptions {
    const options: SegmentLogOptions = {
      config: this.configFor(tp.topic),
      handles: this.handles,
      now: this.now,
      logger: this.logger,
      name: partitionDirName(tp.topic, tp.partition),
    };
    if (this.options.recordFormat !== undefined) options.recordFormat = this.options.recordFormat;
    if (this.options.dedupeBufferBytes !== undefined)
      options.dedupeBufferBytes = this.options.dedupeBufferBytes;
    return options;
  }

  /** The effective config of a topic: defaults, broker config, topic overrides. */
  configFor(topic: string): LogConfig {
    const broker = resolveLogConfig(this.options.defaultConfig);
    return resolveLogConfig(this.options.topicConfig?.(topic) ?? {}, broker);
  }

  get size(): number {
    return this.logs.size;
  }

  get(topic: string, partition: number): SegmentLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  /** Every log with its topic-partition. */
  *entries(): IterableIterator<[TopicPartition, SegmentLog]> {
    for (const { tp, log } of this.logs.values()) yield [tp, log];
  }

  /** The log of a partition, created empty in the least loaded log dir if absent. */
  async getOrCreate(topic: string, partition: number): Promise<SegmentLog> {
    this.ensureOpen();
    const key = partitionDirName(topic, partition);
    const existing = this.logs.get(key);
    if (existing) return existing.log;
    let pending = this.creating.get(key);
    if (!pending) {
      pending = (async () => {
        const root = this.leastLoadedDir();
        const log = await SegmentLog.open(join(root, key), this.logOptions({ topic, partition }));
        // The new partition directory's entry in the log dir.
        await fsyncDirectory(root);
        this.logs.set(key, { log, dir: root, tp: { topic, partition } });
        return log;
      })();
      this.creating.set(key, pending);
      pending.then(
        () => this.creating.delete(key),
        () => this.creating.delete(key),
      );
    }
    return pending;
  }

  private leastLoadedDir(): string {
    const counts = new Map(this.logDirs.map((d) => [d, 0]));
    for (const { dir } of this.logs.values()) counts.set(dir, (counts.get(dir) ?? 0) + 1);
    let best = this.logDirs[0]!;
    for (const d of this.logDirs) if (counts.get(d)! < counts.get(best)!) best = d;
    return best;
  }

  /** The log dir holding a partition. */
  dirOf(topic: string, partition: number): string | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.dir;
  }

  /**
   * Deletes a partition: closes its log, renames its directory to `<name>.<ms>-delete` (so a crash
   * midway finishes the deletion on the next open), then removes it.
   */
  async delete(topic: string, partition: number): Promise<boolean> {
    const key = partitionDirName(topic, partition);
    const entry = this.logs.get(key);
    if (!entry) return false;
    this.logs.delete(key);
    await entry.log.abandon();
    const path = join(entry.dir, key);
    const doomed = join(entry.dir, `${key}.${this.now()}${DELETE_SUFFIX}`);
    if (existsSync(path)) {
      await rename(path, doomed);
      await fsyncDirectory(entry.dir);
      await rm(doomed, { recursive: true, force: true });
    }
    return true;
  }

  /**
   * Periodic duties; the owner calls this on a schedule (e.g. every second): flush by flush.ms,
   * retention every retentionCheckIntervalMs, then compaction of compacted logs. Logs are handled one
   * after another, so appends and reads of others go on.
   */
  async maintain(nowMs?: number): Promise<MaintenanceReport> {
    const now = nowMs ?? this.now();
    const report: MaintenanceReport = { flushed: 0, retentionBytesDeleted: 0, compactedRecords: 0 };
    const retention = now - this.lastRetentionMs >= (this.options.retentionCheckIntervalMs ?? 300_000);
    if (retention) this.lastRetentionMs = now;
    for (const { log } of [...this.logs.values()]) {
      if (this.closed) break;
      try {
        if (await log.maintain(now)) report.flushed++;
        if (retention) {
          report.retentionBytesDeleted += await log.applyRetention(now);
          if (compacts(log.config)) report.compactedRecords += (await log.compact(now)).recordsRemoved;
        }
      } catch (err) {
        this.logger('error', 'log maintenance failed', { log: log.name, err });
      }
    }
    return report;
  }

  /** Closes every log cleanly (flush, indexes, clean-shutdown markers). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.creating.values()].map((p) => p.catch(() => {})));
    // Several at a time: each close may wait for an fsync.
    const logs = [...this.logs.values()].map((e) => e.log);
    const workers = Array.from({ length: Math.min(PARALLEL_LOGS, logs.length) }, async () => {
      for (let log = logs.pop(); log; log = logs.pop()) await log.close();
    });
    await Promise.all(workers);
    await this.handles.closeAll();
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogStorageError('log manager is closed');
  }
}
