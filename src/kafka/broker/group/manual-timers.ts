import type { GroupTimers } from './classic-group.ts';

/**
 * Timers and a clock driven by hand, for tests of the group state machines: `advance(ms)` runs
 * every timer due within that time, in order, with `now()` moved to each one's due time.
 */
export class ManualTimers implements GroupTimers {
  private time: number;
  private nextId = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_000_000) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  set(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.due.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  }

  clear(handle: unknown): void {
    if (typeof handle === 'number') this.due.delete(handle);
  }

  /** Timers still armed. */
  get pending(): number {
    return this.due.size;
  }

  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let nextId: number | null = null;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, t] of this.due) {
        if (t.at <= target && (t.at < nextAt || (t.at === nextAt && nextId !== null && id < nextId))) {
          nextId = id;
          nextAt = t.at;
        }
      }
      if (nextId === null) break;
      const t = this.due.get(nextId)!;
      this.due.delete(nextId);
      this.time = t.at;
      t.fn();
    }
    this.time = target;
  }
}
