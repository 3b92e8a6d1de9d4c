import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../protocol/index.ts';
import { BATCHES_RETAINED, PartitionProducerState } from './producer-state.ts';

const batch = (producerId: number, producerEpoch: number, baseSequence: number, count: number) => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastOffsetDelta: count - 1,
});

describe('PartitionProducerState', () => {
  it('accepts any first sequence, then only the next one', () => {
    const s = new PartitionProducerState();
    assert.equal(s.check(batch(7, 0, 10, 5)).kind, 'append');
    s.record(batch(7, 0, 10, 5), 100, 104, -1, 1);
    assert.equal(s.check(batch(7, 0, 15, 1)).kind, 'append');
    const gap = s.check(batch(7, 0, 17, 1));
    assert.equal(gap.kind, 'error');
    assert.equal(gap.kind === 'error' && gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('recognizes a retry of any of the last 5 batches and returns its original offsets', () => {
    const s = new PartitionProducerState();
    for (let i = 0; i < 7; i++) s.record(batch(1, 0, i * 2, 2), 1000 + i * 2, 1001 + i * 2, -1, 1);
    for (let i = 7 - BATCHES_RETAINED; i < 7; i++) {
      const c = s.check(batch(1, 0, i * 2, 2));
      assert.equal(c.kind, 'duplicate', `batch ${i}`);
      assert.equal(c.kind === 'duplicate' && c.batch.firstOffset, 1000 + i * 2);
    }
    // Older than the window: neither a duplicate nor the next sequence.
    assert.equal(s.check(batch(1, 0, 0, 2)).kind, 'error');
  });

  it('fences older epochs and requires sequence 0 for a new epoch', () => {
    const s = new PartitionProducerState();
    s.record(batch(3, 2, 0, 1), 0, 0, -1, 1);
    const old = s.check(batch(3, 1, 1, 1));
    assert.equal(old.kind === 'error' && old.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const badNew = s.check(batch(3, 3, 5, 1));
    assert.equal(badNew.kind === 'error' && badNew.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(s.check(batch(3, 3, 0, 1)).kind, 'append');
    s.record(batch(3, 3, 0, 1), 1, 1, -1, 2);
    assert.equal(s.get(3)?.epoch, 3);
    assert.equal(s.get(3)?.batches.length, 1, 'a new epoch starts a new window');
  });

  it('wraps sequences after 2^31-1', () => {
    const s = new PartitionProducerState();
    s.record(batch(4, 0, 0x7ffffffe, 2), 0, 1, -1, 1);
    assert.equal(s.check(batch(4, 0, 0, 1)).kind, 'append');
  });

  it('expires idle producers, and survives a snapshot round trip', () => {
    const s = new PartitionProducerState();
    s.record(batch(1, 0, 0, 1), 0, 0, -1, 1_000);
    s.record(batch(2, 0, 0, 1), 1, 1, -1, 5_000);
    const copy = new PartitionProducerState();
    copy.restore(JSON.parse(JSON.stringify(s.snapshot(2))));
    assert.equal(copy.check(batch(2, 0, 0, 1)).kind, 'duplicate');
    assert.equal(copy.expire(6_000, 2_000), 1);
    assert.equal(copy.get(1), undefined);
    assert.ok(copy.get(2));
  });

  it('drops batches below a new log start', () => {
    const s = new PartitionProducerState();
    s.record(batch(1, 0, 0, 1), 0, 0, -1, 1);
    s.record(batch(2, 0, 0, 1), 5, 5, -1, 1);
    s.truncateHead(3);
    assert.equal(s.get(1), undefined);
    assert.ok(s.get(2));
  });
});
