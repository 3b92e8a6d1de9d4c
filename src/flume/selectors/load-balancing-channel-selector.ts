import { defineConfig } from '../../config/index.ts';
import type { Channel } from '../api/channel.ts';
import type { ChannelSelector } from '../api/channel-selector.ts';

/** Flume 1.11 LoadBalancingChannelSelector (`selector.type = load_balancing`) keys and defaults. */
export const loadBalancingSelectorConfig = defineConfig({
  policy: {
    type: 'enum',
    values: ['round_robin', 'random'],
    caseInsensitive: true,
    default: 'round_robin',
    importance: 'high',
    doc: 'How each event picks its one channel.',
  },
});

/**
 * `load_balancing`: each event goes to exactly one of the source's channels, in turn
 * (`round_robin`) or at random. The chosen channel is required: if it fails the batch fails.
 */
export class LoadBalancingChannelSelector implements ChannelSelector {
  readonly channels: readonly Channel[];
  readonly #policy: 'round_robin' | 'random';
  readonly #random: () => number;
  #next = 0;

  constructor(
    channels: readonly Channel[],
    options: { policy: 'round_robin' | 'random' },
    random: () => number = Math.random,
  ) {
    if (channels.length === 0) throw new Error('load_balancing selector needs at least one channel');
    this.channels = channels;
    this.#policy = options.policy;
    this.#random = random;
  }

  requiredChannels(): readonly Channel[] {
    let index: number;
    if (this.#policy === 'random') {
      index = Math.min(Math.floor(this.#random() * this.channels.length), this.channels.length - 1);
    } else {
      index = this.#next;
      this.#next = (this.#next + 1) % this.channels.length;
    }
    return [this.channels[index]!];
  }

  optionalChannels(): readonly Channel[] {
    return [];
  }
}
