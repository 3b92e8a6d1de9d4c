import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelFullException } from '../api/channel.ts';
import { flumeEvent } from '../api/event.ts';
import { channelContract } from './channel-contract.ts';
import { MemoryChannel } from './memory-channel.ts';

channelContract('memory', {
  async make({ capacity, transactionCapacity }) {
    const c = new MemoryChannel('c1', { capacity, transactionCapacity, keepAliveMs: 0 });
    await c.start();
    return c;
  },
});

describe('MemoryChannel', () => {
  it('a commit waits for space freed by a concurrent take (keep-alive)', async () => {
    const c = new MemoryChannel('c1', { capacity: 1, transactionCapacity: 1, keepAliveMs: 60_000 });
    await c.start();
    const first = c.getTransaction();
    first.begin();
    first.put(flumeEvent('a'));
    await first.commit();
    first.close();
    const second = c.getTransaction();
    second.begin();
    second.put(flumeEvent('b'));
    const committing = second.commit();
    const taker = c.getTransaction();
    taker.begin();
    assert.equal((await taker.take())?.body.toString(), 'a');
    await taker.commit();
    taker.close();
    await committing;
    second.close();
    assert.equal(c.size, 1);
    await c.stop();
  });

  it('a take waits for a commit (keep-alive) and is woken by it', async () => {
    const c = new MemoryChannel('c1', { keepAliveMs: 60_000 });
    await c.start();
    const taker = c.getTransaction();
    taker.begin();
    const taking = taker.take();
    const tx = c.getTransaction();
    tx.begin();
    tx.put(flumeEvent('late'));
    await tx.commit();
    tx.close();
    assert.equal((await taking)?.body.toString(), 'late');
    await taker.commit();
    taker.close();
  });

  it('interruptWaits ends a waiting take with null', async () => {
    const c = new MemoryChannel('c1', { keepAliveMs: 60_000 });
    const taker = c.getTransaction();
    taker.begin();
    const taking = taker.take();
    c.interruptWaits();
    assert.equal(await taking, null);
    taker.rollback();
    taker.close();
  });

  it('refuses a commit past byteCapacity with Flume’s message', async () => {
    // 1000 bytes with 20% reserved = 8 slots of 100 bytes.
    const c = new MemoryChannel('c1', { byteCapacity: 1000, keepAliveMs: 0 });
    const tx = c.getTransaction();
    tx.begin();
    tx.put(flumeEvent(Buffer.alloc(900)));
    await assert.rejects(tx.commit(), (err: unknown) => {
      assert.ok(err instanceof ChannelFullException);
      assert.match(err.message, /Byte capacity allocated to store event body/);
      return true;
    });
    tx.rollback();
    tx.close();
    const ok = c.getTransaction();
    ok.begin();
    ok.put(flumeEvent(Buffer.alloc(800)));
    await ok.commit();
    ok.close();
  });
});
