import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import {
  type CreateModeName,
  permsFromString,
  permsToString,
  type WatchEvent,
  ZooKeeperClient,
  ZooKeeperError,
} from '../zookeeper/client/index.ts';
import type { ACL, Stat } from '../zookeeper/protocol/index.ts';

/**
 * `sluice zk-shell -server host:port [cmd args]`: a zkCli.sh-like shell. One command after the
 * flags runs once; otherwise commands are read from stdin (a prompt when it is a TTY), one a line.
 * Output follows zkCli's formats, so scripts written against zkCli.sh keep working.
 */

interface Io {
  out(s: string): void;
  err(s: string): void;
}

const USAGE = `ZooKeeper -server host:port [-timeout ms] cmd args
\taddauth scheme auth
\taddWatch [-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default is PERSISTENT_RECURSIVE
\tcreate [-s] [-e] [-c] [-t ttl] path [data] [acl]
\tdelete [-v version] path
\tdeleteall path
\tget [-s] [-w] path
\tgetAcl [-s] path
\tls [-s] [-w] [-R] path
\tquit
\tset [-s] [-v version] path data
\tsetAcl [-s] [-v version] path acl
\tstat [-w] path
\tsync path
\twhoami`;

const javaDays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const javaMonths = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Java's Date.toString() in UTC: `Thu Jan 01 00:00:00 UTC 1970`. */
function javaDate(ms: bigint): string {
  const d = new Date(Number(ms));
  const p = (n: number) => String(n).padStart(2, '0');
  return `${javaDays[d.getUTCDay()]} ${javaMonths[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

const hex = (n: bigint) => `0x${BigInt.asUintN(64, n).toString(16)}`;

export function formatStat(s: Stat): string {
  return [
    `cZxid = ${hex(s.czxid)}`,
    `ctime = ${javaDate(s.ctime)}`,
    `mZxid = ${hex(s.mzxid)}`,
    `mtime = ${javaDate(s.mtime)}`,
    `pZxid = ${hex(s.pzxid)}`,
    `cversion = ${s.cversion}`,
    `dataVersion = ${s.version}`,
    `aclVersion = ${s.aversion}`,
    `ephemeralOwner = ${hex(s.ephemeralOwner)}`,
    `dataLength = ${s.dataLength}`,
    `numChildren = ${s.numChildren}`,
    '',
  ].join('\n');
}

const eventNames: Record<WatchEvent['type'], string> = {
  none: 'None',
  nodeCreated: 'NodeCreated',
  nodeDeleted: 'NodeDeleted',
  nodeDataChanged: 'NodeDataChanged',
  nodeChildrenChanged: 'NodeChildrenChanged',
};

function formatEvent(e: WatchEvent): string {
  const state = e.state === 'syncConnected' ? 'SyncConnected' : e.state === 'expired' ? 'Expired' : 'Closed';
  return `\nWATCHER::\n\nWatchedEvent state:${state} type:${eventNames[e.type]} path:${e.path}\n`;
}

/** zkCli's messages for the usual errors, `KeeperErrorCode = X for /path` for the others. */
function formatError(err: unknown, path: string): string {
  if (!(err instanceof ZooKeeperError)) return `${err instanceof Error ? err.message : String(err)}\n`;
  switch (err.code) {
    case 'NODEEXISTS':
      return `Node already exists: ${path}\n`;
    case 'NONODE':
      return `Node does not exist: ${path}\n`;
    case 'NOTEMPTY':
      return `Node not empty: ${path}\n`;
    case 'BADVERSION':
      return `version No is not valid : ${path}\n`;
    case 'NOAUTH':
      return `Insufficient permission : ${path}\n`;
    case 'NOCHILDRENFOREPHEMERALS':
      return `Ephemerals cannot have children: ${path}\n`;
    case 'INVALIDACL':
      return `Acl is not valid : ${path}\n`;
    default:
      return `KeeperErrorCode = ${err.code} for ${path}\n`;
  }
}

/** `scheme:id:perms[,scheme:id:perms...]` (the id may contain ':' — the digest scheme's does). */
export function parseAcl(text: string): ACL[] {
  return text.split(',').map((entry) => {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    if (first < 0 || last === first) throw new Error(`${entry} does not have the form scheme:id:perm`);
    const perms = permsFromString(entry.slice(last + 1));
    if (perms === undefined) throw new Error(`invalid permissions in ${entry}: expected letters of cdrwa`);
    return { perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } };
  });
}

function formatAcl(acl: readonly ACL[]): string {
  return acl.map((a) => `'${a.id.scheme},'${a.id.id}\n: ${permsToString(a.perms)}\n`).join('');
}

/** Splits a command line on blanks; double or single quotes group words. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

interface Parsed {
  flags: Map<string, string | true>;
  args: string[];
}

function parseFlags(words: string[], withValue: readonly string[]): Parsed {
  const flags = new Map<string, string | true>();
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w.startsWith('-') && w.length > 1 && args.length === 0) {
      const name = w.slice(1);
      if (withValue.includes(name)) {
        const v = words[++i];
        if (v === undefined) throw new Error(`option -${name} needs a value`);
        flags.set(name, v);
      } else flags.set(name, true);
    } else args.push(w);
  }
  return { flags, args };
}

function intFlag(p: Parsed, name: string, fallback: number): number {
  const v = p.flags.get(name);
  if (v === undefined || v === true) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`-${name} expects an integer, got ${v}`);
  return n;
}

async function deleteAll(zk: ZooKeeperClient, path: string): Promise<void> {
  for (const child of await zk.getChildren(path)) {
    await deleteAll(zk, path === '/' ? `/${child}` : `${path}/${child}`);
  }
  if (path !== '/') await zk.delete(path);
}

async function listRecursive(zk: ZooKeeperClient, path: string, io: Io): Promise<void> {
  const queue = [path];
  while (queue.length > 0) {
    const p = queue.shift() as string;
    io.out(`${p}\n`);
    const children = (await zk.getChildren(p)).sort();
    for (const c of children) queue.push(p === '/' ? `/${c}` : `${p}/${c}`);
  }
}

/** Runs one command line; resolves false when the command failed, 'quit' on quit. */
export async function runShellCommand(zk: ZooKeeperClient, line: string, io: Io): Promise<boolean | 'quit'> {
  const words = tokenize(line);
  const cmd = words[0];
  if (cmd === undefined) return true;
  const rest = words.slice(1);
  const watcher = (e: WatchEvent) => io.out(formatEvent(e));
  let path = '';
  try {
    switch (cmd) {
      case 'quit':
      case 'exit':
        return 'quit';
      case 'ls': {
        const p = parseFlags(rest, []);
        path = p.args[0] ?? '/';
        if (p.flags.has('R')) {
          await listRecursive(zk, path, io);
          return true;
        }
        const watch = p.flags.has('w') ? { watch: watcher } : {};
        const { children, stat } = await zk.getChildrenWithStat(path, watch);
        io.out(`[${children.sort().join(', ')}]\n`);
        if (p.flags.has('s')) io.out(formatStat(stat));
        return true;
      }
      case 'get': {
        const p = parseFlags(rest, []);
        path = p.args[0] ?? '';
        const { data, stat } = await zk.getData(path, p.flags.has('w') ? { watch: watcher } : {});
        io.out(`${data.length === 0 ? 'null' : data.toString('utf8')}\n`);
        if (p.flags.has('s')) io.out(formatStat(stat));
        return true;
      }
      case 'set': {
        const p = parseFlags(rest, ['v']);
        path = p.args[0] ?? '';
        const stat = await zk.setData(path, p.args[1] ?? '', intFlag(p, 'v', -1));
        if (p.flags.has('s')) io.out(formatStat(stat));
        return true;
      }
      case 'create': {
        const p = parseFlags(rest, ['t']);
        path = p.args[0] ?? '';
        if (path === '') throw new Error('create needs a path');
        const e = p.flags.has('e');
        const s = p.flags.has('s');
        const ttl = p.flags.get('t');
        let mode: CreateModeName = 'persistent';
        if (p.flags.has('c')) mode = 'container';
        else if (ttl !== undefined) mode = s ? 'persistentSequentialWithTtl' : 'persistentWithTtl';
        else if (e) mode = s ? 'ephemeralSequential' : 'ephemeral';
        else if (s) mode = 'persistentSequential';
        const acl = p.args[2] === undefined ? undefined : parseAcl(p.args[2]);
        const created = await zk.create(path, p.args[1] ?? null, {
          mode,
          ...(acl === undefined ? {} : { acl }),
          ...(ttl === undefined || ttl === true ? {} : { ttlMs: Number(ttl) }),
        });
        io.out(`Created ${created.path}\n`);
        return true;
      }
      case 'delete': {
        const p = parseFlags(rest, ['v']);
        path = p.args[0] ?? '';
        await zk.delete(path, intFlag(p, 'v', -1));
        return true;
      }
      case 'deleteall':
      case 'rmr': {
        path = rest[0] ?? '';
        await deleteAll(zk, path);
        return true;
      }
      case 'stat': {
        const p = parseFlags(rest, []);
        path = p.args[0] ?? '';
        const stat = await zk.exists(path, p.flags.has('w') ? { watch: watcher } : {});
        if (stat === null) throw new ZooKeeperError(-101, path);
        io.out(formatStat(stat));
        return true;
      }
      case 'getAcl': {
        const p = parseFlags(rest, []);
        path = p.args[0] ?? '';
        const { acl, stat } = await zk.getACL(path);
        io.out(formatAcl(acl));
        if (p.flags.has('s')) io.out(formatStat(stat));
        return true;
      }
      case 'setAcl': {
        const p = parseFlags(rest, ['v']);
        path = p.args[0] ?? '';
        const acl = parseAcl(p.args[1] ?? '');
        const stat = await zk.setACL(path, acl, intFlag(p, 'v', -1));
        if (p.flags.has('s')) io.out(formatStat(stat));
        return true;
      }
      case 'addauth': {
        await zk.addAuth(rest[0] ?? '', rest[1] ?? '');
        return true;
      }
      case 'addWatch': {
        const p = parseFlags(rest, ['m']);
        path = p.args[0] ?? '';
        const m = String(p.flags.get('m') ?? 'PERSISTENT_RECURSIVE').toUpperCase();
        if (m !== 'PERSISTENT' && m !== 'PERSISTENT_RECURSIVE') throw new Error(`unknown watch mode ${m}`);
        await zk.addWatch(path, m === 'PERSISTENT' ? 'persistent' : 'persistentRecursive', watcher);
        return true;
      }
      case 'sync': {
        path = rest[0] ?? '/';
        await zk.sync(path);
        io.out('Sync is OK\n');
        return true;
      }
      case 'whoami': {
        const ids = await zk.whoAmI();
        io.out(`Auth scheme: User\n${ids.map((i) => `${i.scheme}: ${i.user}\n`).join('')}`);
        return true;
      }
      default:
        io.err(`${USAGE}\n`);
        return false;
    }
  } catch (err) {
    io.err(formatError(err, path));
    return false;
  }
}

export interface ZkShellOptions {
  readonly server: string;
  readonly timeoutMs: number;
  readonly command: readonly string[];
}

/** Parses zkCli's single-dash flags: `-server host:port`, `-timeout ms`, then an optional command. */
export function parseZkShellArgs(argv: readonly string[]): ZkShellOptions {
  let server = '127.0.0.1:2181';
  let timeoutMs = 30_000;
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-server' || a === '--server') {
      const v = argv[++i];
      if (v === undefined) throw new InvalidArgumentError('-server needs host:port');
      server = v;
    } else if (a === '-timeout' || a === '--timeout') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0)
        throw new InvalidArgumentError('-timeout needs a number of milliseconds');
      timeoutMs = v;
    } else break;
  }
  return { server, timeoutMs, command: argv.slice(i) };
}

export async function zkShellCommand(
  options: ZkShellOptions,
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  io: Io,
): Promise<number> {
  const zk = await ZooKeeperClient.connect({
    connectString: options.server,
    sessionTimeoutMs: options.timeoutMs,
  });
  try {
    if (options.command.length > 0) {
      const ok = await runShellCommand(
        zk,
        options.command.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' '),
        io,
      );
      return ok === false ? 1 : 0;
    }
    const interactive = input.isTTY === true;
    const rl = createInterface({ input, terminal: interactive });
    let n = 0;
    const prompt = () =>
      `[zk: ${options.server}(${zk.state === 'connected' ? 'CONNECTED' : 'CONNECTING'}) ${n}] `;
    if (interactive) io.out(prompt());
    let failed = false;
    for await (const line of rl) {
      const r = await runShellCommand(zk, line, io);
      if (r === 'quit') break;
      if (r === false) failed = true;
      n++;
      if (interactive) io.out(prompt());
    }
    rl.close();
    return failed && !interactive ? 1 : 0;
  } finally {
    await zk.close();
  }
}

export function registerZkShellCommand(program: Command): void {
  program
    .command('zk-shell')
    .description('a zkCli.sh-like ZooKeeper shell: sluice zk-shell -server host:port [cmd args]')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]', '-server host:port, -timeout ms, then an optional command')
    .action(async (args: string[]) => {
      if (args.includes('-h') || args.includes('--help')) {
        process.stdout.write(`${USAGE}\n`);
        return;
      }
      const options = parseZkShellArgs(args);
      const code = await zkShellCommand(options, process.stdin, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
      });
      // main() exits 0 after a command returns, so a failure exits here (stdout pipes are synchronous).
      if (code !== 0) process.exit(code);
    });
}
