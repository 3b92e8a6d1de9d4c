import { SequentialQueue } from './sequential-queue.ts';
import type { ZooKeeperClient } from './zookeeper-client.ts';

/**
 * Leader election: every candidate creates `<dir>/candidate-<seq>` (ephemeral sequential); the
 * lowest is the leader, each other candidate watches its predecessor. When the leader's session
 * ends (close, crash, expiry) its node goes and its successor becomes leader.
 */
export class LeaderElection {
  private readonly queue: SequentialQueue;
  private cancel: () => void = () => {};
  private readonly cancelled: Promise<void>;
  private leader = false;

  constructor(client: ZooKeeperClient, dir: string) {
    this.queue = new SequentialQueue(client, dir, 'candidate-');
    this.cancelled = new Promise<void>((resolve) => {
      this.cancel = resolve;
    });
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** Our candidate node, once joined. */
  get node(): string | null {
    return this.queue.node;
  }

  /** Joins (with `data`, e.g. the candidate's address) and resolves true once leader, false if resigned first. */
  async run(data: Buffer | string = ''): Promise<boolean> {
    await this.queue.join(data);
    this.leader = await this.queue.waitUntilFirst(this.cancelled);
    return this.leader;
  }

  /** The current leader's data, or null when there are no candidates. */
  async currentLeader(): Promise<{ node: string; data: Buffer } | null> {
    const { client, dir } = this.queue;
    for (;;) {
      const children = (await client.getChildren(dir)).filter((c) => c.startsWith('candidate-')).sort();
      const first = children[0];
      if (first === undefined) return null;
      try {
        return { node: `${dir}/${first}`, data: (await client.getData(`${dir}/${first}`)).data };
      } catch {
        // it left between the two reads: look again
      }
    }
  }

  /** Leaves the election (deletes our node); a waiting `run()` resolves false. */
  async resign(): Promise<void> {
    this.leader = false;
    this.cancel();
    await this.queue.leave();
  }
}
