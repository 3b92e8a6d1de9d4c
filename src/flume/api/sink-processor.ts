import type { Sink } from './sink.ts';
import type { ProcessStatus } from './source.ts';

/**
 * Decides which sink of a group processes next (Flume's SinkProcessor). The `default` processor
 * drives a single sink; failover and load balancing come later.
 */
export interface SinkProcessor {
  readonly sinks: readonly Sink[];
  start(): Promise<void>;
  process(): Promise<ProcessStatus>;
  stop(): Promise<void>;
}
