/**
 * The AdminServer: ZooKeeper's HTTP interface to its monitoring commands. `GET <commandURL>` lists
 * the commands, `GET <commandURL>/<name>` runs one (by its primary name or an alias such as the
 * four-letter word) and answers a JSON object whose first keys are `command` (the primary name)
 * and `error` (null, or why the command failed), followed by the command's own fields with
 * ZooKeeper's snake_case names. 64-bit values (session ids, zxids) are written as JSON numbers, as
 * Java writes them, so a reader must not parse them into doubles.
 *
 * Unlike the four-letter words, the AdminServer is not subject to `4lw.commands.whitelist`
 * (ZooKeeper's is not either).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname, platform, release, tmpdir, userInfo } from 'node:os';
import type { Logger } from '../../telemetry/index.ts';
import { type ListenerView, monitorValues, ZOOKEEPER_FULL_VERSION } from './four-letter-commands.ts';
import { ZooListenError } from './zoo-listener.ts';
import type { Connection, ZooServer } from './zoo-server.ts';

/** A command's fields after `command` and `error`; `error` may be set to report a failure. */
type Fields = Record<string, unknown>;

interface AdminCommand {
  /** Primary name first, then aliases (the four-letter word among them). */
  readonly names: readonly string[];
  readonly run: (s: ZooServer, listener: ListenerView) => Fields | Promise<Fields>;
}

/** A session id or zxid as Java's signed long. */
function long(n: bigint): bigint {
  return BigInt.asIntN(64, n);
}

function connectionInfo(c: Connection, brief: boolean): Fields {
  const info: Fields = {
    remote_socket_address: `${c.link.remoteAddress.replace(/^::ffff:/, '')}:${c.link.remotePort}`,
    interest_ops: c.onBelowLimit === null ? 1 : 0,
    outstanding_requests: c.outstanding,
    packets_received: c.received,
    packets_sent: c.sent,
  };
  if (brief) return info;
  const none = c.latencyCount === 0;
  return {
    ...info,
    session_id: c.session === null ? 0n : long(c.session.id),
    last_operation: c.lastOp,
    established: c.established,
    session_timeout: c.session?.timeoutMs ?? 0,
    last_cxid: c.lastCxid,
    last_zxid: long(c.lastZxid),
    last_response_time: c.lastResponseAt,
    last_latency: c.lastLatency,
    min_latency: none ? 0 : c.latencyMin,
    avg_latency: none ? 0 : Math.floor(c.latencyTotal / c.latencyCount),
    max_latency: c.latencyMax,
  };
}

async function serverStats(s: ZooServer, listener: ListenerView): Promise<Fields> {
  const sizes = await s.store.sizes();
  const none = s.latencyCount === 0;
  const clientResponse = { last_buffer_size: -1, min_buffer_size: -1, max_buffer_size: -1 };
  return {
    version: ZOOKEEPER_FULL_VERSION,
    read_only: false,
    server_stats: {
      packets_sent: s.packetsSent,
      packets_received: s.packetsReceived,
      fsync_threshold_exceed_count: 0,
      client_response_stats: clientResponse,
      provider_null: false,
      uptime: s.clock.now() - s.startedAt,
      max_latency: s.latencyMax,
      min_latency: none ? 0 : s.latencyMin,
      avg_latency: none ? 0 : Math.round((s.latencyTotal / s.latencyCount) * 10000) / 10000,
      server_state: 'standalone',
      data_dir_size: sizes.snapBytes,
      log_dir_size: sizes.logBytes,
      last_processed_zxid: long(s.lastZxid),
      outstanding_requests: s.outstanding,
      num_alive_client_connections: listener.connectionCount,
      auth_failed_count: 0,
      non_mtlsremote_conn_count: 0,
      non_mtlslocal_conn_count: 0,
    },
    client_response: clientResponse,
    node_count: s.tree.nodeCount,
  };
}

function sessionKey(c: Connection): string {
  return c.session === null ? '0' : long(c.session.id).toString();
}

const COMMANDS: readonly AdminCommand[] = [
  {
    names: ['configuration', 'conf', 'config'],
    run: async (s, listener) => {
      const c = s.config;
      const sizes = await s.store.sizes();
      return {
        client_port: listener.port,
        data_dir: `${c.dataDir}/version-2`,
        data_dir_size: sizes.snapBytes,
        data_log_dir: `${c.dataLogDir}/version-2`,
        data_log_size: sizes.logBytes,
        tick_time: c.tickTimeMs,
        max_client_cnxns: c.maxClientCnxns,
        min_session_timeout: c.minSessionTimeoutMs,
        max_session_timeout: c.maxSessionTimeoutMs,
        server_id: c.serverId,
        client_port_listen_backlog: -1,
      };
    },
  },
  {
    names: ['connection_stat_reset', 'crst'],
    run: (s) => {
      for (const c of s.connections) c.resetStats();
      return {};
    },
  },
  {
    names: ['connections', 'cons'],
    run: (s) => ({
      connections: [...s.connections].map((c) => connectionInfo(c, false)),
      secure_connections: [],
    }),
  },
  {
    names: ['dirs'],
    run: async (s) => {
      const sizes = await s.store.sizes();
      return { datadir_size: sizes.snapBytes, logdir_size: sizes.logBytes };
    },
  },
  {
    names: ['dump'],
    run: (s) => {
      // ZooKeeper buckets expiry times by tick; so does this.
      const tick = s.config.tickTimeMs;
      const byExpiry = new Map<number, bigint[]>();
      for (const x of s.sessionsOf()) {
        const at = Math.ceil(x.expiresAt / tick) * tick;
        const list = byExpiry.get(at) ?? [];
        list.push(long(x.id));
        byExpiry.set(at, list);
      }
      const expiry: Fields = {};
      for (const at of [...byExpiry.keys()].sort((a, b) => a - b)) expiry[String(at)] = byExpiry.get(at);
      const ephemerals: Fields = {};
      for (const [id, paths] of s.tree.ephemerals) {
        if (paths.size > 0) ephemerals[long(id).toString()] = [...paths].sort();
      }
      return { expiry_time_to_session_ids: expiry, session_id_to_ephemeral_paths: ephemerals };
    },
  },
  {
    names: ['environment', 'env', 'envi'],
    run: () => {
      let user = '';
      try {
        user = userInfo().username;
      } catch {
        // no passwd entry
      }
      return {
        'zookeeper.version': ZOOKEEPER_FULL_VERSION,
        'host.name': hostname(),
        'java.version': `n/a (Node ${process.versions.node})`,
        'java.io.tmpdir': tmpdir(),
        'os.name': platform(),
        'os.arch': process.arch,
        'os.version': release(),
        'user.name': user,
        'user.dir': process.cwd(),
        'os.memory.free': `${Math.round((process.memoryUsage().heapTotal - process.memoryUsage().heapUsed) / 1048576)}MB`,
        'os.memory.total': `${Math.round(process.memoryUsage().rss / 1048576)}MB`,
      };
    },
  },
  { names: ['get_trace_mask', 'gtmk'], run: () => ({ tracemask: 0 }) },
  { names: ['hash'], run: () => ({ digests: [] }) },
  { names: ['is_read_only', 'isro'], run: () => ({ read_only: false }) },
  // Standalone, like ZooKeeper's standalone server: no leader to report.
  { names: ['leader', 'lead'], run: () => ({ error: 'server is not initialized' }) },
  {
    names: ['monitor', 'mntr'],
    run: async (s, listener) => {
      const out: Fields = {};
      for (const [k, v] of await monitorValues(s, listener)) out[k] = v;
      return out;
    },
  },
  { names: ['observers', 'obsr'], run: () => ({ synced_observers: 0, observers: [] }) },
  { names: ['ruok'], run: () => ({}) },
  { names: ['server_stats', 'srvr'], run: serverStats },
  {
    names: ['stats', 'stat'],
    run: async (s, listener) => ({
      ...(await serverStats(s, listener)),
      connections: [...s.connections].map((c) => connectionInfo(c, true)),
    }),
  },
  {
    names: ['stat_reset', 'srst'],
    run: (s) => {
      s.packetsReceived = 0;
      s.packetsSent = 0;
      s.latencyMin = Number.POSITIVE_INFINITY;
      s.latencyMax = 0;
      s.latencyTotal = 0;
      s.latencyCount = 0;
      return {};
    },
  },
  { names: ['voting_view'], run: () => ({ current_config: {} }) },
  {
    names: ['watch_summary', 'wchs'],
    run: (s) => ({
      num_connections: s.watches.byWatcher().size,
      num_paths: s.watches.byPath().size,
      num_total_watches: s.watches.count(),
    }),
  },
  {
    names: ['watches', 'wchc'],
    run: (s) => {
      const out: Fields = {};
      for (const [c, paths] of s.watches.byWatcher()) out[sessionKey(c)] = [...paths];
      return { session_id_to_watched_paths: out };
    },
  },
  {
    names: ['watches_by_path', 'wchp'],
    run: (s) => {
      const out: Fields = {};
      for (const [p, cs] of s.watches.byPath()) {
        out[p] = [...cs].map((c) => (c.session === null ? 0n : long(c.session.id)));
      }
      return { path_to_session_ids: out };
    },
  },
  { names: ['zabstate'], run: () => ({ voting: false, zabstate: '' }) },
];

const BY_NAME = new Map<string, AdminCommand>();
for (const c of COMMANDS) for (const n of c.names) BY_NAME.set(n, c);

/** Primary names of every command, sorted. */
export const ADMIN_COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.names[0]!).sort();

/** JSON with bigints written as plain numbers (Java's longs), indented like ZooKeeper's output. */
export function toAdminJson(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[ ${value.map((v) => toAdminJson(v, inner)).join(', ')} ]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{ }';
  const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${toAdminJson(v, inner)}`).join(',\n');
  return `{\n${body}\n${indent}}`;
}

/** Runs one command by any of its names: `{command, error, ...fields}` and the HTTP status. */
export async function runAdminCommand(
  name: string,
  s: ZooServer,
  listener: ListenerView,
): Promise<{ status: number; body: Fields }> {
  const cmd = BY_NAME.get(name);
  if (cmd === undefined) return { status: 404, body: { command: name, error: `Unknown command: ${name}` } };
  const primary = cmd.names[0]!;
  try {
    const { error, ...fields } = await cmd.run(s, listener);
    return { status: 200, body: { command: primary, error: error ?? null, ...fields } };
  } catch (err) {
    return {
      status: 500,
      body: { command: primary, error: err instanceof Error ? err.message : String(err) },
    };
  }
}

export interface AdminServerOptions {
  readonly server: ZooServer;
  readonly listener: ListenerView;
  readonly address: string;
  readonly port: number;
  /** URL path of the command list, e.g. `/commands`. */
  readonly commandUrl: string;
  readonly logger: Logger;
}

export class AdminServer {
  private readonly options: AdminServerOptions;
  private readonly http: Server;
  port = 0;

  constructor(options: AdminServerOptions) {
    this.options = options;
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger.warn('admin command failed', { url: req.url, err: String(err) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    // Monitoring polls are short; do not let an idle client hold a socket for long.
    this.http.keepAliveTimeout = 5000;
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
  }

  async listen(): Promise<{ host: string; port: number }> {
    const { address, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) =>
        reject(
          new ZooListenError(`AdminServer cannot listen on ${address}:${port}: ${err.message}`, {
            cause: err,
          }),
        );
      this.http.once('error', onError);
      this.http.listen({ port, host: address }, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    const a = this.http.address();
    if (a === null || typeof a === 'string') throw new ZooListenError('AdminServer has no bound address');
    this.port = a.port;
    return { host: a.address, port: a.port };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const base = this.options.commandUrl;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (path === base) {
      if ((req.headers.accept ?? '').includes('application/json')) {
        send(res, 200, 'application/json', toAdminJson({ commands: ADMIN_COMMAND_NAMES }));
        return;
      }
      const links = ADMIN_COMMAND_NAMES.map((n) => `<a href="${base}/${n}">${n}</a><br/>\n`).join('');
      send(res, 200, 'text/html; charset=utf-8', `<h1>ZooKeeper AdminServer (Sluice)</h1>\n${links}`);
      return;
    }
    if (path.startsWith(`${base}/`)) {
      const name = decodeURIComponent(path.slice(base.length + 1));
      const { status, body } = await runAdminCommand(name, this.options.server, this.options.listener);
      send(res, status, 'application/json', toAdminJson(body));
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', `no such page; commands are listed at ${base}\n`);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
