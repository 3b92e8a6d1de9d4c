/**
 * zoo.cfg: ZooKeeper's keys, defaults and checks. Invalid values stop startup with a ConfigError
 * naming the file, the key, the value and what was expected. `server.N` lines (ensembles) are parsed
 * and validated but a single server still runs standalone.
 */
import {
  atLeast,
  ConfigError,
  type ConfigIssue,
  type ConfigLayer,
  type ConfigWarning,
  defineConfig,
  range,
} from '../../config/index.ts';
import { FOUR_LETTER_WORDS } from '../protocol/index.ts';

export const zooConfigDef = defineConfig({
  tickTime: {
    type: 'int',
    default: 3000,
    validator: atLeast(1),
    importance: 'high',
    doc: 'The basic time unit in milliseconds.',
  },
  dataDir: {
    type: 'string',
    importance: 'high',
    doc: 'Directory for snapshots (and the transaction log unless dataLogDir is set).',
  },
  dataLogDir: {
    type: 'string',
    default: null,
    importance: 'medium',
    doc: 'Directory for the transaction log; defaults to dataDir.',
  },
  clientPort: {
    type: 'int',
    validator: range(0, 65535),
    importance: 'high',
    doc: 'Port clients connect to (0 picks a free one).',
  },
  clientPortAddress: {
    type: 'string',
    default: null,
    importance: 'medium',
    doc: 'Address to listen on; every interface when unset.',
  },
  maxClientCnxns: {
    type: 'int',
    default: 60,
    validator: atLeast(0),
    importance: 'medium',
    doc: 'Connections allowed from one IP address (0: unlimited).',
  },
  minSessionTimeout: {
    type: 'int',
    default: -1,
    importance: 'medium',
    doc: 'Lowest negotiated session timeout in ms; -1 means 2 × tickTime.',
  },
  maxSessionTimeout: {
    type: 'int',
    default: -1,
    importance: 'medium',
    doc: 'Highest negotiated session timeout in ms; -1 means 20 × tickTime.',
  },
  'autopurge.snapRetainCount': {
    type: 'int',
    default: 3,
    validator: atLeast(3),
    importance: 'low',
    doc: 'Snapshots (and the log they need) kept by the purge task.',
  },
  'autopurge.purgeInterval': {
    type: 'int',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Hours between purges; 0 disables purging.',
  },
  snapCount: {
    type: 'int',
    default: 100000,
    validator: atLeast(2),
    importance: 'low',
    doc: 'Transactions logged between snapshots.',
  },
  forceSync: {
    type: 'enum',
    values: ['yes', 'no'],
    default: 'yes',
    importance: 'low',
    doc: 'yes: fsync the log before acknowledging a write.',
  },
  preAllocSize: {
    type: 'int',
    default: 1024,
    validator: atLeast(0),
    importance: 'low',
    doc:
      'KiB the transaction log file is grown by ahead of its records, as zeros, so a sync flushes data ' +
      'only; 0 grows it with every write. ZooKeeper defaults to 65536; Sluice grows in the background ' +
      'while writes continue, and a short step stalls concurrent syncs less (1 MiB measured best).',
  },
  '4lw.commands.whitelist': {
    type: 'list',
    default: ['srvr'],
    importance: 'medium',
    doc: 'Four-letter words answered; * enables all.',
  },
  'zookeeper.extendedTypesEnabled': {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Allow TTL nodes (server ids must then be < 255).',
  },
  extendedTypesEnabled: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Same as zookeeper.extendedTypesEnabled.',
  },
  'zookeeper.DigestAuthenticationProvider.superDigest': {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'super:<base64 sha1> of the superuser, who passes every ACL.',
  },
  'znode.container.checkIntervalMs': {
    type: 'int',
    default: 60000,
    validator: atLeast(1),
    importance: 'low',
    doc: 'How often empty containers and expired TTL nodes are looked for.',
  },
  'admin.serverPort': {
    type: 'int',
    default: 8080,
    validator: range(0, 65535),
    importance: 'low',
    doc: 'Port of the AdminServer (HTTP JSON commands under admin.commandURL); 0 picks a free one.',
  },
  'admin.enableServer': {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc:
      'Start the AdminServer. Unlike ZooKeeper (default true), Sluice starts it only when this is true ' +
      'or admin.serverPort is given explicitly: 8080 is usually busy on a development machine.',
  },
  'admin.serverAddress': {
    type: 'string',
    default: '0.0.0.0',
    importance: 'low',
    doc: 'Address the AdminServer listens on.',
  },
  'admin.commandURL': {
    type: 'string',
    default: '/commands',
    importance: 'low',
    doc: 'URL path under which the AdminServer commands are served.',
  },
  globalOutstandingLimit: {
    type: 'int',
    default: 1000,
    validator: atLeast(1),
    importance: 'low',
    doc:
      'Requests one connection may have in flight (received, reply not yet sent); beyond it the ' +
      'connection is not read until replies drain. ZooKeeper applies its key server-wide; Sluice per connection.',
  },
  'sluice.maxWatchesPerSession': {
    type: 'int',
    default: 100000,
    validator: atLeast(0),
    importance: 'low',
    doc:
      "Sluice's own cap on the watches one connection's session holds (0: unlimited). A read that would " +
      'add a watch beyond it fails with THROTTLEDOP (-127) and registers nothing; a setWatches beyond it closes the connection.',
  },
  initLimit: {
    type: 'int',
    default: 10,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Ticks a follower may take to sync (ensembles).',
  },
  syncLimit: {
    type: 'int',
    default: 5,
    validator: atLeast(1),
    importance: 'low',
    doc: 'Ticks a follower may lag (ensembles).',
  },
  standaloneEnabled: {
    type: 'boolean',
    default: true,
    importance: 'low',
    doc: 'Accepted for compatibility.',
  },
  reconfigEnabled: {
    type: 'boolean',
    default: false,
    importance: 'low',
    doc: 'Dynamic reconfiguration; not supported (requests get RECONFIGDISABLED).',
  },
  'jute.maxbuffer': {
    type: 'int',
    default: 0xfffff,
    validator: atLeast(1024),
    importance: 'low',
    doc: 'Largest packet accepted, in bytes.',
  },
  myid: {
    type: 'int',
    default: 0,
    validator: range(0, 254),
    importance: 'low',
    doc: 'Server id (normally from dataDir/myid); the high byte of session ids.',
  },
  clientPortListenBacklog: {
    type: 'int',
    default: -1,
    importance: 'low',
    doc: 'Accepted for compatibility.',
  },
  maxCnxns: {
    type: 'int',
    default: 0,
    validator: atLeast(0),
    importance: 'low',
    doc: 'Total connections allowed (0: unlimited).',
  },
  'metricsProvider.className': {
    type: 'string',
    default: null,
    importance: 'low',
    doc: 'Accepted for compatibility.',
  },
  'metricsProvider.httpPort': {
    type: 'int',
    default: 7000,
    importance: 'low',
    doc: 'Accepted for compatibility.',
  },
});

export interface ServerSpec {
  readonly id: number;
  readonly host: string;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly role: 'participant' | 'observer';
  readonly clientPort?: number;
}

export interface ZooConfig {
  readonly tickTimeMs: number;
  readonly dataDir: string;
  readonly dataLogDir: string;
  readonly clientPort: number;
  readonly clientPortAddress: string | null;
  readonly maxClientCnxns: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly snapRetainCount: number;
  readonly purgeIntervalHours: number;
  readonly snapCount: number;
  readonly forceSync: boolean;
  /** Bytes the log file is preallocated by (`preAllocSize`, given in KiB). */
  readonly preAllocBytes: number;
  readonly fourLetterWords: ReadonlySet<string>;
  readonly extendedTypesEnabled: boolean;
  readonly superDigest: string | null;
  readonly containerCheckIntervalMs: number;
  readonly juteMaxBuffer: number;
  readonly maxCnxns: number;
  readonly serverId: number;
  readonly initLimit: number;
  readonly syncLimit: number;
  readonly servers: readonly ServerSpec[];
  /** Requests in flight per connection before it stops being read (`globalOutstandingLimit`). */
  readonly outstandingLimit: number;
  /** Watches per session before watch-setting reads fail with THROTTLEDOP (0: no cap). */
  readonly maxWatchesPerSession: number;
  /** The AdminServer: null when disabled. */
  readonly admin: { readonly address: string; readonly port: number; readonly commandUrl: string } | null;
  /** Every given key with its raw value, for the `conf` four-letter word. */
  readonly raw: ReadonlyMap<string, string>;
}

const ALL_WORDS: readonly string[] = FOUR_LETTER_WORDS;
const SERVER_KEY = /^server\.(\d+)$/;

function parseServerLine(id: number, value: string): ServerSpec | string {
  const [addrPart, clientPart] = value.split(';');
  const fields = (addrPart ?? '').trim().split(':');
  if (fields.length < 3 || fields.length > 4)
    return 'host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]';
  const [host, qp, ep, role] = fields as [string, string, string, string | undefined];
  const port = (s: string) => (/^\d+$/.test(s) && Number(s) > 0 && Number(s) <= 65535 ? Number(s) : null);
  const quorumPort = port(qp);
  const electionPort = port(ep);
  if (host === '' || quorumPort === null || electionPort === null)
    return 'host:quorumPort:electionPort with ports in [1, 65535]';
  if (role !== undefined && role !== 'participant' && role !== 'observer')
    return 'role participant or observer';
  let clientPort: number | undefined;
  if (clientPart !== undefined) {
    const c = clientPart.trim().split(':').at(-1) ?? '';
    const p = port(c);
    if (p === null) return 'a client port in [1, 65535] after ;';
    clientPort = p;
  }
  return {
    id,
    host,
    quorumPort,
    electionPort,
    role: role ?? 'participant',
    ...(clientPort === undefined ? {} : { clientPort }),
  };
}

/** ZooKeeper's default is on; Sluice's is on only if asked for or a port is given explicitly. */
function adminEnabled(raw: ReadonlyMap<string, string>, enableServer: boolean): boolean {
  if (raw.has('admin.enableServer')) return enableServer;
  return raw.has('admin.serverPort');
}

/** Parses zoo.cfg layers (the file, then overrides). Throws ConfigError. */
export function resolveZooConfig(
  layers: readonly ConfigLayer[],
  options: { strict?: boolean } = {},
): { config: ZooConfig; warnings: readonly ConfigWarning[] } {
  const issues: ConfigIssue[] = [];
  const servers: ServerSpec[] = [];
  const raw = new Map<string, string>();
  const rest: ConfigLayer[] = [];
  for (const layer of layers) {
    const entries = [];
    for (const e of layer.entries) {
      raw.set(e.key, e.value);
      const m = SERVER_KEY.exec(e.key);
      if (m === null) {
        entries.push(e);
        continue;
      }
      const where = e.line === undefined ? { source: layer.source } : { source: layer.source, line: e.line };
      const parsed = parseServerLine(Number(m[1]), e.value.trim());
      if (typeof parsed === 'string') issues.push({ ...where, key: e.key, value: e.value, expected: parsed });
      else servers.push(parsed);
    }
    rest.push({ source: layer.source, entries });
  }
  let parsed: ReturnType<typeof zooConfigDef.parse>;
  try {
    parsed = zooConfigDef.parse(rest, options);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError([...err.issues, ...issues]);
    throw err;
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const v = parsed.values;
  const origin = (key: string) => {
    const o = parsed.origins.get(key as never);
    return o === undefined ? { source: layers.at(-1)?.source ?? 'zoo.cfg' } : o;
  };
  const tick = v.tickTime;
  const minT = v.minSessionTimeout === -1 ? 2 * tick : v.minSessionTimeout;
  const maxT = v.maxSessionTimeout === -1 ? 20 * tick : v.maxSessionTimeout;
  if (minT > maxT) {
    throw new ConfigError([
      {
        ...origin('minSessionTimeout'),
        key: 'minSessionTimeout',
        value: String(v.minSessionTimeout),
        expected: `a value not above maxSessionTimeout (${maxT})`,
      },
    ]);
  }
  const words = v['4lw.commands.whitelist'];
  const unknownWord = words.find((w) => w !== '*' && !ALL_WORDS.includes(w));
  if (unknownWord !== undefined) {
    throw new ConfigError([
      {
        ...origin('4lw.commands.whitelist'),
        key: '4lw.commands.whitelist',
        value: words.join(','),
        expected: `a list of four-letter words (${ALL_WORDS.join(', ')}) or *`,
      },
    ]);
  }
  const ids = new Set<number>();
  for (const s of servers) {
    if (ids.has(s.id)) {
      throw new ConfigError([
        { source: 'zoo.cfg', key: `server.${s.id}`, value: s.host, expected: 'each server id once' },
      ]);
    }
    ids.add(s.id);
  }
  const super_ = v['zookeeper.DigestAuthenticationProvider.superDigest'];
  if (super_ !== null && !/^[^:]+:.+$/.test(super_)) {
    throw new ConfigError([
      {
        ...origin('zookeeper.DigestAuthenticationProvider.superDigest'),
        key: 'zookeeper.DigestAuthenticationProvider.superDigest',
        value: super_,
        expected: 'user:base64digest',
      },
    ]);
  }
  const config: ZooConfig = {
    tickTimeMs: tick,
    dataDir: v.dataDir,
    dataLogDir: v.dataLogDir ?? v.dataDir,
    clientPort: v.clientPort,
    clientPortAddress: v.clientPortAddress,
    maxClientCnxns: v.maxClientCnxns,
    minSessionTimeoutMs: minT,
    maxSessionTimeoutMs: maxT,
    snapRetainCount: v['autopurge.snapRetainCount'],
    purgeIntervalHours: v['autopurge.purgeInterval'],
    snapCount: v.snapCount,
    forceSync: v.forceSync === 'yes',
    preAllocBytes: v.preAllocSize * 1024,
    fourLetterWords: new Set(words.includes('*') ? ALL_WORDS : words),
    extendedTypesEnabled: v['zookeeper.extendedTypesEnabled'] || v.extendedTypesEnabled,
    superDigest: super_,
    containerCheckIntervalMs: v['znode.container.checkIntervalMs'],
    juteMaxBuffer: v['jute.maxbuffer'],
    maxCnxns: v.maxCnxns,
    serverId: v.myid,
    initLimit: v.initLimit,
    syncLimit: v.syncLimit,
    servers,
    outstandingLimit: v.globalOutstandingLimit,
    maxWatchesPerSession: v['sluice.maxWatchesPerSession'],
    admin: adminEnabled(raw, v['admin.enableServer'])
      ? {
          address: v['admin.serverAddress'],
          port: v['admin.serverPort'],
          commandUrl: `/${v['admin.commandURL'].replace(/^\/+|\/+$/g, '')}`,
        }
      : null,
    raw,
  };
  return { config, warnings: parsed.warnings };
}

/** Defaults for tests and embedding: everything at ZooKeeper's defaults, given dirs and port. */
export function zooConfigFor(dataDir: string, overrides: Record<string, string> = {}): ZooConfig {
  const entries = Object.entries({ dataDir, clientPort: '0', ...overrides }).map(([key, value]) => ({
    key,
    value,
  }));
  return resolveZooConfig([{ source: 'test', entries }]).config;
}
