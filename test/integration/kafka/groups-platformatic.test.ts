import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SluiceProcess, startBroker } from '../support/sluice-process.ts';
import { type Member, threeMemberScenario } from './clients/group-harness.ts';

/** Consumer groups with @platformatic/kafka 1.35 (its own assignor, eager rebalances, a commit per record). */
describe('consumer groups: platformatic, three member processes', () => {
  let proc: SluiceProcess;
  let port: number;
  const members: Member[] = [];

  before(async () => {
    ({ proc, port } = await startBroker(['--override', 'group.initial.rebalance.delay.ms=500']));
  });

  after(async () => {
    for (const m of members)
      if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
    const code = await proc.stop();
    assert.equal(code, 0, `broker exits 0 on SIGTERM; stderr:\n${proc.stderr().slice(-4000)}`);
  });

  it('share a topic, survive a clean leave and a kill -9, never skip or re-deliver a committed record', async (t) => {
    const { summary, leaveMs, expireMs } = await threeMemberScenario(
      'platformatic',
      port,
      'platformatic',
      (m) => members.push(m),
    );
    t.diagnostic(
      `platformatic: generations ${summary.generations.join(',')}, ${summary.epochs} ownership periods, ${summary.redelivered} records re-delivered (uncommitted when their owner left or died); reassigned ${leaveMs} ms after the leave, ${expireMs} ms after the kill`,
    );
  });
});
