import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startSluice } from '../support/sluice-process.ts';
import { runSluice, type ToolRun, useBroker } from './support.ts';

/**
 * `sluice consumer-groups` and `sluice console-consumer --group` against a real
 * `bin/sluice broker`: committed offsets, lag, members, resets and deletes as
 * kafka-consumer-groups.sh shows them. Skipped (naming the API) until the broker advertises the
 * group coordinator's APIs.
 */

const GROUP_APIS = [
  'CreateTopics',
  'Produce',
  'Fetch',
  'ListOffsets',
  'FindCoordinator',
  'JoinGroup',
  'SyncGroup',
  'Heartbeat',
  'LeaveGroup',
  'OffsetCommit',
  'OffsetFetch',
  'ListGroups',
  'DescribeGroups',
  'DeleteGroups',
];

/** The table rows of a --describe/--reset-offsets output, split on runs of spaces. */
function rows(r: ToolRun): string[][] {
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/ +/));
}

describe('sluice consumer-groups against a real broker', () => {
  const tb = useBroker();
  const groups = (...args: string[]) => runSluice(['consumer-groups', ...tb.bootstrapArgs(), ...args]);
  const consume = (group: string, topic: string, ...args: string[]) =>
    runSluice(['console-consumer', ...tb.bootstrapArgs(), '--topic', topic, '--group', group, ...args]);
  const produce = async (topic: string, lines: string[]) => {
    const r = await runSluice(
      ['console-producer', ...tb.bootstrapArgs(), '--topic', topic],
      `${lines.join('\n')}\n`,
    );
    assert.equal(r.code, 0, r.stderr);
  };
  const values = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `v${from + i}`);

  it('console-consumer --group commits what it printed; --describe shows offsets, log end and lag', async (t) => {
    if (!tb.needs(t, ...GROUP_APIS)) return;
    await tb.createTopic('cg-orders');
    await produce('cg-orders', values(0, 10));

    const first = await consume('cg-app', 'cg-orders', '--from-beginning', '--max-messages', '6');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `${values(0, 6).join('\n')}\n`);
    assert.match(first.stderr, /Processed a total of 6 messages/);

    const described = await groups('--describe', '--group', 'cg-app');
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stderr, /Consumer group 'cg-app' has no active members\./);
    assert.equal(described.stdout.split('\n')[0], '', 'a blank line before the header, as Kafka prints it');
    assert.deepEqual(rows(described), [
      [
        'GROUP',
        'TOPIC',
        'PARTITION',
        'CURRENT-OFFSET',
        'LOG-END-OFFSET',
        'LAG',
        'CONSUMER-ID',
        'HOST',
        'CLIENT-ID',
      ],
      ['cg-app', 'cg-orders', '0', '6', '10', '4', '-', '-', '-'],
    ]);

    // The group's committed offset wins over --from-beginning: the next member resumes at 6.
    const second = await consume('cg-app', 'cg-orders', '--from-beginning', '--max-messages', '4');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, `${values(6, 10).join('\n')}\n`);
    const caughtUp = await groups('--describe', '--group', 'cg-app', '--offsets');
    assert.deepEqual(rows(caughtUp)[1], ['cg-app', 'cg-orders', '0', '10', '10', '0', '-', '-', '-']);

    const list = await groups('--list');
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').includes('cg-app'), list.stdout);
    const withState = await groups('--list', '--state');
    assert.match(withState.stdout, /^GROUP +STATE +\n/);
    assert.match(withState.stdout, /^cg-app +Empty +$/m);
    const stableOnly = await groups('--list', '--state', 'stable');
    assert.doesNotMatch(stableOnly.stdout, /cg-app/);
    const badState = await groups('--list', '--state', 'sleepy');
    assert.equal(badState.code, 2);
    assert.match(badState.stderr, /Invalid state list 'sleepy'/);

    const missing = await groups('--describe', '--group', 'cg-nobody');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Consumer group 'cg-nobody' does not exist\./);
  });

  it('a running member shows in --members and --state, and blocks --reset-offsets', async (t) => {
    if (!tb.needs(t, ...GROUP_APIS)) return;
    await tb.createTopic('cg-live', 2);
    await produce('cg-live', values(0, 4));
    const member = startSluice([
      'console-consumer',
      ...tb.bootstrapArgs(),
      '--topic',
      'cg-live',
      '--group',
      'cg-live-app',
      '--from-beginning',
      '--consumer-property',
      'client.id=cg-live-client',
      '--consumer-property',
      'auto.commit.interval.ms=100',
    ]);
    try {
      await member.waitForOutput(() => member.stdout().trimEnd().split('\n').length >= 4);
      let state: ToolRun | undefined;
      // The member has joined once it printed; a rebalance may still be finishing: wait for Stable.
      for (let i = 0; i < 50; i++) {
        state = await groups('--describe', '--group', 'cg-live-app', '--state');
        if (/ Stable /.test(state.stdout)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(state!.code, 0, state!.stderr);
      const [header, row] = rows(state!);
      assert.deepEqual(header, ['GROUP', 'COORDINATOR', '(ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']);
      assert.equal(row![0], 'cg-live-app');
      assert.match(row![1]!, /^127\.0\.0\.1:\d+$/);
      assert.equal(row![2], '(1)');
      assert.equal(row![4], 'Stable');
      assert.equal(row![5], '1');

      const members = await groups('--describe', '--group', 'cg-live-app', '--members', '--verbose');
      assert.equal(members.code, 0, members.stderr);
      const [mh, m] = rows(members);
      assert.deepEqual(mh, ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']);
      assert.equal(m![0], 'cg-live-app');
      assert.equal(m![3], 'cg-live-client');
      assert.equal(m![4], '2');
      assert.equal(m!.slice(5).join(' '), 'cg-live(0,1)');

      // auto.commit.interval.ms=100: the live member commits what it printed while it runs.
      let owned: string[][] = [];
      for (let i = 0; i < 50; i++) {
        const offsets = await groups('--describe', '--group', 'cg-live-app');
        assert.equal(offsets.code, 0, offsets.stderr);
        owned = rows(offsets).slice(1);
        if (owned.length === 2 && owned.every((r) => r[5] === '0')) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.deepEqual(
        owned.map((r) => [r[0], r[1], r[2], r[5], r[7], r[8]]),
        [
          ['cg-live-app', 'cg-live', '0', '0', '/127.0.0.1', 'cg-live-client'],
          ['cg-live-app', 'cg-live', '1', '0', '/127.0.0.1', 'cg-live-client'],
        ],
      );
      assert.equal(owned[0]![6], m![1], 'CONSUMER-ID is the member id');
      assert.equal(
        owned.reduce((sum, r) => sum + Number(r[4]), 0),
        4,
        'the log end offsets add up to the records produced',
      );

      const refused = await groups(
        '--reset-offsets',
        '--group',
        'cg-live-app',
        '--all-topics',
        '--to-earliest',
        '--execute',
      );
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /Assignments can only be reset if the group 'cg-live-app' is inactive, but the current state is Stable\./,
      );
    } finally {
      assert.equal(await member.stop(), 0, member.stderr());
    }
    assert.match(member.stderr(), /Processed a total of 4 messages/);
    // On SIGTERM the member committed what it printed before leaving.
    const after = await groups('--describe', '--group', 'cg-live-app');
    assert.deepEqual(
      rows(after)
        .slice(1)
        .map((r) => r[5]),
      ['0', '0'],
    );
  });

  it('a KIP-848 member (group.protocol=consumer) shows in --list, --state and --members', async (t) => {
    if (!tb.needs(t, ...GROUP_APIS, 'ConsumerGroupHeartbeat', 'ConsumerGroupDescribe')) return;
    await tb.createTopic('cg-848', 2);
    await produce('cg-848', values(0, 4));
    const member = startSluice([
      'console-consumer',
      ...tb.bootstrapArgs(),
      '--topic',
      'cg-848',
      '--group',
      'cg-848-app',
      '--from-beginning',
      '--consumer-property',
      'group.protocol=consumer',
      '--consumer-property',
      'client.id=cg-848-client',
    ]);
    try {
      await member.waitForOutput(() => member.stdout().trimEnd().split('\n').length >= 4);
      let state: ToolRun | undefined;
      for (let i = 0; i < 50; i++) {
        state = await groups('--describe', '--group', 'cg-848-app', '--state');
        if (/ Stable /.test(state.stdout)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(state!.code, 0, state!.stderr);
      const [, row] = rows(state!);
      assert.deepEqual([row![0], row![3], row![4], row![5]], ['cg-848-app', 'uniform', 'Stable', '1']);

      const members = await groups('--describe', '--group', 'cg-848-app', '--members', '--verbose');
      assert.equal(members.code, 0, members.stderr);
      const [, m] = rows(members);
      assert.deepEqual(
        [m![0], m![3], m![4], m!.slice(5).join(' ')],
        ['cg-848-app', 'cg-848-client', '2', 'cg-848(0,1)'],
      );

      const listed = await groups('--list', '--type');
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(
        rows(listed).some((r) => r[0] === 'cg-848-app' && r[1] === 'Consumer'),
        listed.stdout,
      );
    } finally {
      assert.equal(await member.stop(), 0, member.stderr());
    }
  });

  it('members share the partitions and hand them over on exit: nothing lost, nothing twice', async (t) => {
    if (!tb.needs(t, ...GROUP_APIS)) return;
    await tb.createTopic('cg-share', 2);
    const member = () =>
      startSluice([
        'console-consumer',
        ...tb.bootstrapArgs(),
        '--topic',
        'cg-share',
        '--group',
        'cg-share-app',
      ]);
    const lines = (p: ReturnType<typeof member>) =>
      p
        .stdout()
        .split('\n')
        .filter((l) => l !== '');
    const waitForStable = async (members: string) => {
      for (let i = 0; i < 100; i++) {
        const state = await groups('--describe', '--group', 'cg-share-app', '--state');
        if (new RegExp(` Stable +${members}\n`).test(state.stdout)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.fail(`the group did not become Stable with ${members} member(s)`);
    };
    const a = member();
    const b = member();
    try {
      await waitForStable('2');
      await produce('cg-share', values(0, 10));
      await a.waitForOutput(() => lines(a).length + lines(b).length >= 10);
      await b.waitForOutput(() => lines(a).length + lines(b).length >= 10);
      assert.ok(lines(a).length > 0 && lines(b).length > 0, 'each member got a partition');
      assert.equal(await b.stop(), 0, b.stderr());
      await waitForStable('1');
      await produce('cg-share', values(10, 20));
      await a.waitForOutput(() => lines(a).length + lines(b).length >= 20);
    } finally {
      await b.stop();
      assert.equal(await a.stop(), 0, a.stderr());
    }
    assert.deepEqual([...lines(a), ...lines(b)].sort(), values(0, 20).sort());
    const after = await groups('--describe', '--group', 'cg-share-app');
    assert.deepEqual(
      rows(after)
        .slice(1)
        .map((r) => r[5]),
      ['0', '0'],
    );
  });

  it('--reset-offsets plans, executes, clamps and shifts; the group then reads again from there', async (t) => {
    if (!tb.needs(t, ...GROUP_APIS)) return;
    await tb.createTopic('cg-replay');
    await produce('cg-replay', values(0, 5));
    const all = await consume('cg-replay-app', 'cg-replay', '--from-beginning', '--max-messages', '5');
    assert.equal(all.code, 0, all.stderr);

    const dry = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--topic',
      'cg-replay',
      '--to-earliest',
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, /No action will be performed as the --execute option is missing/);
    assert.deepEqual(rows(dry), [
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      ['cg-replay-app', 'cg-replay', '0', '0'],
    ]);
    const unchanged = await groups('--describe', '--group', 'cg-replay-app');
    assert.equal(rows(unchanged)[1]![3], '5', 'a dry run commits nothing');

    const executed = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--all-topics',
      '--to-earliest',
      '--execute',
    );
    assert.equal(executed.code, 0, executed.stderr);
    assert.deepEqual(rows(executed)[1], ['cg-replay-app', 'cg-replay', '0', '0']);
    const reset = await groups('--describe', '--group', 'cg-replay-app');
    assert.deepEqual(rows(reset)[1]!.slice(0, 6), ['cg-replay-app', 'cg-replay', '0', '0', '5', '5']);

    const again = await consume('cg-replay-app', 'cg-replay', '--max-messages', '5');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `${values(0, 5).join('\n')}\n`, 'read from the start again');

    const clamped = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--topic',
      'cg-replay:0',
      '--to-offset',
      '99',
      '--execute',
    );
    assert.equal(clamped.code, 0, clamped.stderr);
    assert.match(
      clamped.stderr,
      /New offset \(99\) is higher than latest offset for topic partition cg-replay-0\. Value will be set to 5\./,
    );
    assert.deepEqual(rows(clamped)[1], ['cg-replay-app', 'cg-replay', '0', '5']);

    const shifted = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--all-topics',
      '--shift-by',
      '-3',
      '--execute',
    );
    assert.deepEqual(rows(shifted)[1], ['cg-replay-app', 'cg-replay', '0', '2']);
    const exported = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--all-topics',
      '--to-current',
      '--dry-run',
      '--export',
    );
    assert.equal(exported.stdout, 'cg-replay,0,2\n\n');

    const dir = await mkdtemp(join(tmpdir(), 'sluice-cg-'));
    try {
      await writeFile(join(dir, 'plan.csv'), 'cg-replay,0,4\n');
      const fromFile = await groups(
        '--reset-offsets',
        '--group',
        'cg-replay-app',
        '--from-file',
        join(dir, 'plan.csv'),
        '--execute',
      );
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assert.deepEqual(rows(fromFile)[1], ['cg-replay-app', 'cg-replay', '0', '4']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const tail = await consume('cg-replay-app', 'cg-replay', '--max-messages', '1');
    assert.equal(tail.stdout, 'v4\n');

    const datetime = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--all-topics',
      '--to-datetime',
      '2000-01-01T00:00:00.000',
      '--dry-run',
    );
    assert.equal(datetime.code, 0, datetime.stderr);
    assert.deepEqual(rows(datetime)[1], ['cg-replay-app', 'cg-replay', '0', '0']);
    const duration = await groups(
      '--reset-offsets',
      '--group',
      'cg-replay-app',
      '--all-topics',
      '--by-duration',
      'P1D',
      '--dry-run',
    );
    assert.deepEqual(rows(duration)[1], ['cg-replay-app', 'cg-replay', '0', '0']);
  });

  it('--delete-offsets and --delete remove what the group committed', async (t) => {
    if (!tb.needs(t, ...GROUP_APIS, 'OffsetDelete')) return;
    await tb.createTopic('cg-gone');
    await produce('cg-gone', values(0, 3));
    const r = await consume('cg-gone-app', 'cg-gone', '--from-beginning', '--max-messages', '3');
    assert.equal(r.code, 0, r.stderr);

    const deletedOffsets = await groups('--delete-offsets', '--group', 'cg-gone-app', '--topic', 'cg-gone');
    assert.equal(deletedOffsets.code, 0, deletedOffsets.stderr);
    assert.equal(
      deletedOffsets.stdout,
      'Request succeeded for deleting offsets from group cg-gone-app.\n' +
        `\n${'TOPIC'.padEnd(15)} ${'PARTITION'.padEnd(10)} ${'STATUS'.padEnd(15)}` +
        `\n${'cg-gone'.padEnd(15)} ${'0'.padEnd(10)} ${'Successful'.padEnd(15)}\n`,
    );
    const empty = await groups('--describe', '--group', 'cg-gone-app');
    assert.equal(empty.stdout, '', 'no committed offsets left to show');

    const recommitted = await groups(
      '--reset-offsets',
      '--group',
      'cg-gone-app',
      '--topic',
      'cg-gone',
      '--to-latest',
      '--execute',
    );
    assert.equal(recommitted.code, 0, recommitted.stderr);
    const deleted = await groups('--delete', '--group', 'cg-gone-app');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, "Deletion of requested consumer groups ('cg-gone-app') was successful.\n");
    const list = await groups('--list');
    assert.ok(!list.stdout.split('\n').includes('cg-gone-app'), list.stdout);
    const again = await groups('--delete', '--group', 'cg-gone-app');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\* Group 'cg-gone-app' could not be deleted due to: GROUP_ID_NOT_FOUND/);
  });

  it('usage errors exit 2 with Kafka messages', async () => {
    const noAction = await groups('--group', 'g');
    assert.equal(noAction.code, 2);
    assert.match(noAction.stderr, /Command must include exactly one action/);
    const partition = await runSluice([
      'console-consumer',
      ...tb.bootstrapArgs(),
      '--topic',
      't',
      '--group',
      'g',
      '--partition',
      '0',
    ]);
    assert.equal(partition.code, 2);
    assert.match(partition.stderr, /Options group and partition cannot be specified together\./);
  });
});
