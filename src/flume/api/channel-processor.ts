import type { Logger } from '../../telemetry/index.ts';
import { type Channel, ChannelException } from './channel.ts';
import type { ChannelSelector } from './channel-selector.ts';
import type { FlumeEvent } from './event.ts';
import type { Interceptor } from './interceptor.ts';

/**
 * Carries a source's events into its channels, as Flume's ChannelProcessor does: run the
 * interceptors in order, ask the selector for each event's required and optional channels, then
 * write each required channel in one transaction per batch, in selector order. A failed required
 * channel rolls back its transaction and fails the whole call with a ChannelException (the source
 * reports the failure or retries; channels already committed keep their copy, as in Flume).
 * Optional channels are written afterwards; their failures are only logged.
 */
export class ChannelProcessor {
  readonly selector: ChannelSelector;
  readonly interceptors: readonly Interceptor[];
  readonly #logger: Logger;

  constructor(selector: ChannelSelector, interceptors: readonly Interceptor[], logger: Logger) {
    this.selector = selector;
    this.interceptors = interceptors;
    this.#logger = logger;
  }

  async processEvent(event: FlumeEvent): Promise<void> {
    await this.processEventBatch([event]);
  }

  async processEventBatch(events: readonly FlumeEvent[]): Promise<void> {
    let batch: readonly FlumeEvent[] = events;
    if (this.interceptors.length > 0) {
      let copy = [...events];
      for (const interceptor of this.interceptors) copy = interceptor.interceptBatch(copy);
      batch = copy;
    }
    if (batch.length === 0) return;

    const required = new Map<Channel, readonly FlumeEvent[]>();
    const optional = new Map<Channel, readonly FlumeEvent[]>();
    const s = this.selector;
    if (s.uniform) {
      for (const c of s.requiredChannels(batch[0]!)) required.set(c, batch);
      for (const c of s.optionalChannels(batch[0]!)) optional.set(c, batch);
    } else {
      for (const event of batch) {
        for (const c of s.requiredChannels(event)) append(required, c, event);
        for (const c of s.optionalChannels(event)) append(optional, c, event);
      }
    }
    for (const [channel, list] of required) {
      try {
        await writeAll(channel, list);
      } catch (err) {
        if (err instanceof ChannelException) throw err;
        throw new ChannelException(
          `unable to put batch on required channel ${channel.name}: ${messageOf(err)}`,
          {
            cause: err,
          },
        );
      }
    }
    for (const [channel, list] of optional) {
      try {
        await writeAll(channel, list);
      } catch (err) {
        this.#logger.warn('unable to put batch on optional channel', {
          channel: channel.name,
          err: messageOf(err),
        });
      }
    }
  }
}

function append(map: Map<Channel, readonly FlumeEvent[]>, channel: Channel, event: FlumeEvent): void {
  const list = map.get(channel) as FlumeEvent[] | undefined;
  if (list) list.push(event);
  else map.set(channel, [event]);
}

async function writeAll(channel: Channel, events: readonly FlumeEvent[]): Promise<void> {
  const tx = channel.getTransaction();
  tx.begin();
  try {
    for (const e of events) tx.put(e);
    await tx.commit();
  } catch (err) {
    tx.rollback();
    throw err;
  } finally {
    tx.close();
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
