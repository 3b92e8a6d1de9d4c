import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AppendResult,
  CorruptRecordError,
  InvalidRecordError,
  LogStorageError,
  OffsetOutOfRangeError,
  type ReadResult,
  type SegmentLog,
} from '../../storage/index.ts';
import {
  BatchAttribute,
  batchAttributes,
  batchBaseOffset,
  batchBaseSequence,
  batchBaseTimestamp,
  batchLastOffset,
  batchMagic,
  batchMaxTimestamp,
  batchProducerEpoch,
  batchProducerId,
  batchRecordsCount,
  batchSize,
  decodeRecordBatch,
  ErrorCode,
  LOG_OVERHEAD_BYTES,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_MAGIC,
  RecordBatchLayout,
  validateBatchCrc,
} from '../protocol/index.ts';
import { writeFileDurably } from './durable-file.ts';
import {
  type BatchProducerFields,
  PartitionProducerState,
  type ProducerStateSnapshot,
} from './producer-state.ts';

/** The producer state of a partition, beside its segments (Kafka keeps `<offset>.snapshot` files there). */
export const PRODUCER_STATE_FILE = 'producer-state.json';
const REPLAY_READ_BYTES = 4 * 1024 * 1024;
/** Kafka's Long.MAX_VALUE "no bound", as storage clamps it. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/** The result of a produce to one partition. */
export type AppendOutcome =
  | {
      readonly errorCode: 0;
      readonly baseOffset: number;
      readonly logAppendTime: number;
      readonly logStartOffset: number;
      readonly duplicate: boolean;
    }
  | {
      readonly errorCode: number;
      readonly message: string;
      /** Produce v8+: the records at fault, by index in the batch (Kafka's RecordError). */
      readonly recordErrors?: readonly RecordError[];
    };

export interface RecordError {
  readonly batchIndex: number;
  readonly message: string;
}

export interface ProduceLimits {
  /** Topic max.message.bytes (broker message.max.bytes by default). */
  readonly maxMessageBytes: number;
  /**
   * How far behind / ahead of the broker clock a CreateTime timestamp may be (topic
   * `message.timestamp.{before,after}.max.ms`, or the older `message.timestamp.difference.max.ms`).
   * Omitted or >= Number.MAX_SAFE_INTEGER: unbounded.
   */
  readonly timestampBeforeMaxMs?: number;
  readonly timestampAfterMaxMs?: number;
}

/** Kafka shows at most this many record errors in the partition's error message. */
const RECORD_ERRORS_IN_MESSAGE = 3;

function fail(errorCode: number, message: string): AppendOutcome {
  return { errorCode, message };
}

/**
 * One partition this node leads (every partition, on a single node). Kafka's partition state from the
 * start: leader epoch, replicas and ISR (this node alone), log start/end offsets and the high
 * watermark. With an ISR of one, an append is committed once it is in the local log, so the high
 * watermark moves to the log end after every append (acks=1 and acks=-1 behave alike).
 *
 * Appends are serialized per partition so the producer-state check and the log append are one step;
 * fetches waiting for data register a callback that every append calls.
 */
export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: SegmentLog;
  readonly producers = new PartitionProducerState();
  leaderEpoch: number;
  /** Node ids; a single node has itself as the only replica and ISR member. */
  readonly replicas: readonly number[];
  isr: readonly number[];
  private readonly waiters = new Set<() => void>();
  private appending: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private producerStateDirty = false;

  constructor(
    topic: string,
    index: number,
    log: SegmentLog,
    nodeId: number,
    leaderEpoch: number,
    now: () => number,
  ) {
    this.topic = topic;
    this.index = index;
    this.log = log;
    this.leaderEpoch = leaderEpoch;
    this.replicas = [nodeId];
    this.isr = [nodeId];
    this.now = now;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get highWatermark(): number {
    return this.log.highWatermark;
  }
  /** No transactions yet, so the last stable offset is the high watermark. */
  get lastStableOffset(): number {
    return this.log.highWatermark;
  }

  /** Loads the producer-state snapshot and replays the log after it (or the whole log without one). */
  async load(): Promise<void> {
    this.log.setHighWatermark(this.log.logEndOffset);
    let from = this.log.logStartOffset;
    const path = join(this.log.dir, PRODUCER_STATE_FILE);
    if (existsSync(path)) {
      try {
        const s = JSON.parse(readFileSync(path, 'utf8')) as ProducerStateSnapshot;
        if (s.version === 1 && s.offset <= this.log.logEndOffset && s.offset >= this.log.logStartOffset) {
          this.producers.restore(s);
          from = s.offset;
        }
      } catch {
        // A damaged snapshot is rebuilt from the log.
      }
    }
    const now = this.now();
    const end = this.log.logEndOffset;
    while (from < end) {
      let read: ReadResult;
      try {
        read = await this.log.read(from, REPLAY_READ_BYTES, { maxOffset: end });
      } catch (err) {
        if (err instanceof OffsetOutOfRangeError) break;
        throw err;
      }
      if (read.records.length === 0) break;
      const buf = read.records;
      for (let at = 0; at + RECORD_BATCH_HEADER_BYTES <= buf.length; ) {
        const size = batchSize(buf, at);
        if (at + size > buf.length) break;
        const fields = producerFields(buf, at);
        const last = batchLastOffset(buf, at);
        if (fields.producerId >= 0 && last >= from) {
          this.producers.record(fields, last - fields.lastOffsetDelta, last, -1, now);
        }
        at += size;
      }
      if (read.nextOffset <= from) break;
      from = read.nextOffset;
    }
    this.producerStateDirty = true;
  }

  /** Writes the producer state if it changed since the last write. */
  saveProducerState(): Promise<void> {
    // In the append queue, so the snapshot's offset and content agree.
    const run = this.appending.then(async () => {
      if (!this.producerStateDirty) return;
      this.producerStateDirty = false;
      const snapshot = this.producers.snapshot(this.log.logEndOffset);
      await writeFileDurably(join(this.log.dir, PRODUCER_STATE_FILE), JSON.stringify(snapshot));
    });
    this.appending = run.catch(() => {});
    return run;
  }

  /**
   * Validates one produce request's records for this partition and appends them: exactly one record
   * batch v2 (Produce v3+), intact CRC-32C, within max.message.bytes, a record count matching its
   * offset span, no control or transactional batches (transactions are not supported yet), then the
   * idempotent-producer checks. The batch bytes are stored untouched but for the base offset, the
   * partition leader epoch and, for LogAppendTime topics, the timestamp.
   */
  append(records: Buffer, limits: ProduceLimits): Promise<AppendOutcome> {
    const run = this.appending.then(() => this.appendNow(records, limits));
    this.appending = run.catch(() => {});
    return run;
  }

  private async appendNow(records: Buffer, limits: ProduceLimits): Promise<AppendOutcome> {
    if (records.length < LOG_OVERHEAD_BYTES + 5)
      return fail(ErrorCode.CORRUPT_MESSAGE, 'records are truncated');
    if (batchMagic(records, 0) !== RECORD_BATCH_MAGIC) {
      return fail(ErrorCode.INVALID_RECORD, 'Produce v3+ accepts record batches with magic 2 only');
    }
    if (records.length < RECORD_BATCH_HEADER_BYTES)
      return fail(ErrorCode.CORRUPT_MESSAGE, 'record batch is truncated');
    const size = LOG_OVERHEAD_BYTES + records.readInt32BE(RecordBatchLayout.batchLength);
    if (size > records.length || size < RECORD_BATCH_HEADER_BYTES) {
      return fail(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch length ${size} does not match the ${records.length} bytes sent`,
      );
    }
    if (size < records.length) {
      return fail(
        ErrorCode.INVALID_RECORD,
        'Produce v3+ requests carry exactly one record batch per partition',
      );
    }
    if (size > limits.maxMessageBytes) {
      return fail(
        ErrorCode.MESSAGE_TOO_LARGE,
        `record batch of ${size} bytes exceeds max.message.bytes ${limits.maxMessageBytes}`,
      );
    }
    try {
      validateBatchCrc(records, 0);
    } catch (err) {
      return fail(ErrorCode.CORRUPT_MESSAGE, (err as Error).message);
    }
    const attributes = batchAttributes(records, 0);
    const count = batchRecordsCount(records, 0);
    const lastOffsetDelta = records.readInt32BE(RecordBatchLayout.lastOffsetDelta);
    if (count <= 0 || lastOffsetDelta !== count - 1) {
      return fail(
        ErrorCode.INVALID_RECORD,
        `record batch claims ${count} records with a last offset delta of ${lastOffsetDelta}`,
      );
    }
    if ((attributes & BatchAttribute.control) !== 0) {
      return fail(ErrorCode.INVALID_RECORD, 'clients may not write control batches');
    }
    if ((attributes & BatchAttribute.transactional) !== 0) {
      return fail(ErrorCode.INVALID_TXN_STATE, 'transactions are not supported yet');
    }
    const recordCheck = this.checkRecords(records, limits);
    if (recordCheck !== null) return recordCheck;
    const fields = producerFields(records, 0);
    if (fields.producerId >= 0 && (fields.producerEpoch < 0 || fields.baseSequence < 0)) {
      return fail(ErrorCode.INVALID_RECORD, 'an idempotent batch needs a producer epoch and a base sequence');
    }
    const check = this.producers.check(fields);
    if (check.kind === 'error') return fail(check.errorCode, check.message);
    if (check.kind === 'duplicate') {
      return {
        errorCode: 0,
        baseOffset: check.batch.firstOffset,
        logAppendTime: check.batch.logAppendTime,
        logStartOffset: this.log.logStartOffset,
        duplicate: true,
      };
    }
    let result: AppendResult;
    try {
      // The CRC was checked above, before the producer-state step; a second pass in the log cost
      // ~12 % of the broker's CPU on 1 KiB records (bench/kafka).
      result = await this.log.append(records, { leaderEpoch: this.leaderEpoch, crcValidated: true });
    } catch (err) {
      if (err instanceof CorruptRecordError) return fail(ErrorCode.CORRUPT_MESSAGE, err.message);
      if (err instanceof InvalidRecordError) return fail(ErrorCode.INVALID_RECORD, err.message);
      // A closed (deleted) log or a disk failure: retriable, the client refreshes its metadata.
      if (err instanceof LogStorageError) return fail(ErrorCode.KAFKA_STORAGE_ERROR, err.message);
      throw err;
    }
    this.log.setHighWatermark(this.log.logEndOffset);
    if (fields.producerId >= 0) {
      this.producers.record(fields, result.baseOffset, result.lastOffset, result.logAppendTime, this.now());
      this.producerStateDirty = true;
    }
    this.wakeWaiters();
    return {
      errorCode: 0,
      baseOffset: result.baseOffset,
      logAppendTime: result.logAppendTime,
      logStartOffset: result.logStartOffset,
      duplicate: false,
    };
  }

  /**
   * Record-level checks that only some topics need, so a plain topic pays nothing: keyless records on
   * a compacted topic (INVALID_RECORD, each record decoded), and CreateTime timestamps outside the
   * topic's bounds (INVALID_TIMESTAMP). Timestamps are checked on the batch header first — the first
   * record's timestamp against the lower bound, the max timestamp against both — and records are only
   * decoded to name the ones at fault when the header is out of bounds. (A record earlier than the
   * first one, by a negative delta, is therefore not caught: producers write ascending timestamps.)
   * Like Kafka, every record at fault is reported with its index in the batch.
   */
  private checkRecords(records: Buffer, limits: ProduceLimits): AppendOutcome | null {
    const config = this.log.config;
    const compacted = config.cleanupPolicy !== 'delete';
    const before = limits.timestampBeforeMaxMs ?? UNBOUNDED;
    const afterMs = limits.timestampAfterMaxMs ?? UNBOUNDED;
    const timed = config.messageTimestampType === 'CreateTime' && (before < UNBOUNDED || afterMs < UNBOUNDED);
    if (!compacted && !timed) return null;
    const now = this.now();
    const low = before < UNBOUNDED ? now - before : Number.NEGATIVE_INFINITY;
    const high = afterMs < UNBOUNDED ? now + afterMs : Number.POSITIVE_INFINITY;
    const outside = (ts: number) => ts !== -1 && (ts < low || ts > high);
    const badTimes =
      timed && (outside(batchBaseTimestamp(records, 0)) || outside(batchMaxTimestamp(records, 0)));
    if (!compacted && !badTimes) return null;
    let batch: ReturnType<typeof decodeRecordBatch>;
    try {
      batch = decodeRecordBatch(records, { verifyCrc: false });
    } catch (err) {
      return fail(ErrorCode.CORRUPT_MESSAGE, (err as Error).message);
    }
    const errors: RecordError[] = [];
    let timestampErrors = false;
    const baseTimestamp = Number(batch.baseTimestamp);
    batch.records.forEach((r, index) => {
      if (compacted && r.key === null) {
        errors.push({
          batchIndex: index,
          message: `Compacted topic cannot accept message without key in topic partition ${this.topic}-${this.index}.`,
        });
        return;
      }
      const ts = baseTimestamp + r.timestampDelta;
      if (badTimes && outside(ts)) {
        timestampErrors = true;
        const offset = batchBaseOffset(records, 0) + r.offsetDelta;
        errors.push({
          batchIndex: index,
          message: `Timestamp ${ts} of message with offset ${offset} is out of range. The timestamp should be within [${low === Number.NEGATIVE_INFINITY ? '-inf' : low}, ${high === Number.POSITIVE_INFINITY ? '+inf' : high}]`,
        });
      }
    });
    if (errors.length === 0) return null;
    if (timestampErrors) {
      return {
        errorCode: ErrorCode.INVALID_TIMESTAMP,
        message: 'One or more records have been rejected due to invalid timestamp',
        recordErrors: errors,
      };
    }
    const shown = errors
      .slice(0, RECORD_ERRORS_IN_MESSAGE)
      .map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`)
      .join(', ');
    return {
      errorCode: ErrorCode.INVALID_RECORD,
      message: `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown}]`,
      recordErrors: errors,
    };
  }

  /** Calls `wake` after the next append (or deletion/truncation); returns the unsubscribe function. */
  onAppend(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w();
  }

  async deleteRecordsBefore(offset: number): Promise<number> {
    const start = await this.log.deleteRecordsBefore(offset);
    this.producers.truncateHead(start);
    this.producerStateDirty = true;
    this.wakeWaiters();
    return start;
  }

  expireProducers(expirationMs: number): void {
    if (this.producers.expire(this.now(), expirationMs) > 0) this.producerStateDirty = true;
  }
}

function producerFields(buf: Buffer, at: number): BatchProducerFields {
  return {
    producerId: batchProducerId(buf, at),
    producerEpoch: batchProducerEpoch(buf, at),
    baseSequence: batchBaseSequence(buf, at),
    lastOffsetDelta: buf.readInt32BE(at + RecordBatchLayout.lastOffsetDelta),
  };
}
