import { DEFAULT_LOG_CONFIG, type LogConfig, LogManager, type StorageLogger } from '../../storage/index.ts';
import type { Logger } from '../../telemetry/index.ts';
import { kafkaRecordFormat } from '../protocol/index.ts';
import { Partition } from './partition.ts';
import { logConfigForTopic } from './topic-configs.ts';
import { type TopicRecord, TopicRegistry } from './topic-registry.ts';

const PRODUCER_ID_BLOCK = 1000;

export interface PartitionManagerOptions {
  readonly nodeId: number;
  readonly logDirs: readonly string[];
  readonly logger: Logger;
  /** Broker-level log defaults (server.properties `log.*`). */
  readonly logDefaults?: Partial<LogConfig>;
  /** `log.retention.check.interval.ms`. */
  readonly retentionCheckIntervalMs?: number;
  readonly now?: () => number;
}

/**
 * Topics and their partitions on this node: the topic registry (names, ids, partition counts, config
 * overrides; persisted in the first log dir), the storage LogManager holding every partition log
 * under `log.dirs`, and one Partition (leader state, producer state, fetch waiters) per partition.
 */
export class PartitionManager {
  readonly registry: TopicRegistry;
  readonly logs: LogManager;
  readonly nodeId: number;
  private readonly partitions = new Map<string, Partition[]>();
  private readonly logger: Logger;
  private readonly now: () => number;
  /** The broker-level log settings every topic starts from. */
  readonly baseLogConfig: LogConfig;
  private nextProducerId = 0;
  private producerIdsReservedTo = 0;
  private producerIdLock: Promise<unknown> = Promise.resolve();
  private mutations: Promise<unknown> = Promise.resolve();
  /**
   * Topics as clients see them. A mutation publishes its result only once it has fully applied
   * (partitions open), so a concurrent request never sees a topic without its partitions.
   */
  private readonly published = new Map<string, TopicRecord>();
  private readonly publishedById = new Map<string, TopicRecord>();
  private drainingFlag = false;

  private constructor(
    options: PartitionManagerOptions,
    registry: TopicRegistry,
    logs: LogManager,
    base: LogConfig,
  ) {
    this.nodeId = options.nodeId;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.registry = registry;
    this.logs = logs;
    this.baseLogConfig = base;
  }

  static async open(options: PartitionManagerOptions): Promise<PartitionManager> {
    const registry = TopicRegistry.load(options.logDirs[0]!);
    const base: LogConfig = { ...DEFAULT_LOG_CONFIG, ...options.logDefaults };
    const storageLogger: StorageLogger = (level, message, fields) =>
      options.logger[level](message, (fields ?? {}) as Record<string, unknown>);
    const logs = await LogManager.open({
      logDirs: options.logDirs,
      defaultConfig: base,
      topicConfig: (topic) => {
        const t = registry.get(topic);
        return t ? logConfigForTopic(t.configs, base) : undefined;
      },
      logger: storageLogger,
      // Record-level reads for ListOffsets by timestamp inside a batch and for compaction.
      recordFormat: kafkaRecordFormat,
      ...(options.now ? { now: options.now } : {}),
      ...(options.retentionCheckIntervalMs !== undefined
        ? { retentionCheckIntervalMs: options.retentionCheckIntervalMs }
        : {}),
    });
    const manager = new PartitionManager(options, registry, logs, base);
    // Logs of topics the registry no longer has: a deletion interrupted by a crash. Finish it.
    for (const [tp] of [...logs.entries()]) {
      const t = registry.get(tp.topic);
      if (t === undefined || tp.partition >= t.partitionCount) {
        options.logger.warn('deleting the log of a topic partition that no longer exists', {
          topic: tp.topic,
          partition: tp.partition,
        });
        await logs.delete(tp.topic, tp.partition);
      }
    }
    for (const t of registry.all()) {
      await manager.openPartitions(t, 0);
      manager.publish(t);
    }
    return manager;
  }

  private publish(t: TopicRecord): void {
    const old = this.published.get(t.name);
    if (old) this.publishedById.delete(old.id);
    this.published.set(t.name, t);
    this.publishedById.set(t.id, t);
  }

  private unpublish(name: string): void {
    const old = this.published.get(name);
    if (!old) return;
    this.published.delete(name);
    this.publishedById.delete(old.id);
  }

  private async openPartitions(t: TopicRecord, from: number): Promise<Partition[]> {
    const list = this.partitions.get(t.name) ?? [];
    for (let p = from; p < t.partitionCount; p++) {
      const log = await this.logs.getOrCreate(t.name, p);
      const partition = new Partition(t.name, p, log, this.nodeId, t.leaderEpoch, this.now);
      await partition.load();
      list[p] = partition;
    }
    this.partitions.set(t.name, list);
    return list;
  }

  topic(name: string): TopicRecord | undefined {
    return this.published.get(name);
  }

  topicById(id: string): TopicRecord | undefined {
    return this.publishedById.get(id);
  }

  topics(): TopicRecord[] {
    return [...this.published.values()];
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  partitionsOf(topic: string): readonly Partition[] {
    return this.partitions.get(topic) ?? [];
  }

  /** The effective storage config of a topic (broker defaults + its overrides). */
  logConfigOf(topic: TopicRecord): LogConfig {
    return logConfigForTopic(topic.configs, this.baseLogConfig);
  }

  /** Runs topic mutations one at a time (create, delete, partitions, configs). */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutations.then(fn);
    this.mutations = run.catch(() => {});
    return run;
  }

  createTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<TopicRecord> {
    return this.serialize(async () => {
      const t = await this.registry.create(name, partitionCount, configs);
      await this.openPartitions(t, 0);
      this.publish(t);
      this.logger.info('topic created', { topic: name, topicId: t.id, partitions: partitionCount });
      return t;
    });
  }

  deleteTopic(name: string): Promise<void> {
    // Hidden at once, as Kafka marks a topic deleted before its logs go.
    this.unpublish(name);
    return this.serialize(async () => {
      const t = this.registry.get(name);
      if (!t) return;
      this.unpublish(name); // again: a creation queued before this deletion may have published it
      // Registry first: a crash after it leaves stray logs, which the next start deletes.
      await this.registry.remove(name);
      const parts = this.partitions.get(name) ?? [];
      this.partitions.delete(name);
      for (const p of parts) p.wakeWaiters();
      for (let i = 0; i < t.partitionCount; i++) await this.logs.delete(name, i);
      this.logger.info('topic deleted', { topic: name, topicId: t.id });
    });
  }

  addPartitions(name: string, total: number): Promise<void> {
    return this.serialize(async () => {
      const t = this.registry.get(name);
      if (!t || total <= t.partitionCount) return;
      const from = t.partitionCount;
      const next = await this.registry.update(name, { partitionCount: total });
      await this.openPartitions(next, from);
      this.publish(next);
    });
  }

  /** Replaces a topic's config overrides, persists them and applies them to its live logs. */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.serialize(async () => {
      const t = await this.registry.update(name, { configs });
      const config = this.logConfigOf(t);
      for (const p of this.partitionsOf(name)) {
        // The log reads its config object on every operation; update it in place.
        Object.assign(p.log.config as LogConfig, config);
      }
      this.publish(t);
    });
  }

  /**
   * New broker-level log defaults (a dynamic broker config change): every topic without an override
   * of a key picks the new value up at once, in its live logs and in logs created later.
   */
  setBaseLogConfig(config: Readonly<LogConfig>): Promise<void> {
    return this.serialize(async () => {
      // The same object is LogManager's default config and the base of every topic's config.
      Object.assign(this.baseLogConfig, config);
      for (const t of this.registry.all()) {
        const effective = this.logConfigOf(t);
        for (const p of this.partitionsOf(t.name)) Object.assign(p.log.config as LogConfig, effective);
      }
    });
  }

  /** A fresh producer id; ids are reserved in persisted blocks so none is handed out twice. */
  allocateProducerId(): Promise<number> {
    const run = this.producerIdLock.then(async () => {
      if (this.nextProducerId >= this.producerIdsReservedTo) {
        const from = await this.registry.reserveProducerIds(PRODUCER_ID_BLOCK);
        this.nextProducerId = from;
        this.producerIdsReservedTo = from + PRODUCER_ID_BLOCK;
      }
      return this.nextProducerId++;
    });
    this.producerIdLock = run.catch(() => {});
    return run;
  }

  /** Periodic duties: storage maintenance, producer expiry, producer-state snapshots. */
  async maintain(producerIdExpirationMs: number): Promise<void> {
    await this.logs.maintain();
    for (const list of this.partitions.values()) {
      for (const p of list) {
        p.expireProducers(producerIdExpirationMs);
        await p.saveProducerState();
      }
    }
  }

  /** True once the broker is stopping: waiting fetches answer at once instead of parking. */
  get draining(): boolean {
    return this.drainingFlag;
  }

  /** Wakes every waiting fetch and keeps new ones from waiting (graceful stop). */
  drain(): void {
    this.drainingFlag = true;
    for (const list of this.partitions.values()) for (const p of list) p.wakeWaiters();
  }

  async close(): Promise<void> {
    this.drain();
    await this.mutations;
    for (const list of this.partitions.values()) {
      for (const p of list) {
        try {
          await p.saveProducerState();
        } catch (err) {
          this.logger.warn('could not save producer state', {
            topic: p.topic,
            partition: p.index,
            err: String(err),
          });
        }
      }
    }
    await this.logs.close();
  }
}
