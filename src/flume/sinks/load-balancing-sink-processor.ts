import { atLeast, defineConfig } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { messageOf } from '../api/channel-processor.ts';
import type { Sink } from '../api/sink.ts';
import type { SinkProcessor } from '../api/sink-processor.ts';
import type { ProcessStatus } from '../api/source.ts';
import { EventDeliveryException } from './failover-sink-processor.ts';

/** Flume 1.11 LoadBalancingSinkProcessor (`processor.type = load_balance`) keys and defaults. */
export const loadBalanceProcessorConfig = defineConfig({
  backoff: {
    type: 'boolean',
    default: false,
    importance: 'medium',
    doc: 'Keep a failed sink out for an exponentially growing time.',
  },
  selector: {
    type: 'enum',
    values: ['round_robin', 'random'],
    caseInsensitive: true,
    default: 'round_robin',
    importance: 'high',
    doc: 'Order in which the sinks are tried (custom selector classes cannot be loaded).',
  },
  'selector.maxTimeOut': {
    type: 'long',
    default: 30000,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Longest back-off (ms) of a failed sink.',
  },
});

/** A failure within this long after the previous back-off ended still counts as consecutive. */
const SEQUENTIAL_WINDOW_MS = 60 * 60 * 1000;
const BACKOFF_EXPONENT_MAX = 16;

interface State {
  readonly sink: Sink;
  sequentialFails: number;
  lastFail: number;
  restoreAt: number;
}

/**
 * `load_balance`: each call hands the work to one sink, trying the others in selector order when
 * it throws. `round_robin` starts one further each call; `random` shuffles. With `backoff`, a
 * failed sink is left out for min(selector.maxTimeOut, 2^n s) after n consecutive failures. When
 * every sink failed (or is backed off), `process()` throws and the runner backs off.
 */
export class LoadBalancingSinkProcessor implements SinkProcessor {
  readonly sinks: readonly Sink[];
  readonly #states: State[];
  readonly #backoff: boolean;
  readonly #selector: 'round_robin' | 'random';
  readonly #maxTimeOutMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  #next = 0;

  constructor(
    sinks: readonly Sink[],
    options: { backoff: boolean; selector: 'round_robin' | 'random'; maxTimeOutMs: number },
    logger: Logger,
    clock: { now?: () => number; random?: () => number } = {},
  ) {
    this.sinks = sinks;
    this.#states = sinks.map((sink) => ({ sink, sequentialFails: 0, lastFail: 0, restoreAt: 0 }));
    this.#backoff = options.backoff;
    this.#selector = options.selector;
    this.#maxTimeOutMs = options.maxTimeOutMs;
    this.#logger = logger;
    this.#now = clock.now ?? Date.now;
    this.#random = clock.random ?? Math.random;
  }

  async start(): Promise<void> {
    for (const s of this.sinks) await s.start();
  }

  /** The sinks in the order the next call would try them (backed-off sinks left out). */
  order(): Sink[] {
    const now = this.#now();
    const active = this.#states.filter((s) => s.restoreAt <= now);
    if (active.length === 0) return [];
    if (this.#selector === 'random') {
      const out = active.map((s) => s.sink);
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.min(Math.floor(this.#random() * (i + 1)), i);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
    if (this.#next >= active.length) this.#next = 0;
    const begin = this.#next;
    this.#next = (this.#next + 1) % active.length;
    return active.map((_, k) => active[(begin + k) % active.length]!.sink);
  }

  async process(): Promise<ProcessStatus> {
    let lastError: unknown;
    for (const sink of this.order()) {
      try {
        return await sink.process();
      } catch (err) {
        lastError = err;
        this.#failed(sink);
        this.#logger.warn('sink failed; trying the next sink of the group', {
          sink: sink.name,
          err: messageOf(err),
        });
      }
    }
    throw new EventDeliveryException(
      lastError === undefined
        ? 'every sink of the load_balance group is backed off'
        : 'all sinks of the load_balance group failed',
      { cause: lastError },
    );
  }

  #failed(sink: Sink): void {
    if (!this.#backoff) return;
    const state = this.#states.find((s) => s.sink === sink)!;
    const now = this.#now();
    const lastBackoff = Math.min(this.#maxTimeOutMs, 1000 * 2 ** state.sequentialFails);
    if (now - state.lastFail < lastBackoff + SEQUENTIAL_WINDOW_MS) {
      state.sequentialFails = Math.min(state.sequentialFails + 1, BACKOFF_EXPONENT_MAX);
    } else {
      state.sequentialFails = 1;
    }
    state.lastFail = now;
    state.restoreAt = now + Math.min(this.#maxTimeOutMs, 1000 * 2 ** state.sequentialFails);
  }

  async stop(): Promise<void> {
    for (const s of this.sinks) await s.stop();
  }
}
