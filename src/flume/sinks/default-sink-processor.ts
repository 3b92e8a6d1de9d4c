import type { Sink } from '../api/sink.ts';
import type { SinkProcessor } from '../api/sink-processor.ts';
import type { ProcessStatus } from '../api/source.ts';

/** `default`: drives one sink; what every sink outside a sink group gets. */
export class DefaultSinkProcessor implements SinkProcessor {
  readonly sinks: readonly Sink[];
  readonly #sink: Sink;

  constructor(sink: Sink) {
    this.#sink = sink;
    this.sinks = [sink];
  }

  start(): Promise<void> {
    return this.#sink.start();
  }

  process(): Promise<ProcessStatus> {
    return this.#sink.process();
  }

  stop(): Promise<void> {
    return this.#sink.stop();
  }
}
