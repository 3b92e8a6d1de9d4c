/**
 * A ZooKeeper client on one TCP connection at a time:
 *
 *   connect   → ConnectRequest{protocolVersion 0, lastZxidSeen, timeOut, sessionId, passwd, readOnly}
 *             ← ConnectResponse (timeOut ≤ 0: the session expired)
 *   then      → auth packets (xid -4) to replay, SetWatches/SetWatches2 (xid -8) to replay,
 *               requests (xid 1, 2, ...) pipelined; pings (xid -2) when idle for timeout/3
 *             ← replies matched by xid, notifications (xid -1) dispatched to watchers
 *
 * When the connection drops, requests in flight fail with CONNECTIONLOSS (they may or may not
 * have been applied), requests not yet sent wait, and the client tries the next server in the
 * list with the same session id, password and lastZxidSeen. The server's answer decides: same
 * session (watches replayed, everything resumes) or expired (state 'expired'; with
 * `renewExpiredSession` a new session is started, which recipes use to re-create ephemerals).
 */
import { Socket } from 'node:net';
import { FrameDecoder } from '../../net/index.ts';
import {
  type ACL,
  AddWatchMode,
  CreateMode,
  decodeConnectResponse,
  decodeNotification,
  decodeResponse,
  EventType,
  encodeConnectRequest,
  encodeRequest,
  JUTE_MAX_BUFFER_DEFAULT,
  KeeperState,
  type MultiOp,
  OpCode,
  peekXid,
  type RequestBodies,
  type RequestType,
  type ResponseBodies,
  type Stat,
  WatcherType,
  Xid,
  ZooErrorCode,
} from '../protocol/index.ts';
import { OPEN_ACL_UNSAFE } from './acls.ts';
import { parseConnectString, type ServerAddress } from './connect-string.ts';
import { ZooKeeperError } from './zookeeper-error.ts';

/** The timer functions the client uses; tests may pass their own. */
export interface ClientTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: ClientTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type ClientState =
  | 'connecting'
  | 'connected'
  | 'connectedReadOnly'
  | 'expired'
  | 'authFailed'
  | 'closed';

export interface ZooKeeperClientOptions {
  /** `host:port,host:port[/chroot]`. */
  readonly connectString: string;
  /** Requested session timeout; the server clamps it to [2, 20] ticks. Default 30000. */
  readonly sessionTimeoutMs?: number;
  /** Accept a read-only server (sends readOnly = true). Default false. */
  readonly canBeReadOnly?: boolean;
  /** Resume an existing session. */
  readonly sessionId?: bigint;
  readonly sessionPassword?: Buffer;
  /** After an expiry, start a new session instead of staying expired. Default false. */
  readonly renewExpiredSession?: boolean;
  /** Give up `connect()` after this long without a session. Default: the session timeout. */
  readonly connectTimeoutMs?: number;
  readonly timers?: ClientTimers;
  /** Largest reply accepted (jute.maxbuffer). */
  readonly maxFrameBytes?: number;
}

export type CreateModeName = keyof typeof CreateMode;

export interface CreateOptions {
  readonly mode?: CreateModeName;
  readonly acl?: readonly ACL[];
  /** For the TTL modes: milliseconds without modification (and no children) before removal. */
  readonly ttlMs?: number;
}

/** A watch notification (one-shot or persistent), path relative to the chroot. */
export interface WatchEvent {
  readonly type: 'nodeCreated' | 'nodeDeleted' | 'nodeDataChanged' | 'nodeChildrenChanged' | 'none';
  /** The session state the event carries ('syncConnected' for node events; 'expired' when dropped). */
  readonly state: 'syncConnected' | 'expired' | 'closed';
  readonly path: string;
}

export type WatchListener = (event: WatchEvent) => void;

export interface WatchOption {
  /** A one-shot watch: called once with the next event on this path. */
  readonly watch?: WatchListener;
}

export type MultiOperation =
  | {
      readonly op: 'create';
      readonly path: string;
      readonly data?: Buffer | string;
      readonly options?: CreateOptions;
    }
  | { readonly op: 'delete'; readonly path: string; readonly version?: number }
  | {
      readonly op: 'setData';
      readonly path: string;
      readonly data: Buffer | string;
      readonly version?: number;
    }
  | { readonly op: 'check'; readonly path: string; readonly version: number };

export type MultiOperationResult =
  | { readonly op: 'create'; readonly path: string; readonly stat: Stat | null }
  | { readonly op: 'delete' }
  | { readonly op: 'setData'; readonly stat: Stat }
  | { readonly op: 'check' };

export type PersistentWatchMode = 'persistent' | 'persistentRecursive';

type WatchKind = 'data' | 'exist' | 'child';

interface Pending {
  readonly type: number;
  readonly path: string | undefined;
  /**
   * Runs with the reply's error code as the reply is read, before any later frame: a watch is
   * registered here, so a notification right behind its reply (same read) finds it.
   */
  readonly onReply?: ((err: number) => void) | undefined;
  resolve(body: unknown): void;
  reject(err: Error): void;
}

interface Queued {
  readonly type: RequestType;
  readonly body: unknown;
  readonly pending: Pending;
}

type SessionListener = (state: ClientState, client: ZooKeeperClient) => void;

const PROTOCOL_VERSION = 0;
const EMPTY_PASSWORD = Buffer.alloc(16);

function toBuffer(data: Buffer | string | undefined | null): Buffer {
  if (data === undefined || data === null) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function eventTypeName(type: number): WatchEvent['type'] {
  switch (type) {
    case EventType.nodeCreated:
      return 'nodeCreated';
    case EventType.nodeDeleted:
      return 'nodeDeleted';
    case EventType.nodeDataChanged:
      return 'nodeDataChanged';
    case EventType.nodeChildrenChanged:
      return 'nodeChildrenChanged';
    default:
      return 'none';
  }
}

function parentOf(path: string): string | null {
  if (path === '/') return null;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class ZooKeeperClient {
  readonly servers: readonly ServerAddress[];
  readonly chroot: string;
  private readonly requestedTimeoutMs: number;
  private readonly canBeReadOnly: boolean;
  private readonly renewExpiredSession: boolean;
  private readonly timers: ClientTimers;
  private readonly maxFrameBytes: number;

  private stateValue: ClientState = 'connecting';
  private sessionIdValue = 0n;
  private password: Buffer = EMPTY_PASSWORD;
  private negotiatedTimeoutMs = 0;
  private lastZxid = 0n;
  private nextXid = 1;
  private serverIndex: number;
  private socket: Socket | null = null;
  private handshakeDone = false;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Queued[] = [];
  private readonly authWaiters: Pending[] = [];
  private readonly auths: { scheme: string; auth: Buffer }[] = [];
  /** Server-side paths (chroot included) → listeners, per kind of one-shot watch. */
  private readonly watches: Record<WatchKind, Map<string, Set<WatchListener>>> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
  };
  private readonly persistent = new Map<string, Set<WatchListener>>();
  private readonly recursive = new Map<string, Set<WatchListener>>();
  private readonly stateListeners = new Set<SessionListener>();
  private pingTimer: unknown = null;
  private readTimer: unknown = null;
  private connectTimer: unknown = null;
  private retryTimer: unknown = null;
  private lastSendAt = 0;
  private attemptsWithoutSession = 0;
  private connectedConnection = 0;

  private constructor(options: ZooKeeperClientOptions) {
    const parsed = parseConnectString(options.connectString);
    this.servers = parsed.servers;
    this.chroot = parsed.chroot;
    this.requestedTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.canBeReadOnly = options.canBeReadOnly ?? false;
    this.renewExpiredSession = options.renewExpiredSession ?? false;
    this.timers = options.timers ?? systemTimers;
    this.maxFrameBytes = options.maxFrameBytes ?? JUTE_MAX_BUFFER_DEFAULT;
    if (options.sessionId !== undefined) this.sessionIdValue = options.sessionId;
    if (options.sessionPassword !== undefined) this.password = options.sessionPassword;
    // Like the Java client, start at a random server so clients spread over an ensemble.
    this.serverIndex = Math.floor(Math.random() * this.servers.length);
  }

  /** Connects and resolves once a session is established (rejects after connectTimeoutMs). */
  static async connect(options: ZooKeeperClientOptions): Promise<ZooKeeperClient> {
    const client = new ZooKeeperClient(options);
    const timeoutMs = options.connectTimeoutMs ?? client.requestedTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      const timer = client.timers.setTimeout(() => {
        client.stateListeners.delete(listener);
        void client.close();
        reject(new ZooKeeperError(ZooErrorCode.CONNECTIONLOSS, undefined));
      }, timeoutMs);
      const listener: SessionListener = (state) => {
        if (state === 'connected' || state === 'connectedReadOnly') {
          client.timers.clearTimeout(timer);
          client.stateListeners.delete(listener);
          resolve();
        } else if (state === 'expired' || state === 'authFailed' || state === 'closed') {
          client.timers.clearTimeout(timer);
          client.stateListeners.delete(listener);
          reject(
            new ZooKeeperError(state === 'expired' ? ZooErrorCode.SESSIONEXPIRED : ZooErrorCode.AUTHFAILED),
          );
        }
      };
      client.stateListeners.add(listener);
      client.startConnecting();
    });
    return client;
  }

  get state(): ClientState {
    return this.stateValue;
  }
  get sessionId(): bigint {
    return this.sessionIdValue;
  }
  get sessionPassword(): Buffer {
    return this.password;
  }
  get sessionTimeoutMs(): number {
    return this.negotiatedTimeoutMs;
  }
  get lastZxidSeen(): bigint {
    return this.lastZxid;
  }
  /** The server of the current (or last) connection. */
  get currentServer(): ServerAddress {
    return this.servers[this.serverIndex] as ServerAddress;
  }

  /** Calls `listener` on every state change; returns a function that unsubscribes. */
  onStateChange(listener: (state: ClientState) => void): () => void {
    const l: SessionListener = (s) => listener(s);
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  /** Resolves when the state becomes one of `states` (at once when it already is). */
  waitForState(...states: ClientState[]): Promise<ClientState> {
    if (states.includes(this.stateValue)) return Promise.resolve(this.stateValue);
    return new Promise((resolve) => {
      const off = this.onStateChange((s) => {
        if (states.includes(s)) {
          off();
          resolve(s);
        }
      });
    });
  }

  // ---- operations ----

  async create(
    path: string,
    data?: Buffer | string | null,
    options: CreateOptions = {},
  ): Promise<{ path: string; stat: Stat }> {
    const mode = CreateMode[options.mode ?? 'persistent'];
    const base = {
      path: this.serverPath(path),
      data: toBuffer(data),
      acl: [...(options.acl ?? OPEN_ACL_UNSAFE)],
      flags: mode,
    };
    let r: ResponseBodies[typeof OpCode.create2];
    if (mode === CreateMode.persistentWithTtl || mode === CreateMode.persistentSequentialWithTtl) {
      if (options.ttlMs === undefined) throw new TypeError('a TTL mode needs ttlMs');
      r = await this.request(OpCode.createTTL, { ...base, ttl: BigInt(options.ttlMs) }, path);
    } else if (mode === CreateMode.container) {
      r = await this.request(OpCode.createContainer, base, path);
    } else {
      r = await this.request(OpCode.create2, base, path);
    }
    return { path: this.clientPath(r.path ?? ''), stat: r.stat };
  }

  async delete(path: string, version = -1): Promise<void> {
    await this.request(OpCode.delete, { path: this.serverPath(path), version }, path);
  }

  /** The node's stat, or null when it does not exist (a watch is set either way). */
  async exists(path: string, options: WatchOption = {}): Promise<Stat | null> {
    const p = this.serverPath(path);
    const watch = options.watch;
    try {
      const r = await this.request(
        OpCode.exists,
        { path: p, watch: watch !== undefined },
        path,
        watch === undefined
          ? undefined
          : (err) => {
              if (err === 0) this.addWatcher('data', p, watch);
              else if (err === ZooErrorCode.NONODE) this.addWatcher('exist', p, watch);
            },
      );
      return r.stat;
    } catch (err) {
      if (err instanceof ZooKeeperError && err.zooCode === ZooErrorCode.NONODE) return null;
      throw err;
    }
  }

  async getData(path: string, options: WatchOption = {}): Promise<{ data: Buffer; stat: Stat }> {
    const p = this.serverPath(path);
    const watch = options.watch;
    const r = await this.request(
      OpCode.getData,
      { path: p, watch: watch !== undefined },
      path,
      watch === undefined ? undefined : (err) => err === 0 && this.addWatcher('data', p, watch),
    );
    return { data: r.data ?? Buffer.alloc(0), stat: r.stat };
  }

  async setData(path: string, data: Buffer | string | null, version = -1): Promise<Stat> {
    const r = await this.request(
      OpCode.setData,
      { path: this.serverPath(path), data: toBuffer(data), version },
      path,
    );
    return r.stat;
  }

  async getChildren(path: string, options: WatchOption = {}): Promise<string[]> {
    return (await this.getChildrenWithStat(path, options)).children;
  }

  async getChildrenWithStat(
    path: string,
    options: WatchOption = {},
  ): Promise<{ children: string[]; stat: Stat }> {
    const p = this.serverPath(path);
    const watch = options.watch;
    const r = await this.request(
      OpCode.getChildren2,
      { path: p, watch: watch !== undefined },
      path,
      watch === undefined ? undefined : (err) => err === 0 && this.addWatcher('child', p, watch),
    );
    return { children: (r.children ?? []).map((c) => c ?? ''), stat: r.stat };
  }

  async getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    const r = await this.request(OpCode.getACL, { path: this.serverPath(path) }, path);
    return { acl: r.acl ?? [], stat: r.stat };
  }

  async setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    const r = await this.request(
      OpCode.setACL,
      { path: this.serverPath(path), acl: [...acl], version },
      path,
    );
    return r.stat;
  }

  async sync(path: string): Promise<string> {
    const r = await this.request(OpCode.sync, { path: this.serverPath(path) }, path);
    return this.clientPath(r.path ?? path);
  }

  /** Number of descendants of `path` (getAllChildrenNumber). */
  async getAllChildrenNumber(path: string): Promise<number> {
    const r = await this.request(OpCode.getAllChildrenNumber, { path: this.serverPath(path) }, path);
    return r.totalNumber;
  }

  /** The identities the session is authenticated as (whoAmI, 3.7+). */
  async whoAmI(): Promise<{ scheme: string; user: string }[]> {
    const r = await this.request(OpCode.whoAmI, null, undefined);
    return (r.clientInfo ?? []).map((c) => ({ scheme: c.authScheme ?? '', user: c.user ?? '' }));
  }

  /**
   * All operations or none. Resolves with one result per operation; on failure rejects with a
   * ZooKeeperError whose `zooCode` is the first failure and `results` holds every op's code.
   */
  async multi(ops: readonly MultiOperation[]): Promise<MultiOperationResult[]> {
    const wire: MultiOp[] = ops.map((o): MultiOp => {
      const path = this.serverPath(o.path);
      switch (o.op) {
        case 'create': {
          const mode = CreateMode[o.options?.mode ?? 'persistent'];
          const body = {
            path,
            data: toBuffer(o.data),
            acl: [...(o.options?.acl ?? OPEN_ACL_UNSAFE)],
            flags: mode,
          };
          if (mode === CreateMode.persistentWithTtl || mode === CreateMode.persistentSequentialWithTtl) {
            return { type: OpCode.createTTL, body: { ...body, ttl: BigInt(o.options?.ttlMs ?? 0) } };
          }
          if (mode === CreateMode.container) return { type: OpCode.createContainer, body };
          return { type: OpCode.create2, body };
        }
        case 'delete':
          return { type: OpCode.delete, body: { path, version: o.version ?? -1 } };
        case 'setData':
          return { type: OpCode.setData, body: { path, data: toBuffer(o.data), version: o.version ?? -1 } };
        default:
          return { type: OpCode.check, body: { path, version: o.version } };
      }
    });
    const r = await this.request(OpCode.multi, { ops: wire }, undefined);
    const failed = r.results.find((x) => x.type === OpCode.error && x.body.err !== 0);
    if (failed !== undefined && failed.type === OpCode.error) {
      const results = r.results.map((x) => {
        const err = x.type === OpCode.error ? x.body.err : 0;
        return { err, name: new ZooKeeperError(err).code };
      });
      const index = results.findIndex((x) => x.err === failed.body.err);
      throw new ZooKeeperError(failed.body.err, ops[index]?.path, results);
    }
    return r.results.map((x): MultiOperationResult => {
      switch (x.type) {
        case OpCode.create:
          return { op: 'create', path: this.clientPath(x.body.path ?? ''), stat: null };
        case OpCode.create2:
        case OpCode.createContainer:
        case OpCode.createTTL:
          return { op: 'create', path: this.clientPath(x.body.path ?? ''), stat: x.body.stat };
        case OpCode.setData:
          return { op: 'setData', stat: x.body.stat };
        case OpCode.check:
          return { op: 'check' };
        default:
          return { op: 'delete' };
      }
    });
  }

  /**
   * A persistent watch (3.6+): every event on `path` (mode 'persistent') or on `path` and its
   * descendants except child changes (mode 'persistentRecursive'), until removeWatches.
   */
  async addWatch(path: string, mode: PersistentWatchMode, listener: WatchListener): Promise<void> {
    const p = this.serverPath(path);
    await this.request(
      OpCode.addWatch,
      { path: p, mode: mode === 'persistent' ? AddWatchMode.persistent : AddWatchMode.persistentRecursive },
      path,
      (err) => {
        if (err !== 0) return;
        const table = mode === 'persistent' ? this.persistent : this.recursive;
        let set = table.get(p);
        if (set === undefined) {
          set = new Set();
          table.set(p, set);
        }
        set.add(listener);
      },
    );
  }

  /**
   * Removes this session's watches of `type` on `path` on the server (RemoveWatches) and forgets
   * the local listeners. NOWATCHER when there is none of that type.
   */
  async removeWatches(
    path: string,
    type: 'children' | 'data' | 'any' | 'persistent' | 'persistentRecursive' = 'any',
  ): Promise<void> {
    const p = this.serverPath(path);
    await this.request(OpCode.removeWatches, { path: p, type: WatcherType[type] }, path);
    if (type === 'children' || type === 'any') this.watches.child.delete(p);
    if (type === 'data' || type === 'any') {
      this.watches.data.delete(p);
      this.watches.exist.delete(p);
    }
    if (type === 'persistent' || type === 'any') this.persistent.delete(p);
    if (type === 'persistentRecursive' || type === 'any') this.recursive.delete(p);
  }

  /** Adds an identity to the session (e.g. scheme 'digest', auth 'user:password'); replayed on reconnect. */
  async addAuth(scheme: string, auth: Buffer | string): Promise<void> {
    const a = { scheme, auth: toBuffer(auth) };
    this.auths.push(a);
    await new Promise<unknown>((resolve, reject) => {
      const waiter: Pending = { type: OpCode.auth, path: undefined, resolve, reject };
      if (this.isConnected()) this.sendAuth(a, waiter);
      else this.queue.push({ type: OpCode.auth, body: a, pending: waiter });
    });
  }

  /** Closes the session (ephemerals go at once) and the connection. */
  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    if (this.isConnected()) {
      try {
        await Promise.race([
          this.request(OpCode.closeSession, null, undefined),
          new Promise((r) =>
            this.timers.setTimeout(() => r(undefined), Math.max(1000, this.negotiatedTimeoutMs / 3)),
          ),
        ]);
      } catch {
        // the session is gone either way
      }
    }
    this.shutdown('closed', ZooErrorCode.CONNECTIONLOSS);
  }

  /**
   * Drops the TCP connection without closing the session (the client reconnects, to the next
   * server). For tests and for callers that know a server is unhealthy.
   */
  disconnect(): void {
    this.socket?.destroy();
  }

  // ---- paths ----

  private serverPath(path: string): string {
    if (this.chroot === '') return path;
    return path === '/' ? this.chroot : this.chroot + path;
  }

  private clientPath(path: string): string {
    if (this.chroot === '') return path;
    if (path === this.chroot) return '/';
    return path.startsWith(`${this.chroot}/`) ? path.slice(this.chroot.length) : path;
  }

  // ---- requests ----

  private isConnected(): boolean {
    return (this.stateValue === 'connected' || this.stateValue === 'connectedReadOnly') && this.handshakeDone;
  }

  private request<K extends RequestType & keyof ResponseBodies>(
    type: K,
    body: RequestBodies[K],
    path: string | undefined,
    onReply?: (err: number) => void,
  ): Promise<ResponseBodies[K]> {
    const dead = this.deadError();
    if (dead !== null) return Promise.reject(dead);
    return new Promise<ResponseBodies[K]>((resolve, reject) => {
      const pending: Pending = { type, path, onReply, resolve: resolve as (b: unknown) => void, reject };
      if (this.isConnected()) this.send(type, body, pending);
      else this.queue.push({ type, body, pending });
    });
  }

  private deadError(): ZooKeeperError | null {
    if (this.stateValue === 'closed') return new ZooKeeperError(ZooErrorCode.CONNECTIONLOSS);
    if (this.stateValue === 'expired' && !this.renewExpiredSession)
      return new ZooKeeperError(ZooErrorCode.SESSIONEXPIRED);
    if (this.stateValue === 'authFailed') return new ZooKeeperError(ZooErrorCode.AUTHFAILED);
    return null;
  }

  private send(type: RequestType, body: unknown, pending: Pending): void {
    if (type === OpCode.auth) {
      this.sendAuth(body as { scheme: string; auth: Buffer }, pending);
      return;
    }
    const xid = this.nextXid;
    this.nextXid = this.nextXid >= 0x7fffffff ? 1 : this.nextXid + 1;
    this.pending.set(xid, pending);
    this.write(encodeRequest(xid, type, body as never));
  }

  private sendAuth(a: { scheme: string; auth: Buffer }, waiter: Pending | null): void {
    if (waiter !== null) this.authWaiters.push(waiter);
    else this.authWaiters.push({ type: OpCode.auth, path: undefined, resolve: () => {}, reject: () => {} });
    this.write(encodeRequest(Xid.auth, OpCode.auth, { type: 0, scheme: a.scheme, auth: a.auth }));
  }

  private write(chunks: Buffer[]): void {
    this.socket?.write(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    this.lastSendAt = Date.now();
  }

  // ---- connection ----

  private startConnecting(): void {
    if (this.stateValue === 'closed') return;
    const server = this.servers[this.serverIndex] as ServerAddress;
    const socket = new Socket();
    socket.setNoDelay(true);
    this.socket = socket;
    this.handshakeDone = false;
    const decoder = new FrameDecoder(this.maxFrameBytes);
    const connection = ++this.connectedConnection;
    const timeout = this.negotiatedTimeoutMs > 0 ? this.negotiatedTimeoutMs : this.requestedTimeoutMs;
    // Java: connect timeout = session timeout / number of servers.
    this.connectTimer = this.timers.setTimeout(
      () => socket.destroy(),
      Math.max(500, timeout / this.servers.length),
    );
    socket.on('connect', () => {
      this.write(
        encodeConnectRequest(
          {
            protocolVersion: PROTOCOL_VERSION,
            lastZxidSeen: this.lastZxid,
            timeOut: this.requestedTimeoutMs,
            sessionId: this.sessionIdValue,
            passwd: this.password,
            readOnly: this.canBeReadOnly,
          },
          true,
        ),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (connection !== this.connectedConnection) return;
      decoder.push(chunk);
      this.armReadTimer();
      try {
        for (let frame = decoder.next(); frame !== null; frame = decoder.next()) {
          if (this.handshakeDone) this.onFrame(frame);
          else this.onHandshake(frame);
          if (this.socket !== socket) return;
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => {
      // 'close' follows
    });
    socket.on('close', () => {
      if (connection !== this.connectedConnection) return;
      this.onConnectionLost();
    });
    socket.connect({ host: server.host, port: server.port });
  }

  private onHandshake(frame: Buffer): void {
    const { message } = decodeConnectResponse(frame, this.maxFrameBytes);
    this.timers.clearTimeout(this.connectTimer);
    if (message.timeOut <= 0) {
      this.onExpired();
      return;
    }
    const renewed = this.sessionIdValue !== 0n && this.sessionIdValue !== message.sessionId;
    this.sessionIdValue = message.sessionId;
    this.password = message.passwd ?? EMPTY_PASSWORD;
    this.negotiatedTimeoutMs = message.timeOut;
    this.handshakeDone = true;
    this.attemptsWithoutSession = 0;
    if (renewed) this.dropAllWatches('expired');
    // Replay identities, then watches, then queued requests, in that order on the wire.
    for (const a of this.auths) this.sendAuth(a, null);
    this.replayWatches();
    this.setState(message.readOnly ? 'connectedReadOnly' : 'connected');
    const queued = this.queue.splice(0);
    for (const q of queued) this.send(q.type, q.body, q.pending);
    this.armPing();
    this.armReadTimer();
  }

  private replayWatches(): void {
    const paths = (m: Map<string, Set<WatchListener>>) => [...m.keys()];
    const dataWatches = paths(this.watches.data);
    const existWatches = paths(this.watches.exist);
    const childWatches = paths(this.watches.child);
    const persistentWatches = paths(this.persistent);
    const persistentRecursiveWatches = paths(this.recursive);
    const total =
      dataWatches.length +
      existWatches.length +
      childWatches.length +
      persistentWatches.length +
      persistentRecursiveWatches.length;
    if (total === 0) return;
    const pending: Pending = {
      type: OpCode.setWatches,
      path: undefined,
      resolve: () => {},
      reject: () => {},
    };
    this.pending.set(Xid.setWatches, pending);
    if (persistentWatches.length + persistentRecursiveWatches.length > 0) {
      this.write(
        encodeRequest(Xid.setWatches, OpCode.setWatches2, {
          relativeZxid: this.lastZxid,
          dataWatches,
          existWatches,
          childWatches,
          persistentWatches,
          persistentRecursiveWatches,
        }),
      );
    } else {
      this.write(
        encodeRequest(Xid.setWatches, OpCode.setWatches, {
          relativeZxid: this.lastZxid,
          dataWatches,
          existWatches,
          childWatches,
        }),
      );
    }
  }

  private onFrame(frame: Buffer): void {
    const xid = peekXid(frame);
    if (xid === Xid.notification) {
      const { zxid, event } = decodeNotification(frame);
      if (zxid > this.lastZxid) this.lastZxid = zxid;
      this.onNotification(event.type, event.path ?? '');
      return;
    }
    if (xid === Xid.ping) return;
    if (xid === Xid.auth) {
      const r = decodeResponse(frame, OpCode.auth, this.maxFrameBytes);
      const waiter = this.authWaiters.shift();
      if (r.err !== 0) {
        waiter?.reject(new ZooKeeperError(r.err));
        this.shutdown('authFailed', ZooErrorCode.AUTHFAILED);
      } else waiter?.resolve(null);
      return;
    }
    const p = this.pending.get(xid);
    if (p === undefined) throw new Error(`reply for unknown xid ${xid}`);
    this.pending.delete(xid);
    let r: { zxid: bigint; err: number; body: unknown };
    try {
      r = this.decodeReply(frame, p.type);
    } catch (err) {
      p.reject(err as Error);
      throw err;
    }
    if (r.zxid > 0n && r.zxid > this.lastZxid) this.lastZxid = r.zxid;
    p.onReply?.(r.err);
    if (r.err !== 0) p.reject(new ZooKeeperError(r.err, p.path));
    else p.resolve(r.body);
  }

  private decodeReply(frame: Buffer, type: number): { zxid: bigint; err: number; body: unknown } {
    return decodeResponse(frame, type as RequestType & keyof ResponseBodies, this.maxFrameBytes);
  }

  private onNotification(type: number, serverPath: string): void {
    const event: WatchEvent = {
      type: eventTypeName(type),
      state: 'syncConnected',
      path: this.clientPath(serverPath),
    };
    const fire: WatchListener[] = [];
    const take = (kind: WatchKind) => {
      const set = this.watches[kind].get(serverPath);
      if (set !== undefined) {
        this.watches[kind].delete(serverPath);
        fire.push(...set);
      }
    };
    switch (type) {
      case EventType.nodeCreated:
      case EventType.nodeDataChanged:
        take('data');
        take('exist');
        break;
      case EventType.nodeDeleted:
        take('data');
        take('exist');
        take('child');
        break;
      case EventType.nodeChildrenChanged:
        take('child');
        break;
    }
    fire.push(...(this.persistent.get(serverPath) ?? []));
    if (type !== EventType.nodeChildrenChanged) {
      for (let p: string | null = serverPath; p !== null; p = parentOf(p))
        fire.push(...(this.recursive.get(p) ?? []));
    }
    for (const l of new Set(fire)) l(event);
  }

  private addWatcher(kind: WatchKind, serverPath: string, listener: WatchListener): void {
    let set = this.watches[kind].get(serverPath);
    if (set === undefined) {
      set = new Set();
      this.watches[kind].set(serverPath, set);
    }
    set.add(listener);
  }

  private dropAllWatches(state: 'expired' | 'closed'): void {
    const listeners = new Set<WatchListener>();
    for (const table of [
      this.watches.data,
      this.watches.exist,
      this.watches.child,
      this.persistent,
      this.recursive,
    ]) {
      for (const set of table.values()) for (const l of set) listeners.add(l);
      table.clear();
    }
    for (const l of listeners) l({ type: 'none', state, path: '' });
  }

  private armPing(): void {
    this.timers.clearTimeout(this.pingTimer);
    const interval = Math.max(1, Math.floor(this.negotiatedTimeoutMs / 3));
    this.pingTimer = this.timers.setTimeout(() => {
      if (!this.isConnected()) return;
      if (Date.now() - this.lastSendAt >= interval - 5)
        this.write(encodeRequest(Xid.ping, OpCode.ping, null));
      this.armPing();
    }, interval);
  }

  /** No bytes for 2/3 of the session timeout: the server is gone; try another before expiry. */
  private armReadTimer(): void {
    this.timers.clearTimeout(this.readTimer);
    if (this.negotiatedTimeoutMs <= 0 || !this.handshakeDone) return;
    const socket = this.socket;
    this.readTimer = this.timers.setTimeout(
      () => socket?.destroy(),
      Math.floor((this.negotiatedTimeoutMs * 2) / 3),
    );
  }

  private failInFlight(code: number): void {
    for (const [, p] of this.pending) p.reject(new ZooKeeperError(code, p.path));
    this.pending.clear();
    for (const w of this.authWaiters.splice(0)) w.reject(new ZooKeeperError(code));
  }

  private onConnectionLost(): void {
    this.clearTimers();
    this.socket = null;
    const wasConnected = this.handshakeDone;
    this.handshakeDone = false;
    this.failInFlight(ZooErrorCode.CONNECTIONLOSS);
    if (this.stateValue === 'closed' || this.stateValue === 'authFailed') return;
    if (this.stateValue === 'expired' && !this.renewExpiredSession) return;
    if (wasConnected || this.stateValue !== 'connecting') this.setState('connecting');
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    this.attemptsWithoutSession++;
    // Back off a little once every server was tried without success.
    const delay =
      this.attemptsWithoutSession >= this.servers.length
        ? Math.min(1000, 50 * this.attemptsWithoutSession)
        : 0;
    this.retryTimer = this.timers.setTimeout(() => this.startConnecting(), delay);
  }

  private onExpired(): void {
    this.handshakeDone = false;
    this.failInFlight(ZooErrorCode.SESSIONEXPIRED);
    this.dropAllWatches('expired');
    this.sessionIdValue = 0n;
    this.password = EMPTY_PASSWORD;
    this.lastZxid = 0n;
    if (this.renewExpiredSession) {
      this.setState('expired');
      // A new session; the socket is closed by the server, and onConnectionLost reconnects.
      this.socket?.destroy();
      return;
    }
    for (const q of this.queue.splice(0))
      q.pending.reject(new ZooKeeperError(ZooErrorCode.SESSIONEXPIRED, q.pending.path));
    const socket = this.socket;
    this.socket = null;
    this.connectedConnection++;
    socket?.destroy();
    this.clearTimers();
    this.setState('expired');
  }

  private shutdown(state: 'closed' | 'authFailed', code: number): void {
    this.connectedConnection++;
    this.clearTimers();
    this.socket?.destroy();
    this.socket = null;
    this.handshakeDone = false;
    this.failInFlight(code);
    for (const q of this.queue.splice(0)) q.pending.reject(new ZooKeeperError(code, q.pending.path));
    this.dropAllWatches('closed');
    this.setState(state);
  }

  private clearTimers(): void {
    for (const t of [this.pingTimer, this.readTimer, this.connectTimer, this.retryTimer])
      this.timers.clearTimeout(t);
  }

  private setState(state: ClientState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    for (const l of [...this.stateListeners]) l(state, this);
  }
}

/** ZooKeeper's KeeperState number for each client state (for callers that log or map them). */
export const KEEPER_STATE_OF: Readonly<Record<ClientState, number>> = Object.freeze({
  connecting: KeeperState.disconnected,
  connected: KeeperState.syncConnected,
  connectedReadOnly: KeeperState.connectedReadOnly,
  expired: KeeperState.expired,
  authFailed: KeeperState.authFailed,
  closed: KeeperState.closed,
});
