// Public surface of the storage unit: the partition log (segment files or memory), its manager,
// configuration, errors, and the record-batch framing helpers the broker needs to serve bytes.
// The write-ahead log (./wal/) is exported by its own owner below this block.
export {
  BATCH_HEADER_BYTES,
  batchBaseOffset,
  batchLastOffset,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchRecordsCount,
  batchSize,
  crcMatches,
  LOG_OVERHEAD,
  validateBatch,
  validateBatches,
} from './batch-framing.ts';
export { FileHandleCache } from './file-handle-cache.ts';
export {
  type EpochEntry,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from './leader-epoch-cache.ts';
export type {
  AppendOptions,
  AppendResult,
  CompactionStats,
  EpochEndOffset,
  Log,
  ReadOptions,
  ReadResult,
  StorageLogger,
  TimestampOffset,
} from './log.ts';
export { DEFAULT_DEDUPE_BUFFER_BYTES } from './log-cleaner.ts';
export {
  type CleanupPolicy,
  DEFAULT_LOG_CONFIG,
  type LogConfig,
  LogConfigError,
  logConfigFromProperties,
  resolveLogConfig,
} from './log-config.ts';
export {
  CorruptRecordError,
  InvalidRecordError,
  LogStorageError,
  OffsetOutOfRangeError,
} from './log-errors.ts';
export {
  LogManager,
  type LogManagerOptions,
  type MaintenanceReport,
  parsePartitionDirName,
  partitionDirName,
  type TopicPartition,
} from './log-manager.ts';
export { MemoryLog, type MemoryLogOptions } from './memory-log.ts';
export type { RecordEntry, RecordFormat } from './record-format.ts';
export {
  CLEAN_SHUTDOWN_FILE,
  type RecoveryReport,
  SegmentLog,
  type SegmentLogOptions,
} from './segment-log.ts';
export { WalCorruptError, WalError } from './wal/wal-errors.ts';
export { nodeWalFs, type WalFs } from './wal/wal-fs.ts';
export {
  type WalOptions,
  type WalRecord,
  type WalRecovery,
  type WalStats,
  WriteAheadLog,
} from './wal/write-ahead-log.ts';
