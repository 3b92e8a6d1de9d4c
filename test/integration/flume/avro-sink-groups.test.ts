import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sendLines } from '../support/flume.ts';
import { type SluiceProcess, startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';

/**
 * Sink groups over Avro RPC with a downstream agent SIGKILLed and restarted: agent A (netcat →
 * memory → two avro sinks in a `failover` or `load_balance` group) feeds agents B1 and B2 (avro
 * source → file channel → file_roll). Lines go in three phases (B1 up; B1 SIGKILLed mid-phase; B1
 * restarted); every line netcat acknowledged reaches B1 or B2, and the group routes as its policy
 * says.
 */

const PHASE = 300;

describe('avro sink groups with a downstream agent killed and restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-flume-avro-groups-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const lines = (out: string) =>
    existsSync(out)
      ? readdirSync(out).flatMap((f) =>
          readFileSync(join(out, f), 'utf8')
            .split('\n')
            .filter((l) => l !== ''),
        )
      : [];

  /** Agent `name`: avro source on `port` → file channel → file_roll into `<dir>/<name>-out`. */
  function downstream(name: string, port: number): SluiceProcess {
    const file = join(dir, `${name}.properties`);
    writeFileSync(
      file,
      [
        'b.sources = r1',
        'b.channels = c1',
        'b.sinks = k1',
        'b.sources.r1.type = avro',
        'b.sources.r1.bind = 127.0.0.1',
        `b.sources.r1.port = ${port}`,
        'b.sources.r1.channels = c1',
        'b.channels.c1.type = file',
        `b.channels.c1.checkpointDir = ${join(dir, `${name}-cp`)}`,
        `b.channels.c1.dataDirs = ${join(dir, `${name}-data`)}`,
        'b.channels.c1.minimumRequiredSpace = 0',
        'b.channels.c1.transactionCapacity = 1000',
        'b.sinks.k1.type = file_roll',
        `b.sinks.k1.sink.directory = ${join(dir, `${name}-out`)}`,
        'b.sinks.k1.sink.rollInterval = 0',
        'b.sinks.k1.sink.batchSize = 100',
        'b.sinks.k1.channel = c1',
        '',
      ].join('\n'),
    );
    return startSluice(['agent', '-n', 'b', '-f', file, '--log-format', 'json']);
  }

  const listening = (p: SluiceProcess) => p.waitForLog((r) => r.msg === 'avro source listening');

  async function run(kind: 'failover' | 'load_balance', processor: readonly string[]) {
    const [p1, p2, nc] = [await freePort(), await freePort(), await freePort()];
    const n1 = `${kind}-b1`;
    const n2 = `${kind}-b2`;
    let b1 = downstream(n1, p1);
    const b2 = downstream(n2, p2);
    const fileA = join(dir, `${kind}-a.properties`);
    writeFileSync(
      fileA,
      [
        'a.sources = r1',
        'a.channels = c1',
        'a.sinks = k1 k2',
        'a.sinkgroups = g1',
        'a.sources.r1.type = netcat',
        'a.sources.r1.bind = 127.0.0.1',
        `a.sources.r1.port = ${nc}`,
        'a.sources.r1.channels = c1',
        'a.channels.c1.type = memory',
        'a.channels.c1.capacity = 10000',
        'a.channels.c1.transactionCapacity = 100',
        ...[p1, p2].flatMap((port, i) => [
          `a.sinks.k${i + 1}.type = avro`,
          `a.sinks.k${i + 1}.hostname = 127.0.0.1`,
          `a.sinks.k${i + 1}.port = ${port}`,
          `a.sinks.k${i + 1}.batch-size = 20`,
          `a.sinks.k${i + 1}.channel = c1`,
        ]),
        'a.sinkgroups.g1.sinks = k1 k2',
        ...processor.map((l) => `a.sinkgroups.g1.processor.${l}`),
        '',
      ].join('\n'),
    );
    const a = startSluice(['agent', '-n', 'a', '-f', fileA, '--log-format', 'json']);
    /** Every line sent must be answered OK (the source committed it). */
    const sendOk = async (lines: readonly string[]) =>
      assert.equal(await sendLines(nc, lines), 'OK\n'.repeat(lines.length));
    const phase = (p: number) => Array.from({ length: PHASE }, (_, i) => `p${p} ${i}`);
    const all = () => [...lines(join(dir, `${n1}-out`)), ...lines(join(dir, `${n2}-out`))];
    const waitFor = async (want: readonly string[]) => {
      for (let i = 0; i < 300; i++) {
        const got = new Set(all());
        if (want.every((l) => got.has(l))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      const got = new Set(all());
      assert.deepEqual(
        want.filter((l) => !got.has(l)),
        [],
        'lines acknowledged by netcat never reached B1 or B2',
      );
    };
    try {
      await Promise.all([listening(b1), listening(b2)]);
      await a.waitForLog((r) => r.msg === 'agent started');

      await sendOk(phase(1));
      await waitFor(phase(1));
      const b1Before = lines(join(dir, `${n1}-out`)).length;

      // Killed while the first half of phase 2 is on its way (in A, on the wire or in B1's channel).
      const [p2a, p2b] = [phase(2).slice(0, PHASE / 2), phase(2).slice(PHASE / 2)];
      await sendOk(p2a);
      b1.child.kill('SIGKILL');
      await b1.exited;
      await sendOk(p2b);
      await waitFor(p2b);
      const b2Lines = new Set(lines(join(dir, `${n2}-out`)));
      assert.deepEqual(
        p2b.filter((l) => !b2Lines.has(l)),
        [],
        'with B1 down, every line sent after the kill goes to B2',
      );

      b1 = downstream(n1, p1);
      await listening(b1);
      await new Promise((r) => setTimeout(r, 1500)); // past the group's penalty for k1
      await sendOk(phase(3));
      await waitFor([...phase(1), ...phase(2), ...phase(3)]);
      const b1After = lines(join(dir, `${n1}-out`));
      return { b1Before, b1Phase3: b1After.filter((l) => l.startsWith('p3 ')).length, b2: b2Lines };
    } finally {
      for (const p of [a, b1, b2]) {
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.child.kill('SIGTERM');
          assert.equal(await p.exited, 0, p.stderr().slice(-2000));
        }
      }
    }
  }

  it('failover: all traffic on the higher priority sink, on the other while it is down, back after', async () => {
    const r = await run('failover', [
      'type = failover',
      'priority.k1 = 10',
      'priority.k2 = 5',
      'maxpenalty = 1000',
    ]);
    assert.equal(r.b1Before, PHASE, 'B1 (priority 10) took all of phase 1');
    assert.ok(r.b1Phase3 > 0, 'restarted B1 takes traffic again');
  });

  it('load_balance round_robin with backoff: both sinks used, the survivor carries the load meanwhile', async () => {
    const r = await run('load_balance', [
      'type = load_balance',
      'backoff = true',
      'selector = round_robin',
      'selector.maxTimeOut = 1000',
    ]);
    assert.ok(r.b1Before > 0 && r.b1Before < PHASE, `phase 1 split between B1 and B2 (B1 got ${r.b1Before})`);
    assert.ok(r.b1Phase3 > 0, 'restarted B1 takes traffic again');
  });
});
