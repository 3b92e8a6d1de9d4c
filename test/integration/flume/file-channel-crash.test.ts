import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { metricsWhen, sendLines } from '../support/flume.ts';
import { startSluice } from '../support/sluice-process.ts';
import { freePort } from '../support/zookeeper-servers.ts';
import { crashChannel } from './file-channel-crash.child.ts';

const CHILD = join(import.meta.dirname, 'file-channel-crash.child.ts');
const root = mkdtempSync(join(tmpdir(), 'sluice-fc-crash-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Ledger {
  attempted: Set<string>;
  putAcked: Set<string>;
  takeAttempted: Set<string>;
  takeAcked: Set<string>;
}

/** Runs the child on `dir` and SIGKILLs it once it has printed `killAfter` lines after "ready". */
function runAndKill(dir: string, run: number, killAfter: number, ledger: Ledger): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdin.end(`${dir} ${run}\n`);
    let stderr = '';
    let lines = 0;
    let failure: Error | null = null;
    proc.stderr.on('data', (d) => {
      stderr += d;
    });
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const [kind, list = ''] = line.split(' ');
      const ids = list === '' ? [] : list.split(',');
      for (const id of ids) {
        if (kind === 'putting') ledger.attempted.add(id);
        else if (kind === 'put') ledger.putAcked.add(id);
        else if (kind === 'taking') {
          if (ledger.takeAcked.has(id)) failure ??= new Error(`run ${run}: committed take ${id} came back`);
          ledger.takeAttempted.add(id);
        } else if (kind === 'took') {
          if (ledger.takeAcked.has(id)) failure ??= new Error(`run ${run}: ${id} taken twice`);
          ledger.takeAcked.add(id);
        }
      }
      if (kind !== 'ready' && ++lines >= killAfter) proc.kill('SIGKILL');
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (failure) reject(failure);
      else if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited by itself (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

describe('file channel under SIGKILL', () => {
  it('keeps every committed put exactly once and never returns a committed take, across 6 kills', async () => {
    const dir = join(root, 'crash');
    const ledger: Ledger = {
      attempted: new Set(),
      putAcked: new Set(),
      takeAttempted: new Set(),
      takeAcked: new Set(),
    };
    let rng = 0x2545f491;
    for (let run = 0; run < 6; run++) {
      rng = (Math.imul(rng, 1103515245) + 12345) >>> 0;
      await runAndKill(dir, run, 150 + (rng % 600), ledger);
    }
    const channel = crashChannel(dir);
    await channel.start();
    const drained: string[] = [];
    for (;;) {
      const tx = channel.getTransaction();
      tx.begin();
      const e = await tx.take();
      if (e !== null) drained.push(e.headers.id!);
      await tx.commit();
      tx.close();
      if (e === null) break;
    }
    await channel.stop();
    assert.equal(new Set(drained).size, drained.length, 'no event twice');
    for (const id of drained) {
      assert.ok(ledger.attempted.has(id), `${id} was put`);
      assert.ok(!ledger.takeAcked.has(id), `committed take ${id} is gone`);
    }
    const left = new Set(drained);
    for (const id of ledger.putAcked) {
      assert.ok(
        left.has(id) || ledger.takeAttempted.has(id),
        `committed put ${id} is present (or was taken)`,
      );
    }
    assert.ok(ledger.putAcked.size > 300, `the children committed ${ledger.putAcked.size} puts`);
    assert.ok(ledger.takeAcked.size > 100, `the children committed ${ledger.takeAcked.size} takes`);
  });
});

describe('sluice agent with a file channel', () => {
  it('netcat → file channel: acknowledged lines survive SIGKILL and reach a logger sink after restart', async () => {
    const port = await freePort();
    const base = join(root, 'agent');
    const channel = [
      'a1.channels.c1.type = file',
      `a1.channels.c1.checkpointDir = ${join(base, 'cp')}`,
      `a1.channels.c1.dataDirs = ${join(base, 'd1')},${join(base, 'd2')}`,
      'a1.channels.c1.minimumRequiredSpace = 0',
    ];
    // First agent: nothing drains c1 (its sink reads another channel), so the lines stay there.
    const first = join(base, 'first.properties');
    const second = join(base, 'second.properties');
    mkdirSync(base, { recursive: true });
    writeFileSync(
      first,
      [
        'a1.sources = r1',
        'a1.sinks = k1',
        'a1.channels = c1 c2',
        'a1.sources.r1.type = netcat',
        'a1.sources.r1.bind = 127.0.0.1',
        `a1.sources.r1.port = ${port}`,
        'a1.sources.r1.channels = c1',
        'a1.sinks.k1.type = null',
        'a1.sinks.k1.channel = c2',
        'a1.channels.c2.type = memory',
        ...channel,
        '',
      ].join('\n'),
    );
    writeFileSync(
      second,
      [
        'a1.sinks = k1',
        'a1.channels = c1',
        'a1.sinks.k1.type = logger',
        'a1.sinks.k1.channel = c1',
        ...channel,
        '',
      ].join('\n'),
    );
    const agent1 = startSluice(['agent', '-n', 'a1', '-f', first]);
    try {
      await agent1.waitForOutput(() => /agent started/.test(agent1.stderr()));
      assert.ok(existsSync(join(base, 'cp', 'in_use.lock')));
      assert.equal(await sendLines(port, ['durable one', 'durable two']), 'OK\nOK\n');
    } finally {
      agent1.child.kill('SIGKILL');
      await agent1.exited;
    }
    const agent2 = startSluice(['agent', '-n', 'a1', '-f', second]);
    try {
      // "durable " = 64 75 72 61 62 6c 65 20 in the logger sink's hex dump.
      await agent2.waitForOutput(
        () => (agent2.stderr().match(/body: 64 75 72 61 62 6C 65 20/gi) ?? []).length === 2,
      );
    } finally {
      assert.equal(await agent2.stop(), 0, agent2.stderr().slice(-2000));
    }
    assert.ok(existsSync(join(base, 'cp', 'checkpoint')), 'checkpoint written on close');
  });
});

describe('sluice agent: seq → file channel → null sink', () => {
  it('a restarted agent delivers exactly the events the killed one left in the channel', {
    timeout: 60_000,
  }, async () => {
    const base = join(root, 'seq');
    mkdirSync(base, { recursive: true });
    const channel = [
      'a1.channels.c1.type = file',
      `a1.channels.c1.checkpointDir = ${join(base, 'cp')}`,
      `a1.channels.c1.dataDirs = ${join(base, 'd1')}`,
      'a1.channels.c1.minimumRequiredSpace = 0',
      'a1.channels.c1.transactionCapacity = 100',
    ];
    const first = join(base, 'first.properties');
    const second = join(base, 'second.properties');
    // The first agent's sink drains another channel: c1 only fills.
    writeFileSync(
      first,
      [
        'a1.sources = r1',
        'a1.sinks = k1',
        'a1.channels = c1 c2',
        'a1.sources.r1.type = seq',
        'a1.sources.r1.totalEvents = 300',
        'a1.sources.r1.batchSize = 7',
        'a1.sources.r1.channels = c1',
        'a1.sinks.k1.type = null',
        'a1.sinks.k1.channel = c2',
        'a1.channels.c2.type = memory',
        ...channel,
        '',
      ].join('\n'),
    );
    writeFileSync(
      second,
      [
        'a1.sinks = k1',
        'a1.channels = c1',
        'a1.sinks.k1.type = null',
        'a1.sinks.k1.channel = c1',
        ...channel,
        '',
      ].join('\n'),
    );
    const monitor = (port: number) => ['-Dflume.monitoring.type=http', `-Dflume.monitoring.port=${port}`];
    const port1 = await freePort();
    const agent1 = startSluice(['agent', '-n', 'a1', '-f', first, ...monitor(port1)]);
    try {
      const m = await metricsWhen(agent1, port1, (x) => x['CHANNEL.c1']?.EventPutSuccessCount === '300');
      assert.equal(m['CHANNEL.c1']?.ChannelSize, '300');
      assert.equal(m['CHANNEL.c1']?.ChannelCapacity, '1000000');
    } finally {
      agent1.child.kill('SIGKILL');
      await agent1.exited;
    }
    const port2 = await freePort();
    const agent2 = startSluice(['agent', '-n', 'a1', '-f', second, ...monitor(port2)]);
    try {
      // A duplicate would push the drain count past 300 and this would never hold.
      const m = await metricsWhen(
        agent2,
        port2,
        (x) => x['SINK.k1']?.EventDrainSuccessCount === '300' && x['CHANNEL.c1']?.ChannelSize === '0',
      );
      assert.equal(m['CHANNEL.c1']?.EventTakeSuccessCount, '300');
      assert.equal(m['CHANNEL.c1']?.EventPutSuccessCount, '0');
    } finally {
      assert.equal(await agent2.stop(), 0, agent2.stderr().slice(-2000));
    }
    // A third start, where nothing drains c1 and nothing is put: the delivered events stay gone.
    writeFileSync(first, readFileSync(first, 'utf8').replace('totalEvents = 300', 'totalEvents = 0'));
    const port3 = await freePort();
    const agent3 = startSluice(['agent', '-n', 'a1', '-f', first, ...monitor(port3)]);
    try {
      await agent3.waitForOutput(() => /agent started/.test(agent3.stderr()));
      const m = await metricsWhen(agent3, port3, (x) => x['CHANNEL.c1'] !== undefined);
      assert.equal(m['CHANNEL.c1']?.ChannelSize, '0');
    } finally {
      assert.equal(await agent3.stop(), 0, agent3.stderr().slice(-2000));
    }
  });
});
