import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assignmentString,
  type ConsumerGroupsFlags,
  checkArgs,
  decodeConsumerAssignment,
  formatDeleteOffsets,
  formatGroupList,
  formatMembers,
  formatOffsets,
  formatResetCsv,
  formatResetOffsets,
  formatState,
  groupStateName,
  parseIsoDuration,
  parseKafkaDateTime,
  parseResetPlan,
  parseStateList,
  parseTopicArg,
  parseTypeList,
} from './consumer-groups.ts';

const base: ConsumerGroupsFlags = {
  bootstrapServer: ['127.0.0.1:9092'],
  timeout: 5000,
  group: [],
  topic: [],
};
const flags = (f: Partial<ConsumerGroupsFlags>): ConsumerGroupsFlags => ({ ...base, ...f });

describe('consumer-groups arguments', () => {
  it('needs --bootstrap-server and exactly one action', () => {
    assert.throws(
      () => checkArgs(flags({ bootstrapServer: undefined as never, list: true })),
      /bootstrap-server/,
    );
    assert.throws(
      () => checkArgs(flags({})),
      /^.*Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets$/,
    );
    assert.throws(() => checkArgs(flags({ list: true, describe: true })), /exactly one action/);
    assert.equal(checkArgs(flags({ list: true })).action, 'list');
  });

  it('--describe takes a group and at most one of --members, --offsets, --state', () => {
    assert.throws(
      () => checkArgs(flags({ describe: true })),
      /Option \[describe\] takes one of these options: \[all-groups\], \[group\]/,
    );
    assert.equal(checkArgs(flags({ describe: true, group: ['g'] })).action, 'describe');
    assert.equal(
      checkArgs(flags({ describe: true, allGroups: true, members: true, verbose: true })).action,
      'describe',
    );
    assert.throws(
      () => checkArgs(flags({ describe: true, group: ['g'], members: true, state: true })),
      /at most one of these options: \[members\], \[offsets\], \[state\]/,
    );
    assert.throws(
      () => checkArgs(flags({ describe: true, group: ['g'], state: 'stable' })),
      /does not take a value for \[state\]/,
    );
    assert.throws(
      () => checkArgs(flags({ describe: true, group: ['g'], topic: ['t'] })),
      /"\[topic\]" can't be used/,
    );
    assert.throws(
      () => checkArgs(flags({ describe: true, group: ['g'], allGroups: true })),
      /Option "\[group\]" can't be used with option "\[all-groups\]"/,
    );
  });

  it('sub-options are only available with their action', () => {
    assert.throws(
      () => checkArgs(flags({ list: true, members: true })),
      /Option\(s\) \[members\] are unavailable/,
    );
    assert.throws(
      () => checkArgs(flags({ delete: true, group: ['g'], state: true })),
      /\[state\] are unavailable/,
    );
    assert.throws(
      () => checkArgs(flags({ describe: true, group: ['g'], type: true })),
      /\[type\] are unavailable/,
    );
    assert.equal(checkArgs(flags({ list: true, state: 'stable,empty', type: true })).action, 'list');
    assert.throws(
      () => checkArgs(flags({ list: true, group: ['g'] })),
      /"\[group\]" can't be used with option "\[list\]"/,
    );
  });

  it('--delete and --delete-offsets', () => {
    assert.throws(() => checkArgs(flags({ delete: true })), /Option \[delete\] takes one of these options/);
    assert.throws(
      () => checkArgs(flags({ delete: true, group: ['g'], topic: ['t'] })),
      /does not support topic-specific offset deletion/,
    );
    assert.throws(
      () => checkArgs(flags({ deleteOffsets: true, group: ['g'] })),
      /Option \[delete-offsets\] takes the following options: \[group\], \[topic\]/,
    );
    assert.equal(
      checkArgs(flags({ deleteOffsets: true, group: ['g'], topic: ['t'] })).action,
      'delete-offsets',
    );
  });

  it('--reset-offsets needs one scenario and a scope; without --execute it warns and only plans', () => {
    const reset = (f: Partial<ConsumerGroupsFlags>) =>
      checkArgs(flags({ resetOffsets: true, group: ['g'], ...f }));
    assert.throws(
      () => reset({ toEarliest: true }),
      /One of the reset scopes should be defined: --all-topics, --topic\./,
    );
    assert.throws(() => reset({ allTopics: true }), /requires one of the following scenarios/);
    assert.throws(
      () => reset({ allTopics: true, toEarliest: true, shiftBy: 1n }),
      /Option "\[shift-by\]" can't be used with option "\[to-earliest\]"/,
    );
    assert.throws(
      () => reset({ allTopics: true, toEarliest: true, dryRun: true, execute: true }),
      /only accepts one of \[execute\] and \[dry-run\]/,
    );
    assert.match(
      reset({ allTopics: true, toEarliest: true }).warnings[0]!,
      /No action will be performed as the --execute option is missing/,
    );
    assert.deepEqual(reset({ topic: ['t:0,1'], toOffset: 0n, execute: true }).warnings, []);
    assert.deepEqual(reset({ fromFile: 'plan.csv', dryRun: true }).warnings, []);
    assert.throws(
      () => checkArgs(flags({ describe: true, group: ['g'], toEarliest: true })),
      /"\[to-earliest\]" can't be used with option "\[describe\]"/,
    );
    assert.throws(
      () => checkArgs(flags({ resetOffsets: true, allTopics: true, toLatest: true })),
      /reset-offsets\] takes one of/,
    );
  });

  it('states and types are read as Kafka spells them, in any case', () => {
    assert.equal(groupStateName('PREPARINGREBALANCE'), 'PreparingRebalance');
    assert.equal(groupStateName('Stable'), 'Stable');
    assert.equal(groupStateName('completing_rebalance'), 'CompletingRebalance');
    assert.deepEqual([...parseStateList('stable, EMPTY')], ['Stable', 'Empty']);
    assert.throws(
      () => parseStateList('stable,bogus'),
      /Invalid state list 'stable,bogus'\. Valid states are: /,
    );
    assert.deepEqual([...parseTypeList('classic,CONSUMER')], ['Classic', 'Consumer']);
    assert.throws(() => parseTypeList('share'), /Invalid types list 'share'/);
  });

  it('--topic takes a name or name:partitions', () => {
    assert.deepEqual(parseTopicArg('orders'), { topic: 'orders', partitions: undefined });
    assert.deepEqual(parseTopicArg('orders:0,2'), { topic: 'orders', partitions: [0, 2] });
    assert.throws(
      () => parseTopicArg('a:b:c'),
      /Invalid topic arg 'a:b:c', expected topic name and partitions/,
    );
    assert.throws(() => parseTopicArg('orders:x'), /Invalid partition 'x' specified in topic arg 'orders:x'/);
  });

  it('--to-datetime reads Kafka formats, UTC without a zone, strictly', () => {
    assert.equal(parseKafkaDateTime('2024-01-02T03:04:05.678'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    assert.equal(parseKafkaDateTime('2024-01-02T03:04:05.678Z'), Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    assert.equal(parseKafkaDateTime('2024-01-02T03:04:05.678+02:00'), Date.UTC(2024, 0, 2, 1, 4, 5, 678));
    assert.equal(parseKafkaDateTime('2024-01-02T03:04:05.678-0130'), Date.UTC(2024, 0, 2, 4, 34, 5, 678));
    assert.equal(parseKafkaDateTime('2024-01-02T03:04:05.678+05'), Date.UTC(2024, 0, 1, 22, 4, 5, 678));
    assert.throws(() => parseKafkaDateTime('2024-01-02'), /does not contain a 'T'/);
    assert.throws(() => parseKafkaDateTime('2024-02-30T00:00:00.000'), /Unparseable date/);
    assert.throws(
      () => parseKafkaDateTime('2024-01-02T03:04:05'),
      /Unparseable date: "2024-01-02T03:04:05Z"/,
    );
  });

  it('--by-duration reads ISO-8601 durations', () => {
    assert.equal(parseIsoDuration('PT1H'), 3_600_000);
    assert.equal(parseIsoDuration('P1DT2H3M4.5S'), ((24 + 2) * 60 + 3) * 60_000 + 4500);
    assert.equal(parseIsoDuration('pt30m'), 1_800_000);
    assert.equal(parseIsoDuration('-PT1S'), -1000);
    assert.throws(() => parseIsoDuration('1h'), /cannot be parsed to a Duration/);
    assert.throws(() => parseIsoDuration('PT'), /cannot be parsed to a Duration/);
  });

  it('--from-file reads the CSV --export writes', () => {
    const rows = [
      { group: 'g', topic: 't', partition: 0, offset: 5n },
      { group: 'g', topic: 't', partition: 1, offset: 7n },
    ];
    assert.equal(formatResetCsv(rows, false), 't,0,5\nt,1,7\n\n');
    assert.deepEqual(parseResetPlan(formatResetCsv(rows, false), 'g').get('g'), rows);
    assert.deepEqual(parseResetPlan(formatResetCsv(rows, true), undefined).get('g'), rows);
    assert.throws(() => parseResetPlan('t,0\n', 'g'), /expected topic,partition,offset/);
  });
});

describe('consumer-groups output', () => {
  it("--describe lays out offsets as Kafka's tool: blank line, padded columns, '-' where unknown", () => {
    const out = formatOffsets([
      {
        group: 'orders-app',
        topic: 'orders',
        partition: 0,
        currentOffset: 6n,
        logEndOffset: 10n,
        consumerId: 'console-consumer-1',
        host: '/127.0.0.1',
        clientId: 'console-consumer',
      },
      {
        group: 'orders-app',
        topic: 'orders',
        partition: 1,
        currentOffset: -1n,
        consumerId: '-',
        host: '-',
        clientId: '-',
      },
    ]);
    assert.equal(
      out,
      [
        '',
        'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID        HOST            CLIENT-ID',
        'orders-app      orders          0          6               10              4               console-consumer-1 /127.0.0.1      console-consumer',
        'orders-app      orders          1          -               -               -               -                  -               -',
        '',
      ].join('\n'),
    );
  });

  it('--members [--verbose] and the assignment column', () => {
    assert.equal(
      assignmentString([
        { topic: 'b', partition: 2 },
        { topic: 'a', partition: 1 },
        { topic: 'a', partition: 0 },
      ]),
      'a(0,1), b(2)',
    );
    assert.equal(assignmentString([]), '-');
    const rows = [
      {
        group: 'g',
        consumerId: 'm-1',
        groupInstanceId: '',
        host: '/127.0.0.1',
        clientId: 'c',
        assignment: [{ topic: 't', partition: 0 }],
      },
    ];
    assert.equal(
      formatMembers(rows, false),
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     \n' +
        'g               m-1             /127.0.0.1      c               1               \n',
    );
    assert.equal(
      formatMembers(rows, true),
      '\nGROUP           CONSUMER-ID     HOST            CLIENT-ID       #PARTITIONS     ASSIGNMENT\n' +
        'g               m-1             /127.0.0.1      c               1               t(0)\n',
    );
    const withInstance = formatMembers([{ ...rows[0]!, groupInstanceId: 'static-1' }], false);
    assert.match(withInstance, /^\nGROUP {11}CONSUMER-ID {5}GROUP-INSTANCE-ID HOST/);
  });

  it('--state shows the coordinator as host:port  (id)', () => {
    assert.equal(
      formatState({
        group: 'g',
        coordinator: { host: '127.0.0.1', port: 9092, id: 1 },
        assignmentStrategy: 'range',
        state: 'Stable',
        members: 2,
      }),
      '\nGROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS' +
        '\ng               127.0.0.1:9092  (1)       range                Stable               2\n',
    );
    assert.match(
      formatState({ group: 'g', coordinator: undefined, assignmentStrategy: '', state: 'Empty', members: 0 }),
      /\ng {15}- {25}- {20}Empty {16}0\n$/,
    );
  });

  it('--list prints names, or a table with --state/--type', () => {
    const groups = [
      { group: 'a', type: 'Classic', state: 'Stable' },
      { group: 'b', type: 'Consumer', state: 'Empty' },
    ];
    assert.equal(formatGroupList(groups, false, false), 'a\nb\n');
    assert.equal(
      formatGroupList(groups, false, true),
      `${'GROUP'.padEnd(25)} ${'STATE'.padEnd(20)}\n${'a'.padEnd(25)} ${'Stable'.padEnd(20)}\n${'b'.padEnd(25)} ${'Empty'.padEnd(20)}\n`,
    );
    assert.match(formatGroupList(groups, true, true), /^GROUP {21}TYPE {17}STATE/);
  });

  it('--reset-offsets and --delete-offsets results', () => {
    assert.equal(
      formatResetOffsets([{ group: 'g', topic: 't', partition: 0, offset: 0n }], 1),
      '\nGROUP           TOPIC           PARTITION  NEW-OFFSET\ng               t               0          0\n',
    );
    assert.equal(
      formatDeleteOffsets('g', [{ topic: 't', partition: 0, status: 'Successful' }]),
      'Request succeeded for deleting offsets from group g.\n' +
        '\nTOPIC           PARTITION  STATUS         \nt               0          Successful     \n',
    );
  });

  it('decodes member assignments, and yields nothing for bytes that are not one', () => {
    const topic = Buffer.from('orders');
    const assignment = Buffer.alloc(2 + 4 + 2 + topic.length + 4 + 8 + 4);
    let at = assignment.writeInt16BE(1, 0);
    at = assignment.writeInt32BE(1, at);
    at = assignment.writeInt16BE(topic.length, at);
    at += topic.copy(assignment, at);
    at = assignment.writeInt32BE(2, at);
    at = assignment.writeInt32BE(0, at);
    at = assignment.writeInt32BE(2, at);
    assignment.writeInt32BE(-1, at);
    assert.deepEqual(decodeConsumerAssignment(assignment), [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 2 },
    ]);
    assert.deepEqual(decodeConsumerAssignment(null), []);
    assert.deepEqual(decodeConsumerAssignment(Buffer.from('ffffffffffffffffffffff001000', 'hex')), []);
    assert.deepEqual(decodeConsumerAssignment(assignment.subarray(0, 14)), []);
  });
});
