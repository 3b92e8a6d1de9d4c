/**
 * Answers to the four-letter words, in ZooKeeper's text formats. Only words in
 * `4lw.commands.whitelist` are executed (default: srvr); others get ZooKeeper's refusal line.
 */
import { hostname } from 'node:os';
import type { FourLetterWord } from '../protocol/index.ts';
import { type Connection, hex, type ZooServer } from './zoo-server.ts';

/** The version string clients and tools parse (`zookeeper.version=3.x.y`). */
export const ZOOKEEPER_COMPAT_VERSION = '3.9.3-sluice';

/** `zookeeper.version` as ZooKeeper prints it (version, build date). */
export const ZOOKEEPER_FULL_VERSION = `${ZOOKEEPER_COMPAT_VERSION}, built on 01/01/2026 00:00 GMT`;

export interface ListenerView {
  readonly port: number;
  readonly connectionCount: number;
}

/** Java's Double.toString for the small values here: `0.0`, `1.5`. */
function javaDouble(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(Math.round(x * 10000) / 10000);
}

function latency(min: number, total: number, count: number, max: number): string {
  const avg = count === 0 ? 0 : total / count;
  return `${count === 0 ? 0 : min}/${javaDouble(avg)}/${max}`;
}

function srvrLines(s: ZooServer, listener: ListenerView): string {
  return (
    `Latency min/avg/max: ${latency(s.latencyMin, s.latencyTotal, s.latencyCount, s.latencyMax)}\n` +
    `Received: ${s.packetsReceived}\n` +
    `Sent: ${s.packetsSent}\n` +
    `Connections: ${listener.connectionCount}\n` +
    `Outstanding: ${s.outstanding}\n` +
    `Zxid: ${hex(s.lastZxid)}\n` +
    'Mode: standalone\n' +
    `Node count: ${s.tree.nodeCount}\n`
  );
}

function versionLine(): string {
  return `Zookeeper version: ${ZOOKEEPER_FULL_VERSION}\n`;
}

/** The monitoring values (mntr's rows without the `zk_` prefix; the AdminServer's `monitor`). */
export async function monitorValues(
  s: ZooServer,
  listener: ListenerView,
): Promise<[string, string | number][]> {
  const sizes = await s.store.sizes();
  return [
    ['version', ZOOKEEPER_FULL_VERSION],
    ['server_state', 'standalone'],
    ['avg_latency', javaDouble(s.latencyCount === 0 ? 0 : s.latencyTotal / s.latencyCount)],
    ['max_latency', s.latencyMax],
    ['min_latency', s.latencyCount === 0 ? 0 : s.latencyMin],
    ['packets_received', s.packetsReceived],
    ['packets_sent', s.packetsSent],
    ['num_alive_connections', listener.connectionCount],
    ['outstanding_requests', s.outstanding],
    ['znode_count', s.tree.nodeCount],
    ['watch_count', s.watches.count()],
    ['ephemerals_count', s.tree.ephemeralCount()],
    ['approximate_data_size', s.tree.approximateDataSize()],
    ['open_file_descriptor_count', 0],
    ['global_sessions', s.sessions.size],
    ['local_sessions', 0],
    ['uptime', s.clock.now() - s.startedAt],
    ['last_zxid', hex(s.lastZxid)],
    ['snapshots_taken', s.snapshotsTaken],
    ['data_dir_size', sizes.snapBytes],
    ['log_dir_size', sizes.logBytes],
  ];
}

function consLine(c: Connection, full: boolean): string {
  const base = ` /${c.link.remoteAddress}:${c.link.remotePort}[1](queued=${c.outstanding},recved=${c.received},sent=${c.sent}`;
  if (!full) return `${base})\n`;
  const sid = c.session === null ? '' : `,sid=${hex(c.session.id)}`;
  const to = c.session === null ? '' : `,to=${c.session.timeoutMs}`;
  const avg = c.latencyCount === 0 ? 0 : Math.floor(c.latencyTotal / c.latencyCount);
  return (
    `${base}${sid},lop=${c.lastOp},est=${c.established}${to},lcxid=0x${(c.lastCxid >>> 0).toString(16)}` +
    `,lzxid=${hex(c.lastZxid)},lresp=${c.lastResponseAt},llat=${c.lastLatency}` +
    `,minlat=${c.latencyCount === 0 ? 0 : c.latencyMin},avglat=${avg},maxlat=${c.latencyMax})\n`
  );
}

export async function answerFourLetterWord(
  word: FourLetterWord,
  s: ZooServer,
  listener: ListenerView,
): Promise<string> {
  if (!s.config.fourLetterWords.has(word)) {
    return `${word} is not executed because it is not in the whitelist.\n`;
  }
  switch (word) {
    case 'ruok':
      return 'imok';
    case 'isro':
      return 'rw';
    case 'srvr':
      return versionLine() + srvrLines(s, listener);
    case 'stat': {
      let out = `${versionLine()}Clients:\n`;
      for (const c of s.connections) out += consLine(c, false);
      return `${out}\n${srvrLines(s, listener)}`;
    }
    case 'cons': {
      let out = '';
      for (const c of s.connections) out += consLine(c, true);
      return `${out}\n`;
    }
    case 'crst':
      for (const c of s.connections) c.resetStats();
      return 'Connection stats reset.\n';
    case 'srst':
      s.packetsReceived = 0;
      s.packetsSent = 0;
      s.latencyMin = Number.POSITIVE_INFINITY;
      s.latencyMax = 0;
      s.latencyTotal = 0;
      s.latencyCount = 0;
      return 'Server stats reset.\n';
    case 'conf': {
      const c = s.config;
      return (
        `clientPort=${listener.port}\n` +
        `secureClientPort=-1\n` +
        `dataDir=${c.dataDir}/version-2\n` +
        `dataDirSize=${(await s.store.sizes()).snapBytes}\n` +
        `dataLogDir=${c.dataLogDir}/version-2\n` +
        `dataLogSize=${(await s.store.sizes()).logBytes}\n` +
        `tickTime=${c.tickTimeMs}\n` +
        `maxClientCnxns=${c.maxClientCnxns}\n` +
        `minSessionTimeout=${c.minSessionTimeoutMs}\n` +
        `maxSessionTimeout=${c.maxSessionTimeoutMs}\n` +
        `clientPortListenBacklog=-1\n` +
        `serverId=${c.serverId}\n`
      );
    }
    case 'mntr': {
      const rows = await monitorValues(s, listener);
      return rows.map(([k, v]) => `zk_${k}\t${v}\n`).join('');
    }
    case 'wchs': {
      const byWatcher = s.watches.byWatcher();
      const paths = s.watches.byPath();
      return `${byWatcher.size} connections watching ${paths.size} paths\nTotal watches:${s.watches.count()}\n`;
    }
    case 'wchc': {
      let out = '';
      for (const [c, paths] of s.watches.byWatcher()) {
        out += `${c.session === null ? '0x0' : hex(c.session.id)}\n`;
        for (const p of paths) out += `\t${p}\n`;
      }
      return out;
    }
    case 'wchp': {
      let out = '';
      for (const [p, cs] of s.watches.byPath()) {
        out += `${p}\n`;
        for (const c of cs) out += `\t${c.session === null ? '0x0' : hex(c.session.id)}\n`;
      }
      return out;
    }
    case 'dump': {
      const sessions = s.sessionsOf();
      let out = `SessionTracker dump:\nGlobal Sessions(${sessions.length}):\n`;
      for (const x of sessions) out += `${hex(x.id)}\t${x.timeoutMs}ms\n`;
      const withEph = [...s.tree.ephemerals].filter(([, paths]) => paths.size > 0);
      out += `ephemeral nodes dump:\nSessions with Ephemerals (${withEph.length}):\n`;
      for (const [id, paths] of withEph) {
        out += `${hex(id)}:\n`;
        for (const p of [...paths].sort()) out += `\t${p}\n`;
      }
      return out;
    }
    case 'envi':
      return (
        'Environment:\n' +
        `zookeeper.version=${ZOOKEEPER_FULL_VERSION}\n` +
        `host.name=${hostname()}\n` +
        `java.version=n/a (Node ${process.versions.node})\n` +
        `os.name=${process.platform}\n` +
        `os.arch=${process.arch}\n` +
        `user.dir=${process.cwd()}\n`
      );
    case 'dirs': {
      const sizes = await s.store.sizes();
      return `datadir_size: ${sizes.snapBytes}\nlogdir_size: ${sizes.logBytes}\n`;
    }
    case 'gtmk':
      return '0';
    case 'stmk':
      return '0';
    case 'hash':
      return 'Digest in ZooKeeper format is not kept by Sluice\n';
  }
}
