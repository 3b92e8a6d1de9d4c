import { ensurePath } from './sequential-queue.ts';
import type { ClientState, CreateOptions, ZooKeeperClient } from './zookeeper-client.ts';
import { ZooKeeperError } from './zookeeper-error.ts';

/**
 * Keeps an ephemeral node registered for as long as it is wanted: created now, and created again
 * whenever the client starts a new session after an expiry (use a client with
 * `renewExpiredSession: true`). A node left by an old session of ours... cannot exist (the server
 * removed it with that session); a node owned by another live session is waited out: the
 * registration watches it and takes the path once it is deleted.
 */
export class EphemeralRegistration {
  private readonly client: ZooKeeperClient;
  readonly path: string;
  private data: Buffer | string;
  private readonly options: CreateOptions;
  private stopped = false;
  private off: () => void = () => {};
  private registeredSession = 0n;
  private onRegisteredListeners = new Set<(sessionId: bigint) => void>();

  private constructor(client: ZooKeeperClient, path: string, data: Buffer | string, options: CreateOptions) {
    this.client = client;
    this.path = path;
    this.data = data;
    this.options = options;
  }

  /** Registers `path` (its parents are created when missing) and keeps it registered. */
  static async register(
    client: ZooKeeperClient,
    path: string,
    data: Buffer | string,
    options: Omit<CreateOptions, 'mode'> = {},
  ): Promise<EphemeralRegistration> {
    const r = new EphemeralRegistration(client, path, data, { ...options, mode: 'ephemeral' });
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (parent !== '') await ensurePath(client, parent);
    await r.ensure();
    r.off = client.onStateChange((state: ClientState) => {
      if (state === 'connected' && client.sessionId !== r.registeredSession) void r.ensure().catch(() => {});
    });
    return r;
  }

  /** The session that owns the node now (0 before the first registration). */
  get sessionId(): bigint {
    return this.registeredSession;
  }

  /** Called after each (re-)registration with the owning session id. */
  onRegistered(listener: (sessionId: bigint) => void): () => void {
    this.onRegisteredListeners.add(listener);
    return () => this.onRegisteredListeners.delete(listener);
  }

  /** Changes the registered data (kept for re-registrations). */
  async update(data: Buffer | string): Promise<void> {
    this.data = data;
    await this.client.setData(this.path, data);
  }

  private async ensure(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.client.create(this.path, this.data, this.options);
        this.registered();
        return;
      } catch (err) {
        if (!(err instanceof ZooKeeperError && err.code === 'NODEEXISTS')) throw err;
      }
      let wake: () => void = () => {};
      const gone = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const stat = await this.client.exists(this.path, { watch: () => wake() });
      if (stat === null) continue;
      if (stat.ephemeralOwner === this.client.sessionId) {
        this.registered();
        return;
      }
      await gone;
    }
  }

  private registered(): void {
    this.registeredSession = this.client.sessionId;
    for (const l of this.onRegisteredListeners) l(this.registeredSession);
  }

  /** Stops re-registering and deletes the node. */
  async unregister(): Promise<void> {
    this.stopped = true;
    this.off();
    try {
      await this.client.delete(this.path);
    } catch (err) {
      if (!(err instanceof ZooKeeperError && (err.code === 'NONODE' || err.code === 'SESSIONEXPIRED')))
        throw err;
    }
  }
}
