import {
  type AssignorMember,
  compareStrings,
  normalizeAssignment,
  type ServerAssignor,
  type TopicAssignment,
} from './server-assignor.ts';

/**
 * KIP-848's "uniform" server assignor (the default): all partitions of the subscribed topics are
 * spread so that members' partition counts are as even as their subscriptions allow, and it is
 * sticky: a member keeps the partitions of its current target assignment unless balance needs them
 * elsewhere, so a membership change moves as few partitions as possible.
 *
 * Three passes: (1) every member keeps its current partitions that still exist, are still
 * subscribed and are not claimed twice; (2) each remaining partition goes to the least loaded
 * subscriber of its topic (topics with fewer subscribers first, as they have fewer choices);
 * (3) while some member holds at least two more partitions than a member that could take one of
 * them, one partition moves. With identical subscriptions this ends with counts differing by at
 * most one; with different subscriptions it is a greedy balance (not a proven optimum).
 */
export const uniformAssignor: ServerAssignor = {
  name: 'uniform',
  assign(members, partitionCounts) {
    const sorted = [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
    const held = new Map<string, Map<string, Set<number>>>();
    const load = new Map<string, number>();
    for (const m of sorted) {
      held.set(m.memberId, new Map());
      load.set(m.memberId, 0);
    }
    const taken = new Map<string, Set<number>>();
    const give = (m: AssignorMember, topicId: string, partition: number): void => {
      const mine = held.get(m.memberId) as Map<string, Set<number>>;
      let set = mine.get(topicId);
      if (set === undefined) {
        set = new Set();
        mine.set(topicId, set);
      }
      set.add(partition);
      load.set(m.memberId, (load.get(m.memberId) ?? 0) + 1);
      let t = taken.get(topicId);
      if (t === undefined) {
        t = new Set();
        taken.set(topicId, t);
      }
      t.add(partition);
    };

    // 1. Stickiness.
    for (const m of sorted) {
      for (const [topicId, partitions] of m.currentAssignment) {
        const count = partitionCounts.get(topicId);
        if (count === undefined || !m.subscribedTopicIds.has(topicId)) continue;
        for (const p of partitions) {
          if (Number.isInteger(p) && p >= 0 && p < count && !taken.get(topicId)?.has(p)) give(m, topicId, p);
        }
      }
    }

    // 2. Unassigned partitions to the least loaded eligible member.
    const subscribersOf = new Map<string, AssignorMember[]>();
    for (const topicId of partitionCounts.keys()) {
      subscribersOf.set(
        topicId,
        sorted.filter((m) => m.subscribedTopicIds.has(topicId)),
      );
    }
    const topics = [...partitionCounts.keys()].sort((a, b) => {
      const d = (subscribersOf.get(a)?.length ?? 0) - (subscribersOf.get(b)?.length ?? 0);
      return d !== 0 ? d : compareStrings(a, b);
    });
    for (const topicId of topics) {
      const subscribers = subscribersOf.get(topicId) ?? [];
      if (subscribers.length === 0) continue;
      const count = partitionCounts.get(topicId) ?? 0;
      for (let p = 0; p < count; p++) {
        if (taken.get(topicId)?.has(p)) continue;
        let best = subscribers[0] as AssignorMember;
        for (const m of subscribers)
          if ((load.get(m.memberId) ?? 0) < (load.get(best.memberId) ?? 0)) best = m;
        give(best, topicId, p);
      }
    }

    // 3. Balance: move one partition at a time from a member with at least two more than a
    // member that subscribes to one of its topics. Each move lowers the sum of squared loads, so
    // this ends.
    const byId = new Map(sorted.map((m) => [m.memberId, m]));
    for (;;) {
      const order = [...sorted].sort((a, b) => {
        const d = (load.get(b.memberId) ?? 0) - (load.get(a.memberId) ?? 0);
        return d !== 0 ? d : compareStrings(a.memberId, b.memberId);
      });
      let moved = false;
      outer: for (const from of order) {
        for (let i = order.length - 1; i >= 0; i--) {
          const to = order[i] as AssignorMember;
          if ((load.get(from.memberId) ?? 0) - (load.get(to.memberId) ?? 0) <= 1) break;
          // The topic of which `from` holds the most and `to` subscribes to.
          let bestTopic: string | undefined;
          let bestSize = 0;
          for (const [topicId, set] of held.get(from.memberId) ?? []) {
            if (set.size > bestSize && to.subscribedTopicIds.has(topicId)) {
              bestTopic = topicId;
              bestSize = set.size;
            }
          }
          if (bestTopic === undefined) continue;
          const set = held.get(from.memberId)?.get(bestTopic) as Set<number>;
          const partition = Math.max(...set);
          set.delete(partition);
          load.set(from.memberId, (load.get(from.memberId) ?? 0) - 1);
          taken.get(bestTopic)?.delete(partition);
          give(byId.get(to.memberId) as AssignorMember, bestTopic, partition);
          moved = true;
          break outer;
        }
      }
      if (!moved) break;
    }

    const result = new Map<string, TopicAssignment>();
    for (const m of members) {
      const a: TopicAssignment = new Map();
      for (const [topicId, set] of held.get(m.memberId) ?? []) a.set(topicId, [...set]);
      result.set(m.memberId, normalizeAssignment(a));
    }
    return result;
  },
};
