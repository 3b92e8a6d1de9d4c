import { SluiceError } from '../../base/index.ts';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export interface ConnectString {
  readonly servers: readonly ServerAddress[];
  /** '' when there is none, else an absolute path without a trailing slash. */
  readonly chroot: string;
}

/**
 * Parses ZooKeeper's connect string: `host[:port],host[:port]...[/chroot]` (port 2181 when absent;
 * IPv6 hosts in brackets, `[::1]:2181`).
 */
export function parseConnectString(s: string): ConnectString {
  const slash = s.indexOf('/');
  const hosts = slash < 0 ? s : s.slice(0, slash);
  let chroot = slash < 0 ? '' : s.slice(slash);
  if (chroot === '/') chroot = '';
  if (chroot.endsWith('/')) throw new SluiceError('ZK_CONNECT_STRING', `chroot ${chroot} ends with '/'`);
  const servers: ServerAddress[] = [];
  for (const part of hosts.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    let host: string;
    let portText: string | undefined;
    if (item.startsWith('[')) {
      const end = item.indexOf(']');
      if (end < 0) throw new SluiceError('ZK_CONNECT_STRING', `unterminated IPv6 address in '${item}'`);
      host = item.slice(1, end);
      const rest = item.slice(end + 1);
      portText = rest.startsWith(':') ? rest.slice(1) : undefined;
    } else {
      const colon = item.lastIndexOf(':');
      host = colon < 0 ? item : item.slice(0, colon);
      portText = colon < 0 ? undefined : item.slice(colon + 1);
    }
    const port = portText === undefined ? 2181 : Number(portText);
    if (!Number.isInteger(port) || port <= 0 || port > 65535 || !/^\d+$/.test(portText ?? '2181')) {
      throw new SluiceError('ZK_CONNECT_STRING', `bad port in '${item}': expected 1-65535`);
    }
    servers.push({ host, port });
  }
  if (servers.length === 0) throw new SluiceError('ZK_CONNECT_STRING', `no servers in '${s}'`);
  return { servers, chroot };
}
