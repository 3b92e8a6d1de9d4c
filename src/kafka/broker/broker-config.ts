import {
  atLeast,
  ConfigError,
  type ConfigIssue,
  type ConfigLayer,
  type ConfigWarning,
  defineConfig,
  matches,
  nonEmptyList,
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
}

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
    },
    warnings: parsed.warnings,
  };
}
