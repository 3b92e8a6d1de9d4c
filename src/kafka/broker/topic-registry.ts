import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../base/index.ts';
import { writeFileDurably } from './durable-file.ts';

/**
 * The broker's own metadata, in `<first log dir>/__sluice_topics.json`:
 *
 *   { "version": 1,
 *     "producerIdsAllocatedTo": 2000,          // producer ids below this may have been handed out
 *     "topics": [ { "name": "orders", "id": "<uuid v4>", "partitionCount": 3,
 *                   "leaderEpoch": 0, "configs": { "retention.ms": "3600000" } } ] }
 *
 * Rewritten whole on every change, atomically (temp file, fsync, rename, fsync of the directory), so
 * a crash leaves the previous or the next state. Topic ids never change for a topic's lifetime
 * (Fetch v13+ and Metadata v10+ name topics by id); a deleted and re-created topic gets a new id.
 */
export const TOPICS_FILE = '__sluice_topics.json';

export interface TopicRecord {
  readonly name: string;
  readonly id: string;
  readonly partitionCount: number;
  /** The leader epoch of every partition; bumped when leadership changes (replication). */
  readonly leaderEpoch: number;
  /** Topic config overrides (DYNAMIC_TOPIC_CONFIG). */
  readonly configs: Readonly<Record<string, string>>;
}

interface FileState {
  version: 1;
  producerIdsAllocatedTo: number;
  topics: TopicRecord[];
}

export class TopicRegistryError extends SluiceError {
  constructor(message: string) {
    super('TOPIC_REGISTRY', message);
  }
}

export class TopicRegistry {
  readonly path: string;
  private readonly byName = new Map<string, TopicRecord>();
  private readonly byId = new Map<string, TopicRecord>();
  private producerIdsAllocatedTo: number;
  private writes: Promise<void> = Promise.resolve();

  private constructor(path: string, state: FileState) {
    this.path = path;
    this.producerIdsAllocatedTo = state.producerIdsAllocatedTo;
    for (const t of state.topics) this.index(t);
  }

  static load(dir: string): TopicRegistry {
    const path = join(dir, TOPICS_FILE);
    if (!existsSync(path))
      return new TopicRegistry(path, { version: 1, producerIdsAllocatedTo: 0, topics: [] });
    let state: FileState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as FileState;
    } catch (err) {
      throw new TopicRegistryError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    if (state.version !== 1 || !Array.isArray(state.topics)) {
      throw new TopicRegistryError(`${path}: expected {"version": 1, "topics": [...]}`);
    }
    for (const t of state.topics) {
      if (typeof t.name !== 'string' || typeof t.id !== 'string' || !(t.partitionCount >= 1)) {
        throw new TopicRegistryError(`${path}: bad topic entry ${JSON.stringify(t)}`);
      }
    }
    return new TopicRegistry(path, { ...state, producerIdsAllocatedTo: state.producerIdsAllocatedTo ?? 0 });
  }

  private index(t: TopicRecord): void {
    this.byName.set(t.name, t);
    this.byId.set(t.id, t);
  }

  get(name: string): TopicRecord | undefined {
    return this.byName.get(name);
  }

  getById(id: string): TopicRecord | undefined {
    return this.byId.get(id);
  }

  all(): TopicRecord[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async create(name: string, partitionCount: number, configs: Record<string, string>): Promise<TopicRecord> {
    if (this.byName.has(name)) throw new TopicRegistryError(`topic ${name} exists`);
    let id = randomUUID();
    while (this.byId.has(id)) id = randomUUID();
    const t: TopicRecord = { name, id, partitionCount, leaderEpoch: 0, configs: { ...configs } };
    this.index(t);
    await this.persist();
    return t;
  }

  async remove(name: string): Promise<void> {
    const t = this.byName.get(name);
    if (!t) return;
    this.byName.delete(name);
    this.byId.delete(t.id);
    await this.persist();
  }

  async update(
    name: string,
    change: Partial<Pick<TopicRecord, 'partitionCount' | 'configs'>>,
  ): Promise<TopicRecord> {
    const t = this.byName.get(name);
    if (!t) throw new TopicRegistryError(`no topic ${name}`);
    const next: TopicRecord = { ...t, ...change };
    this.index(next);
    await this.persist();
    return next;
  }

  /**
   * Reserves producer ids [from, from + count) so they are never handed out again, even after a
   * crash (the reservation is persisted before the ids are used).
   */
  async reserveProducerIds(count: number): Promise<number> {
    const from = this.producerIdsAllocatedTo;
    this.producerIdsAllocatedTo += count;
    await this.persist();
    return from;
  }

  private persist(): Promise<void> {
    const snapshot = (): string =>
      `${JSON.stringify(
        {
          version: 1,
          producerIdsAllocatedTo: this.producerIdsAllocatedTo,
          topics: this.all(),
        } satisfies FileState,
        null,
        2,
      )}\n`;
    // Writes run one at a time, each with the state current when it starts.
    this.writes = this.writes.catch(() => {}).then(() => writeFileDurably(this.path, snapshot()));
    return this.writes;
  }
}
