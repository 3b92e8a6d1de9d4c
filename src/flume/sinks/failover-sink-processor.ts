import { SluiceError } from '../../base/index.ts';
import { atLeast, defineConfig } from '../../config/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { messageOf } from '../api/channel-processor.ts';
import type { Sink } from '../api/sink.ts';
import type { SinkProcessor } from '../api/sink-processor.ts';
import type { ProcessStatus } from '../api/source.ts';
import { extendedConfig } from '../config/extended-config.ts';

/** No sink of a group could take the events (Flume's EventDeliveryException); the runner backs off. */
export class EventDeliveryException extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FLUME_DELIVERY', message, options);
  }
}

const INT = /^[+-]?\d+$/;

/** Flume 1.11 FailoverSinkProcessor (`processor.type = failover`) keys and defaults. */
export const failoverProcessorConfig = extendedConfig({
  fixed: defineConfig({
    maxpenalty: {
      type: 'long',
      default: 30000,
      validator: atLeast(0),
      importance: 'medium',
      doc: 'Longest time (ms) a failed sink waits before it is tried again.',
    },
  }),
  prefixes: ['priority.'],
  familyRows: [
    {
      key: 'priority.<sink>',
      type: 'int',
      default: 'by listing order',
      validValues: 'unique within the group',
      importance: 'high',
      doc: 'Higher runs first; sinks without one rank below, in the order of the group.',
    },
  ],
  finish(_fixed, families, fail) {
    const priorities: Record<string, number> = {};
    const seen = new Map<number, string>();
    for (const e of families.values()) {
      const sink = e.key.slice('priority.'.length);
      if (!INT.test(e.value) || Math.abs(Number(e.value)) > 2 ** 31 - 1) {
        fail(e, 'an int (32-bit integer)');
        continue;
      }
      const p = Number(e.value);
      const other = seen.get(p);
      if (other !== undefined) {
        fail(e, `a priority unique within the group (sink ${other} has ${p} too)`);
        continue;
      }
      seen.set(p, sink);
      priorities[sink] = p;
    }
    return { priorities };
  },
});

const FAILURE_PENALTY_MS = 1000;

interface Ranked {
  readonly sink: Sink;
  readonly priority: number;
  /** Consecutive failures; the penalty is min(maxpenalty, 2^failures × 1 s). */
  failures: number;
  /** When a failed sink may be tried again. */
  refresh: number;
}

/**
 * `failover`: the live sink with the highest priority does the work. A sink whose `process()`
 * throws goes to a penalty box for min(maxpenalty, 2^n s) after its n-th consecutive failure and
 * the next live sink takes over at once. Each call first retries the penalised sinks whose time is
 * up (earliest first); one that answers READY is live again (and takes over if it ranks higher),
 * one that fails again stays out for twice as long. With every sink out, `process()` throws and
 * the runner backs off.
 */
export class FailoverSinkProcessor implements SinkProcessor {
  readonly sinks: readonly Sink[];
  readonly #maxPenaltyMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Highest priority first. */
  #live: Ranked[] = [];
  /** Earliest refresh first. */
  #failed: Ranked[] = [];

  constructor(
    sinks: readonly Sink[],
    options: { priorities: Readonly<Record<string, number>>; maxPenaltyMs: number },
    logger: Logger,
    now: () => number = Date.now,
  ) {
    this.sinks = sinks;
    this.#maxPenaltyMs = options.maxPenaltyMs;
    this.#logger = logger;
    this.#now = now;
    const taken = new Set(Object.values(options.priorities));
    let next = 0;
    for (const sink of sinks) {
      let priority = options.priorities[sink.name];
      if (priority === undefined) {
        // Flume ranks unprioritised sinks -1, -2... in group order.
        do next--;
        while (taken.has(next));
        priority = next;
        taken.add(priority);
      }
      this.#live.push({ sink, priority, failures: 0, refresh: 0 });
    }
    this.#live.sort((a, b) => b.priority - a.priority);
  }

  /** The sink that would run now (tests, logs). */
  get activeSink(): Sink | undefined {
    return this.#live[0]?.sink;
  }

  async start(): Promise<void> {
    for (const s of this.sinks) await s.start();
  }

  async process(): Promise<ProcessStatus> {
    const now = this.#now();
    while (this.#failed.length > 0 && this.#failed[0]!.refresh <= now) {
      const cur = this.#failed.shift()!;
      try {
        const status = await cur.sink.process();
        if (status === 'READY') {
          cur.failures = 0;
          this.#insertLive(cur);
          this.#logger.info('sink recovered and is live again', { sink: cur.sink.name });
        } else {
          // An empty channel is no failure: keep it out, but try it again next time.
          this.#insertFailed(cur);
        }
        return status;
      } catch (err) {
        this.#penalise(cur, err);
      }
    }
    while (this.#live.length > 0) {
      const active = this.#live[0]!;
      try {
        return await active.sink.process();
      } catch (err) {
        this.#live.shift();
        active.failures = 0;
        this.#penalise(active, err);
      }
    }
    throw new EventDeliveryException('all sinks of the failover group failed; nothing left to fail over to');
  }

  #penalise(r: Ranked, err: unknown): void {
    r.failures = Math.min(r.failures + 1, 30);
    const penalty = Math.min(this.#maxPenaltyMs, 2 ** r.failures * FAILURE_PENALTY_MS);
    r.refresh = this.#now() + penalty;
    this.#insertFailed(r);
    this.#logger.warn('sink failed; moved to the failover penalty box', {
      sink: r.sink.name,
      err: messageOf(err),
      penaltyMs: penalty,
    });
  }

  #insertLive(r: Ranked): void {
    const at = this.#live.findIndex((x) => x.priority < r.priority);
    this.#live.splice(at < 0 ? this.#live.length : at, 0, r);
  }

  #insertFailed(r: Ranked): void {
    const at = this.#failed.findIndex((x) => x.refresh > r.refresh);
    this.#failed.splice(at < 0 ? this.#failed.length : at, 0, r);
  }

  async stop(): Promise<void> {
    for (const s of this.sinks) await s.stop();
  }
}
