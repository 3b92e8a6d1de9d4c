/**
 * The replicated state: znodes (data, ACL, persisted stat, children) and the ephemerals of each
 * session. It changes only by applying transactions (`applyTxn`), which are deterministic given the
 * header, so a log replayed onto a snapshot rebuilds exactly the same tree and an ensemble can later
 * apply the same transactions on every server.
 *
 * Stat rules follow ZooKeeper's DataTree: a create sets czxid = mzxid = pzxid = zxid and sets the
 * parent's stored cversion to the value the transaction carries (prepared as cversion + 1) and its
 * pzxid to zxid; a delete only moves the parent's pzxid forward (the stored cversion counts
 * creations; `statOf` reports creations + deletions, see there); setData bumps version and
 * mzxid/mtime; setACL bumps aversion only.
 */

import type { ACL, Stat } from '../protocol/index.ts';
import { EventType } from '../protocol/index.ts';

export interface ZNode {
  data: Buffer;
  acl: ACL[];
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: bigint;
  readonly children: Set<string>;
}

/** Header of every transaction: who asked, the request's xid, the zxid and the wall time. */
export interface TxnHeader {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly zxid: bigint;
  readonly time: bigint;
}

export type Txn =
  | {
      readonly type: 'create';
      readonly path: string;
      readonly data: Buffer;
      readonly acl: ACL[];
      readonly ephemeralOwner: bigint;
      readonly parentCVersion: number;
    }
  | { readonly type: 'delete'; readonly path: string }
  | { readonly type: 'setData'; readonly path: string; readonly data: Buffer; readonly version: number }
  | { readonly type: 'setACL'; readonly path: string; readonly acl: ACL[]; readonly version: number }
  | { readonly type: 'check'; readonly path: string }
  | { readonly type: 'createSession'; readonly sessionId: bigint; readonly timeoutMs: number }
  | { readonly type: 'closeSession'; readonly sessionId: bigint }
  | { readonly type: 'error'; readonly err: number }
  | { readonly type: 'multi'; readonly txns: readonly Txn[] };

/** A watch trigger produced by applying a transaction, in ZooKeeper's order. */
export interface TreeEvent {
  readonly type: number;
  readonly path: string;
}

/** `ephemeralOwner` of a container node (Long.MIN_VALUE). */
export const CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000n;
const TTL_MASK = 0xff00000000000000n;
/** Largest TTL the 5-byte field holds. */
export const TTL_MS_MAX = 0xffffffffffn;

/** ephemeralOwner of a TTL node: 0xFF in the top byte, TTL feature id 0, then the TTL. */
export function ttlEphemeralOwner(ttlMs: bigint): bigint {
  return BigInt.asIntN(64, TTL_MASK | ttlMs);
}

export type NodeKind = 'persistent' | 'ephemeral' | 'container' | 'ttl';

export function nodeKind(ephemeralOwner: bigint): NodeKind {
  if (ephemeralOwner === 0n) return 'persistent';
  if (ephemeralOwner === CONTAINER_EPHEMERAL_OWNER) return 'container';
  // TTL: top byte 0xFF, then the 2-byte feature id 0 (so a negative session id is not a TTL).
  if (BigInt.asUintN(64, ephemeralOwner) >> 40n === 0xff0000n) return 'ttl';
  return 'ephemeral';
}

export function ttlOf(ephemeralOwner: bigint): bigint {
  return BigInt.asUintN(64, ephemeralOwner) & TTL_MS_MAX;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/**
 * ZooKeeper's PathUtils.validatePath: null for a valid path, else the reason. `sequential` allows a
 * trailing slash (the suffix is appended after it).
 */
export function invalidPathReason(path: string | null, sequential = false): string | null {
  if (path === null) return 'path is null';
  if (path.length === 0) return 'path length must be > 0';
  if (path[0] !== '/') return 'path must start with /';
  if (path.length === 1) return sequential ? 'path must not be / for a sequential node' : null;
  if (path.endsWith('/') && !sequential) return 'path must not end with /';
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length === 0) {
      if (i === parts.length - 1 && sequential) continue;
      return 'empty node name';
    }
    if (part === '.' || part === '..') return 'relative paths are not allowed';
  }
  for (const ch of path) {
    const c = ch.codePointAt(0)!;
    if (
      c === 0 ||
      (c > 0 && c <= 0x1f) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff) ||
      c > 0xffff // surrogate pairs in Java's UTF-16 view
    ) {
      return `invalid character \\u${c.toString(16).padStart(4, '0')}`;
    }
  }
  return null;
}

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const READ_ACL_UNSAFE: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

/** Paths ZooKeeper refuses to delete or create over (isSpecialPath). */
export const SPECIAL_PATHS = new Set(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']);

export class DataTree {
  readonly nodes = new Map<string, ZNode>();
  /** session id → paths of its ephemerals. */
  readonly ephemerals = new Map<bigint, Set<string>>();
  /** Paths of container and TTL nodes, for the reaper. */
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  /** Sessions known to the tree (created by createSession txns): id → timeout. */
  readonly sessions = new Map<bigint, number>();
  lastZxid = 0n;

  constructor() {
    this.nodes.set('/', emptyNode(0n, 0n, OPEN_ACL_UNSAFE, 0n));
    this.addBuiltin('/zookeeper', OPEN_ACL_UNSAFE);
    this.addBuiltin('/zookeeper/quota', OPEN_ACL_UNSAFE);
    this.addBuiltin('/zookeeper/config', READ_ACL_UNSAFE);
  }

  private addBuiltin(path: string, acl: ACL[]): void {
    this.nodes.set(path, emptyNode(0n, 0n, acl, 0n));
    this.nodes.get(parentOf(path))!.children.add(nameOf(path));
  }

  get(path: string): ZNode | undefined {
    return this.nodes.get(path);
  }

  /** ZooKeeper counts the root twice ("" and "/"), so a fresh server reports 5. */
  get nodeCount(): number {
    return this.nodes.size + 1;
  }

  approximateDataSize(): number {
    let n = 0;
    for (const [path, node] of this.nodes) n += path.length + node.data.length;
    return n;
  }

  ephemeralCount(): number {
    let n = 0;
    for (const s of this.ephemerals.values()) n += s.size;
    return n;
  }

  /** All descendants of `path` (not counting itself). */
  countDescendants(path: string): number {
    const node = this.nodes.get(path);
    if (node === undefined) return 0;
    let n = 0;
    for (const c of node.children) n += 1 + this.countDescendants(joinPath(path, c));
    return n;
  }

  /**
   * Applies one transaction; returns the watch events in ZooKeeper's order. `afterEach` sees the
   * tree after each operation of a multi (for its per-operation results).
   */
  applyTxn(
    hdr: TxnHeader,
    txn: Txn,
    events: TreeEvent[] = [],
    afterEach?: (index: number, t: Txn) => void,
  ): TreeEvent[] {
    switch (txn.type) {
      case 'create':
        this.createNode(hdr, txn, events);
        break;
      case 'delete':
        this.deleteNode(txn.path, hdr.zxid, events);
        break;
      case 'setData': {
        const node = this.mustGet(txn.path);
        node.data = txn.data;
        node.version = txn.version;
        node.mzxid = hdr.zxid;
        node.mtime = hdr.time;
        events.push({ type: EventType.nodeDataChanged, path: txn.path });
        break;
      }
      case 'setACL': {
        const node = this.mustGet(txn.path);
        node.acl = txn.acl;
        node.aversion = txn.version;
        break;
      }
      case 'check':
      case 'error':
        break;
      case 'createSession':
        this.sessions.set(txn.sessionId, txn.timeoutMs);
        break;
      case 'closeSession': {
        const paths = [...(this.ephemerals.get(txn.sessionId) ?? [])].sort().reverse();
        for (const p of paths) if (this.nodes.has(p)) this.deleteNode(p, hdr.zxid, events);
        this.ephemerals.delete(txn.sessionId);
        this.sessions.delete(txn.sessionId);
        break;
      }
      case 'multi':
        txn.txns.forEach((t, i) => {
          this.applyTxn(hdr, t, events);
          afterEach?.(i, t);
        });
        break;
    }
    if (hdr.zxid > this.lastZxid) this.lastZxid = hdr.zxid;
    return events;
  }

  private mustGet(path: string): ZNode {
    const node = this.nodes.get(path);
    if (node === undefined) throw new Error(`txn on missing node ${path}`);
    return node;
  }

  private createNode(hdr: TxnHeader, txn: Extract<Txn, { type: 'create' }>, events: TreeEvent[]): void {
    const parentPath = parentOf(txn.path);
    const parent = this.mustGet(parentPath);
    const node = emptyNode(hdr.zxid, hdr.time, txn.acl, txn.ephemeralOwner);
    node.data = txn.data;
    this.nodes.set(txn.path, node);
    parent.children.add(nameOf(txn.path));
    if (txn.parentCVersion > parent.cversion) {
      parent.cversion = txn.parentCVersion;
      parent.pzxid = hdr.zxid;
    }
    const kind = nodeKind(txn.ephemeralOwner);
    if (kind === 'ephemeral') {
      let set = this.ephemerals.get(txn.ephemeralOwner);
      if (set === undefined) {
        set = new Set();
        this.ephemerals.set(txn.ephemeralOwner, set);
      }
      set.add(txn.path);
    } else if (kind === 'container') {
      this.containers.add(txn.path);
    } else if (kind === 'ttl') {
      this.ttls.add(txn.path);
    }
    events.push({ type: EventType.nodeCreated, path: txn.path });
    events.push({ type: EventType.nodeChildrenChanged, path: parentPath });
  }

  private deleteNode(path: string, zxid: bigint, events: TreeEvent[]): void {
    const parentPath = parentOf(path);
    const parent = this.mustGet(parentPath);
    const node = this.mustGet(path);
    parent.children.delete(nameOf(path));
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    this.nodes.delete(path);
    const kind = nodeKind(node.ephemeralOwner);
    if (kind === 'ephemeral') this.ephemerals.get(node.ephemeralOwner)?.delete(path);
    else if (kind === 'container') this.containers.delete(path);
    else if (kind === 'ttl') this.ttls.delete(path);
    events.push({ type: EventType.nodeDeleted, path });
    events.push({ type: EventType.nodeChildrenChanged, path: parentPath });
  }
}

export function emptyNode(zxid: bigint, time: bigint, acl: ACL[], ephemeralOwner: bigint): ZNode {
  return {
    data: Buffer.alloc(0),
    acl,
    czxid: zxid,
    mzxid: zxid,
    ctime: time,
    mtime: time,
    version: 0,
    cversion: 0,
    aversion: 0,
    ephemeralOwner,
    pzxid: zxid,
    children: new Set(),
  };
}

/**
 * The Stat a client sees. `cversion` is stored as the number of child creations (which is what
 * sequential names count) and reported, as ZooKeeper's DataNode.copyStat does, as
 * 2 × stored − numChildren: creations plus deletions (so a fresh root reports -1).
 */
export function statOf(node: ZNode): Stat {
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    cversion: (node.cversion * 2 - node.children.size) | 0,
    aversion: node.aversion,
    ephemeralOwner: node.ephemeralOwner,
    dataLength: node.data.length,
    numChildren: node.children.size,
    pzxid: node.pzxid,
  };
}
