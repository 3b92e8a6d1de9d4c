/**
 * The shared core of the election and lock recipes: each participant owns an ephemeral sequential
 * child of `dir`; the lowest sequence number is first, and every other participant watches only
 * its predecessor (no herd effect: one deletion wakes one waiter).
 */
import type { ZooKeeperClient } from './zookeeper-client.ts';
import { ZooKeeperError } from './zookeeper-error.ts';

/** The 10-digit counter ZooKeeper appends to a sequential node's name. */
export function sequenceOf(name: string): number {
  return Number(name.slice(-10));
}

/** Creates `path` and its missing ancestors as persistent nodes (existing ones are fine). */
export async function ensurePath(client: ZooKeeperClient, path: string): Promise<void> {
  let at = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    at += `/${part}`;
    try {
      await client.create(at);
    } catch (err) {
      if (!(err instanceof ZooKeeperError && err.code === 'NODEEXISTS')) throw err;
    }
  }
}

export class SequentialQueue {
  readonly client: ZooKeeperClient;
  readonly dir: string;
  readonly prefix: string;
  /** Our node's full path once joined. */
  node: string | null = null;

  constructor(client: ZooKeeperClient, dir: string, prefix: string) {
    this.client = client;
    this.dir = dir;
    this.prefix = prefix;
  }

  async join(data: Buffer | string): Promise<string> {
    await ensurePath(this.client, this.dir);
    const { path } = await this.client.create(`${this.dir}/${this.prefix}`, data, {
      mode: 'ephemeralSequential',
    });
    this.node = path;
    return path;
  }

  /**
   * Resolves true once our node is the lowest, false if `cancelled` resolves first (or our node
   * vanished, e.g. after an expiry).
   */
  async waitUntilFirst(cancelled: Promise<void>): Promise<boolean> {
    let stop = false;
    void cancelled.then(() => {
      stop = true;
    });
    for (;;) {
      if (stop || this.node === null) return false;
      const mine = this.node.slice(this.dir.length + 1);
      const children = (await this.client.getChildren(this.dir))
        .filter((c) => c.startsWith(this.prefix))
        .sort((a, b) => sequenceOf(a) - sequenceOf(b));
      const index = children.indexOf(mine);
      if (index < 0) return false;
      if (index === 0) return true;
      const predecessor = `${this.dir}/${children[index - 1]}`;
      let wake: () => void = () => {};
      const changed = new Promise<void>((resolve) => {
        wake = resolve;
      });
      const stat = await this.client.exists(predecessor, { watch: () => wake() });
      if (stat === null) continue;
      await Promise.race([changed, cancelled]);
    }
  }

  async leave(): Promise<void> {
    const node = this.node;
    this.node = null;
    if (node === null) return;
    try {
      await this.client.delete(node);
    } catch (err) {
      if (!(err instanceof ZooKeeperError && err.code === 'NONODE')) throw err;
    }
  }
}
