import { SluiceError } from '../../base/index.ts';

/**
 * Operating errors of the write-ahead log. `code` is one of:
 * - `WAL_RECORD_TOO_LARGE`: a payload above `recordBytesMax`; nothing was written.
 * - `WAL_CLOSED`: the log was closed (or is closing) when the call was made.
 * - `WAL_IO`: a read, write or sync failed. After a failed write or sync the log refuses further
 *   appends: the page cache may have dropped the dirty pages, so the only safe way on is to reopen
 *   (which runs recovery again).
 */
export class WalError extends SluiceError {}

/**
 * A record that cannot be trusted in a place where a crash cannot explain it: a middle file (fully
 * synced before the log rolled past it), a gap between files, or damage found during replay inside
 * the range that recovery had already validated. Names the file and the byte offset.
 */
export class WalCorruptError extends WalError {
  readonly dir: string;
  /** File name inside `dir`. */
  readonly file: string;
  readonly offset: number;
  readonly reason: string;

  constructor(dir: string, file: string, offset: number, reason: string) {
    super('WAL_CORRUPT', `write-ahead log ${dir}: ${file} is corrupt at byte ${offset}: ${reason}`);
    this.dir = dir;
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}
