import { SequentialQueue } from './sequential-queue.ts';
import type { ClientTimers, ZooKeeperClient } from './zookeeper-client.ts';

export interface AcquireOptions {
  /** Give up after this long (the request is withdrawn); absent = wait forever. */
  readonly timeoutMs?: number;
}

const defaultTimers: ClientTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * A mutual-exclusion lock: `<dir>/lock-<seq>` (ephemeral sequential); the lowest holds the lock,
 * each waiter watches its predecessor. A holder whose session ends releases the lock implicitly.
 * One instance takes the lock at most once at a time.
 */
export class DistributedLock {
  private readonly client: ZooKeeperClient;
  private readonly dir: string;
  private readonly timers: ClientTimers;
  private queue: SequentialQueue | null = null;

  constructor(client: ZooKeeperClient, dir: string, timers: ClientTimers = defaultTimers) {
    this.client = client;
    this.dir = dir;
    this.timers = timers;
  }

  get isHeld(): boolean {
    return this.queue !== null;
  }

  /** Resolves true once held, false when `timeoutMs` passed first (our node is then removed). */
  async acquire(options: AcquireOptions = {}): Promise<boolean> {
    if (this.queue !== null) throw new Error(`lock ${this.dir} is already held by this instance`);
    const queue = new SequentialQueue(this.client, this.dir, 'lock-');
    let timer: unknown = null;
    const cancelled = new Promise<void>((resolve) => {
      if (options.timeoutMs !== undefined) timer = this.timers.setTimeout(resolve, options.timeoutMs);
    });
    try {
      await queue.join('');
      const first = await queue.waitUntilFirst(cancelled);
      if (!first) {
        await queue.leave();
        return false;
      }
      this.queue = queue;
      return true;
    } catch (err) {
      await queue.leave().catch(() => {});
      throw err;
    } finally {
      if (timer !== null) this.timers.clearTimeout(timer);
    }
  }

  async release(): Promise<void> {
    const q = this.queue;
    this.queue = null;
    await q?.leave();
  }
}
