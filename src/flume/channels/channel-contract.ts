import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssertionError } from '../../base/index.ts';
import { type Channel, ChannelException } from '../api/channel.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';

/**
 * The transaction contract every channel keeps (see api/channel.ts), as one suite to run against
 * each implementation (memory now, file later). `make` builds a started channel with the given
 * capacities and a keep-alive short enough for tests.
 */
export interface ChannelUnderTest {
  make(options: { capacity: number; transactionCapacity: number }): Promise<Channel>;
}

async function putCommitted(channel: Channel, ...bodies: string[]): Promise<void> {
  const tx = channel.getTransaction();
  tx.begin();
  for (const b of bodies) tx.put(flumeEvent(b));
  await tx.commit();
  tx.close();
}

async function takeN(channel: Channel, n: number, commit = true): Promise<string[]> {
  const tx = channel.getTransaction();
  tx.begin();
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = await tx.take();
    if (e === null) break;
    out.push(e.body.toString());
  }
  if (commit) await tx.commit();
  else tx.rollback();
  tx.close();
  return out;
}

const bodies = (events: readonly (FlumeEvent | null)[]) => events.map((e) => e?.body.toString() ?? null);

export function channelContract(name: string, subject: ChannelUnderTest): void {
  describe(`channel contract: ${name}`, () => {
    it('takes events in put order, each once', async () => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 5 });
      await putCommitted(c, 'a', 'b', 'c');
      await putCommitted(c, 'd');
      assert.deepEqual(await takeN(c, 5), ['a', 'b', 'c', 'd']);
      assert.deepEqual(await takeN(c, 1), []);
      await c.stop();
    });

    it('keeps puts invisible until commit and drops them on rollback', async () => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 5 });
      const tx = c.getTransaction();
      tx.begin();
      tx.put(flumeEvent('x'));
      assert.deepEqual(await takeN(c, 1), [], 'uncommitted put is not visible');
      tx.rollback();
      tx.close();
      assert.deepEqual(await takeN(c, 1), [], 'rolled-back put is gone');
      await putCommitted(c, 'y');
      assert.deepEqual(await takeN(c, 1), ['y']);
      await c.stop();
    });

    it('removes a take only on commit; rollback returns takes to the head in order', async () => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 5 });
      await putCommitted(c, '1', '2', '3', '4');
      const tx = c.getTransaction();
      tx.begin();
      assert.deepEqual(bodies([await tx.take(), await tx.take()]), ['1', '2']);
      assert.deepEqual(await takeN(c, 1, false), ['3'], 'another transaction sees the rest');
      tx.rollback();
      tx.close();
      assert.deepEqual(await takeN(c, 5), ['1', '2', '3', '4']);
      await c.stop();
    });

    it('bounds a transaction to transactionCapacity puts and takes', async () => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 2 });
      const tx = c.getTransaction();
      tx.begin();
      tx.put(flumeEvent('a'));
      tx.put(flumeEvent('b'));
      assert.throws(() => tx.put(flumeEvent('c')), ChannelException);
      await tx.commit();
      tx.close();
      await putCommitted(c, 'c');
      const t2 = c.getTransaction();
      t2.begin();
      await t2.take();
      await t2.take();
      await assert.rejects(t2.take(), ChannelException);
      t2.rollback();
      t2.close();
      assert.deepEqual(await takeN(c, 2), ['a', 'b']);
      await c.stop();
    });

    it('refuses a commit beyond capacity, counting uncommitted takes', async () => {
      const c = await subject.make({ capacity: 3, transactionCapacity: 3 });
      await putCommitted(c, 'a', 'b');
      const taker = c.getTransaction();
      taker.begin();
      await taker.take();
      const tx = c.getTransaction();
      tx.begin();
      tx.put(flumeEvent('c'));
      tx.put(flumeEvent('d'));
      await assert.rejects(tx.commit(), ChannelException, 'a taken event still holds its place');
      tx.rollback();
      tx.close();
      await taker.commit();
      taker.close();
      await putCommitted(c, 'c', 'd');
      assert.deepEqual(await takeN(c, 3), ['b', 'c', 'd']);
      await c.stop();
    });

    it('enforces the state machine', async () => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 5 });
      const tx = c.getTransaction();
      assert.throws(() => tx.put(flumeEvent('a')), AssertionError, 'put before begin');
      tx.begin();
      assert.throws(() => tx.close(), AssertionError, 'close while open');
      await tx.commit();
      await assert.rejects(tx.commit(), AssertionError, 'commit twice');
      tx.close();
      assert.throws(() => tx.begin(), AssertionError, 'reuse after close');
      await c.stop();
    });

    it('keeps bodies and headers intact', async () => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 5 });
      const tx = c.getTransaction();
      tx.begin();
      tx.put(flumeEvent(Buffer.from([0, 255, 10]), { a: '1', b: 'é' }));
      await tx.commit();
      tx.close();
      const t2 = c.getTransaction();
      t2.begin();
      const e = await t2.take();
      await t2.commit();
      t2.close();
      assert.deepEqual(e?.headers, { a: '1', b: 'é' });
      assert.deepEqual([...(e?.body ?? [])], [0, 255, 10]);
      await c.stop();
    });

    it('takeAvailable: what is there now, within the transaction capacity; rollback returns it in order', async (t) => {
      const c = await subject.make({ capacity: 10, transactionCapacity: 4 });
      if (c.getTransaction().takeAvailable === undefined) {
        await c.stop();
        t.skip(`${name} has no takeAvailable`);
        return;
      }
      await putCommitted(c, 'a', 'b', 'c', 'd');
      await putCommitted(c, 'e');
      const tx = c.getTransaction();
      tx.begin();
      assert.deepEqual(bodies([await tx.take()]), ['a']);
      assert.deepEqual(bodies(tx.takeAvailable!(10)), ['b', 'c', 'd'], 'at most transactionCapacity in all');
      assert.deepEqual(tx.takeAvailable!(10), []);
      tx.rollback();
      tx.close();
      assert.deepEqual(await takeN(c, 4), ['a', 'b', 'c', 'd']);
      const tx2 = c.getTransaction();
      tx2.begin();
      assert.deepEqual(bodies(tx2.takeAvailable!(3)), ['e'], 'no waiting for more');
      await tx2.commit();
      tx2.close();
      assert.deepEqual(await takeN(c, 1), []);
      await c.stop();
    });

    it('counts with Flume counter names', async () => {
      const c = await subject.make({ capacity: 4, transactionCapacity: 4 });
      await putCommitted(c, 'a', 'b');
      await takeN(c, 1);
      const m = c.counters.snapshot();
      assert.equal(m.EventPutAttemptCount, '2');
      assert.equal(m.EventPutSuccessCount, '2');
      assert.equal(m.EventTakeSuccessCount, '1');
      assert.equal(m.ChannelSize, '1');
      assert.equal(m.ChannelCapacity, '4');
      assert.equal(m.ChannelFillPercentage, '25.0');
      assert.equal(m.Type, 'CHANNEL');
      await c.stop();
    });
  });
}
