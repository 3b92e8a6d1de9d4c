import { atLeast, defineConfig } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { dumpEvent } from './event-dump.ts';
import { drainBatch } from './null-sink.ts';

/** Flume 1.11 LoggerSink (`logger`) keys and defaults. */
export const loggerSinkConfig = defineConfig({
  maxBytesToLog: {
    type: 'int',
    default: 16,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Body bytes shown in the hex dump of each event.',
  },
});

/**
 * Logs each event at INFO as Flume does (`Event: { headers:{...} body: <hex dump> }`), one event
 * per transaction like Flume's LoggerSink. Meant for testing and debugging.
 */
export class LoggerSink implements Sink {
  readonly name: string;
  readonly channel: Channel;
  readonly counters: CounterGroup;
  readonly batchSize = 1;
  readonly maxBytesToLog: number;
  readonly #logger: Logger;

  constructor(name: string, channel: Channel, options: { maxBytesToLog?: number }, logger: Logger) {
    this.name = name;
    this.channel = channel;
    this.maxBytesToLog = options.maxBytesToLog ?? 16;
    this.#logger = logger;
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }

  async start(): Promise<void> {
    this.counters.start();
  }

  async process(): Promise<ProcessStatus> {
    return drainBatch(this, (events) => {
      for (const e of events)
        this.#logger.info(`Event: ${dumpEvent(e, this.maxBytesToLog)}`, { sink: this.name });
    });
  }

  async stop(): Promise<void> {
    this.counters.stop();
  }
}
