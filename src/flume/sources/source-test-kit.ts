import { MemoryLogger } from '../../telemetry/index.ts';
import { ChannelProcessor } from '../api/channel-processor.ts';
import type { FlumeEvent } from '../api/event.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { ReplicatingChannelSelector } from '../selectors/replicating-channel-selector.ts';

/** A real memory channel behind a real ChannelProcessor, for source tests. */
export function channelKit(capacity = 10_000, transactionCapacity = capacity) {
  const channel = new MemoryChannel('c', { capacity, transactionCapacity, keepAliveMs: 0 });
  const logger = new MemoryLogger();
  const processor = new ChannelProcessor(new ReplicatingChannelSelector([channel], new Set()), [], logger);
  const taken: FlumeEvent[] = [];

  /** Takes (and commits) everything in the channel; returns what was taken this call. */
  async function drain(): Promise<FlumeEvent[]> {
    const out: FlumeEvent[] = [];
    for (;;) {
      const tx = channel.getTransaction();
      tx.begin();
      let n = 0;
      try {
        for (; n < transactionCapacity; n++) {
          const e = await tx.take();
          if (e === null) break;
          out.push(e);
        }
        await tx.commit();
      } catch (err) {
        tx.rollback();
        throw err;
      } finally {
        tx.close();
      }
      if (n === 0) break;
    }
    taken.push(...out);
    return out;
  }

  /** Drains until `predicate(all taken so far)` holds. */
  async function drainUntil(predicate: (all: FlumeEvent[]) => boolean, pauseMs = 20): Promise<FlumeEvent[]> {
    for (;;) {
      await drain();
      if (predicate(taken)) return taken;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  return { channel, processor, logger, taken, drain, drainUntil };
}

export const bodies = (events: readonly FlumeEvent[]): string[] => events.map((e) => e.body.toString('utf8'));

export async function waitFor(condition: () => boolean | Promise<boolean>, pauseMs = 20): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, pauseMs));
}
