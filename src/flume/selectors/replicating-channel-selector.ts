import type { Channel } from '../api/channel.ts';
import type { ChannelSelector } from '../api/channel-selector.ts';

/**
 * `replicating` (Flume's default selector): every event goes to every channel of the source;
 * channels named in `selector.optional` are optional (their failures are ignored).
 */
export class ReplicatingChannelSelector implements ChannelSelector {
  readonly channels: readonly Channel[];
  readonly uniform = true;
  readonly #required: readonly Channel[];
  readonly #optional: readonly Channel[];

  constructor(channels: readonly Channel[], optional: ReadonlySet<string> = new Set()) {
    this.channels = channels;
    this.#required = channels.filter((c) => !optional.has(c.name));
    this.#optional = channels.filter((c) => optional.has(c.name));
  }

  requiredChannels(): readonly Channel[] {
    return this.#required;
  }

  optionalChannels(): readonly Channel[] {
    return this.#optional;
  }
}
