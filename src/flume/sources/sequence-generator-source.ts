import { atLeast, defineConfig } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { ChannelException } from '../api/channel.ts';
import type { ChannelProcessor } from '../api/channel-processor.ts';
import { CounterGroup, SOURCE_COUNTERS } from '../api/counter-group.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import type { PollableSource, ProcessStatus } from '../api/source.ts';

/** Flume 1.11 SequenceGeneratorSource (`seq`) keys and defaults. */
export const seqSourceConfig = defineConfig({
  batchSize: {
    type: 'int',
    default: 1,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per batch.',
  },
  totalEvents: {
    type: 'long',
    default: Number.MAX_SAFE_INTEGER,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Events to send before stopping (default: unlimited).',
  },
  backoffSleepIncrement: {
    type: 'long',
    default: 1000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Milliseconds added to the back-off each time the source has nothing to send.',
  },
  maxBackoffSleep: {
    type: 'long',
    default: 5000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Longest back-off in milliseconds.',
  },
});

export interface SeqSourceOptions {
  readonly batchSize?: number;
  readonly totalEvents?: number;
  readonly backoffSleepIncrementMs?: number;
  readonly maxBackoffSleepMs?: number;
}

/**
 * Emits events whose body is a counter as decimal text, from 0 up to `totalEvents - 1`, then
 * answers BACKOFF. A batch the channels refuse is sent again with the same numbers.
 */
export class SequenceGeneratorSource implements PollableSource {
  readonly kind = 'pollable';
  readonly name: string;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly totalEvents: number;
  readonly backoffSleepIncrementMs: number;
  readonly maxBackoffSleepMs: number;
  readonly #logger: Logger;
  #processor: ChannelProcessor | undefined;
  #sent = 0;

  constructor(name: string, options: SeqSourceOptions, logger: Logger) {
    this.name = name;
    this.batchSize = options.batchSize ?? 1;
    this.totalEvents = options.totalEvents ?? Number.MAX_SAFE_INTEGER;
    this.backoffSleepIncrementMs = options.backoffSleepIncrementMs ?? 1000;
    this.maxBackoffSleepMs = options.maxBackoffSleepMs ?? 5000;
    this.counters = new CounterGroup('SOURCE', name, SOURCE_COUNTERS);
    this.#logger = logger;
  }

  async start(processor: ChannelProcessor): Promise<void> {
    this.#processor = processor;
    this.counters.start();
  }

  async process(): Promise<ProcessStatus> {
    const processor = this.#processor;
    if (processor === undefined) return 'BACKOFF';
    const n = Math.min(this.batchSize, this.totalEvents - this.#sent);
    if (n <= 0) return 'BACKOFF';
    const batch: FlumeEvent[] = [];
    for (let i = 0; i < n; i++) batch.push(flumeEvent(String(this.#sent + i)));
    this.counters.add('EventReceivedCount', n);
    this.counters.add('AppendBatchReceivedCount');
    try {
      await processor.processEventBatch(batch);
    } catch (err) {
      if (!(err instanceof ChannelException)) throw err;
      this.counters.add('ChannelWriteFail');
      this.#logger.error('source could not write to channel', { source: this.name, err: err.message });
      return 'BACKOFF';
    }
    this.#sent += n;
    this.counters.add('EventAcceptedCount', n);
    this.counters.add('AppendBatchAcceptedCount');
    return n < this.batchSize ? 'BACKOFF' : 'READY';
  }

  async stop(): Promise<void> {
    this.counters.stop();
  }
}
