import type { LogConfig } from './log-config.ts';

/**
 * One partition's log: record batches v2 kept byte for byte as they arrived, addressed by offset.
 * The contract every implementation meets (see log-contract.ts): SegmentLog (files) and MemoryLog.
 *
 * Offsets are numbers, exact below 2^53 (asserted on append).
 */
export interface Log {
  /** Directory name or any label; used in error messages. */
  readonly name: string;
  readonly config: Readonly<LogConfig>;
  /** First offset a read may ask for. */
  readonly logStartOffset: number;
  /** Offset the next appended record gets. */
  readonly logEndOffset: number;
  /** Set by the caller (replication); always within [logStartOffset, logEndOffset]. */
  readonly highWatermark: number;
  /** Offsets below this are known durable (fsynced). */
  readonly flushedOffset: number;
  /** Bytes of record batches held. */
  readonly sizeBytes: number;
  /** Latest leader epoch recorded (-1 when none). */
  readonly latestEpoch: number;

  /**
   * Appends one or more concatenated record batches v2 with a single write. The framing and CRC-32C
   * of every batch is checked first (CorruptRecordError, nothing written; the CRC is skipped with
   * `crcValidated`); then each batch gets its
   * baseOffset (and partitionLeaderEpoch when given) stamped in place, in `batches` itself.
   */
  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult>;

  /**
   * Whole batches from the one containing `offset`, up to `maxBytes` (at least one whole batch even when
   * it is larger, so consumers progress). OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  read(offset: number, maxBytes: number, options?: ReadOptions): Promise<ReadResult>;

  /** First record with timestamp >= `timestamp` (ListOffsets), or null when none is that late. */
  offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null>;
  /** Record with the largest timestamp (ListOffsets MAX_TIMESTAMP), or null for an empty log. */
  maxTimestamp(): Promise<TimestampOffset | null>;

  setHighWatermark(offset: number): void;
  /** DeleteRecords: moves logStartOffset up to `offset` (<= high watermark); returns the new start. */
  deleteRecordsBefore(offset: number): Promise<number>;
  /** Removes every batch holding an offset >= `offset` (a batch containing it goes whole). */
  truncateTo(offset: number): Promise<void>;
  /** Drops everything and restarts the log empty at `offset`. */
  truncateFullyAndStartAt(offset: number): Promise<void>;
  /** OffsetForLeaderEpoch: end offset of `epoch` (Kafka's LeaderEpochFileCache.endOffsetFor). */
  endOffsetForEpoch(epoch: number): EpochEndOffset;

  /** Deletes what retention (time, size, logStartOffset) allows; returns the bytes deleted. */
  applyRetention(nowMs?: number): Promise<number>;
  /** Compacts what cleanup.policy=compact allows (never the active part); no-op for `delete`. */
  compact(nowMs?: number): Promise<CompactionStats>;

  /** Starts a new segment at the log end (no-op when the active one is empty). */
  roll(): Promise<void>;
  flush(): Promise<void>;
  /** Flushes and releases resources; a file log leaves a clean-shutdown marker. */
  close(): Promise<void>;
}

export interface AppendOptions {
  /** Leader epoch stamped into each batch's partitionLeaderEpoch and recorded in the epoch cache. */
  leaderEpoch?: number;
  /**
   * false for replica appends: batches keep their offsets, which must start at or after the log end
   * and increase (InvalidRecordError otherwise). Default true: the log assigns offsets.
   */
  assignOffsets?: boolean;
  /**
   * The caller has already checked the CRC-32C of every batch (the broker's Produce path does), so
   * the log skips it; lengths, magic and offsets are still checked. Recovery and unverified reads
   * check CRCs regardless. Default false.
   */
  crcValidated?: boolean;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The append time stamped into the batches with message.timestamp.type=LogAppendTime, else -1. */
  logAppendTime: number;
  logStartOffset: number;
  batchCount: number;
  recordCount: number;
  maxTimestamp: number;
  /** Bytes appended. */
  sizeBytes: number;
}

export interface ReadOptions {
  /** Exclusive bound: batches holding an offset >= maxOffset are not returned (e.g. the HW). */
  maxOffset?: number;
}

export interface ReadResult {
  /** Whole batches, ready to write to a socket; empty when there is nothing to return. */
  records: Buffer;
  /** baseOffset of the first batch returned, or -1. */
  firstOffset: number;
  /** Offset after the last batch returned (the next fetch offset); `offset` itself when empty. */
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface TimestampOffset {
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface EpochEndOffset {
  /** -1 (UNDEFINED_EPOCH) when unknown. */
  leaderEpoch: number;
  /** -1 (UNDEFINED_EPOCH_OFFSET) when unknown. */
  endOffset: number;
}

export interface CompactionStats {
  segmentsCleaned: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

export const EMPTY_COMPACTION: Readonly<CompactionStats> = Object.freeze({
  segmentsCleaned: 0,
  bytesBefore: 0,
  bytesAfter: 0,
  recordsRemoved: 0,
});

/** Injected logger: storage does not import telemetry; the owner adapts this to its logger. */
export type StorageLogger = (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;

export const silentLogger: StorageLogger = () => {};
