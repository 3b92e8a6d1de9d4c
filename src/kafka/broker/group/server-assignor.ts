/**
 * The server-side partition assignors of KIP-848 consumer groups (`group.consumer.assignors`):
 * pure functions from the members' subscriptions and current target assignment plus the
 * partition counts of the subscribed topics to a new target assignment.
 */

/** Topic id (UUID string) → partitions, ascending. */
export type TopicAssignment = Map<string, number[]>;

export interface AssignorMember {
  readonly memberId: string;
  /** Ids of the existing topics the member subscribes to. */
  readonly subscribedTopicIds: ReadonlySet<string>;
  /** The member's current target assignment (what a sticky assignor tries to keep). */
  readonly currentAssignment: ReadonlyMap<string, readonly number[]>;
}

export interface ServerAssignor {
  /** The name clients pick with `group.remote.assignor` (ConsumerGroupHeartbeat `ServerAssignor`). */
  readonly name: string;
  /**
   * Every member id gets an entry (possibly empty); every partition of a topic someone subscribes
   * to goes to exactly one subscriber of that topic. `partitionCounts` holds the subscribed topics.
   */
  assign(
    members: readonly AssignorMember[],
    partitionCounts: ReadonlyMap<string, number>,
  ): Map<string, TopicAssignment>;
}

/** Sorts every partition list of an assignment ascending and drops empty topics. */
export function normalizeAssignment(assignment: TopicAssignment): TopicAssignment {
  const out: TopicAssignment = new Map();
  for (const topicId of [...assignment.keys()].sort()) {
    const partitions = assignment.get(topicId);
    if (partitions === undefined || partitions.length === 0) continue;
    out.set(
      topicId,
      [...partitions].sort((a, b) => a - b),
    );
  }
  return out;
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
