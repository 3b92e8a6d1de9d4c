import { atLeast, defineConfig } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';

/** Flume 1.11 NullSink (`null`) keys and defaults. */
export const nullSinkConfig = defineConfig({
  batchSize: {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Events per transaction.',
  },
  logEveryNEvents: {
    type: 'int',
    default: 10000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Log a progress line every this many events.',
  },
});

/** Takes events in batches and discards them (for tests and benchmarks). */
export class NullSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize: number;
  readonly logEveryNEvents: number;
  readonly #logger: Logger;
  #discarded = 0;

  constructor(
    name: string,
    channel: Channel,
    options: { batchSize?: number; logEveryNEvents?: number },
    logger: Logger,
  ) {
    this.name = name;
    this.channel = channel;
    this.batchSize = options.batchSize ?? 100;
    this.logEveryNEvents = options.logEveryNEvents ?? 10000;
    this.#logger = logger;
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }

  async start(): Promise<void> {
    this.counters.start();
  }

  async process(): Promise<ProcessStatus> {
    return drainBatch(
      this,
      () => {},
      (n) => {
        const before = this.#discarded;
        this.#discarded += n;
        if (Math.floor(this.#discarded / this.logEveryNEvents) > Math.floor(before / this.logEveryNEvents)) {
          this.#logger.info('null sink discarded events', { sink: this.name, events: this.#discarded });
        }
      },
    );
  }

  async stop(): Promise<void> {
    this.counters.stop();
  }
}

/**
 * One sink transaction: take up to `batchSize` events, hand them to `deliver`, commit; on any
 * failure roll back (the events return to the channel) and rethrow. Counts with Flume's sink
 * counter names; BACKOFF when the channel was empty.
 */
export async function drainBatch(
  sink: Sink,
  deliver: (events: FlumeEvent[]) => void | Promise<void>,
  delivered: (n: number) => void = () => {},
): Promise<ProcessStatus> {
  const tx = sink.channel.getTransaction();
  tx.begin();
  try {
    const events: FlumeEvent[] = [];
    while (events.length < sink.batchSize) {
      const e = await tx.take();
      if (e === null) break;
      events.push(e);
      if (tx.takeAvailable) {
        for (const more of tx.takeAvailable(sink.batchSize - events.length)) events.push(more);
        break;
      }
    }
    if (events.length > 0) {
      sink.counters.add('EventDrainAttemptCount', events.length);
      await deliver(events);
    }
    await tx.commit();
    const c = sink.counters;
    if (events.length === 0) c.add('BatchEmptyCount');
    else if (events.length < sink.batchSize) c.add('BatchUnderflowCount');
    else c.add('BatchCompleteCount');
    c.add('EventDrainSuccessCount', events.length);
    delivered(events.length);
    return events.length === 0 ? 'BACKOFF' : 'READY';
  } catch (err) {
    tx.rollback();
    throw err;
  } finally {
    tx.close();
  }
}
