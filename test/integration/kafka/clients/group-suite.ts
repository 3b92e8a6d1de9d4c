import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type SluiceProcess, startBroker } from '../../support/sluice-process.ts';
import { type ClientKind, type Member, threeMemberScenario } from './group-harness.ts';

/** The broker and member processes of one consumer-group suite. */
export interface GroupSuite {
  /** The broker's port (set once `before` ran). */
  port(): number;
  /** Every member started; those still running are killed when the suite ends. */
  readonly members: Member[];
}

/**
 * Registers, in the enclosing `describe`, a broker started before the tests (short initial
 * rebalance delay) and stopped after them, killing any member process still running.
 */
export function useGroupBroker(): GroupSuite {
  let proc: SluiceProcess;
  let port = 0;
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
  return { port: () => port, members };
}

/** The three-member scenario of `threeMemberScenario` as one test of `client`. */
export function itSharesAndSurvives(suite: GroupSuite, client: ClientKind, title: string): void {
  it(title, async (t) => {
    const { summary, leaveMs, expireMs } = await threeMemberScenario(client, suite.port(), client, (m) =>
      suite.members.push(m),
    );
    t.diagnostic(
      `${client}: generations ${summary.generations.join(',')}, ${summary.epochs} ownership periods, ${summary.redelivered} records re-delivered (uncommitted when their owner left or died); reassigned ${leaveMs} ms after the leave, ${expireMs} ms after the kill`,
    );
  });
}
