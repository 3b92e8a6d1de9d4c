import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaderEpochCache } from './leader-epoch-cache.ts';

describe('LeaderEpochCache', () => {
  it("writes and parses Kafka's checkpoint format", () => {
    const cache = new LeaderEpochCache();
    assert.equal(cache.assign(0, 0), true);
    assert.equal(cache.assign(0, 10), false);
    assert.equal(cache.assign(2, 15), true);
    assert.equal(cache.format(), '0\n2\n0 0\n2 15\n');
    assert.deepEqual(LeaderEpochCache.parse(cache.format())?.all, cache.all);
    for (const bad of ['1\n0\n', '0\n2\n0 0\n', '0\n2\n3 0\n2 5\n', '0\n1\nx y\n', '']) {
      assert.equal(LeaderEpochCache.parse(bad), null, JSON.stringify(bad));
    }
  });

  it('truncates from the end and from the start', () => {
    const cache = new LeaderEpochCache([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 4, startOffset: 20 },
    ]);
    assert.equal(cache.truncateFromEnd(20), true);
    assert.equal(cache.latestEpoch, 3);
    assert.equal(cache.truncateFromStart(12), true);
    assert.deepEqual(cache.all, [{ epoch: 3, startOffset: 12 }]);
    // A new epoch starting below existing entries replaces them.
    assert.equal(cache.assign(5, 12), true);
    assert.deepEqual(cache.all, [{ epoch: 5, startOffset: 12 }]);
  });
});
