import { defineConfig, nonEmptyString } from '../../config/index.ts';
import type { Channel } from '../api/channel.ts';
import type { ChannelSelector } from '../api/channel-selector.ts';
import type { FlumeEvent } from '../api/event.ts';
import { blankList, extendedConfig } from '../config/extended-config.ts';

/** Flume 1.11 MultiplexingChannelSelector (`selector.type = multiplexing`) keys and defaults. */
export const multiplexingSelectorConfig = extendedConfig({
  fixed: defineConfig({
    header: {
      type: 'string',
      default: 'flume.selector.header',
      validator: nonEmptyString(),
      importance: 'high',
      doc: 'Header whose value picks the channels.',
    },
    default: {
      type: 'string',
      default: '',
      importance: 'high',
      doc: 'Channels for events whose header is missing or has no mapping.',
    },
  }),
  prefixes: ['mapping.', 'optional.'],
  familyRows: [
    {
      key: 'mapping.<value>',
      type: 'string',
      default: '',
      validValues: 'channels of the source',
      importance: 'high',
      doc: 'Required channels for events whose header equals <value>.',
    },
    {
      key: 'optional.<value>',
      type: 'string',
      default: '',
      validValues: 'channels of the source',
      importance: 'medium',
      doc: 'Optional channels (failures ignored) for events whose header equals <value>.',
    },
  ],
  finish({ values }, families) {
    const mapping: Record<string, string[]> = {};
    const optional: Record<string, string[]> = {};
    for (const e of families.values()) {
      const isMapping = e.key.startsWith('mapping.');
      const value = e.key.slice(isMapping ? 'mapping.'.length : 'optional.'.length);
      (isMapping ? mapping : optional)[value] = blankList(e.value);
    }
    return { mapping, optional, defaultChannels: blankList(values.default) };
  },
});

export interface MultiplexingOptions {
  readonly header: string;
  /** Header value → required channel names. */
  readonly mapping: Readonly<Record<string, readonly string[]>>;
  /** Header value → optional channel names. */
  readonly optional: Readonly<Record<string, readonly string[]>>;
  readonly defaultChannels: readonly string[];
}

/**
 * `multiplexing`: routes each event by one header. The value's `mapping` channels are required;
 * a missing, blank or unmapped value uses the `default` channels. The value's `optional` channels
 * are written too (their failures are ignored), except those already required for that value.
 */
export class MultiplexingChannelSelector implements ChannelSelector {
  readonly channels: readonly Channel[];
  readonly #header: string;
  readonly #required = new Map<string, readonly Channel[]>();
  readonly #optional = new Map<string, readonly Channel[]>();
  readonly #defaults: readonly Channel[];

  constructor(channels: readonly Channel[], options: MultiplexingOptions) {
    this.channels = channels;
    this.#header = options.header;
    const byName = (names: readonly string[]): Channel[] => {
      const out: Channel[] = [];
      for (const n of names) {
        const c = channels.find((x) => x.name === n);
        // The config parser checks the names; an unknown one here is a programmer error.
        if (!c) throw new Error(`multiplexing selector: channel ${n} is not a channel of the source`);
        if (!out.includes(c)) out.push(c);
      }
      return out;
    };
    this.#defaults = byName(options.defaultChannels);
    for (const [value, names] of Object.entries(options.mapping)) this.#required.set(value, byName(names));
    for (const [value, names] of Object.entries(options.optional)) {
      const required = this.#required.get(value) ?? this.#defaults;
      this.#optional.set(
        value,
        byName(names).filter((c) => !required.includes(c)),
      );
    }
  }

  requiredChannels(event: FlumeEvent): readonly Channel[] {
    const value = event.headers[this.#header];
    if (value === undefined || value.trim() === '') return this.#defaults;
    return this.#required.get(value) ?? this.#defaults;
  }

  optionalChannels(event: FlumeEvent): readonly Channel[] {
    const value = event.headers[this.#header];
    if (value === undefined) return [];
    return this.#optional.get(value) ?? [];
  }
}
