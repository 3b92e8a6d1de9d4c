import {
  compareStrings,
  normalizeAssignment,
  type ServerAssignor,
  type TopicAssignment,
} from './server-assignor.ts';

/**
 * KIP-848's "range" server assignor: per topic, the subscribers of that topic in member id order
 * get contiguous ranges of partitions, the first `count % subscribers` one partition more. Members
 * that subscribe to the same topics with the same partition counts thus get the same partition
 * numbers of each (co-partitioning), which is what joins over keyed topics rely on.
 */
export const rangeAssignor: ServerAssignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const result = new Map<string, TopicAssignment>();
    for (const m of members) result.set(m.memberId, new Map());
    const sorted = [...members].sort((a, b) => compareStrings(a.memberId, b.memberId));
    for (const topicId of [...partitionCounts.keys()].sort()) {
      const count = partitionCounts.get(topicId) ?? 0;
      const subscribers = sorted.filter((m) => m.subscribedTopicIds.has(topicId));
      if (subscribers.length === 0 || count <= 0) continue;
      const base = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((m, i) => {
        const n = base + (i < extra ? 1 : 0);
        if (n === 0) return;
        const partitions: number[] = [];
        for (let p = next; p < next + n; p++) partitions.push(p);
        next += n;
        result.get(m.memberId)?.set(topicId, partitions);
      });
    }
    for (const [id, a] of result) result.set(id, normalizeAssignment(a));
    return result;
  },
};
