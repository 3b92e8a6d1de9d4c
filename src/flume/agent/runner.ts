import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from '../../telemetry/index.ts';
import { messageOf } from '../api/channel-processor.ts';
import type { ProcessStatus } from '../api/source.ts';

export interface RunnerOptions {
  readonly name: string;
  readonly process: () => Promise<ProcessStatus>;
  /** Sleep after the n-th consecutive BACKOFF: min(n × increment, max). */
  readonly backoffIncrementMs: number;
  readonly backoffMaxMs: number;
  readonly logger: Logger;
}

/**
 * Calls `process()` in a loop, as Flume's SinkRunner and PollableSourceRunner do: READY runs again
 * at once, BACKOFF sleeps `min(consecutive × increment, max)`, an error is logged and sleeps the
 * maximum. The loop yields to the event loop every turn so sockets, timers and signals keep being
 * served while events flow. `stop()` ends the sleep at once and waits for the call in progress,
 * which commits or rolls back its transaction before the runner exits.
 */
export class Runner {
  readonly #options: RunnerOptions;
  #stopping = false;
  #sleep: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: RunnerOptions) {
    this.#options = options;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    const { process, backoffIncrementMs, backoffMaxMs, logger, name } = this.#options;
    let backoffs = 0;
    while (!this.#stopping) {
      let sleepMs = 0;
      try {
        const status = await process();
        if (status === 'BACKOFF') {
          backoffs++;
          sleepMs = Math.min(backoffs * backoffIncrementMs, backoffMaxMs);
        } else {
          backoffs = 0;
        }
      } catch (err) {
        logger.error('unable to process events; backing off', { component: name, err: messageOf(err) });
        sleepMs = backoffMaxMs;
      }
      if (this.#stopping) break;
      if (sleepMs > 0) await this.#pause(sleepMs);
      else await yieldToEventLoop();
    }
  }

  #pause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.#sleep = controller;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    }).finally(() => {
      this.#sleep = undefined;
    });
  }

  /** Asks the loop to end (wakes a sleeping runner) without waiting. */
  requestStop(): void {
    this.#stopping = true;
    this.#sleep?.abort();
  }

  async stop(): Promise<void> {
    this.requestStop();
    await this.#loop;
  }
}
