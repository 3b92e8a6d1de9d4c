/**
 * Serializes async critical sections (appends, rolls, truncation, segment swaps) of one log, in
 * arrival order. Reads do not take it: they work on snapshots of committed sizes.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }
}
