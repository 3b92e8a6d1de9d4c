import { SluiceError } from '../../base/index.ts';
import type { CounterGroup } from './counter-group.ts';
import type { FlumeEvent } from './event.ts';

/**
 * A channel stages events between sources and sinks. All access goes through transactions with
 * Flume's contract (BasicTransactionSemantics):
 *
 *   const tx = channel.getTransaction();
 *   tx.begin();
 *   try { tx.put(e) / await tx.take(); await tx.commit(); }
 *   catch (err) { tx.rollback(); throw err; }
 *   finally { tx.close(); }
 *
 * - puts become visible to takers only when the transaction commits;
 * - a taken event leaves the channel only on commit; rollback puts every take back at the head
 *   of the channel, in the order they were taken;
 * - one transaction holds at most `transactionCapacity` puts and as many takes; one more is a
 *   ChannelException (the caller should roll back);
 * - a commit that does not fit (capacity, byte capacity) waits up to the channel's keep-alive and
 *   then fails with ChannelFullException, leaving the transaction to be rolled back.
 *
 * Misuse (put before begin, close while open, commit twice) is a programmer error and throws an
 * AssertionError.
 */
export interface Channel {
  readonly name: string;
  /** The channel's monitoring group (`CHANNEL.<name>`). */
  readonly counters: CounterGroup;
  /** Largest number of puts or takes one transaction may hold. */
  readonly transactionCapacity: number;
  /** A new transaction in the NEW state. */
  getTransaction(): Transaction;
  start(): Promise<void>;
  /**
   * Wakes every take and commit waiting for events or space, so they give up at once; the agent
   * calls it while stopping so no runner waits out the keep-alive.
   */
  interruptWaits(): void;
  stop(): Promise<void>;
}

export interface Transaction {
  begin(): void;
  /** Stages `event`; visible to takers after commit. Throws ChannelException when the transaction is full. */
  put(event: FlumeEvent): void;
  /**
   * Takes the event at the head of the channel, or null when there is none. The first take of a
   * transaction may wait up to the keep-alive for an event; later ones return at once so a partial
   * batch is not held back.
   */
  take(): Promise<FlumeEvent | null>;
  /**
   * Takes, without waiting, up to `max` events that are in the channel now, as that many take()
   * calls would (same limits and errors, but never more than the transaction has room for). For
   * channels that can: sinks use it after a first take() to fill a batch without a promise per
   * event.
   */
  takeAvailable?(max: number): FlumeEvent[];
  commit(): Promise<void>;
  rollback(): void;
  close(): void;
}

/** A channel refused an operation (transaction full, channel full); the transaction should roll back. */
export class ChannelException extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FLUME_CHANNEL', message, options);
  }
}

/** The channel had no room for a commit within its keep-alive (Flume's ChannelFullException). */
export class ChannelFullException extends ChannelException {}
