/**
 * ACL checks and authentication as ZooKeeper does them: schemes world, auth, digest and ip; the
 * superuser (`zookeeper.DigestAuthenticationProvider.superDigest`) passes every check.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { ACL, Id } from '../protocol/index.ts';
import { Perms, ZooErrorCode } from '../protocol/index.ts';

/** One authenticated identity of a session (its `authInfo`). */
export interface AuthId {
  readonly scheme: string;
  readonly id: string;
}

/** `user:base64(sha1("user:password"))`, the digest scheme's ACL id for `user:password`. */
export function digestId(userPassword: string): string {
  const colon = userPassword.indexOf(':');
  const user = colon < 0 ? userPassword : userPassword.slice(0, colon);
  const hash = createHash('sha1').update(userPassword, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

export class AclError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`ZooKeeper error ${code}`);
    this.code = code;
  }
}

function ipToBytes(addr: string): number[] | null {
  let a = addr;
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  const kind = isIP(a);
  if (kind === 4) return a.split('.').map(Number);
  if (kind === 6) {
    const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return groups.flatMap((g) => {
      const v = Number.parseInt(g || '0', 16);
      return [v >> 8, v & 0xff];
    });
  }
  return null;
}

/** ip scheme: `addr` or `addr/bits` against the client's address. */
export function ipMatches(aclExpr: string, clientAddr: string): boolean {
  const [addr, bitsText] = aclExpr.split('/');
  const want = ipToBytes(addr ?? '');
  const have = ipToBytes(clientAddr);
  if (want === null || have === null || want.length !== have.length) return false;
  const bits = bitsText === undefined ? want.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > want.length * 8) return false;
  for (let i = 0; i < want.length; i++) {
    const maskBits = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - maskBits)) & 0xff;
    if ((want[i]! & mask) !== (have[i]! & mask)) return false;
  }
  return true;
}

function validIpAcl(expr: string): boolean {
  const [addr, bits, extra] = expr.split('/');
  if (extra !== undefined) return false;
  const b = ipToBytes(addr ?? '');
  if (b === null) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= b.length * 8);
}

/** Whether `authInfo` grants `perm` (any of its bits) on a node with `acl` (ZooKeeper's checkACL). */
export function permitted(acl: readonly ACL[], perm: number, authInfo: readonly AuthId[]): boolean {
  for (const a of authInfo) if (a.scheme === 'super') return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const scheme = entry.id.scheme;
    const id = entry.id.id ?? '';
    if (scheme === 'world' && id === 'anyone') return true;
    for (const a of authInfo) {
      if (a.scheme !== scheme) continue;
      if (scheme === 'ip' ? ipMatches(id, a.id) : a.id === id) return true;
    }
  }
  return false;
}

export function checkAcl(acl: readonly ACL[], perm: number, authInfo: readonly AuthId[]): void {
  if (!permitted(acl, perm, authInfo)) throw new AclError(ZooErrorCode.NOAUTH);
}

/**
 * ZooKeeper's fixupACL: validates a client-supplied ACL list and expands `auth` entries into the
 * session's authenticated ids (digest and super; ip is not "authenticated"). INVALIDACL otherwise.
 */
export function fixupAcl(acl: readonly ACL[] | null, authInfo: readonly AuthId[]): ACL[] {
  if (acl === null || acl.length === 0) throw new AclError(ZooErrorCode.INVALIDACL);
  const out: ACL[] = [];
  const seen = new Set<string>();
  const push = (a: ACL) => {
    const k = `${a.perms}|${a.id.scheme}|${a.id.id}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(a);
    }
  };
  for (const a of acl) {
    const id: Id = a.id;
    const scheme = id.scheme ?? '';
    const expr = id.id ?? '';
    if (a.perms < 0 || a.perms > Perms.all) throw new AclError(ZooErrorCode.INVALIDACL);
    if (scheme === 'world') {
      if (expr !== 'anyone') throw new AclError(ZooErrorCode.INVALIDACL);
      push({ perms: a.perms, id: { scheme, id: expr } });
    } else if (scheme === 'auth') {
      let any = false;
      for (const info of authInfo) {
        if (info.scheme === 'digest' || info.scheme === 'super') {
          push({ perms: a.perms, id: { scheme: info.scheme, id: info.id } });
          any = true;
        }
      }
      if (!any) throw new AclError(ZooErrorCode.INVALIDACL);
    } else if (scheme === 'digest') {
      if (expr.split(':').length !== 2) throw new AclError(ZooErrorCode.INVALIDACL);
      push({ perms: a.perms, id: { scheme, id: expr } });
    } else if (scheme === 'ip') {
      if (!validIpAcl(expr)) throw new AclError(ZooErrorCode.INVALIDACL);
      push({ perms: a.perms, id: { scheme, id: expr } });
    } else if (scheme === 'super') {
      push({ perms: a.perms, id: { scheme, id: expr } });
    } else {
      throw new AclError(ZooErrorCode.INVALIDACL);
    }
  }
  return out;
}

/** The user part of an id, as whoAmI reports it. */
export function userOf(a: AuthId): string {
  if (a.scheme === 'digest') return a.id.split(':')[0] ?? a.id;
  return a.id;
}
