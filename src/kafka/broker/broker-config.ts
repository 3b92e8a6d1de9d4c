import {
  atLeast,
  ConfigError,
  type ConfigIssue,
  type ConfigLayer,
  type ConfigWarning,
  defineConfig,
  matches,
  nonEmptyList,
  oneOf,
  type ParseOptions,
  range,
} from '../../config/index.ts';

/**
 * server.properties keys the broker understands today, with Kafka's names, defaults and meaning.
 * Keys Kafka knows but Sluice does not yet are reported as warnings, so a real Kafka file loads.
 */
export const brokerConfigDef = defineConfig({
  listeners: {
    type: 'list',
    default: ['PLAINTEXT://:9092'],
    validator: nonEmptyList(),
    importance: 'high',
    doc: 'Comma-separated NAME://host:port addresses to listen on. An empty host binds every interface; port 0 picks a free port.',
  },
  'advertised.listeners': {
    type: 'list',
    default: null,
    importance: 'high',
    doc: 'Addresses given to clients in Metadata, by listener name. Defaults to `listeners`; an empty host advertises this machine host name.',
  },
  'listener.security.protocol.map': {
    type: 'list',
    default: ['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT', 'SASL_SSL:SASL_SSL'],
    importance: 'low',
    doc: 'Listener name to security protocol, as NAME:PROTOCOL pairs. Only PLAINTEXT is served so far.',
  },
  'controller.listener.names': {
    type: 'list',
    default: null,
    importance: 'low',
    doc: 'Listeners used by the KRaft controller quorum. Sluice does not run a KRaft controller and does not open these.',
  },
  'node.id': {
    type: 'int',
    default: null,
    validator: atLeast(0),
    importance: 'high',
    doc: 'The id of this node. When neither node.id nor broker.id is set, 1 is used (as in Kafka sample server.properties).',
  },
  'broker.id': {
    type: 'int',
    default: null,
    validator: atLeast(-1),
    importance: 'high',
    doc: 'Older name of node.id; if both are set they must be equal.',
  },
  'log.dirs': {
    type: 'list',
    default: null,
    importance: 'high',
    doc: 'Directories where partition data is stored. Overrides log.dir when set.',
  },
  'log.dir': {
    type: 'string',
    default: '/tmp/kraft-combined-logs',
    importance: 'high',
    doc: 'The data directory when log.dirs is not set.',
  },
  'num.partitions': {
    type: 'int',
    default: 1,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Default number of partitions of automatically created topics.',
  },
  'default.replication.factor': {
    type: 'int',
    default: 1,
    validator: range(1, 32767),
    importance: 'medium',
    doc: 'Default replication factor of automatically created topics.',
  },
  'auto.create.topics.enable': {
    type: 'boolean',
    default: true,
    importance: 'high',
    doc: 'Create a topic when a client asks for metadata of one that does not exist.',
  },
  'message.max.bytes': {
    type: 'int',
    default: 1048588,
    validator: atLeast(0),
    importance: 'high',
    doc: 'Largest record batch the broker accepts (after compression).',
  },
  'socket.request.max.bytes': {
    type: 'int',
    default: 104857600,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Largest request frame; a client sending a larger one is disconnected.',
  },
  'connections.max.idle.ms': {
    type: 'long',
    default: 600000,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Close connections idle for longer than this.',
  },
  'max.connections.per.ip': {
    type: 'int',
    default: 2147483647,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Connections allowed from one IP address.',
  },
  'log.segment.bytes': {
    type: 'int',
    default: 1073741824,
    validator: atLeast(14),
    importance: 'high',
    doc: 'Default segment file size of partition logs (topic segment.bytes).',
  },
  'log.roll.hours': {
    type: 'int',
    default: 168,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Default age of the active segment before a new one is started (topic segment.ms).',
  },
  'log.roll.ms': {
    type: 'long',
    default: null,
    validator: atLeast(1),
    importance: 'high',
    doc: 'As log.roll.hours, in milliseconds; wins over it when set.',
  },
  'log.retention.hours': {
    type: 'int',
    default: 168,
    validator: atLeast(-1),
    importance: 'high',
    doc: 'Default time a segment is kept (topic retention.ms); -1 keeps segments forever.',
  },
  'log.retention.minutes': {
    type: 'int',
    default: null,
    validator: atLeast(-1),
    importance: 'high',
    doc: 'As log.retention.hours, in minutes; wins over it when set.',
  },
  'log.retention.ms': {
    type: 'long',
    default: null,
    validator: atLeast(-1),
    importance: 'high',
    doc: 'As log.retention.hours, in milliseconds; wins over the hours and minutes keys when set.',
  },
  'log.retention.bytes': {
    type: 'long',
    default: -1,
    validator: atLeast(-1),
    importance: 'high',
    doc: 'Default size bound of a partition log (topic retention.bytes); -1 = none.',
  },
  'log.retention.check.interval.ms': {
    type: 'long',
    default: 300000,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'How often retention is applied.',
  },
  'log.cleanup.policy': {
    type: 'list',
    default: ['delete'],
    importance: 'medium',
    doc: 'Default cleanup policy (topic cleanup.policy): delete, compact or both.',
  },
  'log.flush.interval.messages': {
    type: 'long',
    default: null,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Default topic flush.messages: fsync after this many records (unset: never forced). 1 fsyncs every append before it is acknowledged.',
  },
  'log.flush.interval.ms': {
    type: 'long',
    default: null,
    validator: atLeast(0),
    importance: 'high',
    doc: 'Default topic flush.ms: fsync when the last flush is older than this (unset: never forced).',
  },
  'log.message.timestamp.type': {
    type: 'string',
    default: 'CreateTime',
    validator: oneOf(['CreateTime', 'LogAppendTime']),
    importance: 'medium',
    doc: 'Default topic message.timestamp.type.',
  },
  'log.index.interval.bytes': {
    type: 'int',
    default: 4096,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Default bytes of log between two offset index entries.',
  },
  'log.index.size.max.bytes': {
    type: 'int',
    default: 10485760,
    validator: atLeast(8),
    importance: 'medium',
    doc: 'Default maximum offset index size; a full index rolls the segment.',
  },
  'log.cleaner.delete.retention.ms': {
    type: 'long',
    default: 86400000,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Default topic delete.retention.ms: how long tombstones survive compaction.',
  },
  'producer.id.expiration.ms': {
    type: 'int',
    default: 86400000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'A producer id with no write for this long is forgotten (its duplicates are no longer detected).',
  },
  'offsets.topic.num.partitions': {
    type: 'int',
    default: 50,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Partitions of the internal __consumer_offsets topic (fixed once it exists: a group id maps to one of them).',
  },
  'offsets.topic.replication.factor': {
    type: 'int',
    default: 3,
    validator: range(1, 32767),
    importance: 'high',
    doc: 'Replication factor of __consumer_offsets. Accepted for compatibility; a single Sluice node keeps one replica whatever the value.',
  },
  'offsets.retention.minutes': {
    type: 'int',
    default: 10080,
    validator: atLeast(1),
    importance: 'high',
    doc: 'Committed offsets of a group are removed this long after the group became empty (or, for standalone commits, after the commit).',
  },
  'offsets.retention.check.interval.ms': {
    type: 'long',
    default: 600000,
    validator: atLeast(1),
    importance: 'high',
    doc: 'How often expired offsets are looked for.',
  },
  'offset.metadata.max.bytes': {
    type: 'int',
    default: 4096,
    validator: atLeast(0),
    importance: 'high',
    doc: 'Largest metadata string of a committed offset (longer ones get OFFSET_METADATA_TOO_LARGE).',
  },
  'group.initial.rebalance.delay.ms': {
    type: 'int',
    default: 3000,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'How long an empty classic group waits for more members before its first rebalance (extended while members keep joining, up to the rebalance timeout).',
  },
  'group.min.session.timeout.ms': {
    type: 'int',
    default: 6000,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Smallest session timeout a classic group member may ask for.',
  },
  'group.max.session.timeout.ms': {
    type: 'int',
    default: 1800000,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Largest session timeout a classic group member may ask for.',
  },
  'group.max.size': {
    type: 'int',
    default: 2147483647,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Most members a classic group may have (more get GROUP_MAX_SIZE_REACHED).',
  },
  'group.coordinator.rebalance.protocols': {
    type: 'list',
    default: ['classic', 'consumer'],
    importance: 'medium',
    doc: 'Group protocols the coordinator serves: classic (JoinGroup/SyncGroup) and consumer (KIP-848 ConsumerGroupHeartbeat).',
  },
  'group.consumer.session.timeout.ms': {
    type: 'int',
    default: 45000,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Session timeout of KIP-848 consumer group members.',
  },
  'group.consumer.heartbeat.interval.ms': {
    type: 'int',
    default: 5000,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Heartbeat interval given to KIP-848 consumer group members.',
  },
  'group.consumer.assignors': {
    type: 'list',
    default: ['uniform', 'range'],
    validator: nonEmptyList(),
    importance: 'medium',
    doc: 'Server-side assignors of KIP-848 consumer groups; the first is the default.',
  },
  'group.consumer.max.size': {
    type: 'int',
    default: 2147483647,
    validator: atLeast(1),
    importance: 'medium',
    doc: 'Most members a KIP-848 consumer group may have.',
  },
  'sluice.metrics.port': {
    type: 'int',
    default: -1,
    validator: range(-1, 65535),
    importance: 'medium',
    doc: 'Port of the Prometheus endpoint (GET /metrics): requests and latency per API, bytes and records in/out per topic, connections, log sizes. -1 turns it off; 0 picks a free port. Sluice-specific (Kafka reports metrics through JMX).',
  },
  'sluice.metrics.host': {
    type: 'string',
    default: '0.0.0.0',
    importance: 'low',
    doc: 'Address the Prometheus endpoint binds.',
  },
  'cluster.id': {
    type: 'string',
    default: null,
    validator: matches(
      /^[A-Za-z0-9_-]{22}$/,
      'a 22-character base64url cluster id (16 bytes, as kafka-storage random-uuid prints)',
    ),
    importance: 'low',
    doc: 'Cluster id reported to clients. A random id is generated at start when unset (persisted once storage exists).',
  },
});

export interface ListenerAddress {
  /** Upper-case listener name, e.g. `PLAINTEXT`. */
  readonly name: string;
  /** Host as written; '' means every interface (bind) or this machine host name (advertise). */
  readonly host: string;
  /** 0 means a free port chosen at bind time. */
  readonly port: number;
}

export interface ClientListener extends ListenerAddress {
  readonly securityProtocol: string;
  /** What Metadata tells clients for this listener. */
  readonly advertised: ListenerAddress;
}

/** The broker's resolved, typed configuration. */
export interface BrokerConfig {
  readonly nodeId: number;
  /** Listeners the broker serves, in configuration order. */
  readonly listeners: readonly ClientListener[];
  readonly logDirs: readonly string[];
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly messageBytesMax: number;
  readonly requestBytesMax: number;
  readonly idleTimeoutMs: number;
  readonly connectionsPerIpMax: number;
  readonly clusterId: string | null;
  /** `producer.id.expiration.ms`. */
  readonly producerIdExpirationMs?: number;
  /** `sluice.metrics.port` (-1 = no endpoint) and `sluice.metrics.host`. */
  readonly metricsPort?: number;
  readonly metricsHost?: string;
  /** `log.retention.check.interval.ms`. */
  readonly retentionCheckIntervalMs?: number;
  /** Raw values of the keys set explicitly (file or overrides): DescribeConfigs, `log.*` defaults. */
  readonly explicit?: ReadonlyMap<string, string>;
  /** The group coordinator's keys (`offsets.*`, `group.*`); Kafka's defaults when absent. */
  readonly groups?: GroupConfig;
}

/** The group coordinator's configuration (`offsets.*`, `offset.metadata.max.bytes`, `group.*`). */
export interface GroupConfig {
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly offsetMetadataMaxBytes: number;
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly maxSize: number;
  readonly rebalanceProtocols: readonly string[];
  readonly consumerSessionTimeoutMs: number;
  readonly consumerHeartbeatIntervalMs: number;
  readonly consumerAssignors: readonly string[];
  readonly consumerMaxSize: number;
}

export const GROUP_CONFIG_DEFAULTS: GroupConfig = {
  offsetsTopicNumPartitions: 50,
  offsetsTopicReplicationFactor: 3,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  maxSize: 2147483647,
  rebalanceProtocols: ['classic', 'consumer'],
  consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5000,
  consumerAssignors: ['uniform', 'range'],
  consumerMaxSize: 2147483647,
};

export interface ResolvedBrokerConfig {
  readonly config: BrokerConfig;
  readonly warnings: readonly ConfigWarning[];
}

export const NODE_ID_DEFAULT = 1;
const LISTENER_PATTERN = /^([A-Za-z0-9_.-]+):\/\/(\[[0-9A-Fa-f:.%a-zA-Z]*\]|[^:[\]]*):(\d+)$/;
const META_ADDRESSES = new Set(['0.0.0.0', '::']);

/**
 * Parses layers (the properties file, then overrides) into a BrokerConfig. Throws ConfigError
 * naming the source, key, value and expectation of every problem.
 */
export function resolveBrokerConfig(
  layers: readonly ConfigLayer[],
  options: ParseOptions = {},
): ResolvedBrokerConfig {
  const parsed = brokerConfigDef.parse(layers, options);
  const v = parsed.values;
  const issues: ConfigIssue[] = [];
  const where = (key: Parameters<typeof parsed.origins.get>[0]) => {
    const o = parsed.origins.get(key);
    return o?.line === undefined ? { source: o?.source ?? 'default' } : { source: o.source, line: o.line };
  };
  const raw = (key: Parameters<typeof parsed.raw.get>[0]) => parsed.raw.get(key) ?? '';

  // node.id / broker.id
  const nodeId = v['node.id'];
  const brokerId = v['broker.id'];
  if (nodeId !== null && brokerId !== null && brokerId !== -1 && nodeId !== brokerId) {
    issues.push({
      ...where('broker.id'),
      key: 'broker.id',
      value: raw('broker.id'),
      expected: `the same id as node.id (${nodeId}), or no broker.id`,
    });
  }
  const effectiveNodeId = nodeId ?? (brokerId !== null && brokerId >= 0 ? brokerId : NODE_ID_DEFAULT);

  // listeners
  const parseList = (
    key: 'listeners' | 'advertised.listeners',
    items: readonly string[],
  ): ListenerAddress[] => {
    const out: ListenerAddress[] = [];
    for (const item of items) {
      const m = LISTENER_PATTERN.exec(item);
      const port = m ? Number(m[3]) : -1;
      if (!m || port > 65535) {
        issues.push({
          ...where(key),
          key,
          value: raw(key),
          expected: `NAME://host:port entries with a port in [0, 65535] (bad entry ${JSON.stringify(item)})`,
        });
        continue;
      }
      const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
      const name = m[1]!.toUpperCase();
      if (out.some((l) => l.name === name)) {
        issues.push({
          ...where(key),
          key,
          value: raw(key),
          expected: `each listener name once (${name} repeats)`,
        });
        continue;
      }
      out.push({ name, host, port });
    }
    return out;
  };
  const listeners = parseList('listeners', v.listeners);
  const advertised =
    v['advertised.listeners'] === null ? null : parseList('advertised.listeners', v['advertised.listeners']);

  const protocolMap = new Map<string, string>();
  for (const pair of v['listener.security.protocol.map']) {
    const [name, protocol, ...rest] = pair.split(':');
    if (!name || !protocol || rest.length > 0) {
      issues.push({
        ...where('listener.security.protocol.map'),
        key: 'listener.security.protocol.map',
        value: raw('listener.security.protocol.map'),
        expected: `NAME:PROTOCOL pairs (bad entry ${JSON.stringify(pair)})`,
      });
      continue;
    }
    protocolMap.set(name.toUpperCase(), protocol.toUpperCase());
  }
  const controllerNames = new Set((v['controller.listener.names'] ?? []).map((n) => n.toUpperCase()));

  const clientListeners: ClientListener[] = [];
  const ports = new Map<number, string>();
  for (const l of listeners) {
    if (controllerNames.has(l.name)) continue;
    const protocol = protocolMap.get(l.name);
    if (protocol === undefined) {
      issues.push({
        ...where('listeners'),
        key: 'listeners',
        value: raw('listeners'),
        expected: `a security protocol for listener ${l.name} in listener.security.protocol.map`,
      });
      continue;
    }
    if (protocol !== 'PLAINTEXT') {
      issues.push({
        ...where('listeners'),
        key: 'listeners',
        value: raw('listeners'),
        expected: `PLAINTEXT listeners only (listener ${l.name} uses ${protocol}, not supported yet)`,
      });
      continue;
    }
    if (l.port !== 0) {
      const other = ports.get(l.port);
      if (other !== undefined) {
        issues.push({
          ...where('listeners'),
          key: 'listeners',
          value: raw('listeners'),
          expected: `a different port for each listener (${other} and ${l.name} both use ${l.port})`,
        });
        continue;
      }
      ports.set(l.port, l.name);
    }
    let adv: ListenerAddress = l;
    if (advertised !== null) {
      const a = advertised.find((x) => x.name === l.name);
      if (a === undefined) {
        issues.push({
          ...where('advertised.listeners'),
          key: 'advertised.listeners',
          value: raw('advertised.listeners'),
          expected: `an address for every client listener (${l.name} is missing)`,
        });
        continue;
      }
      adv = a;
    }
    if (META_ADDRESSES.has(adv.host)) {
      const key = advertised === null ? 'listeners' : 'advertised.listeners';
      issues.push({
        ...where(key),
        key,
        value: raw(key),
        expected: `a routable address to advertise, not ${adv.host} (set advertised.listeners)`,
      });
      continue;
    }
    clientListeners.push({ ...l, securityProtocol: protocol, advertised: adv });
  }
  if (issues.length === 0 && clientListeners.length === 0) {
    issues.push({
      ...where('listeners'),
      key: 'listeners',
      value: raw('listeners'),
      expected: 'at least one client (non-controller) listener',
    });
  }
  if (advertised !== null) {
    for (const a of advertised) {
      if (!listeners.some((l) => l.name === a.name)) {
        issues.push({
          ...where('advertised.listeners'),
          key: 'advertised.listeners',
          value: raw('advertised.listeners'),
          expected: `only names that appear in listeners (${a.name} does not)`,
        });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const logDirs = v['log.dirs'] ?? [v['log.dir']];
  return {
    config: {
      nodeId: effectiveNodeId,
      listeners: clientListeners,
      logDirs,
      numPartitions: v['num.partitions'],
      defaultReplicationFactor: v['default.replication.factor'],
      autoCreateTopicsEnable: v['auto.create.topics.enable'],
      messageBytesMax: v['message.max.bytes'],
      requestBytesMax: v['socket.request.max.bytes'],
      idleTimeoutMs: v['connections.max.idle.ms'],
      connectionsPerIpMax: v['max.connections.per.ip'],
      clusterId: v['cluster.id'],
      producerIdExpirationMs: v['producer.id.expiration.ms'],
      metricsPort: v['sluice.metrics.port'],
      metricsHost: v['sluice.metrics.host'],
      retentionCheckIntervalMs: v['log.retention.check.interval.ms'],
      explicit: new Map(parsed.raw),
      groups: {
        offsetsTopicNumPartitions: v['offsets.topic.num.partitions'],
        offsetsTopicReplicationFactor: v['offsets.topic.replication.factor'],
        offsetsRetentionMs: v['offsets.retention.minutes'] * 60_000,
        offsetsRetentionCheckIntervalMs: v['offsets.retention.check.interval.ms'],
        offsetMetadataMaxBytes: v['offset.metadata.max.bytes'],
        initialRebalanceDelayMs: v['group.initial.rebalance.delay.ms'],
        minSessionTimeoutMs: v['group.min.session.timeout.ms'],
        maxSessionTimeoutMs: v['group.max.session.timeout.ms'],
        maxSize: v['group.max.size'],
        rebalanceProtocols: v['group.coordinator.rebalance.protocols'],
        consumerSessionTimeoutMs: v['group.consumer.session.timeout.ms'],
        consumerHeartbeatIntervalMs: v['group.consumer.heartbeat.interval.ms'],
        consumerAssignors: v['group.consumer.assignors'],
        consumerMaxSize: v['group.consumer.max.size'],
      },
    },
    warnings: parsed.warnings,
  };
}

/**
 * Broker configs as DescribeConfigs reports them: every key this broker knows with its value
 * (explicit ones as written, the others as the default) and whether it is the default.
 */
export function brokerConfigValues(
  config: BrokerConfig,
): ReadonlyMap<string, { readonly value: string | null; readonly isDefault: boolean }> {
  const out = new Map<string, { value: string | null; isDefault: boolean }>();
  const typed: Record<string, string> = {
    'node.id': String(config.nodeId),
    'broker.id': String(config.nodeId),
    'log.dirs': config.logDirs.join(','),
    'num.partitions': String(config.numPartitions),
    'default.replication.factor': String(config.defaultReplicationFactor),
    'auto.create.topics.enable': String(config.autoCreateTopicsEnable),
    'message.max.bytes': String(config.messageBytesMax),
    'socket.request.max.bytes': String(config.requestBytesMax),
    'connections.max.idle.ms': String(config.idleTimeoutMs),
    'max.connections.per.ip': String(config.connectionsPerIpMax),
  };
  for (const key of brokerConfigDef.keys()) {
    if (key === 'cluster.id') continue;
    const explicit = config.explicit?.get(key);
    const spec = brokerConfigDef.spec[key];
    const def =
      spec.default === null
        ? null
        : Array.isArray(spec.default)
          ? spec.default.join(',')
          : String(spec.default);
    const value = explicit ?? typed[key] ?? def;
    out.set(key, { value, isDefault: explicit === undefined });
  }
  return out;
}
