import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventQueue } from './event-queue.ts';

test('items pushed before and after a waiter arrive in order; end() drains then stops', async () => {
  const q = new EventQueue<number>();
  const waiting = q.next();
  q.listener(1);
  q.listener(2);
  q.listener(3);
  assert.equal(await waiting, 1);
  assert.equal(await q.next(), 2);
  q.end();
  q.listener(4);
  const seen: number[] = [];
  for await (const n of q) seen.push(n);
  assert.deepEqual(seen, [3]);
});
