import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { parseFlumeConfigText } from '../config/flume-config.ts';
import { ScriptedSink } from './failover-sink-processor.test.ts';
import { EventDeliveryException } from './failover-sink-processor.ts';
import { LoadBalancingSinkProcessor } from './load-balancing-sink-processor.ts';

describe('load_balance sink processor', () => {
  const setup = (
    options: { backoff?: boolean; selector?: 'round_robin' | 'random'; maxTimeOutMs?: number } = {},
  ) => {
    const calls: string[] = [];
    const sinks = ['k1', 'k2', 'k3'].map((n) => new ScriptedSink(n, calls)) as [
      ScriptedSink,
      ScriptedSink,
      ScriptedSink,
    ];
    let now = 5_000_000;
    let seed = 42;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const p = new LoadBalancingSinkProcessor(
      sinks,
      {
        backoff: options.backoff ?? false,
        selector: options.selector ?? 'round_robin',
        maxTimeOutMs: options.maxTimeOutMs ?? 30000,
      },
      new MemoryLogger(),
      { now: () => now, random },
    );
    return {
      calls,
      sinks,
      p,
      advance: (ms: number) => {
        now += ms;
      },
    };
  };

  it('round_robin hands each call to the next sink', async () => {
    const { calls, p } = setup();
    for (let i = 0; i < 5; i++) await p.process();
    assert.deepEqual(calls, ['k1', 'k2', 'k3', 'k1', 'k2']);
  });

  it('random spreads the calls over every sink', async () => {
    const { calls, p } = setup({ selector: 'random' });
    for (let i = 0; i < 3000; i++) await p.process();
    for (const n of ['k1', 'k2', 'k3']) {
      const count = calls.filter((c) => c === n).length;
      assert.ok(count > 800 && count < 1200, `${n}: ${count}`);
    }
  });

  it('without backoff, tries the next sink when one fails and keeps trying the failed one', async () => {
    const { calls, sinks, p } = setup();
    sinks[0].down = true;
    for (let i = 0; i < 4; i++) assert.equal(await p.process(), 'READY');
    assert.deepEqual(calls, ['k1', 'k2', 'k2', 'k3', 'k1', 'k2']);
  });

  it('with backoff, leaves a failed sink out for 2^n seconds, capped by selector.maxTimeOut', async () => {
    const { calls, sinks, p, advance } = setup({ backoff: true, maxTimeOutMs: 3000 });
    sinks[0].down = true;
    await p.process(); // k1 fails (out for 2 s), k2 works
    calls.splice(0);
    for (let i = 0; i < 4; i++) await p.process();
    assert.ok(!calls.includes('k1'), calls.join());
    advance(2000);
    calls.splice(0);
    for (let i = 0; i < 3; i++) await p.process();
    assert.ok(calls.includes('k1'));
    // Second consecutive failure: min(3000, 4000) ms.
    calls.splice(0);
    advance(2999);
    for (let i = 0; i < 3; i++) await p.process();
    assert.ok(!calls.includes('k1'), calls.join());
    advance(1);
    sinks[0].down = false;
    calls.splice(0);
    for (let i = 0; i < 3; i++) await p.process();
    assert.deepEqual([...calls].sort(), ['k1', 'k2', 'k3']);
  });

  it('reports failure when every sink fails, and when every sink is backed off', async () => {
    const { sinks, p } = setup({ backoff: true });
    for (const s of sinks) s.down = true;
    await assert.rejects(p.process(), /all sinks of the load_balance group failed/);
    await assert.rejects(p.process(), /backed off/);
    await assert.rejects(p.process(), EventDeliveryException);
  });

  it('passes BACKOFF from an idle sink through', async () => {
    const { sinks, p } = setup();
    sinks[0].status = 'BACKOFF';
    assert.equal(await p.process(), 'BACKOFF');
  });

  it('reads the user guide example and refuses custom selectors', () => {
    const text = (lines: string[]) =>
      [
        'a1.channels = c1',
        'a1.sinks = k1 k2',
        'a1.sinkgroups = g1',
        'a1.sinkgroups.g1.sinks = k1 k2',
        ...lines.map((l) => `a1.sinkgroups.g1.processor.${l}`),
        'a1.channels.c1.type = memory',
        'a1.sinks.k1.type = null',
        'a1.sinks.k1.channel = c1',
        'a1.sinks.k2.type = null',
        'a1.sinks.k2.channel = c1',
      ].join('\n');
    const c = parseFlumeConfigText(text(['type = load_balance', 'backoff = true', 'selector = random']), {
      agentName: 'a1',
      source: 'f',
    });
    assert.deepEqual(c.sinkGroups[0]!.settings, {
      backoff: true,
      selector: 'random',
      'selector.maxTimeOut': 30000,
    });
    assert.throws(
      () =>
        parseFlumeConfigText(text(['type = load_balance', 'selector = com.example.MySelector']), {
          agentName: 'a1',
          source: 'f',
        }),
      /com\.example\.MySelector.*processor\.selector/s,
    );
  });
});
