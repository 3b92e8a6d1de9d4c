import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { CounterGroup, SINK_COUNTERS } from '../api/counter-group.ts';
import type { Sink } from '../api/sink.ts';
import type { ProcessStatus } from '../api/source.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { parseFlumeConfigText } from '../config/flume-config.ts';
import { EventDeliveryException, FailoverSinkProcessor } from './failover-sink-processor.ts';

/** A sink that fails while `down`, and records every call. */
export class ScriptedSink implements Sink {
  readonly name: string;
  readonly channel = new MemoryChannel('unused');
  readonly counters: CounterGroup;
  readonly batchSize = 1;
  readonly calls: string[];
  down = false;
  status: ProcessStatus = 'READY';
  started = false;

  constructor(name: string, calls: string[]) {
    this.name = name;
    this.calls = calls;
    this.counters = new CounterGroup('SINK', name, SINK_COUNTERS);
  }
  async start() {
    this.started = true;
  }
  async process(): Promise<ProcessStatus> {
    this.calls.push(this.name);
    if (this.down) throw new Error(`${this.name} is down`);
    return this.status;
  }
  async stop() {
    this.started = false;
  }
}

describe('failover sink processor', () => {
  const setup = (priorities: Record<string, number>, maxPenaltyMs = 30000) => {
    const calls: string[] = [];
    const sinks = ['k1', 'k2', 'k3'].map((n) => new ScriptedSink(n, calls));
    let now = 1_000_000;
    const clock = {
      advance: (ms: number) => {
        now += ms;
      },
    };
    const p = new FailoverSinkProcessor(sinks, { priorities, maxPenaltyMs }, new MemoryLogger(), () => now);
    return { calls, sinks: sinks as [ScriptedSink, ScriptedSink, ScriptedSink], p, clock };
  };

  it('runs the sink with the highest priority (user guide: k2 = 10 over k1 = 5)', async () => {
    const { calls, p } = setup({ k1: 5, k2: 10 });
    await p.process();
    await p.process();
    assert.deepEqual(calls, ['k2', 'k2']);
  });

  it('ranks sinks without a priority below, in group order', async () => {
    const { p } = setup({});
    assert.equal(p.activeSink?.name, 'k1');
    const { p: p2 } = setup({ k3: -5 });
    assert.equal(p2.activeSink?.name, 'k1');
  });

  it('fails over at once, penalises the failed sink exponentially and lets it back when it recovers', async () => {
    const { calls, sinks, p, clock } = setup({ k1: 10, k2: 5, k3: 1 });
    sinks[0].down = true;
    assert.equal(await p.process(), 'READY');
    assert.deepEqual(calls.splice(0), ['k1', 'k2']);
    // Within the 2 s penalty k1 is not tried.
    clock.advance(1999);
    await p.process();
    assert.deepEqual(calls.splice(0), ['k2']);
    // After it, k1 is retried first; it fails again and is out for 4 s.
    clock.advance(1);
    await p.process();
    assert.deepEqual(calls.splice(0), ['k1', 'k2']);
    clock.advance(3999);
    await p.process();
    assert.deepEqual(calls.splice(0), ['k2']);
    clock.advance(1);
    sinks[0].down = false;
    await p.process();
    assert.deepEqual(calls.splice(0), ['k1']);
    await p.process();
    assert.deepEqual(calls.splice(0), ['k1']);
    assert.equal(p.activeSink?.name, 'k1');
  });

  it('caps the penalty at maxpenalty', async () => {
    const { calls, sinks, p, clock } = setup({ k1: 10, k2: 5 }, 3000);
    sinks[0].down = true;
    for (let i = 0; i < 6; i++) {
      await p.process();
      clock.advance(3000);
    }
    // Every 3 s k1 is retried (penalty 2 s, then capped at 3 s), k2 does the work.
    assert.deepEqual(calls.filter((c) => c === 'k1').length, 6);
  });

  it('throws when every sink has failed, and recovers after the penalty', async () => {
    const { sinks, p, clock } = setup({});
    for (const s of sinks) s.down = true;
    await assert.rejects(p.process(), EventDeliveryException);
    await assert.rejects(p.process(), EventDeliveryException);
    sinks[1].down = false;
    clock.advance(2000);
    assert.equal(await p.process(), 'READY');
    assert.equal(p.activeSink?.name, 'k2');
  });

  it('starts and stops every sink of the group', async () => {
    const { sinks, p } = setup({});
    await p.start();
    assert.ok(sinks.every((s) => s.started));
    await p.stop();
    assert.ok(sinks.every((s) => !s.started));
  });

  const group = (lines: string[]) =>
    [
      'a1.sources = r1',
      'a1.channels = c1',
      'a1.sinks = k1 k2',
      'a1.sinkgroups = g1',
      'a1.sinkgroups.g1.sinks = k1 k2',
      ...lines.map((l) => `a1.sinkgroups.g1.processor.${l}`),
      'a1.sources.r1.type = seq',
      'a1.sources.r1.channels = c1',
      'a1.channels.c1.type = memory',
      'a1.sinks.k1.type = null',
      'a1.sinks.k1.channel = c1',
      'a1.sinks.k2.type = null',
      'a1.sinks.k2.channel = c1',
    ].join('\n');

  it('reads the user guide example', () => {
    const c = parseFlumeConfigText(
      group(['type = failover', 'priority.k1 = 5', 'priority.k2 = 10', 'maxpenalty = 10000']),
      {
        agentName: 'a1',
        source: 'f',
      },
    );
    assert.deepEqual(c.sinkGroups[0], {
      name: 'g1',
      sinks: ['k1', 'k2'],
      processor: 'failover',
      settings: { maxpenalty: 10000, priorities: { k1: 5, k2: 10 } },
    });
  });

  it('refuses duplicate or non-numeric priorities, naming the key', () => {
    assert.throws(
      () =>
        parseFlumeConfigText(group(['type = failover', 'priority.k1 = 5', 'priority.k2 = 5']), {
          agentName: 'a1',
          source: 'f',
        }),
      /a1\.sinkgroups\.g1\.processor\.priority\.k2.*unique/s,
    );
    assert.throws(
      () =>
        parseFlumeConfigText(group(['type = failover', 'priority.k1 = high']), {
          agentName: 'a1',
          source: 'f',
        }),
      /"high".*priority\.k1/s,
    );
  });
});
