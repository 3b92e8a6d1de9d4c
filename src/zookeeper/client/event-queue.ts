/**
 * An unbounded queue of events that is also an async iterable: `listener` pushes, `for await`
 * takes. Lets callers consume watch events (or state changes) as a stream instead of callbacks.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((r: IteratorResult<T>) => void)[] = [];
  private ended = false;

  /** Pass this wherever a callback is expected. */
  readonly listener = (item: T): void => {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w !== undefined) w({ value: item, done: false });
    else this.items.push(item);
  };

  /** Ends iteration once the items already queued are taken. */
  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** The next item (undefined once ended and drained). */
  async next(): Promise<T | undefined> {
    const r = await this.take();
    return r.done === true ? undefined : r.value;
  }

  private take(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.take(),
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
