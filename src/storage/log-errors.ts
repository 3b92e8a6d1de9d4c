import { SluiceError } from '../base/index.ts';

/*
 * Operating errors of the storage unit. Codes are Kafka's error names so the broker maps them to
 * protocol error codes one to one (OFFSET_OUT_OF_RANGE = 1, CORRUPT_MESSAGE = 2, ...).
 */

/** A read or DeleteRecords asked for an offset outside [logStartOffset, logEndOffset] (or above the HW). */
export class OffsetOutOfRangeError extends SluiceError {
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;

  constructor(offset: number, logStartOffset: number, logEndOffset: number, what = 'offset') {
    super(
      'OFFSET_OUT_OF_RANGE',
      `${what} ${offset} is outside the log range [${logStartOffset}, ${logEndOffset}]`,
    );
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

/** Bytes that are not whole, valid record batches v2 (bad length, magic or CRC-32C). */
export class CorruptRecordError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_MESSAGE', message, options);
  }
}

/** Batches that are well framed but not acceptable (offsets going backwards on a replica append...). */
export class InvalidRecordError extends SluiceError {
  constructor(message: string) {
    super('INVALID_RECORD', message);
  }
}

/** An operation on a closed or deleted log, or a disk I/O failure (Kafka's KAFKA_STORAGE_ERROR). */
export class LogStorageError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('KAFKA_STORAGE_ERROR', message, options);
  }
}
