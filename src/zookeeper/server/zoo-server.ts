/**
 * The standalone ZooKeeper-compatible server core, independent of sockets: sessions, the request
 * pipeline and watches over a DataTree and a TxnStore.
 *
 * Pipeline: prepare → log → apply, in one ordered stream. A write is prepared against the tree
 * (errors become an error transaction, which like ZooKeeper's still takes a zxid), applied to the
 * tree at once (so the next request, even from the same batch, sees it), appended to the log, and
 * every reply and notification — of writes and reads alike — leaves the server only through a FIFO
 * commit queue that releases an entry once every write before it is durable. So nothing a client
 * sees can be lost by a crash, notifications precede the reply of the request that triggered them
 * and every later reply, and group commit batches the syncs of concurrent writers. The one exception
 * is a read that can only show durable state (`readReply`), which is answered at once.
 */
import type { Logger } from '../../telemetry/index.ts';
import type { ACL, ClientInfo, MultiOp, MultiResult, Stat, ZooRequest } from '../protocol/index.ts';
import {
  decodeConnectRequest,
  decodeRequest,
  EventType,
  encodeConnectResponse,
  encodeNotification,
  encodeResponse,
  KeeperState,
  OpCode,
  opCodeName,
  Perms,
  Xid,
  ZooErrorCode,
} from '../protocol/index.ts';
import { type AuthId, digestId, permitted, userOf } from './acl.ts';
import { type DataTree, statOf, type Txn, type TxnHeader, ttlOf } from './data-tree.ts';
import { sessionPassword } from './java-random.ts';
import { Preparer, type WriteOp, ZooOpError } from './request-preparer.ts';
import type { TxnStore } from './txn-store.ts';
import { type Delivery, WatchManager } from './watch-manager.ts';
import type { ZooConfig } from './zoo-config.ts';

/** Wall-clock milliseconds; tests step it. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The transport of one client connection (a socket in production, a recorder in tests). */
export interface ClientLink {
  readonly remoteAddress: string;
  readonly remotePort: number;
  send(chunks: readonly Buffer[]): void;
  /** Closes after everything sent so far is flushed. */
  close(): void;
}

export interface Session {
  readonly id: bigint;
  readonly passwd: Buffer;
  timeoutMs: number;
  expiresAt: number;
  connection: Connection | null;
  closing: boolean;
}

let nextWatcherId = 1;

/** Server-side state of one client connection. */
export class Connection {
  readonly watcherId = nextWatcherId++;
  readonly link: ClientLink;
  readonly server: ZooServer;
  readonly established: number;
  session: Session | null = null;
  hasReadOnly = false;
  authInfo: AuthId[];
  closed = false;
  received = 0;
  sent = 0;
  lastOp = 'NA';
  lastCxid = 0;
  lastZxid = 0n;
  lastResponseAt = 0;
  latencyMin = Number.POSITIVE_INFINITY;
  latencyMax = 0;
  latencyTotal = 0;
  latencyCount = 0;
  lastLatency = 0;
  /** Requests received whose reply has not been sent yet. */
  outstanding = 0;
  /** Set by the transport while it has stopped reading this connection (outstanding limit). */
  onBelowLimit: (() => void) | null = null;

  constructor(server: ZooServer, link: ClientLink) {
    this.server = server;
    this.link = link;
    this.established = server.clock.now();
    this.authInfo = [{ scheme: 'ip', id: link.remoteAddress.replace(/^::ffff:/, '') }];
  }

  /** Feeds one frame (without its length prefix). Throws on a malformed frame: close the connection. */
  onFrame(frame: Buffer): void {
    this.server.handleFrame(this, frame);
  }

  /** The transport went away. */
  onClosed(): void {
    this.server.connectionClosed(this);
  }

  send(chunks: readonly Buffer[]): void {
    if (this.closed) return;
    this.sent++;
    this.link.send(chunks);
  }

  close(): void {
    if (this.closed) return;
    this.link.close();
    this.server.connectionClosed(this);
  }

  resetStats(): void {
    this.received = 0;
    this.sent = 0;
    this.latencyMin = Number.POSITIVE_INFINITY;
    this.latencyMax = 0;
    this.latencyTotal = 0;
    this.latencyCount = 0;
  }
}

interface QueueEntry {
  done: boolean;
  run: () => void;
  /** The connection whose request this entry answers (its outstanding count). */
  owner: Connection | null;
}

export interface ZooServerOptions {
  readonly config: ZooConfig;
  readonly store: TxnStore;
  readonly tree: DataTree;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Called when the log fails; the server stops accepting writes (the caller exits). */
  readonly onFatal?: (err: unknown) => void;
}

/** The nodes whose data, stat, ACL or children a transaction changed (its events, and setACL's). */
function changedPaths(txn: Txn, events: readonly { path: string }[]): string[] {
  const paths = events.map((e) => e.path);
  const acls = (t: Txn): void => {
    if (t.type === 'setACL') paths.push(t.path);
    else if (t.type === 'multi') for (const inner of t.txns) acls(inner);
  };
  acls(txn);
  return paths;
}

function pathOrNull(p: string | null): string {
  return p ?? '';
}

export class ZooServer {
  readonly config: ZooConfig;
  readonly clock: Clock;
  readonly tree: DataTree;
  readonly store: TxnStore;
  readonly logger: Logger;
  readonly watches = new WatchManager<Connection>();
  readonly sessions = new Map<bigint, Session>();
  readonly connections = new Set<Connection>();
  readonly startedAt: number;
  private readonly onFatal: (err: unknown) => void;
  private readonly queue: QueueEntry[] = [];
  /**
   * Paths changed by writes that are applied but not yet durable (a count per path). A read of any
   * other path sees what is on disk, so it need not wait behind those writes (see `readReply`).
   */
  private readonly undurable = new Map<string, number>();
  /** Zxid of the newest durable write: the reply header zxid of a read answered ahead of the queue. */
  private durableZxid: bigint;
  readsAhead = 0;
  private nextSessionId: bigint;
  private failed: unknown = null;
  private lastContainerCheck: number;
  packetsReceived = 0;
  packetsSent = 0;
  latencyMin = Number.POSITIVE_INFINITY;
  latencyMax = 0;
  latencyTotal = 0;
  latencyCount = 0;
  snapshotsTaken = 0;

  constructor(options: ZooServerOptions) {
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.tree = options.tree;
    this.store = options.store;
    this.logger = options.logger;
    this.onFatal = options.onFatal ?? (() => {});
    this.startedAt = this.clock.now();
    this.lastContainerCheck = this.startedAt;
    this.durableZxid = this.tree.lastZxid;
    // ZooKeeper's layout: server id in the high byte, then milliseconds shifted to stay positive.
    const ms = BigInt(this.clock.now());
    this.nextSessionId = BigInt.asIntN(
      64,
      (BigInt.asUintN(64, ms << 24n) >> 8n) | (BigInt(this.config.serverId) << 56n),
    );
    if (this.nextSessionId === -0x8000000000000000n) this.nextSessionId++;
    // Sessions in the recovered tree live on; their clients have a full timeout to come back.
    for (const [id, timeoutMs] of this.tree.sessions) {
      this.sessions.set(id, {
        id,
        passwd: sessionPassword(id),
        timeoutMs,
        expiresAt: this.startedAt + timeoutMs,
        connection: null,
        closing: false,
      });
    }
  }

  get lastZxid(): bigint {
    return this.tree.lastZxid;
  }

  get outstanding(): number {
    return this.queue.length;
  }

  // ---- connections ----

  accept(link: ClientLink): Connection {
    const c = new Connection(this, link);
    this.connections.add(c);
    return c;
  }

  connectionClosed(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    this.connections.delete(c);
    this.watches.removeWatcher(c);
    if (c.session !== null && c.session.connection === c) c.session.connection = null;
  }

  handleFrame(c: Connection, frame: Buffer): void {
    if (c.closed) return;
    this.packetsReceived++;
    c.received++;
    if (c.session === null) {
      this.handshake(c, frame);
      return;
    }
    const req = decodeRequest(frame, this.config.juteMaxBuffer);
    const started = this.clock.now();
    c.lastCxid = req.xid;
    c.lastOp = opCodeName(req.type).toUpperCase().slice(0, 4);
    this.touch(c.session);
    if (!req.known) {
      this.reply(c, started, () =>
        encodeResponse(req.xid, this.lastZxid, ZooErrorCode.UNIMPLEMENTED, OpCode.ping, null),
      );
      return;
    }
    this.dispatch(c, req, started);
  }

  private touch(s: Session): void {
    s.expiresAt = this.clock.now() + s.timeoutMs;
  }

  // ---- handshake ----

  private handshake(c: Connection, frame: Buffer): void {
    const { message: req, hasReadOnly } = decodeConnectRequest(frame, this.config.juteMaxBuffer);
    c.hasReadOnly = hasReadOnly;
    if (req.lastZxidSeen > this.lastZxid) {
      // The client has seen a newer state than ours (another server's): refuse by closing.
      this.logger.info('refusing a client ahead of this server', {
        clientZxid: `0x${req.lastZxidSeen.toString(16)}`,
        serverZxid: `0x${this.lastZxid.toString(16)}`,
      });
      c.close();
      return;
    }
    const timeoutMs = Math.min(
      this.config.maxSessionTimeoutMs,
      Math.max(this.config.minSessionTimeoutMs, req.timeOut),
    );
    if (req.sessionId === 0n) {
      let id = this.nextSessionId;
      while (this.sessions.has(id) || id === 0n) id = BigInt.asIntN(64, id + 1n);
      this.nextSessionId = BigInt.asIntN(64, id + 1n);
      const session: Session = {
        id,
        passwd: sessionPassword(id),
        timeoutMs,
        expiresAt: this.clock.now() + timeoutMs,
        connection: c,
        closing: false,
      };
      this.sessions.set(id, session);
      c.session = session;
      this.write(
        c,
        0,
        { type: 'createSession', sessionId: id, timeoutMs },
        () =>
          encodeConnectResponse(
            {
              protocolVersion: 0,
              timeOut: timeoutMs,
              sessionId: id,
              passwd: session.passwd,
              readOnly: false,
            },
            hasReadOnly,
          ),
        id,
      );
      this.logger.debug('session created', { sessionId: hex(id), timeoutMs });
      return;
    }
    const s = this.sessions.get(req.sessionId);
    const passwd = req.passwd ?? Buffer.alloc(0);
    if (s === undefined || s.closing || !passwd.equals(s.passwd)) {
      this.enqueue(
        true,
        () => {
          c.send(
            encodeConnectResponse(
              { protocolVersion: 0, timeOut: 0, sessionId: 0n, passwd: Buffer.alloc(16), readOnly: false },
              hasReadOnly,
            ),
          );
          c.close();
        },
        c,
      );
      return;
    }
    if (s.connection !== null && s.connection !== c) s.connection.close();
    s.connection = c;
    s.timeoutMs = timeoutMs;
    c.session = s;
    this.touch(s);
    this.enqueue(
      true,
      () => {
        c.send(
          encodeConnectResponse(
            { protocolVersion: 0, timeOut: timeoutMs, sessionId: s.id, passwd: s.passwd, readOnly: false },
            hasReadOnly,
          ),
        );
      },
      c,
    );
  }

  // ---- the commit queue ----

  private enqueue(done: boolean, run: () => void, owner: Connection | null = null): QueueEntry {
    const e: QueueEntry = { done, run, owner };
    if (owner !== null) owner.outstanding++;
    this.queue.push(e);
    if (done && this.queue.length === 1) this.drain();
    return e;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const e = this.queue.shift()!;
      try {
        e.run();
      } catch (err) {
        this.logger.error('failed to send a reply', { err: String(err) });
      }
      const o = e.owner;
      if (o !== null) {
        o.outstanding--;
        // Resume reading a throttled connection once half its limit has drained.
        if (o.onBelowLimit !== null && o.outstanding <= this.config.outstandingLimit >> 1) {
          const resume = o.onBelowLimit;
          o.onBelowLimit = null;
          resume();
        }
      }
    }
    if (this.queue.length === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private readonly idleWaiters: (() => void)[] = [];

  /** Resolves once every reply and notification queued so far has been sent. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends a read-only reply in order behind every pending write. */
  private reply(c: Connection, started: number, encode: () => Buffer[], after?: () => void): void {
    const chunks = encode();
    this.enqueue(
      true,
      () => {
        this.record(c, started);
        c.send(chunks);
        this.packetsSent++;
        after?.();
      },
      c,
    );
  }

  /**
   * A successful read of one node: sent at once, ahead of the commit queue, when that changes nothing
   * a client can observe: the connection has nothing queued (its replies stay in xid order) and no
   * write still waiting for its sync changed `path` (so the reply shows only durable state, stamped
   * with the durable zxid). To every client it is as if the read ran before those pending writes,
   * whose notifications still precede any reply showing their effects. Otherwise it queues.
   */
  private readReply(c: Connection, started: number, path: string, encode: (zxid: bigint) => Buffer[]): void {
    if (c.outstanding > 0 || this.undurable.has(path) || this.queue.length === 0) {
      this.reply(c, started, () => encode(this.lastZxid));
      return;
    }
    this.readsAhead++;
    this.record(c, started);
    c.lastZxid = this.durableZxid;
    c.send(encode(this.durableZxid));
    this.packetsSent++;
  }

  private record(c: Connection, started: number): void {
    const lat = Math.max(0, this.clock.now() - started);
    c.lastLatency = lat;
    c.latencyMin = Math.min(c.latencyMin, lat);
    c.latencyMax = Math.max(c.latencyMax, lat);
    c.latencyTotal += lat;
    c.latencyCount++;
    c.lastResponseAt = this.clock.now();
    c.lastZxid = this.lastZxid;
    this.latencyMin = Math.min(this.latencyMin, lat);
    this.latencyMax = Math.max(this.latencyMax, lat);
    this.latencyTotal += lat;
    this.latencyCount++;
  }

  /**
   * Applies `txn` with a new zxid, logs it, and releases the notifications it triggers and then the
   * reply once it is durable. `encode` runs right after the apply (it may read the new state).
   */
  private write(
    c: Connection | null,
    cxid: number,
    txn: Txn,
    encode: ((zxid: bigint) => Buffer[]) | null,
    sessionId: bigint,
    after?: () => void,
    afterEach?: (index: number, t: Txn) => void,
  ): bigint {
    const zxid = this.lastZxid + 1n;
    const hdr: TxnHeader = { sessionId, cxid, zxid, time: BigInt(this.clock.now()) };
    const events = this.tree.applyTxn(hdr, txn, [], afterEach);
    const deliveries: Delivery<Connection>[] = [];
    for (const ev of events) this.watches.trigger(ev.type, ev.path, deliveries);
    const touched = changedPaths(txn, events);
    for (const p of touched) this.undurable.set(p, (this.undurable.get(p) ?? 0) + 1);
    const chunks = encode?.(zxid) ?? null;
    const started = this.clock.now();
    const entry = this.enqueue(
      false,
      () => {
        for (const d of deliveries) {
          if (d.watcher.closed) continue;
          if (!this.canSeeEvent(d.watcher, d.path, d.type)) continue;
          d.watcher.send(
            encodeNotification(zxid, { type: d.type, state: KeeperState.syncConnected, path: d.path }),
          );
          this.packetsSent++;
        }
        if (c !== null && chunks !== null) {
          this.record(c, started);
          c.send(chunks);
          this.packetsSent++;
        }
        after?.();
      },
      c,
    );
    if (this.failed !== null) return zxid;
    this.store.append(hdr, txn).then(
      () => {
        entry.done = true;
        this.durableZxid = zxid;
        for (const p of touched) {
          const n = this.undurable.get(p)!;
          if (n === 1) this.undurable.delete(p);
          else this.undurable.set(p, n - 1);
        }
        this.drain();
      },
      (err: unknown) => this.fail(err),
    );
    if (this.store.snapshotDue(this.config.snapCount)) void this.takeSnapshot();
    return zxid;
  }

  /** 3.9 filters notifications by the watcher's READ permission on the node (when it still exists). */
  private canSeeEvent(c: Connection, path: string, type: number): boolean {
    if (type === EventType.nodeDeleted) return true;
    const node = this.tree.get(path);
    return node === undefined || permitted(node.acl, Perms.read, c.authInfo);
  }

  private fail(err: unknown): void {
    if (this.failed !== null) return;
    this.failed = err;
    this.logger.error('transaction log failed; stopping', { err: String(err) });
    for (const c of [...this.connections]) c.close();
    this.onFatal(err);
  }

  private snapshotInFlight: Promise<void> | null = null;

  /** Resolves once no snapshot is being written. */
  async whenSnapshotsSettle(): Promise<void> {
    while (this.snapshotInFlight !== null) await this.snapshotInFlight;
  }

  takeSnapshot(): Promise<void> {
    const p = this.writeSnapshot().finally(() => {
      if (this.snapshotInFlight === p) this.snapshotInFlight = null;
    });
    this.snapshotInFlight = p;
    return p;
  }

  private async writeSnapshot(): Promise<void> {
    try {
      const name = await this.store.snapshot(this.tree);
      this.snapshotsTaken++;
      this.logger.info('snapshot written', { file: name, zxid: hex(this.lastZxid) });
    } catch (err) {
      this.logger.error('snapshot failed', { err: String(err) });
    }
  }

  // ---- requests ----

  private dispatch(c: Connection, req: ZooRequest, started: number): void {
    const session = c.session!;
    const xid = req.xid;
    const errReply = (code: number, type: number = req.type) => {
      this.reply(c, started, () =>
        encodeResponse(xid, this.lastZxid, code, type as typeof OpCode.ping, null),
      );
    };
    if (this.failed !== null) {
      c.close();
      return;
    }
    if (session.closing) {
      errReply(ZooErrorCode.SESSIONEXPIRED);
      return;
    }
    try {
      switch (req.type) {
        case OpCode.ping:
          this.reply(c, started, () => encodeResponse(Xid.ping, this.lastZxid, 0, OpCode.ping, null));
          return;
        case OpCode.closeSession:
          session.closing = true;
          this.write(
            c,
            xid,
            { type: 'closeSession', sessionId: session.id },
            (zxid) => encodeResponse(xid, zxid, 0, OpCode.closeSession, null),
            session.id,
            () => {
              this.sessions.delete(session.id);
              c.close();
            },
          );
          return;
        case OpCode.auth:
          this.auth(c, req.body.scheme ?? '', req.body.auth ?? Buffer.alloc(0), started);
          return;
        case OpCode.create:
        case OpCode.create2:
        case OpCode.createContainer:
        case OpCode.createTTL:
        case OpCode.delete:
        case OpCode.setData:
        case OpCode.setACL:
        case OpCode.check:
          this.singleWrite(c, { type: req.type, body: req.body } as WriteOp, xid);
          return;
        case OpCode.multi:
          this.multi(c, req.body.ops, xid);
          return;
        default:
          this.read(c, req, started);
      }
    } catch (err) {
      if (err instanceof ZooOpError) {
        errReply(err.code);
        return;
      }
      throw err;
    }
  }

  private preparer(c: Connection): Preparer {
    return new Preparer({
      tree: this.tree,
      sessionId: c.session!.id,
      authInfo: c.authInfo,
      extendedTypesEnabled: this.config.extendedTypesEnabled,
    });
  }

  private singleWrite(c: Connection, op: WriteOp, xid: number): void {
    let txn: Txn;
    let err = 0;
    try {
      txn = this.preparer(c).prepare(op);
    } catch (e) {
      if (!(e instanceof ZooOpError)) throw e;
      err = e.code;
      txn = { type: 'error', err };
    }
    const type = op.type;
    this.write(
      c,
      xid,
      txn,
      (zxid) => {
        if (err !== 0) return encodeResponse(xid, zxid, err, type as typeof OpCode.ping, null);
        return encodeResponse(
          xid,
          zxid,
          0,
          type as typeof OpCode.create,
          this.writeResult(type, txn) as never,
        );
      },
      c.session!.id,
    );
  }

  /** The reply body of an applied write (also a multi result's body). */
  private writeResult(type: number, txn: Txn): unknown {
    const path = 'path' in txn ? txn.path : '';
    const stat = (): Stat => statOf(this.tree.get(path)!);
    switch (type) {
      case OpCode.create:
        return { path };
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return { path, stat: stat() };
      case OpCode.setData:
      case OpCode.setACL:
      case OpCode.check:
        return { stat: stat() };
      default:
        return null;
    }
  }

  private multi(c: Connection, ops: MultiOp[], xid: number): void {
    const p = this.preparer(c);
    const txns: Txn[] = [];
    let failedAt = -1;
    let failCode = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      try {
        if (op.type === OpCode.getData || op.type === OpCode.getChildren)
          throw new ZooOpError(ZooErrorCode.BADARGUMENTS);
        const body = op.type === OpCode.createTTL ? op.body : op.body;
        txns.push(p.prepare({ type: op.type, body } as WriteOp));
      } catch (e) {
        if (!(e instanceof ZooOpError)) throw e;
        failedAt = i;
        failCode = e.code;
        break;
      }
    }
    let txn: Txn;
    if (failedAt >= 0) {
      const errs = ops.map((_, i) =>
        i < failedAt ? 0 : i === failedAt ? failCode : ZooErrorCode.RUNTIMEINCONSISTENCY,
      );
      txn = { type: 'multi', txns: errs.map((err) => ({ type: 'error', err })) };
      const results: MultiResult[] = errs.map((err) => ({ type: OpCode.error, body: { err } }));
      this.write(
        c,
        xid,
        txn,
        (zxid) => encodeResponse(xid, zxid, 0, OpCode.multi, { results }),
        c.session!.id,
      );
      return;
    }
    txn = { type: 'multi', txns };
    const results: MultiResult[] = [];
    this.write(
      c,
      xid,
      txn,
      (zxid) => encodeResponse(xid, zxid, 0, OpCode.multi, { results }),
      c.session!.id,
      undefined,
      (i, t) => {
        const op = ops[i]!;
        const type = op.type === OpCode.deleteContainer ? OpCode.delete : op.type;
        const body = type === OpCode.check ? null : this.writeResult(type, t);
        results.push({ type, body } as MultiResult);
      },
    );
  }

  private auth(c: Connection, scheme: string, auth: Buffer, started: number): void {
    if (scheme === 'digest') {
      const text = auth.toString('utf8');
      const id = digestId(text);
      if (!c.authInfo.some((a) => a.scheme === 'digest' && a.id === id))
        c.authInfo.push({ scheme: 'digest', id });
      if (this.config.superDigest !== null && id === this.config.superDigest) {
        c.authInfo.push({ scheme: 'super', id: this.config.superDigest.split(':')[0] ?? 'super' });
      }
      this.reply(c, started, () => encodeResponse(Xid.auth, 0n, 0, OpCode.auth, null));
      return;
    }
    // Unknown scheme: AUTHFAILED, then the connection is closed (as ZooKeeper does).
    this.reply(
      c,
      started,
      () => encodeResponse(Xid.auth, 0n, ZooErrorCode.AUTHFAILED, OpCode.auth, null),
      () => c.close(),
    );
  }

  private readNode(path: string | null, perm: number, c: Connection) {
    if (path === null || path.includes('\0')) throw new ZooOpError(ZooErrorCode.BADARGUMENTS);
    const node = this.tree.get(path);
    if (node === undefined) throw new ZooOpError(ZooErrorCode.NONODE);
    if (!permitted(node.acl, perm, c.authInfo)) throw new ZooOpError(ZooErrorCode.NOAUTH);
    return node;
  }

  private read(c: Connection, req: ZooRequest, started: number): void {
    const xid = req.xid;
    const ok = <T>(type: number, body: T) =>
      this.reply(c, started, () =>
        encodeResponse(xid, this.lastZxid, 0, type as typeof OpCode.getData, body as never),
      );
    switch (req.type) {
      case OpCode.exists: {
        const path = req.body.path;
        if (path === null || path.includes('\0')) throw new ZooOpError(ZooErrorCode.BADARGUMENTS);
        const node = this.tree.get(path);
        if (node !== undefined && !permitted(node.acl, Perms.read, c.authInfo))
          throw new ZooOpError(ZooErrorCode.NOAUTH);
        if (req.body.watch) {
          this.checkWatchCap(c, 'data', path);
          this.watches.addData(path, c);
        }
        if (node === undefined) throw new ZooOpError(ZooErrorCode.NONODE);
        const stat = statOf(node);
        this.readReply(c, started, path, (zxid) => encodeResponse(xid, zxid, 0, OpCode.exists, { stat }));
        return;
      }
      case OpCode.getData: {
        const node = this.readNode(req.body.path, Perms.read, c);
        if (req.body.watch) {
          this.checkWatchCap(c, 'data', req.body.path!);
          this.watches.addData(req.body.path!, c);
        }
        const body = { data: node.data, stat: statOf(node) };
        this.readReply(c, started, req.body.path!, (zxid) =>
          encodeResponse(xid, zxid, 0, OpCode.getData, body),
        );
        return;
      }
      case OpCode.getChildren:
      case OpCode.getChildren2: {
        const node = this.readNode(req.body.path, Perms.read, c);
        if (req.body.watch) {
          this.checkWatchCap(c, 'child', req.body.path!);
          this.watches.addChild(req.body.path!, c);
        }
        const children = [...node.children];
        const stat = statOf(node);
        const type = req.type;
        this.readReply(c, started, req.body.path!, (zxid) =>
          type === OpCode.getChildren
            ? encodeResponse(xid, zxid, 0, OpCode.getChildren, { children })
            : encodeResponse(xid, zxid, 0, OpCode.getChildren2, { children, stat }),
        );
        return;
      }
      case OpCode.getACL: {
        const node = this.readNode(req.body.path, Perms.read | Perms.admin, c);
        const admin = permitted(node.acl, Perms.admin, c.authInfo);
        const acl: ACL[] = admin
          ? node.acl
          : node.acl.map((a) =>
              a.id.scheme === 'digest'
                ? { perms: a.perms, id: { scheme: 'digest', id: `${(a.id.id ?? '').split(':')[0]}:x` } }
                : a,
            );
        ok(OpCode.getACL, { acl, stat: statOf(node) });
        return;
      }
      case OpCode.getAllChildrenNumber: {
        this.readNode(req.body.path, Perms.read, c);
        ok(OpCode.getAllChildrenNumber, { totalNumber: this.tree.countDescendants(req.body.path!) });
        return;
      }
      case OpCode.getEphemerals: {
        const prefix = req.body.prefixPath ?? '/';
        const mine = [...(this.tree.ephemerals.get(c.session!.id) ?? [])].filter(
          (p) => prefix === '/' || p.startsWith(prefix),
        );
        ok(OpCode.getEphemerals, { ephemerals: mine.sort() });
        return;
      }
      case OpCode.sync:
        ok(OpCode.sync, { path: req.body.path });
        return;
      case OpCode.multiRead: {
        const results: MultiResult[] = req.body.ops.map((op): MultiResult => {
          try {
            if (op.type === OpCode.getData) {
              const node = this.readNode(op.body.path, Perms.read, c);
              if (op.body.watch) {
                this.checkWatchCap(c, 'data', op.body.path!);
                this.watches.addData(op.body.path!, c);
              }
              return { type: OpCode.getData, body: { data: node.data, stat: statOf(node) } };
            }
            if (op.type === OpCode.getChildren) {
              const node = this.readNode(op.body.path, Perms.read, c);
              if (op.body.watch) {
                this.checkWatchCap(c, 'child', op.body.path!);
                this.watches.addChild(op.body.path!, c);
              }
              return { type: OpCode.getChildren, body: { children: [...node.children] } };
            }
            throw new ZooOpError(ZooErrorCode.BADARGUMENTS);
          } catch (e) {
            if (!(e instanceof ZooOpError)) throw e;
            return { type: OpCode.error, body: { err: e.code } };
          }
        });
        ok(OpCode.multiRead, { results });
        return;
      }
      case OpCode.checkWatches:
      case OpCode.removeWatches: {
        const path = pathOrNull(req.body.path);
        if (req.type === OpCode.checkWatches) {
          if (!this.watches.has(path, req.body.type, c)) throw new ZooOpError(ZooErrorCode.NOWATCHER);
        } else if (this.watches.remove(path, req.body.type, c) === null) {
          throw new ZooOpError(ZooErrorCode.NOWATCHER);
        }
        ok(req.type, null);
        return;
      }
      case OpCode.addWatch: {
        const path = req.body.path;
        if (path === null || path.includes('\0')) throw new ZooOpError(ZooErrorCode.BADARGUMENTS);
        this.checkWatchCap(c, req.body.mode === 1 ? 'recursive' : 'persistent', path);
        this.watches.addPersistent(path, c, req.body.mode === 1);
        ok(OpCode.addWatch, { err: 0 });
        return;
      }
      case OpCode.setWatches:
      case OpCode.setWatches2: {
        this.setWatches(c, req.body.relativeZxid, req.body, started);
        return;
      }
      case OpCode.whoAmI: {
        const clientInfo: ClientInfo[] = c.authInfo.map((a) => ({ authScheme: a.scheme, user: userOf(a) }));
        ok(OpCode.whoAmI, { clientInfo });
        return;
      }
      case OpCode.reconfig:
        throw new ZooOpError(ZooErrorCode.RECONFIGDISABLED);
      case OpCode.sasl:
        throw new ZooOpError(ZooErrorCode.UNIMPLEMENTED);
      default:
        throw new ZooOpError(ZooErrorCode.UNIMPLEMENTED);
    }
  }

  /** Sluice's per-session watch cap: a new watch beyond it fails the request with THROTTLEDOP. */
  private checkWatchCap(
    c: Connection,
    kind: 'data' | 'child' | 'persistent' | 'recursive',
    path: string,
  ): void {
    const cap = this.config.maxWatchesPerSession;
    if (cap > 0 && this.watches.countOf(c) >= cap && this.watches.wouldAdd(kind, path, c)) {
      throw new ZooOpError(ZooErrorCode.THROTTLEDOP);
    }
  }

  /** Re-arms a reconnecting client's watches, firing at once what changed since `rel`. */
  private setWatches(
    c: Connection,
    rel: bigint,
    body: {
      dataWatches: (string | null)[] | null;
      existWatches: (string | null)[] | null;
      childWatches: (string | null)[] | null;
      persistentWatches?: (string | null)[] | null;
      persistentRecursiveWatches?: (string | null)[] | null;
    },
    started: number,
  ): void {
    const events: { type: number; path: string }[] = [];
    for (const p of body.dataWatches ?? []) {
      if (p === null) continue;
      const n = this.tree.get(p);
      if (n === undefined) events.push({ type: EventType.nodeDeleted, path: p });
      else if (n.mzxid > rel) events.push({ type: EventType.nodeDataChanged, path: p });
      else this.watches.addData(p, c);
    }
    for (const p of body.existWatches ?? []) {
      if (p === null) continue;
      if (this.tree.get(p) !== undefined) events.push({ type: EventType.nodeCreated, path: p });
      else this.watches.addData(p, c);
    }
    for (const p of body.childWatches ?? []) {
      if (p === null) continue;
      const n = this.tree.get(p);
      if (n === undefined) events.push({ type: EventType.nodeDeleted, path: p });
      else if (n.pzxid > rel) events.push({ type: EventType.nodeChildrenChanged, path: p });
      else this.watches.addChild(p, c);
    }
    for (const p of body.persistentWatches ?? []) if (p !== null) this.watches.addPersistent(p, c, false);
    for (const p of body.persistentRecursiveWatches ?? [])
      if (p !== null) this.watches.addPersistent(p, c, true);
    const zxid = this.lastZxid;
    this.enqueue(
      true,
      () => {
        for (const e of events) {
          c.send(encodeNotification(zxid, { type: e.type, state: KeeperState.syncConnected, path: e.path }));
          this.packetsSent++;
        }
        this.record(c, started);
        c.send(encodeResponse(Xid.setWatches, zxid, 0, OpCode.setWatches, null));
        this.packetsSent++;
      },
      c,
    );
    const cap = this.config.maxWatchesPerSession;
    if (cap > 0 && this.watches.countOf(c) > cap) {
      this.logger.warn('setWatches exceeds the per-session watch cap; closing the connection', {
        sessionId: hex(c.session!.id),
        cap,
      });
      c.close();
    }
  }

  // ---- time ----

  /**
   * Expires sessions whose timeout passed (their ephemerals are deleted and watches fire) and reaps
   * empty containers and expired TTL nodes. Called every tick by the listener; tests call it after
   * stepping the clock.
   */
  tick(): void {
    if (this.failed !== null) return;
    const now = this.clock.now();
    for (const s of [...this.sessions.values()]) {
      if (s.closing || s.expiresAt > now) continue;
      s.closing = true;
      this.logger.info('session expired', { sessionId: hex(s.id), timeoutMs: s.timeoutMs });
      const conn = s.connection;
      this.write(null, 0, { type: 'closeSession', sessionId: s.id }, null, s.id, () => {
        this.sessions.delete(s.id);
      });
      conn?.close();
    }
    if (now - this.lastContainerCheck >= this.config.containerCheckIntervalMs) {
      this.lastContainerCheck = now;
      this.reapContainers(now);
    }
  }

  private reapContainers(now: number): void {
    const candidates: string[] = [];
    for (const p of this.tree.containers) {
      const n = this.tree.get(p);
      if (n !== undefined && n.children.size === 0 && n.cversion > 0) candidates.push(p);
    }
    for (const p of this.tree.ttls) {
      const n = this.tree.get(p);
      if (n === undefined || n.children.size > 0) continue;
      if (BigInt(now) - n.mtime > ttlOf(n.ephemeralOwner)) candidates.push(p);
    }
    for (const path of candidates) {
      const n = this.tree.get(path);
      if (n === undefined || n.children.size > 0) continue;
      this.write(null, 0, { type: 'delete', path }, null, 0n);
    }
  }

  /** Sessions whose expiry passed are closed with the next tick. */
  sessionsOf(): Session[] {
    return [...this.sessions.values()];
  }

  /** Closes every connection; pending writes still complete in the log. */
  async shutdown(): Promise<void> {
    for (const c of [...this.connections]) c.close();
    await this.store.wal.sync().catch(() => {});
  }
}

export function hex(n: bigint): string {
  return `0x${BigInt.asUintN(64, n).toString(16)}`;
}
