/**
 * The "prepare" stage (ZooKeeper's PrepRequestProcessor): checks a write request against the tree
 * as it will be once earlier operations of the same multi are applied, and turns it into a
 * transaction. Errors are thrown as `ZooOpError` with ZooKeeper's code, checked in ZooKeeper's order
 * (path, parent, ACL, existence, version, children).
 */
import type {
  ACL,
  CheckVersionRequest,
  CreateRequest,
  DeleteRequest,
  SetACLRequest,
  SetDataRequest,
} from '../protocol/index.ts';
import { createModeTraits, OpCode, Perms, ZooErrorCode } from '../protocol/index.ts';
import { AclError, type AuthId, checkAcl, fixupAcl } from './acl.ts';
import {
  CONTAINER_EPHEMERAL_OWNER,
  type DataTree,
  invalidPathReason,
  nodeKind,
  parentOf,
  SPECIAL_PATHS,
  TTL_MS_MAX,
  type Txn,
  ttlEphemeralOwner,
} from './data-tree.ts';

export class ZooOpError extends Error {
  readonly code: number;
  constructor(code: number, message = `ZooKeeper error ${code}`) {
    super(message);
    this.code = code;
  }
}

/** What prepare needs of a node; a multi's earlier operations change these in a scratch map. */
interface NodeView {
  version: number;
  cversion: number;
  aversion: number;
  childCount: number;
  ephemeralOwner: bigint;
  acl: ACL[];
}

export interface PrepareContext {
  readonly tree: DataTree;
  readonly sessionId: bigint;
  readonly authInfo: readonly AuthId[];
  readonly extendedTypesEnabled: boolean;
}

export type WriteOp =
  | {
      type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer;
      body: CreateRequest;
    }
  | { type: typeof OpCode.createTTL; body: CreateRequest & { ttl: bigint } }
  | { type: typeof OpCode.delete | typeof OpCode.deleteContainer; body: DeleteRequest }
  | { type: typeof OpCode.setData; body: SetDataRequest }
  | { type: typeof OpCode.setACL; body: SetACLRequest }
  | { type: typeof OpCode.check; body: CheckVersionRequest };

function fail(code: number): never {
  throw new ZooOpError(code);
}

function sequenceSuffix(n: number): string {
  return n < 0 ? `-${String(-n).padStart(9, '0')}` : String(n).padStart(10, '0');
}

/** Prepares the operations of one request (one op, or a multi's) against a shared scratch view. */
export class Preparer {
  private readonly ctx: PrepareContext;
  private readonly scratch = new Map<string, NodeView | null>();

  constructor(ctx: PrepareContext) {
    this.ctx = ctx;
  }

  private view(path: string): NodeView | null {
    if (this.scratch.has(path)) return this.scratch.get(path) ?? null;
    const n = this.ctx.tree.get(path);
    if (n === undefined) return null;
    const v: NodeView = {
      version: n.version,
      cversion: n.cversion,
      aversion: n.aversion,
      childCount: n.children.size,
      ephemeralOwner: n.ephemeralOwner,
      acl: n.acl,
    };
    this.scratch.set(path, v);
    return v;
  }

  private mustView(path: string): NodeView {
    return this.view(path) ?? fail(ZooErrorCode.NONODE);
  }

  private checkAcl(acl: readonly ACL[], perm: number): void {
    try {
      checkAcl(acl, perm, this.ctx.authInfo);
    } catch (e) {
      if (e instanceof AclError) fail(e.code);
      throw e;
    }
  }

  private fixup(acl: ACL[] | null): ACL[] {
    try {
      return fixupAcl(acl, this.ctx.authInfo);
    } catch (e) {
      if (e instanceof AclError) fail(e.code);
      throw e;
    }
  }

  private validPath(path: string | null, sequential = false): string {
    if (invalidPathReason(path, sequential) !== null) fail(ZooErrorCode.BADARGUMENTS);
    return path!;
  }

  private checkVersion(current: number, expected: number): number {
    if (expected !== -1 && expected !== current) fail(ZooErrorCode.BADVERSION);
    return (current + 1) | 0;
  }

  prepare(op: WriteOp): Txn {
    switch (op.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return this.create(op.type, op.body, op.type === OpCode.createTTL ? op.body.ttl : -1n);
      case OpCode.delete:
      case OpCode.deleteContainer: {
        const path = this.validPath(op.body.path);
        if (SPECIAL_PATHS.has(path)) fail(ZooErrorCode.BADARGUMENTS);
        const parent = this.mustView(parentOf(path));
        this.checkAcl(parent.acl, Perms.delete);
        const node = this.mustView(path);
        this.checkVersion(node.version, op.body.version);
        if (node.childCount > 0) fail(ZooErrorCode.NOTEMPTY);
        this.scratch.set(path, null);
        parent.childCount--;
        return { type: 'delete', path };
      }
      case OpCode.setData: {
        const path = this.validPath(op.body.path);
        const node = this.mustView(path);
        this.checkAcl(node.acl, Perms.write);
        const version = this.checkVersion(node.version, op.body.version);
        node.version = version;
        return { type: 'setData', path, data: Buffer.from(op.body.data ?? Buffer.alloc(0)), version };
      }
      case OpCode.setACL: {
        const path = this.validPath(op.body.path);
        const acl = this.fixup(op.body.acl);
        const node = this.mustView(path);
        this.checkAcl(node.acl, Perms.admin);
        const version = this.checkVersion(node.aversion, op.body.version);
        node.aversion = version;
        node.acl = acl;
        return { type: 'setACL', path, acl, version };
      }
      case OpCode.check: {
        const path = this.validPath(op.body.path);
        const node = this.mustView(path);
        this.checkAcl(node.acl, Perms.read);
        this.checkVersion(node.version, op.body.version);
        return { type: 'check', path };
      }
    }
  }

  private create(opType: number, body: CreateRequest, ttl: bigint): Txn {
    const traits = createModeTraits(body.flags);
    if (traits === undefined) fail(ZooErrorCode.BADARGUMENTS);
    if (traits.ttl && !this.ctx.extendedTypesEnabled) fail(ZooErrorCode.UNIMPLEMENTED);
    if (traits.ttl ? ttl <= 0n || ttl > TTL_MS_MAX : ttl >= 0n) fail(ZooErrorCode.BADARGUMENTS);
    if ((opType === OpCode.createContainer) !== traits.container) fail(ZooErrorCode.BADARGUMENTS);
    const path0 = this.validPath(body.path, traits.sequential);
    const slash = path0.lastIndexOf('/');
    if (slash < 0 || SPECIAL_PATHS.has(path0)) fail(ZooErrorCode.BADARGUMENTS);
    const parentPath = slash === 0 ? '/' : path0.slice(0, slash);
    const acl = this.fixup(body.acl);
    const parent = this.mustView(parentPath);
    this.checkAcl(parent.acl, Perms.create);
    const path = traits.sequential ? path0 + sequenceSuffix(parent.cversion) : path0;
    this.validPath(path);
    if (this.view(path) !== null) fail(ZooErrorCode.NODEEXISTS);
    if (nodeKind(parent.ephemeralOwner) === 'ephemeral') fail(ZooErrorCode.NOCHILDRENFOREPHEMERALS);
    const parentCVersion = (parent.cversion + 1) | 0;
    const ephemeralOwner = traits.ephemeral
      ? this.ctx.sessionId
      : traits.container
        ? CONTAINER_EPHEMERAL_OWNER
        : traits.ttl
          ? ttlEphemeralOwner(ttl)
          : 0n;
    parent.cversion = parentCVersion;
    parent.childCount++;
    this.scratch.set(path, { version: 0, cversion: 0, aversion: 0, childCount: 0, ephemeralOwner, acl });
    return {
      type: 'create',
      path,
      data: Buffer.from(body.data ?? Buffer.alloc(0)),
      acl,
      ephemeralOwner,
      parentCVersion,
    };
  }
}
