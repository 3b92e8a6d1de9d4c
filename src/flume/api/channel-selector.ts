import type { Channel } from './channel.ts';
import type { FlumeEvent } from './event.ts';

/**
 * Picks the channels of one event. A failure to write to a required channel fails the whole batch
 * (the source retries it); failures on optional channels are logged and ignored.
 */
export interface ChannelSelector {
  /** Every channel the selector can return, for validation and start order. */
  readonly channels: readonly Channel[];
  /** True when every event goes to the same channels: a batch is then routed as a whole. */
  readonly uniform?: boolean;
  requiredChannels(event: FlumeEvent): readonly Channel[];
  optionalChannels(event: FlumeEvent): readonly Channel[];
}
