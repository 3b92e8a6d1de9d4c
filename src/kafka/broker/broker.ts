import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type BoundAddress, TcpServer } from '../../net/index.ts';
import { type LogConfig, logConfigFromProperties } from '../../storage/index.ts';
import { type Logger, type LogSizeSample, type Metrics, noopMetrics } from '../../telemetry/index.ts';
import type { ApiHandler } from './api-handler.ts';
import {
  type BrokerConfig,
  brokerConfigValues,
  type ClientListener,
  GROUP_CONFIG_DEFAULTS,
  type GroupConfig,
} from './broker-config.ts';
import type { BrokerState, NodeEndpoint } from './broker-state.ts';
import {
  type BrokerConfigValue,
  DynamicBrokerConfigs,
  layeredBrokerConfigs,
} from './dynamic-broker-configs.ts';
import { ConsumerGroup } from './group/consumer-group.ts';
import { DurableGroupStore } from './group/durable-group-store.ts';
import { GroupCoordinator, type GroupTopics } from './group/group-coordinator.ts';
import { createAlterConfigsHandler } from './handlers/alter-configs.ts';
import { createApiVersionsHandler } from './handlers/api-versions.ts';
import { createConsumerGroupDescribeHandler } from './handlers/consumer-group-describe.ts';
import { createConsumerGroupHeartbeatHandler } from './handlers/consumer-group-heartbeat.ts';
import { createCreatePartitionsHandler } from './handlers/create-partitions.ts';
import { createCreateTopicsHandler } from './handlers/create-topics.ts';
import { createDeleteGroupsHandler } from './handlers/delete-groups.ts';
import { createDeleteRecordsHandler } from './handlers/delete-records.ts';
import { createDeleteTopicsHandler } from './handlers/delete-topics.ts';
import { createDescribeClusterHandler } from './handlers/describe-cluster.ts';
import { createDescribeConfigsHandler } from './handlers/describe-configs.ts';
import { createDescribeGroupsHandler } from './handlers/describe-groups.ts';
import { createDescribeLogDirsHandler } from './handlers/describe-log-dirs.ts';
import { createDescribeProducersHandler } from './handlers/describe-producers.ts';
import { createFetchHandler } from './handlers/fetch.ts';
import { createFindCoordinatorHandler } from './handlers/find-coordinator.ts';
import { createHeartbeatHandler } from './handlers/heartbeat.ts';
import { createIncrementalAlterConfigsHandler } from './handlers/incremental-alter-configs.ts';
import { createInitProducerIdHandler } from './handlers/init-producer-id.ts';
import { createJoinGroupHandler } from './handlers/join-group.ts';
import { createLeaveGroupHandler } from './handlers/leave-group.ts';
import { createListGroupsHandler } from './handlers/list-groups.ts';
import { createListOffsetsHandler } from './handlers/list-offsets.ts';
import { createMetadataHandler } from './handlers/metadata.ts';
import { createOffsetCommitHandler } from './handlers/offset-commit.ts';
import { createOffsetDeleteHandler } from './handlers/offset-delete.ts';
import { createOffsetFetchHandler } from './handlers/offset-fetch.ts';
import { createOffsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch.ts';
import { createProduceHandler } from './handlers/produce.ts';
import { createSyncGroupHandler } from './handlers/sync-group.ts';
import { ensureMetaProperties } from './meta-properties.ts';
import { PartitionManager } from './partition-manager.ts';
import { RequestRouter } from './request-router.ts';
import { brokerTopicDefaults, TOPIC_CONFIG_KEYS } from './topic-configs.ts';

/**
 * The broker's `log.*` keys as storage defaults for every topic: server.properties, then the dynamic
 * cluster default, then this node's dynamic values (later layers win).
 */
function brokerLogDefaults(
  config: BrokerConfig,
  dynamic?: {
    readonly perBroker: Readonly<Record<string, string>>;
    readonly clusterDefault: Readonly<Record<string, string>>;
  },
): LogConfig {
  const logKeys = new Map(
    [...(config.explicit ?? new Map<string, string>())].filter(([k]) => k.startsWith('log.')),
  );
  for (const layer of dynamic === undefined ? [] : [dynamic.clusterDefault, dynamic.perBroker]) {
    for (const [k, v] of Object.entries(layer)) if (k.startsWith('log.')) logKeys.set(k, v);
  }
  return logConfigFromProperties(logKeys);
}

/** A random cluster id in Kafka's format: 16 random bytes, base64url without padding (22 chars). */
export function generateClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka never hands out ids starting with '-': command-line tools would read them as flags.
    if (!id.startsWith('-')) return id;
  }
}

export interface BrokerOptions {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** Where request, traffic, connection and log-size metrics go (default: nowhere). */
  readonly metrics?: Metrics;
  /** Wall clock (ms), injectable for tests. */
  readonly now?: () => number;
}

const NO_DYNAMIC = { perBroker: {}, clusterDefault: {} } as const;

/** How often storage maintenance (flush.ms, retention, compaction) and producer snapshots run. */
const MAINTENANCE_INTERVAL_MS = 1000;
/** Kafka's `producer.id.expiration.ms` default: one day. */
const PRODUCER_ID_EXPIRATION_MS = 86_400_000;

interface RunningListener {
  readonly listener: ClientListener;
  readonly server: TcpServer;
  bound: BoundAddress | null;
}

/**
 * A Kafka-protocol broker: one TCP listener per configured client listener, all answering through
 * one request router; topics and partition logs under `log.dirs` (see PartitionManager). The
 * cluster id comes from the log dirs' meta.properties (written on first start), so it is known
 * after `start()`.
 */
export class Broker implements BrokerState {
  readonly config: BrokerConfig;
  readonly metrics: Metrics;
  private cluster: string | null = null;
  private manager: PartitionManager | null = null;
  private coordinator: GroupCoordinator | null = null;
  private lastOffsetsCheck = 0;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  private maintaining: Promise<void> = Promise.resolve();
  private maintenanceRunning = false;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly router: RequestRouter;
  private readonly listeners: RunningListener[];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | null = null;
  private dynamic: DynamicBrokerConfigs | null = null;
  private layered: Map<string, BrokerConfigValue>;
  private topicDefaults = new Map<string, string>();

  constructor(options: BrokerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.metrics = options.metrics ?? noopMetrics();
    this.metrics.onCollectLogSizes(() => this.logSizes());
    this.now = options.now ?? Date.now;
    this.layered = layeredBrokerConfigs(brokerConfigValues(this.config), NO_DYNAMIC);
    const handlers: ApiHandler[] = [
      createApiVersionsHandler(() => this.router.supportedApis()),
      createMetadataHandler(this),
      createProduceHandler(this),
      createFetchHandler(this, this.now),
      createListOffsetsHandler(this),
      createOffsetForLeaderEpochHandler(this),
      createInitProducerIdHandler(this),
      createCreateTopicsHandler(this),
      createDeleteTopicsHandler(this),
      createCreatePartitionsHandler(this),
      createDeleteRecordsHandler(this),
      createDescribeConfigsHandler(this),
      createAlterConfigsHandler(this),
      createIncrementalAlterConfigsHandler(this),
      createDescribeClusterHandler(this),
      createDescribeLogDirsHandler(this),
      createDescribeProducersHandler(this),
      createFindCoordinatorHandler(this),
      createJoinGroupHandler(this),
      createSyncGroupHandler(this),
      createHeartbeatHandler(this),
      createLeaveGroupHandler(this),
      createOffsetCommitHandler(this),
      createOffsetFetchHandler(this),
      createOffsetDeleteHandler(this),
      createDescribeGroupsHandler(this),
      createListGroupsHandler(this),
      createDeleteGroupsHandler(this),
    ];
    // KIP-848's APIs are offered only when the consumer protocol is enabled, as Kafka decides.
    if ((this.config.groups ?? GROUP_CONFIG_DEFAULTS).rebalanceProtocols.includes('consumer')) {
      handlers.push(
        createConsumerGroupHeartbeatHandler(() => this.groups),
        createConsumerGroupDescribeHandler(() => this.groups),
      );
    }
    this.router = new RequestRouter(handlers, this.logger, this.metrics);
    this.listeners = this.config.listeners.map((listener) => ({
      listener,
      bound: null,
      server: new TcpServer({
        host: listener.host,
        port: listener.port,
        listenerName: listener.name,
        connectionHandler: (conn) => {
          this.metrics.connectionOpened();
          return this.router.forConnection(conn);
        },
        onConnectionClosed: () => this.metrics.connectionClosed(),
        logger: this.logger.child({ listener: listener.name }),
        frameBytesMax: this.config.requestBytesMax,
        idleTimeoutMs: this.config.idleTimeoutMs,
        connectionsPerIpMax: this.config.connectionsPerIpMax,
      }),
    }));
  }

  private *logSizes(): Iterable<LogSizeSample> {
    if (this.manager === null) return;
    for (const t of this.manager.topics()) {
      for (const p of this.manager.partitionsOf(t.name)) {
        yield { topic: t.name, partition: p.index, bytes: p.log.sizeBytes };
      }
    }
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  /** The cluster id (from meta.properties); only after `start()`. */
  get clusterId(): string {
    if (this.cluster === null) throw new Error('the cluster id is known once the broker has started');
    return this.cluster;
  }

  /** Topics and partitions; only after `start()`. */
  get partitions(): PartitionManager {
    if (this.manager === null) throw new Error('the broker has not started');
    return this.manager;
  }

  /** Consumer groups and committed offsets; only after `start()`. */
  get groups(): GroupCoordinator {
    if (this.coordinator === null) throw new Error('the broker has not started');
    return this.coordinator;
  }

  private get groupConfig(): GroupConfig {
    return this.config.groups ?? GROUP_CONFIG_DEFAULTS;
  }

  /** The topic registry as the group coordinator sees it (topic records carry id, name and count). */
  private groupTopics(manager: PartitionManager): GroupTopics {
    return {
      byName: (name) => manager.topic(name),
      byId: (id) => manager.topicById(id),
      list: () => manager.topics(),
    };
  }

  private async openGroupCoordinator(manager: PartitionManager): Promise<GroupCoordinator> {
    const g = this.groupConfig;
    const store = new DurableGroupStore({
      partitions: manager,
      partitionCount: g.offsetsTopicNumPartitions,
      logger: this.logger.child({ component: 'group-store' }),
      now: this.now,
    });
    await store.open();
    const coordinator = new GroupCoordinator({
      store,
      config: {
        offsetsRetentionMs: g.offsetsRetentionMs,
        offsetMetadataMaxBytes: g.offsetMetadataMaxBytes,
        initialRebalanceDelayMs: g.initialRebalanceDelayMs,
        minSessionTimeoutMs: g.minSessionTimeoutMs,
        maxSessionTimeoutMs: g.maxSessionTimeoutMs,
        maxSize: g.maxSize,
        consumerGroup: {
          sessionTimeoutMs: g.consumerSessionTimeoutMs,
          heartbeatIntervalMs: g.consumerHeartbeatIntervalMs,
          assignors: g.consumerAssignors,
          maxSize: g.consumerMaxSize,
        },
      },
      now: this.now,
      logger: this.logger.child({ component: 'groups' }),
      topics: this.groupTopics(manager),
      restoreConsumerGroup: (stored, host) => ConsumerGroup.fromStored(stored, host),
    });
    await coordinator.load();
    return coordinator;
  }

  endpoint(listenerName: string): NodeEndpoint | undefined {
    const a = this.advertisedAddressOrUndefined(listenerName);
    return a ? { nodeId: this.config.nodeId, host: a.host, port: a.port, rack: null } : undefined;
  }

  brokerConfigValues(): ReadonlyMap<string, BrokerConfigValue> {
    return this.layered;
  }

  topicConfigDefault(name: string): string | undefined {
    return this.topicDefaults.get(name);
  }

  dynamicBrokerConfigs(): {
    readonly perBroker: Readonly<Record<string, string>>;
    readonly clusterDefault: Readonly<Record<string, string>>;
  } {
    return this.dynamic ?? NO_DYNAMIC;
  }

  async setDynamicBrokerConfigs(
    scope: 'default' | 'broker',
    configs: Readonly<Record<string, string>>,
  ): Promise<void> {
    if (this.dynamic === null || this.manager === null) throw new Error('the broker has not started');
    await this.dynamic.replace(scope, configs);
    this.refreshLayers();
    await this.manager.setBaseLogConfig(brokerLogDefaults(this.config, this.dynamic));
    this.refreshTopicDefaults();
    this.logger.info('dynamic broker configs changed', {
      resource: scope === 'default' ? '<default>' : String(this.config.nodeId),
      configs: JSON.stringify(configs),
    });
  }

  private refreshLayers(): void {
    this.layered = layeredBrokerConfigs(brokerConfigValues(this.config), this.dynamicBrokerConfigs());
  }

  /** Recomputes what topics without overrides get (after the base log config changed). */
  private refreshTopicDefaults(): void {
    const storage = brokerTopicDefaults(
      this.manager?.baseLogConfig ?? brokerLogDefaults(this.config, this.dynamic ?? undefined),
      Number(this.layered.get('message.max.bytes')?.value ?? this.config.messageBytesMax),
    );
    const next = new Map<string, string>();
    for (const k of TOPIC_CONFIG_KEYS) {
      const fromBroker = k.brokerSynonym === null ? null : (this.layered.get(k.brokerSynonym)?.value ?? null);
      next.set(k.name, storage.get(k.name) ?? fromBroker ?? k.defaultValue);
    }
    this.topicDefaults = next;
  }

  /** `producer.id.expiration.ms` with its dynamic layers. */
  private producerIdExpirationMs(): number {
    const v = Number(this.layered.get('producer.id.expiration.ms')?.value);
    return Number.isFinite(v) && v > 0
      ? v
      : (this.config.producerIdExpirationMs ?? PRODUCER_ID_EXPIRATION_MS);
  }

  /** The API version ranges this broker implements. */
  supportedApis() {
    return this.router.supportedApis();
  }

  /** Binds every listener; if one fails, the others are closed and the error is rethrown. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`broker cannot start: it is ${this.state}`);
    this.state = 'starting';
    try {
      this.cluster = await ensureMetaProperties(
        this.config.logDirs,
        this.config.nodeId,
        this.config.clusterId,
        generateClusterId,
      );
      this.dynamic = DynamicBrokerConfigs.load(this.config.logDirs[0]!, this.config.nodeId);
      this.refreshLayers();
      this.manager = await PartitionManager.open({
        nodeId: this.config.nodeId,
        logDirs: this.config.logDirs,
        logger: this.logger.child({ component: 'partitions' }),
        now: this.now,
        logDefaults: brokerLogDefaults(this.config, this.dynamic),
        ...(this.config.retentionCheckIntervalMs !== undefined
          ? { retentionCheckIntervalMs: this.config.retentionCheckIntervalMs }
          : {}),
      });
      this.refreshTopicDefaults();
      this.coordinator = await this.openGroupCoordinator(this.manager);
      this.lastOffsetsCheck = this.now();
    } catch (err) {
      await this.manager?.close();
      this.state = 'stopped';
      throw err;
    }
    try {
      for (const l of this.listeners) l.bound = await l.server.listen();
    } catch (err) {
      await Promise.all(this.listeners.map((l) => (l.bound ? l.server.close(0) : undefined)));
      this.coordinator?.close();
      await this.manager.close();
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    this.maintenanceTimer = setInterval(() => this.maintain(), MAINTENANCE_INTERVAL_MS);
    this.maintenanceTimer.unref();
    for (const l of this.listeners) {
      const adv = this.advertisedAddress(l.listener.name);
      this.logger.info('listening', {
        listener: l.listener.name,
        address: `${l.bound!.host}:${l.bound!.port}`,
        advertised: `${adv.host}:${adv.port}`,
      });
    }
    this.logger.info('broker started', {
      nodeId: this.config.nodeId,
      clusterId: this.clusterId,
      logDirs: this.config.logDirs.join(','),
    });
  }

  /** Graceful stop: stop accepting, finish in-flight requests (up to `graceMs`), close. */
  stop(graceMs?: number): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      this.manager?.drain();
      if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
      // Joins can wait for a whole rebalance timeout: answer them now so connections drain.
      this.coordinator?.close();
      await Promise.all(this.listeners.map((l) => (l.bound ? l.server.close(graceMs) : undefined)));
      await this.maintaining;
      await this.manager?.close();
      this.state = 'stopped';
      this.logger.info('broker stopped', { nodeId: this.config.nodeId });
    })();
    return this.stopping;
  }

  /** Where a listener is bound (the first client listener by default). Only after `start()`. */
  address(listenerName?: string): BoundAddress {
    const l = this.find(listenerName);
    if (!l.bound) throw new Error(`listener ${l.listener.name} is not bound`);
    return l.bound;
  }

  /** What Metadata tells clients for a listener (host name and bound port filled in). */
  advertisedAddress(listenerName?: string): { host: string; port: number } {
    const l = this.find(listenerName);
    const adv = l.listener.advertised;
    const host = adv.host === '' ? hostname() : adv.host;
    // Port 0 means "whatever was bound"; only meaningful for the listener's own address.
    const port = adv.port === 0 ? (l.bound?.port ?? 0) : adv.port;
    return { host, port };
  }

  /** One maintenance pass at a time; a slow one makes the next ticks skip. */
  private maintain(): void {
    if (this.state !== 'running' || this.manager === null || this.maintenanceRunning) return;
    const manager = this.manager;
    this.maintenanceRunning = true;
    this.maintaining = (async () => {
      try {
        await manager.maintain(this.producerIdExpirationMs());
        const now = this.now();
        if (
          this.coordinator !== null &&
          now - this.lastOffsetsCheck >= this.groupConfig.offsetsRetentionCheckIntervalMs
        ) {
          this.lastOffsetsCheck = now;
          await this.coordinator.maintain(now);
        }
      } catch (err) {
        this.logger.error('maintenance failed', { err: String(err) });
      } finally {
        this.maintenanceRunning = false;
      }
    })();
  }

  private advertisedAddressOrUndefined(listenerName: string): { host: string; port: number } | undefined {
    return this.listeners.some((l) => l.listener.name === listenerName)
      ? this.advertisedAddress(listenerName)
      : undefined;
  }

  private find(listenerName: string | undefined): RunningListener {
    const l =
      listenerName === undefined
        ? this.listeners[0]
        : this.listeners.find((x) => x.listener.name === listenerName);
    if (!l) throw new Error(`no listener named ${listenerName ?? '(any)'}`);
    return l;
  }
}
