import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rangeAssignor } from './range-assignor.ts';
import type { AssignorMember, TopicAssignment } from './server-assignor.ts';

/** Every partition of a subscribed topic exactly once, to a subscriber; nothing else. */
function assertValid(
  members: readonly AssignorMember[],
  counts: ReadonlyMap<string, number>,
  result: Map<string, TopicAssignment>,
): void {
  const owner = new Map<string, string>();
  for (const m of members) {
    for (const [topic, partitions] of result.get(m.memberId) ?? []) {
      assert.ok(m.subscribedTopicIds.has(topic), `${m.memberId} got unsubscribed ${topic}`);
      for (const p of partitions) {
        assert.ok(p >= 0 && p < (counts.get(topic) ?? 0) && !owner.has(`${topic}/${p}`), `${topic}/${p}`);
        owner.set(`${topic}/${p}`, m.memberId);
      }
    }
  }
  for (const [topic, n] of counts) {
    const subscribed = members.some((m) => m.subscribedTopicIds.has(topic));
    for (let p = 0; p < n; p++) assert.equal(owner.has(`${topic}/${p}`), subscribed, `${topic}/${p}`);
  }
}

const TOPICS = ['t-a', 't-b', 't-c'];

describe('range assignor', () => {
  it('gives each subscriber of a topic a contiguous range, in member id order, sizes within one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
        fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 1, maxLength: 7 }),
        (partitionCounts, subscriptions) => {
          const counts = new Map(TOPICS.map((t, i) => [t, partitionCounts[i] as number]));
          // Member ids deliberately not in creation order.
          const members: AssignorMember[] = subscriptions.map((s, i) => ({
            memberId: `m-${(i * 7919) % 1000}`,
            subscribedTopicIds: new Set(s),
            currentAssignment: new Map(),
          }));
          const result = rangeAssignor.assign(members, counts);
          assertValid(members, counts, result);
          for (const topic of TOPICS) {
            const subscribers = members
              .filter((m) => m.subscribedTopicIds.has(topic))
              .sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
            let next = 0;
            const sizes: number[] = [];
            for (const m of subscribers) {
              const ps = result.get(m.memberId)?.get(topic) ?? [];
              assert.deepEqual(
                ps,
                ps.map((_, i) => next + i),
                `${m.memberId} ${topic} not the next contiguous range`,
              );
              next += ps.length;
              sizes.push(ps.length);
            }
            if (sizes.length > 0) {
              assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${topic} sizes ${sizes}`);
              // The larger ranges come first.
              assert.deepEqual(
                sizes,
                [...sizes].sort((a, b) => b - a),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('co-partitions: members with the same subscriptions get the same partition numbers of each topic', () => {
    const counts = new Map([
      ['orders', 6],
      ['payments', 6],
    ]);
    const members: AssignorMember[] = ['c2', 'c1', 'c3'].map((id) => ({
      memberId: id,
      subscribedTopicIds: new Set(['orders', 'payments']),
      currentAssignment: new Map(),
    }));
    const result = rangeAssignor.assign(members, counts);
    assert.deepEqual(
      result.get('c1'),
      new Map([
        ['orders', [0, 1]],
        ['payments', [0, 1]],
      ]),
    );
    assert.deepEqual(result.get('c3')?.get('orders'), [4, 5]);
  });
});
