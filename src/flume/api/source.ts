import type { ChannelProcessor } from './channel-processor.ts';
import type { CounterGroup } from './counter-group.ts';

/** What a pollable source's `process()` and a sink's `process()` report (Flume's Status). */
export type ProcessStatus = 'READY' | 'BACKOFF';

interface SourceBase {
  readonly name: string;
  /** `SOURCE.<name>` counters. */
  readonly counters: CounterGroup;
  /** Largest batch the source hands to its channels at once (checked against transactionCapacity). */
  readonly batchSize: number;
}

/**
 * A source that produces events when polled (Flume's PollableSource): the agent's runner calls
 * `process()` in a loop and backs off while it answers BACKOFF.
 */
export interface PollableSource extends SourceBase {
  readonly kind: 'pollable';
  /** Sleep growth and cap (ms) while `process()` answers BACKOFF. */
  readonly backoffSleepIncrementMs: number;
  readonly maxBackoffSleepMs: number;
  start(processor: ChannelProcessor): Promise<void>;
  process(): Promise<ProcessStatus>;
  stop(): Promise<void>;
}

/** A source driven by outside input (sockets), Flume's EventDrivenSource. */
export interface EventDrivenSource extends SourceBase {
  readonly kind: 'event-driven';
  start(processor: ChannelProcessor): Promise<void>;
  /** Stops accepting input and waits for the batches in flight to finish. */
  stop(): Promise<void>;
}

export type Source = PollableSource | EventDrivenSource;
