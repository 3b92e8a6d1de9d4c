/**
 * Watches of every connection: one-shot data watches (getData, exists; an exists watch on a missing
 * node is a data watch too, as in ZooKeeper) and child watches (getChildren), and persistent and
 * persistent-recursive watches (addWatch). `trigger` turns one tree event into deliveries, removing
 * one-shot watches and never delivering the same event twice to one watcher, in ZooKeeper's order.
 */
import { EventType, WatcherType } from '../protocol/index.ts';
import { parentOf } from './data-tree.ts';

/** Anything that receives notifications; the server's connections. */
export interface Watcher {
  readonly watcherId: number;
}

export interface Delivery<W extends Watcher> {
  readonly watcher: W;
  readonly type: number;
  readonly path: string;
}

type Table<W> = Map<string, Set<W>>;

function add<W>(t: Table<W>, path: string, w: W): boolean {
  let s = t.get(path);
  if (s === undefined) {
    s = new Set();
    t.set(path, s);
  }
  const before = s.size;
  s.add(w);
  return s.size > before;
}

function remove<W>(t: Table<W>, path: string, w: W): boolean {
  const s = t.get(path);
  if (s === undefined || !s.delete(w)) return false;
  if (s.size === 0) t.delete(path);
  return true;
}

export class WatchManager<W extends Watcher> {
  readonly data: Table<W> = new Map();
  readonly child: Table<W> = new Map();
  readonly persistent: Table<W> = new Map();
  readonly recursive: Table<W> = new Map();
  /** Watches held by each watcher (every kind), kept so a per-session cap is O(1) to check. */
  private readonly held = new Map<W, number>();

  /** How many watches `w` holds. */
  countOf(w: W): number {
    return this.held.get(w) ?? 0;
  }

  /** Whether adding a watch of this table on `path` would be new for `w` (so counts toward a cap). */
  wouldAdd(kind: 'data' | 'child' | 'persistent' | 'recursive', path: string, w: W): boolean {
    return !(this[kind].get(path)?.has(w) ?? false);
  }

  private counted(added: boolean, w: W, delta: number): void {
    if (!added) return;
    const n = (this.held.get(w) ?? 0) + delta;
    if (n <= 0) this.held.delete(w);
    else this.held.set(w, n);
  }

  addData(path: string, w: W): void {
    this.counted(add(this.data, path, w), w, 1);
  }

  addChild(path: string, w: W): void {
    this.counted(add(this.child, path, w), w, 1);
  }

  addPersistent(path: string, w: W, recursive: boolean): void {
    this.counted(add(recursive ? this.recursive : this.persistent, path, w), w, 1);
  }

  /** Whether `w` has a watch of `type` (WatcherType) on `path`. */
  has(path: string, type: number, w: W): boolean {
    const inT = (t: Table<W>) => t.get(path)?.has(w) ?? false;
    switch (type) {
      case WatcherType.children:
        return inT(this.child);
      case WatcherType.data:
        return inT(this.data);
      case WatcherType.persistent:
        return inT(this.persistent);
      case WatcherType.persistentRecursive:
        return inT(this.recursive);
      case WatcherType.any:
        return inT(this.child) || inT(this.data) || inT(this.persistent) || inT(this.recursive);
      default:
        return false;
    }
  }

  /**
   * Removes watches of `type`; returns the removal events to send (DataWatchRemoved,
   * ChildWatchRemoved, PersistentWatchRemoved) or null when nothing matched (NOWATCHER).
   */
  remove(path: string, type: number, w: W): number[] | null {
    const events: number[] = [];
    const any = type === WatcherType.any;
    if ((any || type === WatcherType.children) && remove(this.child, path, w)) {
      events.push(EventType.childWatchRemoved);
    }
    if ((any || type === WatcherType.data) && remove(this.data, path, w)) {
      events.push(EventType.dataWatchRemoved);
    }
    if ((any || type === WatcherType.persistent) && remove(this.persistent, path, w)) {
      events.push(EventType.persistentWatchRemoved);
    }
    if ((any || type === WatcherType.persistentRecursive) && remove(this.recursive, path, w)) {
      events.push(EventType.persistentWatchRemoved);
    }
    this.counted(events.length > 0, w, -events.length);
    return events.length === 0 ? null : events;
  }

  removeWatcher(w: W): void {
    if (!this.held.delete(w)) return;
    for (const t of [this.data, this.child, this.persistent, this.recursive]) {
      for (const [path, s] of t) {
        if (s.delete(w) && s.size === 0) t.delete(path);
      }
    }
  }

  /** Deliveries for one tree event, in ZooKeeper's order; one-shot watches are consumed. */
  trigger(type: number, path: string, out: Delivery<W>[] = []): Delivery<W>[] {
    const seen = new Set<W>();
    const deliver = (w: W) => {
      if (seen.has(w)) return;
      seen.add(w);
      out.push({ watcher: w, type, path });
    };
    const takeAll = (t: Table<W>) => {
      const s = t.get(path);
      if (s === undefined) return;
      t.delete(path);
      for (const w of s) {
        this.counted(true, w, -1);
        deliver(w);
      }
    };
    const persistentOnly = () => {
      for (const w of this.persistent.get(path) ?? []) deliver(w);
    };
    const recursiveUp = () => {
      if (type === EventType.nodeChildrenChanged) return;
      let p = path;
      for (;;) {
        for (const w of this.recursive.get(p) ?? []) deliver(w);
        if (p === '/') break;
        p = parentOf(p);
      }
    };
    switch (type) {
      case EventType.nodeCreated:
      case EventType.nodeDataChanged:
        takeAll(this.data);
        persistentOnly();
        recursiveUp();
        break;
      case EventType.nodeDeleted:
        takeAll(this.data);
        takeAll(this.child);
        persistentOnly();
        recursiveUp();
        break;
      case EventType.nodeChildrenChanged:
        takeAll(this.child);
        persistentOnly();
        break;
    }
    return out;
  }

  /** Total watches (each watcher on each path of each kind). */
  count(): number {
    let n = 0;
    for (const t of [this.data, this.child, this.persistent, this.recursive]) {
      for (const s of t.values()) n += s.size;
    }
    return n;
  }

  /** path → watchers, all kinds merged (wchp) and watcher → paths (wchc). */
  byPath(): Map<string, Set<W>> {
    const m = new Map<string, Set<W>>();
    for (const t of [this.data, this.child, this.persistent, this.recursive]) {
      for (const [p, s] of t) for (const w of s) add(m, p, w);
    }
    return m;
  }

  byWatcher(): Map<W, Set<string>> {
    const m = new Map<W, Set<string>>();
    for (const [p, s] of this.byPath()) {
      for (const w of s) {
        let set = m.get(w);
        if (set === undefined) {
          set = new Set();
          m.set(w, set);
        }
        set.add(p);
      }
    }
    return m;
  }
}
