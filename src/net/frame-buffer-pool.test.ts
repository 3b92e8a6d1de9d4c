import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameBufferPool } from './frame-buffer-pool.ts';

describe('FrameBufferPool', () => {
  it('reuses memory given back, the smallest that fits', () => {
    const pool = new FrameBufferPool(10 * 1024 * 1024);
    const big = pool.take(2_000_000);
    const small = pool.take(100_000);
    assert.equal(big.length, 2_000_000);
    assert.ok(pool.owns(big) && pool.owns(small));
    pool.give(big);
    pool.give(small);
    const again = pool.take(90_000);
    assert.equal(again.buffer, small.buffer, 'the smaller idle buffer serves a small frame');
    assert.equal(again.length, 90_000);
    assert.equal(pool.take(1_500_000).buffer, big.buffer);
    assert.equal(pool.idleBytesHeld, 0);
    assert.notEqual(pool.take(100).buffer, big.buffer, 'nothing idle: new memory');
  });

  it('ignores memory it did not allocate, double gives, and gives beyond its bound', () => {
    const pool = new FrameBufferPool(200_000);
    pool.give(Buffer.alloc(50_000));
    assert.equal(pool.idleBytesHeld, 0);
    const a = pool.take(100_000);
    pool.give(a);
    pool.give(a);
    const held = pool.idleBytesHeld;
    assert.ok(held >= 100_000 && held <= 200_000);
    const b = pool.take(100_000);
    const c = pool.take(100_000);
    assert.notEqual(b.buffer, c.buffer, 'a double give never hands the same memory out twice');
    pool.give(b);
    pool.give(c);
    assert.ok(pool.idleBytesHeld <= 200_000);
  });
});
