import { type FileHandle, open } from 'node:fs/promises';

/** A file handle lent by the cache; `release()` exactly once when done. */
export interface FileLease {
  readonly fh: FileHandle;
  release(): void;
}

interface Entry {
  key: number;
  path: string;
  fh: FileHandle;
  refs: number;
  /** Evicted or invalidated: close once the last lease is released. */
  retired: boolean;
  /** Told when the LRU evicts the handle (the segment drops its in-memory indexes). */
  onEvict: (() => void) | undefined;
}

/**
 * LRU of open segment files shared by every log of a LogManager, so the number of open descriptors
 * stays at most `maxOpen` plus the handles currently lent out (a lease pins its handle; an evicted
 * handle in use is closed on its last release). Keys are segment ids, not paths: a segment replaced
 * under the same name (compaction swap) gets a new id, so nobody reads the old inode by mistake.
 */
export class FileHandleCache {
  readonly maxOpen: number;
  /** Insertion order = recency order (a hit re-inserts). */
  private readonly entries = new Map<number, Entry>();
  private readonly opening = new Map<number, Promise<Entry>>();
  private retiredOpen = 0;

  constructor(maxOpen = 1024) {
    if (!Number.isInteger(maxOpen) || maxOpen < 1)
      throw new RangeError(`maxOpen must be >= 1, got ${maxOpen}`);
    this.maxOpen = maxOpen;
  }

  /** Handles open now, including evicted ones still lent out. */
  get openCount(): number {
    return this.entries.size + this.retiredOpen;
  }

  /** Lends the handle of segment `key` if it is open (no await: the append and read fast path). */
  tryAcquire(key: number): FileLease | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return this.lease(entry);
  }

  /** Lends the handle of `path` (opened read-write) for segment `key`. */
  async acquire(key: number, path: string, onEvict?: () => void): Promise<FileLease> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      let pending = this.opening.get(key);
      if (!pending) {
        pending = this.openEntry(key, path, onEvict);
        this.opening.set(key, pending);
        pending.then(
          () => this.opening.delete(key),
          () => this.opening.delete(key),
        );
      }
      entry = await pending;
    }
    return this.lease(entry);
  }

  private async openEntry(key: number, path: string, onEvict: (() => void) | undefined): Promise<Entry> {
    const fh = await open(path, 'r+');
    const entry: Entry = { key, path, fh, refs: 0, retired: false, onEvict };
    this.entries.set(key, entry);
    this.evictOverflow();
    return entry;
  }

  private lease(entry: Entry): FileLease {
    entry.refs++;
    let released = false;
    return {
      fh: entry.fh,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs === 0 && entry.retired) this.closeRetired(entry);
      },
    };
  }

  private evictOverflow(): void {
    if (this.entries.size <= this.maxOpen) return;
    for (const entry of this.entries.values()) {
      if (this.entries.size <= this.maxOpen) break;
      this.retire(entry);
      entry.onEvict?.();
    }
  }

  private retire(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    if (entry.retired) return;
    entry.retired = true;
    this.retiredOpen++;
    if (entry.refs === 0) this.closeRetired(entry);
  }

  private closeRetired(entry: Entry): void {
    this.retiredOpen--;
    entry.fh.close().catch(() => {});
  }

  /** Closes the handle of segment `key` (now, or when its last lease is released). */
  invalidate(key: number): void {
    const entry = this.entries.get(key);
    if (entry) this.retire(entry);
  }

  /** Closes every idle handle; lent ones close on release. */
  async closeAll(): Promise<void> {
    const idle: FileHandle[] = [];
    for (const entry of [...this.entries.values()]) {
      this.entries.delete(entry.key);
      entry.retired = true;
      if (entry.refs === 0) idle.push(entry.fh);
      else this.retiredOpen++;
    }
    await Promise.all(idle.map((fh) => fh.close().catch(() => {})));
  }
}
