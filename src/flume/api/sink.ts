import type { Channel } from './channel.ts';
import type { CounterGroup } from './counter-group.ts';
import type { ProcessStatus } from './source.ts';

/**
 * A sink drains one channel. `process()` runs one channel transaction: take up to a batch, deliver
 * it, commit (or roll back and rethrow on failure). It answers BACKOFF when the channel had nothing,
 * so the runner sleeps before polling again.
 */
export interface Sink {
  readonly name: string;
  readonly channel: Channel;
  /** `SINK.<name>` counters. */
  readonly counters: CounterGroup;
  readonly batchSize: number;
  start(): Promise<void>;
  process(): Promise<ProcessStatus>;
  stop(): Promise<void>;
}
