import { getHeapStatistics } from 'node:v8';
import { assert } from '../../base/index.ts';
import { atLeast, defineConfig, range } from '../../config/index.ts';
import { type Channel, ChannelException, ChannelFullException, type Transaction } from '../api/channel.ts';
import { CHANNEL_COUNTERS, CounterGroup } from '../api/counter-group.ts';
import type { FlumeEvent } from '../api/event.ts';

/** Flume 1.11 MemoryChannel keys and defaults. */
export const memoryChannelConfig = defineConfig({
  capacity: {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Most events the channel holds.',
  },
  transactionCapacity: {
    type: 'int',
    default: 100,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Most events one transaction puts or takes (at most capacity).',
  },
  byteCapacity: {
    type: 'long',
    default: null,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Most bytes of event bodies held; default 80% of the heap limit; 0 means no limit.',
  },
  byteCapacityBufferPercentage: {
    type: 'int',
    default: 20,
    validator: range(0, 100),
    importance: 'low',
    doc: 'Share of byteCapacity kept free for headers (not counted per event).',
  },
  'keep-alive': {
    type: 'int',
    default: 3,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Seconds a take waits for an event, and a commit for space.',
  },
});

export interface MemoryChannelOptions {
  readonly capacity?: number;
  readonly transactionCapacity?: number;
  /** Bytes; null or undefined = 80% of the heap limit; 0 = unlimited. */
  readonly byteCapacity?: number | null;
  readonly byteCapacityBufferPercentage?: number;
  readonly keepAliveMs?: number;
}

/** Flume counts body bytes in slots of this size. */
const BYTE_SLOT = 100;

const slotsOf = (e: FlumeEvent): number => Math.ceil(Math.max(e.body.length, 1) / BYTE_SLOT);

/**
 * Flume's memory channel: a bounded in-memory queue with transactions (see Channel). Events are
 * lost when the process dies. Capacity counts committed events plus events taken by open
 * transactions (they return on rollback); byte capacity counts body bytes in 100-byte slots.
 */
export class MemoryChannel implements Channel {
  readonly name: string;
  readonly counters: CounterGroup;
  readonly capacity: number;
  readonly transactionCapacity: number;
  readonly keepAliveMs: number;
  /** In 100-byte slots. */
  readonly #byteSlots: number;
  #queue: FlumeEvent[] = [];
  #head = 0;
  /** Events in the queue plus events taken by open transactions. */
  #used = 0;
  #usedSlots = 0;
  readonly #waiters = new Set<() => void>();

  constructor(name: string, options: MemoryChannelOptions = {}) {
    this.name = name;
    this.capacity = options.capacity ?? 100;
    this.transactionCapacity = options.transactionCapacity ?? 100;
    assert(this.capacity >= 1 && this.transactionCapacity >= 1, 'capacities are positive');
    assert(this.transactionCapacity <= this.capacity, 'transactionCapacity <= capacity');
    this.keepAliveMs = options.keepAliveMs ?? 3000;
    const bytes = options.byteCapacity ?? Math.floor(getHeapStatistics().heap_size_limit * 0.8);
    const pct = options.byteCapacityBufferPercentage ?? 20;
    this.#byteSlots =
      bytes === 0 ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor((bytes * (1 - pct / 100)) / BYTE_SLOT));
    this.counters = new CounterGroup('CHANNEL', name, CHANNEL_COUNTERS);
    this.counters.set('ChannelCapacity', this.capacity);
    this.counters.gauge('ChannelFillPercentage', () => (this.size / this.capacity) * 100);
  }

  /** Committed events waiting to be taken. */
  get size(): number {
    return this.#queue.length - this.#head;
  }

  getTransaction(): Transaction {
    return new MemoryTransaction(this);
  }

  async start(): Promise<void> {
    this.counters.start();
  }

  interruptWaits(): void {
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#wake();
    this.counters.stop();
  }

  // --- used by MemoryTransaction -------------------------------------------------------------

  /** @internal */
  takeHead(): FlumeEvent | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const e = this.#queue[this.#head]!;
    this.#queue[this.#head] = undefined as unknown as FlumeEvent;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#syncSize();
    return e;
  }

  /**
   * Applies a commit if it fits: `puts` join the tail, `takes` leave for good. Returns false when
   * there is no room (nothing changed).
   * @internal
   */
  tryCommit(
    puts: readonly FlumeEvent[],
    takes: readonly FlumeEvent[],
    putSlots: number,
    takeSlots: number,
  ): boolean {
    const used = this.#used - takes.length + puts.length;
    const slots = this.#usedSlots - takeSlots + putSlots;
    if (puts.length > takes.length && used > this.capacity) return false;
    if (putSlots > takeSlots && slots > this.#byteSlots) return false;
    this.#used = used;
    this.#usedSlots = slots;
    for (const e of puts) this.#queue.push(e);
    this.#syncSize();
    if (puts.length > 0 || takes.length > 0) this.#wake();
    return true;
  }

  /** Why `tryCommit` refused: the queue or the byte budget. @internal */
  fullReason(puts: number, takes: number, putSlots: number, takeSlots: number): ChannelException {
    if (this.#used - takes + puts > this.capacity) {
      return new ChannelFullException(
        `Space for commit to queue couldn't be acquired. Sinks are likely not keeping up with sources, or the buffer size is too tight (channel ${this.name}, capacity ${this.capacity})`,
      );
    }
    return new ChannelFullException(
      `Cannot commit transaction. Byte capacity allocated to store event body ${this.#byteSlots * BYTE_SLOT} reached. Please increase heap space/byte capacity allocated to the channel as the sinks may not be keeping up with the sources (channel ${this.name}, ${putSlots - takeSlots} slots needed)`,
    );
  }

  /** Puts rolled-back takes back at the head, in their original order. @internal */
  returnTakes(takes: readonly FlumeEvent[]): void {
    if (takes.length === 0) return;
    if (this.#head >= takes.length) {
      this.#head -= takes.length;
      for (let i = 0; i < takes.length; i++) this.#queue[this.#head + i] = takes[i]!;
    } else {
      this.#queue = [...takes, ...this.#queue.slice(this.#head)];
      this.#head = 0;
    }
    this.#syncSize();
    this.#wake();
  }

  /** Resolves when the channel changes or `ms` passes, whichever is first. @internal */
  waitForChange(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #syncSize(): void {
    this.counters.set('ChannelSize', this.size);
  }
}

type TxState = 'NEW' | 'OPEN' | 'COMPLETED' | 'CLOSED';

class MemoryTransaction implements Transaction {
  readonly #channel: MemoryChannel;
  #state: TxState = 'NEW';
  #puts: FlumeEvent[] = [];
  #takes: FlumeEvent[] = [];
  #putSlots = 0;
  #takeSlots = 0;
  #committing = false;

  constructor(channel: MemoryChannel) {
    this.#channel = channel;
  }

  begin(): void {
    assert(this.#state === 'NEW', `begin() called when transaction is ${this.#state}`);
    this.#state = 'OPEN';
  }

  put(event: FlumeEvent): void {
    // Checked before building the message: this runs once per event.
    if (this.#state !== 'OPEN' || this.#committing)
      assert(false, `put() called when transaction is ${this.#state}`);
    const c = this.#channel;
    c.counters.add('EventPutAttemptCount');
    if (this.#puts.length >= c.transactionCapacity) {
      throw new ChannelException(
        `Put queue for MemoryTransaction of capacity ${c.transactionCapacity} full, consider committing more frequently, increasing capacity or increasing thread count (channel ${c.name})`,
      );
    }
    this.#puts.push(event);
    this.#putSlots += slotsOf(event);
  }

  async take(): Promise<FlumeEvent | null> {
    // Checked before building the message: this runs once per event.
    if (this.#state !== 'OPEN' || this.#committing)
      assert(false, `take() called when transaction is ${this.#state}`);
    const c = this.#channel;
    c.counters.add('EventTakeAttemptCount');
    if (this.#takes.length >= c.transactionCapacity) {
      throw new ChannelException(
        `Take list for MemoryTransaction, capacity ${c.transactionCapacity} full, consider committing more frequently, increasing capacity, or increasing thread count (channel ${c.name})`,
      );
    }
    let e = c.takeHead();
    if (e === undefined && this.#takes.length === 0) {
      await c.waitForChange(c.keepAliveMs);
      // The state may have changed while waiting only through misuse; checked again for safety.
      assert(this.#state === 'OPEN', `transaction became ${this.#state} during take()`);
      e = c.takeHead();
    }
    if (e === undefined) return null;
    this.#takes.push(e);
    this.#takeSlots += slotsOf(e);
    return e;
  }

  takeAvailable(max: number): FlumeEvent[] {
    if (this.#state !== 'OPEN' || this.#committing)
      assert(false, `takeAvailable() called when transaction is ${this.#state}`);
    const c = this.#channel;
    const out: FlumeEvent[] = [];
    const n = Math.min(max, c.transactionCapacity - this.#takes.length);
    for (let i = 0; i < n; i++) {
      const e = c.takeHead();
      if (e === undefined) break;
      this.#takes.push(e);
      this.#takeSlots += slotsOf(e);
      out.push(e);
    }
    c.counters.add('EventTakeAttemptCount', out.length);
    return out;
  }

  async commit(): Promise<void> {
    assert(this.#state === 'OPEN' && !this.#committing, `commit() called when transaction is ${this.#state}`);
    const c = this.#channel;
    this.#committing = true;
    try {
      const deadline = Date.now() + c.keepAliveMs;
      while (!c.tryCommit(this.#puts, this.#takes, this.#putSlots, this.#takeSlots)) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw c.fullReason(this.#puts.length, this.#takes.length, this.#putSlots, this.#takeSlots);
        }
        await c.waitForChange(left);
      }
    } finally {
      this.#committing = false;
    }
    c.counters.add('EventPutSuccessCount', this.#puts.length);
    c.counters.add('EventTakeSuccessCount', this.#takes.length);
    this.#puts = [];
    this.#takes = [];
    this.#state = 'COMPLETED';
  }

  rollback(): void {
    assert(
      this.#state === 'OPEN' && !this.#committing,
      `rollback() called when transaction is ${this.#state}`,
    );
    this.#channel.returnTakes(this.#takes);
    this.#puts = [];
    this.#takes = [];
    this.#state = 'COMPLETED';
  }

  close(): void {
    assert(
      this.#state === 'NEW' || this.#state === 'COMPLETED',
      this.#state === 'OPEN'
        ? 'close() called when transaction is OPEN - you must either commit or rollback first'
        : `close() called when transaction is ${this.#state}`,
    );
    this.#state = 'CLOSED';
  }
}
