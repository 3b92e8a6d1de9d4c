import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { type Channel, ChannelException, type Transaction } from '../api/channel.ts';
import { ChannelProcessor } from '../api/channel-processor.ts';
import { CHANNEL_COUNTERS, CounterGroup } from '../api/counter-group.ts';
import { type FlumeEvent, flumeEvent } from '../api/event.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { parseFlumeConfigText } from '../config/flume-config.ts';
import { LoadBalancingChannelSelector } from './load-balancing-channel-selector.ts';
import { MultiplexingChannelSelector, multiplexingSelectorConfig } from './multiplexing-channel-selector.ts';
import { ReplicatingChannelSelector } from './replicating-channel-selector.ts';

/** A channel whose commits always fail (a full or broken channel). */
class FailingChannel implements Channel {
  readonly name: string;
  readonly counters: CounterGroup;
  readonly transactionCapacity = 100;
  constructor(name: string) {
    this.name = name;
    this.counters = new CounterGroup('CHANNEL', name, CHANNEL_COUNTERS);
  }
  getTransaction(): Transaction {
    return {
      begin() {},
      put() {},
      take: async () => null,
      commit: async () => {
        throw new ChannelException(`channel ${this.name} is broken`);
      },
      rollback() {},
      close() {},
    };
  }
  async start() {}
  interruptWaits() {}
  async stop() {}
}

const names = (cs: readonly Channel[]) => cs.map((c) => c.name);
const ev = (headers: Record<string, string>) => flumeEvent('x', headers);

async function drain(channel: MemoryChannel): Promise<FlumeEvent[]> {
  const tx = channel.getTransaction();
  tx.begin();
  const out: FlumeEvent[] = [];
  for (let e = await tx.take(); e !== null; e = await tx.take()) out.push(e);
  await tx.commit();
  tx.close();
  return out;
}

describe('multiplexing selector', () => {
  const [c1, c2, c3, c4] = ['c1', 'c2', 'c3', 'c4'].map((n) => new MemoryChannel(n, { keepAliveMs: 0 })) as [
    MemoryChannel,
    MemoryChannel,
    MemoryChannel,
    MemoryChannel,
  ];
  // The user guide's example: header state, CZ → c1, US → c2 c3, default c4, plus optionals.
  const values = multiplexingSelectorConfig.parse([
    {
      source: 'test',
      entries: [
        { key: 'header', value: 'state' },
        { key: 'mapping.CZ', value: 'c1' },
        { key: 'mapping.US', value: 'c2 c3' },
        { key: 'default', value: 'c4' },
        { key: 'optional.CZ', value: 'c1 c2' },
        { key: 'optional.XX', value: 'c3 c4' },
      ],
    },
  ]).values as {
    header: string;
    mapping: Record<string, string[]>;
    optional: Record<string, string[]>;
    defaultChannels: string[];
  };
  const selector = new MultiplexingChannelSelector([c1, c2, c3, c4], values);

  const table: [Record<string, string>, string[], string[]][] = [
    [{ state: 'CZ' }, ['c1'], ['c2']],
    [{ state: 'US' }, ['c2', 'c3'], []],
    [{ state: 'FR' }, ['c4'], []],
    [{}, ['c4'], []],
    [{ state: '  ' }, ['c4'], []],
    [{ state: 'XX' }, ['c4'], ['c3']],
    [{ other: 'CZ' }, ['c4'], []],
  ];
  for (const [headers, required, optional] of table) {
    it(`${JSON.stringify(headers)} → required ${required}, optional ${optional}`, () => {
      assert.deepEqual(names(selector.requiredChannels(ev(headers))), required);
      assert.deepEqual(names(selector.optionalChannels(ev(headers))), optional);
    });
  }

  it('defaults the header to flume.selector.header', () => {
    assert.equal(
      (multiplexingSelectorConfig.parse([{ source: 't', entries: [] }]).values as { header: string }).header,
      'flume.selector.header',
    );
  });

  it('routes a batch through the channel processor into the mapped channels', async () => {
    await Promise.all([c1, c2, c3, c4].map((c) => c.start()));
    const processor = new ChannelProcessor(selector, [], new MemoryLogger());
    await processor.processEventBatch([ev({ state: 'CZ' }), ev({ state: 'US' }), ev({ state: 'FR' })]);
    assert.deepEqual(
      (await drain(c1)).map((e) => e.headers.state),
      ['CZ'],
    );
    // Required channels are written before optional ones.
    assert.deepEqual(
      (await drain(c2)).map((e) => e.headers.state),
      ['US', 'CZ'],
    );
    assert.deepEqual(
      (await drain(c3)).map((e) => e.headers.state),
      ['US'],
    );
    assert.deepEqual(
      (await drain(c4)).map((e) => e.headers.state),
      ['FR'],
    );
  });

  const config = (lines: string[]) =>
    [
      'a1.sources = r1',
      'a1.channels = c1 c2',
      'a1.sinks = k1 k2',
      'a1.sources.r1.type = seq',
      'a1.sources.r1.channels = c1 c2',
      ...lines.map((l) => `a1.sources.r1.selector.${l}`),
      'a1.channels.c1.type = memory',
      'a1.channels.c2.type = memory',
      'a1.sinks.k1.type = null',
      'a1.sinks.k1.channel = c1',
      'a1.sinks.k2.type = null',
      'a1.sinks.k2.channel = c2',
    ].join('\n');

  it('is configured from a Flume file', () => {
    const c = parseFlumeConfigText(
      config([
        'type = multiplexing',
        'header = State',
        'mapping.CA = c1',
        'mapping.NY = c1 c2',
        'default = c2',
      ]),
      { agentName: 'a1', source: 'f' },
    );
    assert.equal(c.sources[0]!.selector.type, 'multiplexing');
    assert.deepEqual(c.sources[0]!.selector.settings.mapping, { CA: ['c1'], NY: ['c1', 'c2'] });
  });

  it('refuses a mapping to a channel the source does not write, naming the key', () => {
    assert.throws(
      () =>
        parseFlumeConfigText(config(['type = multiplexing', 'header = s', 'mapping.CA = c3']), {
          agentName: 'a1',
          source: 'f',
        }),
      /a1\.sources\.r1\.selector\.mapping\.CA.*not one: c3/s,
    );
  });
});

describe('load_balancing selector', () => {
  const cs = ['c1', 'c2', 'c3'].map((n) => new MemoryChannel(n));

  it('round_robin sends each event to the next channel in turn', () => {
    const s = new LoadBalancingChannelSelector(cs, { policy: 'round_robin' });
    const picked = Array.from({ length: 7 }, () => names(s.requiredChannels()));
    assert.deepEqual(picked.flat(), ['c1', 'c2', 'c3', 'c1', 'c2', 'c3', 'c1']);
    assert.deepEqual(s.optionalChannels(), []);
  });

  it('random picks one channel per event, spread over all', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const s = new LoadBalancingChannelSelector(cs, { policy: 'random' }, random);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const [c] = s.requiredChannels();
      counts.set(c!.name, (counts.get(c!.name) ?? 0) + 1);
    }
    for (const n of ['c1', 'c2', 'c3']) assert.ok((counts.get(n) ?? 0) > 800, `${n}: ${counts.get(n)}`);
  });
});

describe('channel processor with optional channels', () => {
  it('ignores (and logs) failures on optional channels', async () => {
    const ok = new MemoryChannel('ok', { keepAliveMs: 0 });
    await ok.start();
    const logger = new MemoryLogger();
    const processor = new ChannelProcessor(
      new ReplicatingChannelSelector([ok, new FailingChannel('bad')], new Set(['bad'])),
      [],
      logger,
    );
    await processor.processEvent(ev({ n: '1' }));
    assert.equal((await drain(ok)).length, 1);
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields.channel === 'bad'));
  });

  it('fails the batch when a required channel fails', async () => {
    const ok = new MemoryChannel('ok', { keepAliveMs: 0 });
    await ok.start();
    const processor = new ChannelProcessor(
      new ReplicatingChannelSelector([new FailingChannel('bad'), ok]),
      [],
      new MemoryLogger(),
    );
    await assert.rejects(processor.processEvent(ev({})), ChannelException);
  });
});
