import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rangeAssignor } from './range-assignor.ts';
import type { AssignorMember, ServerAssignor, TopicAssignment } from './server-assignor.ts';
import { uniformAssignor } from './uniform-assignor.ts';

const TOPICS = ['t-a', 't-b', 't-c', 't-d'];

/** Topics with 1-12 partitions and 1-8 members subscribing to non-empty subsets of them. */
const groupArb = fc
  .record({
    counts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
    subscriptions: fc.array(fc.subarray(TOPICS, { minLength: 1 }), { minLength: 1, maxLength: 8 }),
  })
  .map(({ counts, subscriptions }) => ({
    counts: new Map(TOPICS.map((t, i) => [t, counts[i] as number])),
    members: subscriptions.map(
      (s, i): AssignorMember => ({
        memberId: `m-${String(i).padStart(2, '0')}`,
        subscribedTopicIds: new Set(s),
        currentAssignment: new Map(),
      }),
    ),
  }));

function total(a: TopicAssignment | undefined): number {
  let n = 0;
  for (const ps of a?.values() ?? []) n += ps.length;
  return n;
}

/** Every partition of a subscribed topic exactly once, to a subscriber; nothing else. */
function assertValid(
  assignor: ServerAssignor,
  members: readonly AssignorMember[],
  counts: ReadonlyMap<string, number>,
  result: Map<string, TopicAssignment>,
): void {
  assert.deepEqual(
    [...result.keys()].sort(),
    members.map((m) => m.memberId).sort(),
    `${assignor.name}: members`,
  );
  const owner = new Map<string, string>();
  for (const m of members) {
    for (const [topic, partitions] of result.get(m.memberId) ?? []) {
      assert.ok(m.subscribedTopicIds.has(topic), `${m.memberId} got unsubscribed ${topic}`);
      for (const p of partitions) {
        const key = `${topic}/${p}`;
        assert.ok(p >= 0 && p < (counts.get(topic) ?? 0), `${key} does not exist`);
        assert.equal(owner.get(key), undefined, `${key} assigned twice`);
        owner.set(key, m.memberId);
      }
    }
  }
  for (const [topic, n] of counts) {
    const subscribed = members.some((m) => m.subscribedTopicIds.has(topic));
    for (let p = 0; p < n; p++) {
      assert.equal(
        owner.has(`${topic}/${p}`),
        subscribed,
        `${topic}/${p} ${subscribed ? 'unassigned' : 'assigned'}`,
      );
    }
  }
}

function withCurrent(
  members: readonly AssignorMember[],
  result: Map<string, TopicAssignment>,
): AssignorMember[] {
  return members.map((m) => ({ ...m, currentAssignment: result.get(m.memberId) ?? new Map() }));
}

describe('uniform assignor', () => {
  it('assigns every subscribed partition exactly once to a subscriber (any subscriptions)', () => {
    fc.assert(
      fc.property(groupArb, ({ members, counts }) => {
        assertValid(uniformAssignor, members, counts, uniformAssignor.assign(members, counts));
      }),
      { numRuns: 300 },
    );
  });

  it('balances members with identical subscriptions to within one partition', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
        (memberCount, partitionCounts) => {
          const counts = new Map(partitionCounts.map((n, i) => [`t${i}`, n]));
          const members: AssignorMember[] = Array.from({ length: memberCount }, (_, i) => ({
            memberId: `m${i}`,
            subscribedTopicIds: new Set(counts.keys()),
            currentAssignment: new Map(),
          }));
          const result = uniformAssignor.assign(members, counts);
          assertValid(uniformAssignor, members, counts, result);
          const loads = members.map((m) => total(result.get(m.memberId)));
          assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is sticky: after members join or leave, each survivor keeps min(old, new) of its partitions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 7 }),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 3 }),
        (initial, joining, leaving, partitionCounts) => {
          const counts = new Map(partitionCounts.map((n, i) => [`t${i}`, n]));
          const member = (i: number): AssignorMember => ({
            memberId: `m${String(i).padStart(2, '0')}`,
            subscribedTopicIds: new Set(counts.keys()),
            currentAssignment: new Map(),
          });
          const before = Array.from({ length: initial }, (_, i) => member(i));
          const first = uniformAssignor.assign(before, counts);
          const survivors = withCurrent(before, first).slice(Math.min(leaving, initial - 1));
          const after = [...survivors, ...Array.from({ length: joining }, (_, i) => member(100 + i))];
          const second = uniformAssignor.assign(after, counts);
          assertValid(uniformAssignor, after, counts, second);
          const loads = after.map((m) => total(second.get(m.memberId)));
          assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
          for (const m of survivors) {
            const old = first.get(m.memberId) as TopicAssignment;
            const now = second.get(m.memberId) as TopicAssignment;
            let kept = 0;
            for (const [t, ps] of old) for (const p of ps) if (now.get(t)?.includes(p)) kept++;
            assert.equal(
              kept,
              Math.min(total(old), total(now)),
              `${m.memberId} lost partitions it could keep`,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('moves nothing when the same members come back with their assignment', () => {
    const counts = new Map([
      ['x', 7],
      ['y', 5],
    ]);
    const members: AssignorMember[] = ['a', 'b', 'c'].map((id) => ({
      memberId: id,
      subscribedTopicIds: new Set(['x', 'y']),
      currentAssignment: new Map(),
    }));
    const first = uniformAssignor.assign(members, counts);
    const second = uniformAssignor.assign(withCurrent(members, first), counts);
    assert.deepEqual(second, first);
  });

  it('gives a topic only to its subscribers and still balances what it can', () => {
    const counts = new Map([
      ['only-a', 4],
      ['shared', 4],
    ]);
    const members: AssignorMember[] = [
      { memberId: 'a', subscribedTopicIds: new Set(['only-a', 'shared']), currentAssignment: new Map() },
      { memberId: 'b', subscribedTopicIds: new Set(['shared']), currentAssignment: new Map() },
    ];
    const result = uniformAssignor.assign(members, counts);
    assertValid(uniformAssignor, members, counts, result);
    assert.deepEqual(result.get('b'), new Map([['shared', [0, 1, 2, 3]]]));
    assert.deepEqual(result.get('a'), new Map([['only-a', [0, 1, 2, 3]]]));
  });
});

describe('assignors agree on validity', () => {
  for (const assignor of [uniformAssignor, rangeAssignor]) {
    it(`${assignor.name}: a member without subscriptions gets nothing; unsubscribed topics stay out`, () => {
      const counts = new Map([
        ['x', 3],
        ['unused', 2],
      ]);
      const members: AssignorMember[] = [
        { memberId: 'a', subscribedTopicIds: new Set(['x']), currentAssignment: new Map() },
        { memberId: 'idle', subscribedTopicIds: new Set(), currentAssignment: new Map() },
      ];
      const result = assignor.assign(
        members,
        new Map([...counts].filter(([t]) => members.some((m) => m.subscribedTopicIds.has(t)))),
      );
      assert.deepEqual(result.get('idle'), new Map());
      assert.deepEqual(result.get('a'), new Map([['x', [0, 1, 2]]]));
    });
  }
});
