import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { restartOnSamePort } from '../support/interop.ts';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';
import {
  allCommitted,
  brokerCommitted,
  checkHistory,
  createTopic,
  kafkaClient,
  type Member,
  produceKnown,
  settled,
  startMember,
  waitUntil,
} from './clients/group-harness.ts';

const GROUP_OVERRIDES = ['--override', 'group.initial.rebalance.delay.ms=0'];

/** kill -9, then a new broker process on the same data directory and port. */
async function crashOnSamePort(proc: SluiceProcess, port: number, dataDir: string): Promise<SluiceProcess> {
  proc.child.kill('SIGKILL');
  await proc.exited;
  const next = await startBroker([
    '--override',
    `log.dirs=${dataDir}`,
    '--override',
    `listeners=PLAINTEXT://127.0.0.1:${port}`,
    ...GROUP_OVERRIDES,
  ]);
  assert.equal(next.port, port, 'restarted on the same port');
  return next.proc;
}

/** The first offset `m` received from each partition. */
function firstOffsets(m: Member): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of m.events) {
    if (e.e !== 'batch') continue;
    for (const [p, o] of e.records!) if (!out.has(p)) out.set(p, o);
  }
  return out;
}

describe('consumer groups across broker restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-it-groups-restart-'));
  let proc: SluiceProcess;
  let port: number;
  const members: Member[] = [];

  before(async () => {
    ({ proc, port } = await startBroker(['--override', `log.dirs=${dataDir}`, ...GROUP_OVERRIDES]));
  });

  after(async () => {
    for (const m of members)
      if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
    const code = await proc.stop();
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr().slice(-4000)}`);
  });

  it('committed offsets survive a clean restart and a kill -9; consumers resume exactly there', async () => {
    const kafka = kafkaClient(port);
    const topic = 'groups-restart';
    const group = 'group-restart';
    const partitions = 3;
    await createTopic(kafka, topic, partitions);
    const ends = [0, 0, 0];
    const consume = async (name: string, from: readonly number[]) => {
      const m = startMember('kafkajs', {
        bootstrap: `127.0.0.1:${port}`,
        topic,
        group,
        name,
        max_batch: 7,
        batch_delay_ms: 5,
      });
      members.push(m);
      await waitUntil(`${name} consumed and committed up to ${ends}`, () => allCommitted([m], ends), [m]);
      assert.equal(await m.term(), 0, `${name} exits 0; stderr:\n${m.stderr()}`);
      assert.deepEqual(
        [...firstOffsets(m)].sort((a, b) => a[0] - b[0]),
        from.map((o, p) => [p, o]),
        `${name} resumed exactly at the committed offsets`,
      );
      checkHistory([m], ends, from);
    };

    await produceKnown(kafka, topic, ends, 25);
    await consume('before-restarts', [0, 0, 0]);
    await produceKnown(kafka, topic, ends, 20);

    proc = await restartOnSamePort(proc, port, dataDir);
    assert.deepEqual([...(await brokerCommitted(kafka, group, topic))].sort(), [
      [0, 25],
      [1, 25],
      [2, 25],
    ]);
    await consume('after-clean-restart', [25, 25, 25]);
    await produceKnown(kafka, topic, ends, 15);

    proc = await crashOnSamePort(proc, port, dataDir);
    assert.deepEqual([...(await brokerCommitted(kafka, group, topic))].sort(), [
      [0, 45],
      [1, 45],
      [2, 45],
    ]);
    await consume('after-kill-9', [45, 45, 45]);
    assert.deepEqual([...(await brokerCommitted(kafka, group, topic))].sort(), [
      [0, 60],
      [1, 60],
      [2, 60],
    ]);
  });

  for (const kind of ['platformatic', 'confluent'] as const) {
    it(`${kind}: a static member (group.instance.id) killed and restarted within the session timeout rejoins without a rebalance`, async (t) => {
      const kafka = kafkaClient(port);
      const topic = `groups-static-${kind}`;
      await createTopic(kafka, topic, 4);
      const ends = [0, 0, 0, 0];
      await produceKnown(kafka, topic, ends, 10);
      const start = (name: string, instance: string) => {
        const m = startMember(kind, {
          bootstrap: `127.0.0.1:${port}`,
          topic,
          group: `group-static-${kind}`,
          name,
          instance_id: instance,
          session_timeout_ms: 20_000,
          heartbeat_ms: 500,
          max_batch: 5,
          batch_delay_ms: 5,
        });
        members.push(m);
        return m;
      };
      // s1 joins first and leads; s2 (a follower) is the one restarted.
      const s1 = start('static-1', 'instance-1');
      await waitUntil('s1 assigned', () => s1.owned().size > 0, [s1]);
      const s2 = start('static-2', 'instance-2');
      await waitUntil('s1 and s2 share the partitions', () => settled([s1, s2], 4), [s1, s2]);
      await waitUntil('the first records committed', () => allCommitted([s1, s2], ends), [s1, s2]);
      const s1Events = s1.events.length;
      const s1Generation = s1.events.findLast((e) => e.e === 'assigned')!.generation;
      const s2Owned = [...s2.owned()];

      await s2.kill();
      const again = start('static-2-again', 'instance-2');
      await waitUntil('the restarted s2 assigned', () => again.owned().size > 0, [s1, again]);
      await produceKnown(kafka, topic, ends, 10);
      await waitUntil('the new records committed', () => allCommitted([s1, s2, again], ends), [s1, again]);
      // A few heartbeats: a rebalance would reach s1 as REBALANCE_IN_PROGRESS and a rejoin.
      await new Promise((r) => setTimeout(r, 2000));

      assert.deepEqual([...again.owned()], s2Owned, 'the restarted member gets its old partitions back');
      assert.equal(
        again.events.find((e) => e.e === 'assigned')!.generation,
        s1Generation,
        'the restarted member is in the same generation',
      );
      assert.deepEqual(
        s1.events.slice(s1Events).filter((e) => e.e === 'assigned' || e.e === 'revoked'),
        [],
        's1 saw no rebalance',
      );
      for (const m of [s1, again]) await m.kill();
      checkHistory([s1, s2, again], ends);
      t.diagnostic(
        `${kind} static membership: generation ${s1Generation} kept, s2's partitions ${s2Owned.join(',')}`,
      );
    });
  }
});
