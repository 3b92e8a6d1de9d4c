import { readFile } from 'node:fs/promises';
import type { Admin, Connection } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import { ByteReader, ByteWriter } from '../base/index.ts';
import {
  type ApiCodec,
  consumerGroupDescribeApi,
  defaultConsumerGroupDescribeRequest,
} from '../kafka/protocol/index.ts';
import {
  clientBaseOptions,
  closeQuietly,
  collectValues,
  describeClientError,
  exitQuietlyOnClosedStdout,
  type KafkaClientModule,
  kafkaErrorNames,
  loadClientProperties,
  loadKafkaClient,
  parseBootstrap,
  parseIntFlag,
  ToolError,
  toolError,
  usageErrorsExit2,
} from './kafka-tool.ts';

/**
 * `sluice consumer-groups`: kafka-consumer-groups.sh — list, describe, delete consumer groups and
 * reset or delete their committed offsets. Tables are laid out as Kafka's tool prints them (same
 * headers, column widths and blank lines), so scripts that parse its output keep working.
 */

export interface ConsumerGroupsFlags {
  bootstrapServer?: string[];
  commandConfig?: string;
  timeout: number;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  deleteOffsets?: boolean;
  group: string[];
  allGroups?: boolean;
  topic: string[];
  allTopics?: boolean;
  members?: boolean;
  offsets?: boolean;
  verbose?: boolean;
  /** `--state` alone is `true`; with --list it may carry a comma-separated filter. */
  state?: string | boolean;
  type?: string | boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  toOffset?: bigint;
  toDatetime?: string;
  shiftBy?: bigint;
  byDuration?: string;
  fromFile?: string;
  dryRun?: boolean;
  execute?: boolean;
  export?: boolean;
}

const parseLongFlag = (name: string) => (value: string) => {
  if (!/^[-+]?\d+$/.test(value.trim()))
    throw new InvalidArgumentError(`${name} expects an integer, got "${value}"`);
  return BigInt(value.trim());
};

export function registerConsumerGroupsCommand(program: Command): void {
  usageErrorsExit2(program.command('consumer-groups'))
    .description(
      'list, describe and delete consumer groups, reset and delete their offsets (as kafka-consumer-groups.sh)',
    )
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to (required)', parseBootstrap)
    .option('--command-config <file>', 'client properties file')
    .option('--timeout <ms>', 'how long to wait for the broker', parseIntFlag('--timeout', 1), 5000)
    .option('--list', 'list all consumer groups')
    .option('--describe', 'describe groups: committed offsets and lag (default), --members or --state')
    .option('--delete', 'delete groups (with --group or --all-groups); the groups must be empty')
    .option('--reset-offsets', 'reset committed offsets of inactive groups (with a scope and a scenario)')
    .option('--delete-offsets', 'delete the committed offsets of --topic(s) from --group')
    .option('--group <group>', 'the consumer group (repeatable)', collectValues, [])
    .option('--all-groups', 'apply to all consumer groups')
    .option(
      '--topic <topic>',
      'topic for --reset-offsets and --delete-offsets, optionally with partitions: topic:0,1,2 (repeatable)',
      collectValues,
      [],
    )
    .option('--all-topics', 'with --reset-offsets: every topic the group has committed offsets for')
    .option('--offsets', 'with --describe: partitions, committed offsets, log end offsets and lag (default)')
    .option('--members', 'with --describe: the members and how many partitions each is assigned')
    .option('--verbose', "with --describe --members: also each member's assignment")
    .option(
      '--state [states]',
      'with --describe: group state, coordinator and strategy; with --list: the state column, or only groups in these states (e.g. stable,empty)',
    )
    .option(
      '--type [types]',
      'with --list: the type column, or only groups of these types (classic,consumer)',
    )
    .option('--to-earliest', 'reset to the earliest offset')
    .option('--to-latest', 'reset to the latest offset')
    .option('--to-current', 'reset to the committed offset (the latest where none)')
    .option(
      '--to-offset <offset>',
      'reset to this offset (kept within the log)',
      parseLongFlag('--to-offset'),
    )
    .option('--shift-by <n>', 'move the committed offset by n (may be negative)', parseLongFlag('--shift-by'))
    .option(
      '--to-datetime <datetime>',
      'reset to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss (UTC unless a zone like +02:00 follows)',
    )
    .option('--by-duration <duration>', 'reset to the first offset at or after now minus PnDTnHnMnS')
    .option(
      '--from-file <csv>',
      'reset to the offsets in a CSV file: topic,partition,offset (or group,topic,partition,offset)',
    )
    .option('--dry-run', 'only show the new offsets (the default)')
    .option('--execute', 'commit the new offsets')
    .option('--export', 'print the new offsets as CSV (the --from-file format)')
    .action(async (flags: ConsumerGroupsFlags) => {
      exitQuietlyOnClosedStdout();
      await consumerGroupsCommand(flags, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
      });
    });
}

export interface ToolIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export type GroupsAction = 'list' | 'describe' | 'delete' | 'reset-offsets' | 'delete-offsets';

const RESET_SCENARIOS = [
  ['toOffset', 'to-offset'],
  ['shiftBy', 'shift-by'],
  ['toDatetime', 'to-datetime'],
  ['byDuration', 'by-duration'],
  ['toEarliest', 'to-earliest'],
  ['toLatest', 'to-latest'],
  ['toCurrent', 'to-current'],
  ['fromFile', 'from-file'],
] as const;

const usage = (message: string) => new InvalidArgumentError(message);
const cannotUseWith = (a: string, b: string) => usage(`Option "[${a}]" can't be used with option "[${b}]"`);

/**
 * The checks kafka-consumer-groups.sh makes before connecting, with its messages. Returns the
 * action and the warnings Kafka prints for it.
 */
export function checkArgs(flags: ConsumerGroupsFlags): { action: GroupsAction; warnings: string[] } {
  if (flags.bootstrapServer === undefined) throw usage('Missing required argument "[bootstrap-server]"');
  const actions: [GroupsAction, boolean | undefined][] = [
    ['list', flags.list],
    ['describe', flags.describe],
    ['delete', flags.delete],
    ['reset-offsets', flags.resetOffsets],
    ['delete-offsets', flags.deleteOffsets],
  ];
  const chosen = actions.filter(([, on]) => on === true).map(([name]) => name);
  if (chosen.length !== 1) {
    throw usage(
      `Command must include exactly one action: ${actions.map(([name]) => `--${name}`).join(', ')}`,
    );
  }
  const action = chosen[0]!;
  const warnings: string[] = [];
  const hasGroup = flags.group.length > 0;
  const hasTopic = flags.topic.length > 0;
  const unavailable = (name: string) =>
    usage(`Option(s) [${name}] are unavailable given other options on the command line`);
  if (action !== 'describe') {
    if (flags.members === true) throw unavailable('members');
    if (flags.offsets === true) throw unavailable('offsets');
    if (flags.verbose === true) throw unavailable('verbose');
    if (flags.state !== undefined && action !== 'list') throw unavailable('state');
  }
  if (flags.type !== undefined && action !== 'list') throw unavailable('type');

  if (action === 'describe') {
    if (!hasGroup && flags.allGroups !== true)
      throw usage('Option [describe] takes one of these options: [all-groups], [group]');
    const sub = [flags.members, flags.offsets, flags.state !== undefined].filter((x) => x === true).length;
    if (sub > 1)
      throw usage('Option [describe] takes at most one of these options: [members], [offsets], [state]');
    if (typeof flags.state === 'string') throw usage('Option [describe] does not take a value for [state]');
  }
  if (action === 'delete') {
    if (!hasGroup && flags.allGroups !== true)
      throw usage('Option [delete] takes one of these options: [all-groups], [group]');
    if (hasTopic)
      throw usage('The consumer does not support topic-specific offset deletion from a consumer group.');
  }
  if (action === 'delete-offsets') {
    if (!hasGroup || !hasTopic)
      throw usage('Option [delete-offsets] takes the following options: [group], [topic]');
    if (flags.group.length > 1) throw usage('Option [delete-offsets] takes one --group');
  }
  if (action === 'reset-offsets') {
    if (flags.dryRun === true && flags.execute === true)
      throw usage('Option [reset-offsets] only accepts one of [execute] and [dry-run]');
    if (flags.dryRun !== true && flags.execute !== true) {
      warnings.push(
        'WARN: No action will be performed as the --execute option is missing. ' +
          'In a future major release, the default behavior of this command will be to prompt the user before ' +
          'executing the reset rather than doing a dry run. You should add the --dry-run option explicitly ' +
          'if you are scripting this command and want to keep the current default behavior without prompting.',
      );
    }
    if (!hasGroup && flags.allGroups !== true)
      throw usage('Option [reset-offsets] takes one of these options: [all-groups], [group]');
    const scenarios = RESET_SCENARIOS.filter(([key]) => flags[key] !== undefined && flags[key] !== false);
    if (scenarios.length > 1) throw cannotUseWith(scenarios[0]![1], scenarios[1]![1]);
    if (scenarios.length === 0) {
      throw usage(
        `Option '[reset-offsets]' requires one of the following scenarios: [${RESET_SCENARIOS.map(([, n]) => `[${n}]`).join(', ')}]`,
      );
    }
    if (flags.fromFile === undefined && !hasTopic && flags.allTopics !== true)
      throw usage('One of the reset scopes should be defined: --all-topics, --topic.');
    if (hasTopic && flags.allTopics === true) throw cannotUseWith('topic', 'all-topics');
  } else {
    for (const [key, name] of RESET_SCENARIOS) {
      if (flags[key] !== undefined && flags[key] !== false) throw cannotUseWith(name, action);
    }
    if (flags.allTopics === true) throw cannotUseWith('all-topics', action);
    for (const [on, name] of [
      [flags.dryRun, 'dry-run'],
      [flags.execute, 'execute'],
      [flags.export, 'export'],
    ] as const) {
      if (on === true) throw cannotUseWith(name, action);
    }
  }
  if (hasGroup && flags.allGroups === true) throw cannotUseWith('group', 'all-groups');
  if (hasGroup && action === 'list') throw cannotUseWith('group', 'list');
  if (hasTopic && (action === 'list' || action === 'describe')) throw cannotUseWith('topic', action);
  if (flags.allGroups === true && action === 'list') throw cannotUseWith('all-groups', 'list');
  return { action, warnings };
}

// ---------------------------------------------------------------------------------------------
// Names and values Kafka's tool prints and accepts

/** Group states as Kafka's GroupState prints them. */
const GROUP_STATES = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
  'Assigning',
  'Reconciling',
] as const;

/**
 * Kafka's spelling of a state as a broker or the client reports it: the wire carries
 * `PreparingRebalance`, the client upper-cases it (`PREPARINGREBALANCE`), users type `stable`.
 */
export function groupStateName(raw: string): string {
  const key = raw.replace(/[_\s-]/g, '').toLowerCase();
  return GROUP_STATES.find((s) => s.toLowerCase() === key) ?? (raw === '' ? 'Unknown' : raw);
}

export function parseStateList(input: string): Set<string> {
  const states = new Set<string>();
  for (const part of input.split(',')) {
    const name = groupStateName(part.trim());
    if (!(GROUP_STATES as readonly string[]).includes(name)) {
      throw usage(`Invalid state list '${input}'. Valid states are: ${GROUP_STATES.join(', ')}`);
    }
    states.add(name);
  }
  return states;
}

const GROUP_TYPES = ['Classic', 'Consumer'] as const;

export function groupTypeName(raw: string | undefined): string {
  const key = (raw ?? '').trim().toLowerCase();
  return GROUP_TYPES.find((t) => t.toLowerCase() === key) ?? 'Unknown';
}

export function parseTypeList(input: string): Set<string> {
  const types = new Set<string>();
  for (const part of input.split(',')) {
    const name = groupTypeName(part);
    if (name === 'Unknown') {
      throw usage(`Invalid types list '${input}'. Valid types are: ${GROUP_TYPES.join(', ')}`);
    }
    types.add(name);
  }
  return types;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

const tpKey = (topic: string, partition: number) => `${topic}:${partition}`;
/** Java's TopicPartition.toString, which Kafka's messages use. */
const tpName = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`;
const byTopicPartition = (a: TopicPartition, b: TopicPartition) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

/** `--topic` values: `t` (every partition) or `t:0,1,2`. */
export function parseTopicArg(arg: string): { topic: string; partitions: number[] | undefined } {
  if (!arg.includes(':')) return { topic: arg, partitions: undefined };
  const parts = arg.split(':');
  if (parts.length !== 2 || parts[0] === '') {
    throw usage(`Invalid topic arg '${arg}', expected topic name and partitions`);
  }
  const partitions = parts[1]!.split(',').map((p) => {
    if (!/^\d+$/.test(p.trim())) throw usage(`Invalid partition '${p}' specified in topic arg '${arg}'`);
    return Number(p.trim());
  });
  return { topic: parts[0]!, partitions };
}

/**
 * `--to-datetime`, as Kafka's Utils.getDateTime reads it: `yyyy-MM-ddTHH:mm:ss.SSS` followed by
 * `Z`, `+hh`, `+hhmm` or `+hh:mm`; without a zone the time is UTC.
 */
export function parseKafkaDateTime(value: string): number {
  const t = value.indexOf('T');
  if (t < 0 || t === value.length - 1) {
    throw usage("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
  }
  const time = value.slice(t + 1);
  const withZone = /[+\-Z]/.test(time) ? value : `${value}Z`;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(
    withZone,
  );
  const bad = () => usage(`Unparseable date: "${withZone}"`);
  if (m === null) throw bad();
  const [year, month, day, hour, minute, second, ms] = m.slice(1, 8).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utc);
  // Kafka parses strictly: 2024-02-30 or 25:00 are errors, not rolled over.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw bad();
  }
  const zone = m[8]!;
  if (zone === 'Z') return utc;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return utc - (zone[0] === '+' ? 1 : -1) * offsetMin * 60_000;
}

/** `--by-duration`: an ISO-8601 duration as Java's Duration.parse reads it (PnDTnHnMn.nS), in ms. */
export function parseIsoDuration(value: string): number {
  const m =
    /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i.exec(
      value.trim(),
    );
  if (m === null || value.trim().toUpperCase().endsWith('T') || !/\d/.test(value)) {
    throw usage(`Text cannot be parsed to a Duration: ${value}`);
  }
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  const secondsSign = m[5]?.startsWith('-') ? -1 : 1;
  const fraction =
    m[6] === undefined || m[6] === '' ? 0 : Number(m[6].padEnd(3, '0').slice(0, 3)) * secondsSign;
  const ms = ((n(m[2]) * 24 + n(m[3])) * 60 + n(m[4])) * 60_000 + n(m[5]) * 1000 + fraction;
  return m[1] === '-' ? -ms : ms;
}

// ---------------------------------------------------------------------------------------------
// Output, laid out as Kafka's tool prints it (java String.format `%-Ns` is padEnd)

const MISSING = '-';
const pad = (s: string, width: number) => s.padEnd(width);
const widest = (min: number, values: Iterable<string>) => {
  let w = min;
  for (const v of values) w = Math.max(w, v.length);
  return w;
};

export interface OffsetRow {
  group: string;
  topic?: string;
  partition?: number;
  /** -1 or undefined: no committed offset. */
  currentOffset?: bigint;
  logEndOffset?: bigint;
  consumerId: string;
  host: string;
  clientId: string;
}

/** `--describe [--offsets]`: one block per group, a blank line before the header. */
export function formatOffsets(rows: readonly OffsetRow[]): string {
  const g = widest(
    15,
    rows.map((r) => r.group),
  );
  const t = widest(
    15,
    rows.map((r) => r.topic ?? MISSING),
  );
  const c = widest(
    15,
    rows.map((r) => r.consumerId),
  );
  const h = widest(
    15,
    rows.map((r) => r.host),
  );
  const line = (cols: string[]) =>
    `\n${pad(cols[0]!, g)} ${pad(cols[1]!, t)} ${pad(cols[2]!, 10)} ${pad(cols[3]!, 15)} ${pad(cols[4]!, 15)} ${pad(cols[5]!, 15)} ${pad(cols[6]!, c)} ${pad(cols[7]!, h)} ${cols[8]}`;
  let s = line([
    'GROUP',
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ]);
  for (const r of rows) {
    const committed = r.currentOffset !== undefined && r.currentOffset >= 0n ? r.currentOffset : undefined;
    const lag =
      committed !== undefined && r.logEndOffset !== undefined ? r.logEndOffset - committed : undefined;
    s += line([
      r.group,
      r.topic ?? MISSING,
      r.partition === undefined ? MISSING : String(r.partition),
      committed === undefined ? MISSING : String(committed),
      r.logEndOffset === undefined ? MISSING : String(r.logEndOffset),
      lag === undefined ? MISSING : String(lag),
      r.consumerId,
      r.host,
      r.clientId,
    ]);
  }
  return `${s}\n`;
}

export interface MemberRow {
  group: string;
  consumerId: string;
  groupInstanceId: string;
  host: string;
  clientId: string;
  assignment: TopicPartition[];
}

/** `t1(0,1), t2(2)`: the partitions of each topic, topics sorted. */
export function assignmentString(assignment: readonly TopicPartition[]): string {
  if (assignment.length === 0) return MISSING;
  const byTopic = new Map<string, number[]>();
  for (const tp of assignment) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  return [...byTopic]
    .map(([topic, ps]) => `${topic}(${ps.sort((a, b) => a - b).join(',')})`)
    .sort()
    .join(', ');
}

/** `--describe --members [--verbose]`. */
export function formatMembers(rows: readonly MemberRow[], verbose: boolean): string {
  const g = widest(
    15,
    rows.map((r) => r.group),
  );
  const c = widest(
    15,
    rows.map((r) => r.consumerId),
  );
  const gi = widest(
    17,
    rows.map((r) => r.groupInstanceId),
  );
  const h = widest(
    15,
    rows.map((r) => r.host),
  );
  const cl = widest(
    15,
    rows.map((r) => r.clientId),
  );
  const withInstance = rows.some((r) => r.groupInstanceId !== '');
  const cols = (group: string, id: string, instance: string, host: string, client: string, n: string) =>
    withInstance
      ? `${pad(group, g)} ${pad(id, c)} ${pad(instance, gi)} ${pad(host, h)} ${pad(client, cl)} ${pad(n, 15)} `
      : `${pad(group, g)} ${pad(id, c)} ${pad(host, h)} ${pad(client, cl)} ${pad(n, 15)} `;
  let s = `\n${cols('GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS')}${verbose ? 'ASSIGNMENT' : ''}\n`;
  for (const r of rows) {
    s += cols(r.group, r.consumerId, r.groupInstanceId, r.host, r.clientId, String(r.assignment.length));
    if (verbose) s += assignmentString(r.assignment);
    s += '\n';
  }
  return s;
}

export interface StateRow {
  group: string;
  coordinator: { host: string; port: number; id: number } | undefined;
  assignmentStrategy: string;
  state: string;
  members: number;
}

/** `--describe --state`. */
export function formatState(r: StateRow): string {
  const coordinator =
    r.coordinator === undefined
      ? MISSING
      : `${r.coordinator.host}:${r.coordinator.port}  (${r.coordinator.id})`;
  const g = Math.max(15, r.group.length);
  const c = Math.max(25, coordinator.length);
  const line = (a: string, b: string, strategy: string, state: string, n: string) =>
    `\n${pad(a, g)} ${pad(b, c)} ${pad(strategy, 20)} ${pad(state, 20)} ${n}`;
  return `${line('GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS')}${line(
    r.group,
    coordinator,
    r.assignmentStrategy === '' ? MISSING : r.assignmentStrategy,
    r.state,
    String(r.members),
  )}\n`;
}

export interface ListedGroup {
  group: string;
  type: string;
  state: string;
}

/** `--list` with `--state` and/or `--type`: a table; without them one group id a line. */
export function formatGroupList(
  groups: readonly ListedGroup[],
  withType: boolean,
  withState: boolean,
): string {
  if (!withType && !withState) return groups.map((g) => `${g.group}\n`).join('');
  const w =
    widest(
      15,
      groups.map((g) => g.group),
    ) + 10;
  const line = (group: string, type: string, state: string) =>
    `${pad(group, w)}${withType ? ` ${pad(type, 20)}` : ''}${withState ? ` ${pad(state, 20)}` : ''}\n`;
  return line('GROUP', 'TYPE', 'STATE') + groups.map((g) => line(g.group, g.type, g.state)).join('');
}

export interface ResetRow extends TopicPartition {
  group: string;
  offset: bigint;
}

/** `--reset-offsets` result: GROUP TOPIC PARTITION NEW-OFFSET. */
export function formatResetOffsets(rows: readonly ResetRow[], groups: number): string {
  const g = widest(
    15,
    rows.map((r) => r.group),
  );
  const t = widest(
    15,
    rows.map((r) => r.topic),
  );
  const line = (a: string, b: string, c: string, d: string) =>
    `\n${pad(a, g)} ${pad(b, t)} ${pad(c, 10)} ${d}`;
  let s = groups > 0 ? line('GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET') : '';
  for (const r of rows) s += line(r.group, r.topic, String(r.partition), String(r.offset));
  return `${s}\n`;
}

/** `--reset-offsets --export`: the CSV `--from-file` reads (the group column only for several groups). */
export function formatResetCsv(rows: readonly ResetRow[], withGroup: boolean): string {
  return `${rows
    .map((r) => `${withGroup ? `${r.group},` : ''}${r.topic},${r.partition},${r.offset}\n`)
    .join('')}\n`;
}

/** A `--from-file` plan: group → offsets. Lines are `topic,partition,offset` or `group,topic,partition,offset`. */
export function parseResetPlan(csv: string, singleGroup: string | undefined): Map<string, ResetRow[]> {
  const plan = new Map<string, ResetRow[]>();
  for (const raw of csv.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const cols = line.split(',').map((c) => c.trim());
    let row: ResetRow;
    if (cols.length === 3 && singleGroup !== undefined) {
      row = { group: singleGroup, topic: cols[0]!, partition: Number(cols[1]), offset: 0n };
    } else if (cols.length === 4) {
      row = { group: cols[0]!, topic: cols[1]!, partition: Number(cols[2]), offset: 0n };
    } else {
      throw usage(
        `--from-file: expected ${singleGroup !== undefined ? 'topic,partition,offset' : 'group,topic,partition,offset'}, got "${line}"`,
      );
    }
    const offset = cols[cols.length - 1]!;
    if (!/^\d+$/.test(cols[cols.length - 2]!) || !/^-?\d+$/.test(offset)) {
      throw usage(`--from-file: partition and offset must be numbers in "${line}"`);
    }
    row.offset = BigInt(offset);
    plan.set(row.group, [...(plan.get(row.group) ?? []), row]);
  }
  return plan;
}

/** `--delete-offsets` result. */
export function formatDeleteOffsets(
  group: string,
  rows: readonly { topic: string; partition: number; status: string }[],
): string {
  const t = widest(
    15,
    rows.map((r) => r.topic),
  );
  const line = (a: string, b: string, c: string) => `\n${pad(a, t)} ${pad(b, 10)} ${pad(c, 15)}`;
  let s = `Request succeeded for deleting offsets from group ${group}.\n`;
  s += line('TOPIC', 'PARTITION', 'STATUS');
  for (const r of rows) s += line(r.topic, String(r.partition), r.status);
  return `${s}\n`;
}

// ---------------------------------------------------------------------------------------------
// Talking to the cluster

interface GroupInfo {
  id: string;
  /** Kafka's state name; `Dead` for a group the coordinator does not know. */
  state: string;
  protocolType: string;
  protocol: string;
  members: MemberRow[];
}

export async function consumerGroupsCommand(flags: ConsumerGroupsFlags, io: ToolIo): Promise<void> {
  const { action, warnings } = checkArgs(flags);
  for (const w of warnings) io.err(`${w}\n`);
  // Validate what can be validated before connecting, so usage errors never wait for a broker.
  const states =
    typeof flags.state === 'string' && flags.state !== '' ? parseStateList(flags.state) : undefined;
  const types = typeof flags.type === 'string' && flags.type !== '' ? parseTypeList(flags.type) : undefined;
  const topicArgs = flags.topic.map(parseTopicArg);
  if (flags.toDatetime !== undefined) parseKafkaDateTime(flags.toDatetime);
  if (flags.byDuration !== undefined) parseIsoDuration(flags.byDuration);

  const props = await loadClientProperties(flags.commandConfig);
  const base = clientBaseOptions(flags.bootstrapServer!, props, 'sluice-consumer-groups', new Set(), (l) =>
    io.err(`WARN ${l}\n`),
  );
  // --timeout bounds the whole wait: a coordinator still loading answers with retriable errors,
  // which the client retries every retry.backoff.ms until the time is used up.
  const options = {
    ...base,
    timeout: props.has('request.timeout.ms') ? base.timeout : flags.timeout,
    retries: props.has('retries')
      ? base.retries
      : Math.max(1, Math.ceil(flags.timeout / Math.max(base.retryDelay, 1))),
  };
  const admin = new (await loadKafkaClient()).Admin(options);
  try {
    switch (action) {
      case 'list':
        return await listCommand(admin, flags, states, types, io);
      case 'describe':
        return await describeCommand(admin, flags, io);
      case 'delete':
        return await deleteCommand(admin, flags, io);
      case 'reset-offsets':
        return await resetCommand(admin, flags, topicArgs, io);
      case 'delete-offsets':
        return await deleteOffsetsCommand(admin, flags.group[0]!, topicArgs, io);
    }
  } finally {
    await closeQuietly(admin);
  }
}

interface RawListedGroup {
  id: string;
  state: string;
  groupType?: string;
  protocolType: string;
}

/** Consumer groups as Kafka's tool lists them: protocol type `consumer`, or empty (offsets only). */
async function listConsumerGroups(admin: Admin): Promise<RawListedGroup[]> {
  let groups: Map<string, RawListedGroup>;
  try {
    // The client asks for classic groups only unless told otherwise; Kafka's tool lists both.
    groups = (await admin.listGroups({ types: ['classic', 'consumer'] })) as Map<string, RawListedGroup>;
  } catch (e) {
    throw toolError(e, 'listing groups');
  }
  return [...groups.values()]
    .filter((g) => g.protocolType === 'consumer' || g.protocolType === '')
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function listCommand(
  admin: Admin,
  flags: ConsumerGroupsFlags,
  states: Set<string> | undefined,
  types: Set<string> | undefined,
  io: ToolIo,
): Promise<void> {
  const listed = (await listConsumerGroups(admin)).map((g) => ({
    group: g.id,
    type: groupTypeName(g.groupType),
    state: groupStateName(g.state),
  }));
  const shown = listed.filter(
    (g) => (states === undefined || states.has(g.state)) && (types === undefined || types.has(g.type)),
  );
  io.out(formatGroupList(shown, flags.type !== undefined, flags.state !== undefined));
}

/**
 * ConsumerProtocolAssignment bytes (a classic consumer group member's assignment): version
 * int16, [topic string, [partition int32]], user data. Bytes that do not decode give no
 * partitions rather than an error: they come from the group's members, not from the broker.
 */
export function decodeConsumerAssignment(bytes: Buffer | null | undefined): TopicPartition[] {
  if (bytes === null || bytes === undefined || bytes.length < 6) return [];
  const out: TopicPartition[] = [];
  try {
    let at = 2;
    const topics = bytes.readInt32BE(at);
    at += 4;
    if (topics < 0 || topics > bytes.length) return [];
    for (let i = 0; i < topics; i++) {
      const len = bytes.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > bytes.length) return [];
      const topic = bytes.toString('utf8', at, at + len);
      at += len;
      const count = bytes.readInt32BE(at);
      at += 4;
      if (count < 0 || at + count * 4 > bytes.length) return [];
      for (let j = 0; j < count; j++) {
        out.push({ topic, partition: bytes.readInt32BE(at) });
        at += 4;
      }
    }
  } catch {
    return [];
  }
  return out;
}

/** DescribeGroups v5 group, as the tool reads it. */
interface DescribedGroup {
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberAssignment: Buffer | null;
  }[];
}

const COORDINATOR_RETRIABLE = [
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
];

/**
 * Runs `request` on a group's coordinator over the client's connection, retrying while the
 * coordinator loads or moves (the Admin calls retry that themselves).
 */
async function onCoordinator<T>(
  admin: Admin,
  group: string,
  deadline: number,
  request: (kafka: KafkaClientModule, connection: Connection) => Promise<T>,
): Promise<T> {
  const kafka = await loadKafkaClient();
  for (;;) {
    try {
      const coordinator = (await admin.findCoordinator({ keyType: 0, keys: [group] }))[0];
      const broker =
        coordinator === undefined
          ? undefined
          : (await admin.metadata({ topics: [] })).brokers.get(coordinator.nodeId);
      if (broker === undefined) throw new ToolError(`no coordinator found for group '${group}'`);
      const connection = await new Promise<Connection>((resolve, reject) => {
        admin[kafka.kGetConnection](broker, (err, c) =>
          err !== null || c === undefined ? reject(err) : resolve(c),
        );
      });
      return await request(kafka, connection);
    } catch (e) {
      const names = kafkaErrorNames(e);
      if (Date.now() >= deadline || !COORDINATOR_RETRIABLE.some((n) => names.has(n))) throw e;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** One API on a group's coordinator, in the client library's codec. */
function callCoordinator<A extends unknown[], T>(
  admin: Admin,
  group: string,
  api: string,
  args: A,
  deadline: number,
): Promise<T> {
  return onCoordinator(
    admin,
    group,
    deadline,
    (kafka, connection) =>
      new Promise<T>((resolve, reject) => {
        admin[kafka.kGetApi]<A, T>(api, (apiErr, call) => {
          if (apiErr !== null || call === undefined) return reject(apiErr);
          call.async(connection, ...args).then(resolve, reject);
        });
      }),
  );
}

const DEAD = (group: string): GroupInfo => ({
  id: group,
  state: 'Dead',
  protocolType: '',
  protocol: '',
  members: [],
});

/**
 * One group through DescribeGroups, decoded here rather than by the client library, whose
 * decoder throws (uncatchably) on member bytes it does not expect.
 */
async function describeGroup(admin: Admin, group: string, timeoutMs: number): Promise<GroupInfo> {
  let g: DescribedGroup | undefined;
  try {
    const response = await callCoordinator<[string[], boolean], { groups: DescribedGroup[] }>(
      admin,
      group,
      'DescribeGroups',
      [[group], false],
      Date.now() + timeoutMs,
    );
    g = response.groups[0];
  } catch (e) {
    if (!kafkaErrorNames(e).has('GROUP_ID_NOT_FOUND')) throw toolError(e, `group '${group}'`);
  }
  if (g === undefined || groupStateName(g.groupState) === 'Dead') {
    // DescribeGroups only knows classic groups; KIP-848 groups answer ConsumerGroupDescribe.
    return (await describeConsumerProtocolGroup(admin, group, timeoutMs)) ?? DEAD(group);
  }
  const consumerProtocol = g.protocolType === 'consumer';
  return {
    id: group,
    state: groupStateName(g.groupState),
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members.map((m) => ({
      group,
      consumerId: m.memberId,
      groupInstanceId: m.groupInstanceId ?? '',
      host: m.clientHost,
      clientId: m.clientId,
      assignment: consumerProtocol ? decodeConsumerAssignment(m.memberAssignment) : [],
    })),
  };
}

/**
 * A KIP-848 (`consumer` protocol) group through ConsumerGroupDescribe on its coordinator;
 * undefined when the broker does not offer the API or does not know the group. The request and
 * answer are encoded and decoded with Sluice's own codec: the client library's decoder for this
 * API (1.35) reads `subscribed_topic_names` as one string and fails on any group with members.
 */
async function describeConsumerProtocolGroup(
  admin: Admin,
  group: string,
  timeoutMs: number,
): Promise<GroupInfo | undefined> {
  try {
    if (!(await admin.listApis()).some((a) => a.name === 'ConsumerGroupDescribe')) return undefined;
    const response = await callCoordinatorWithCodec(
      admin,
      group,
      consumerGroupDescribeApi,
      0,
      { ...defaultConsumerGroupDescribeRequest(), groupIds: [group] },
      Date.now() + timeoutMs,
    );
    const g = response.groups[0];
    if (g === undefined || g.errorCode !== 0) return undefined;
    return {
      id: group,
      state: groupStateName(g.groupState),
      protocolType: 'consumer',
      protocol: g.assignorName,
      members: g.members.map((m) => ({
        group,
        consumerId: m.memberId,
        groupInstanceId: m.instanceId ?? '',
        host: m.clientHost,
        clientId: m.clientId,
        assignment: m.assignment.topicPartitions.flatMap((t) =>
          t.partitions.map((partition) => ({ topic: t.topicName, partition })),
        ),
      })),
    };
  } catch (e) {
    if (kafkaErrorNames(e).has('GROUP_ID_NOT_FOUND')) return undefined;
    throw toolError(e, `group '${group}'`);
  }
}

/** One request to a group's coordinator over the client's connection, in Sluice's codec. */
function callCoordinatorWithCodec<Req, Res>(
  admin: Admin,
  group: string,
  codec: ApiCodec<Req, Res>,
  version: number,
  request: Req,
  deadline: number,
): Promise<Res> {
  const flexible = codec.flexibleMin !== null && version >= codec.flexibleMin;
  const body = new ByteWriter();
  codec.encodeRequest(body, version, request);
  const bytes = body.toBuffer();
  return onCoordinator(
    admin,
    group,
    deadline,
    (kafka, connection) =>
      new Promise<Res>((resolve, reject) => {
        connection.send<Res>(
          codec.apiKey,
          version,
          () => kafka.Writer.create().append(bytes),
          (_correlationId, _apiKey, _apiVersion, reader) =>
            codec.decodeResponse(
              new ByteReader(reader.buffer.slice(reader.position, reader.length)),
              version,
            ),
          flexible,
          flexible,
          (sendErr, res) => (sendErr !== null || res === undefined ? reject(sendErr) : resolve(res)),
        );
      }),
  );
}

/** Committed offsets of a group (offset -1: the group has none for that partition). */
async function committedOffsets(
  admin: Admin,
  group: string,
): Promise<Map<string, TopicPartition & { offset: bigint }>> {
  let listed: Awaited<ReturnType<Admin['listConsumerGroupOffsets']>>;
  try {
    listed = await admin.listConsumerGroupOffsets({ groups: [group] });
  } catch (e) {
    throw toolError(e, `offsets of group '${group}'`);
  }
  const out = new Map<string, TopicPartition & { offset: bigint }>();
  for (const g of listed) {
    if (g.groupId !== group) continue;
    for (const t of g.topics) {
      for (const p of t.partitions) {
        out.set(tpKey(t.name, p.partitionIndex), {
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
        });
      }
    }
  }
  return out;
}

/**
 * Partition counts and leaders of topics; a topic that does not exist is left out, so the
 * callers decide (describe shows "-", reset refuses).
 */
async function topicLayout(
  admin: Admin,
  topics: Iterable<string>,
): Promise<Map<string, { leaders: number[] }>> {
  const out = new Map<string, { leaders: number[] }>();
  await Promise.all(
    [...new Set(topics)].map(async (topic) => {
      try {
        const md = await admin.metadata({ topics: [topic], forceUpdate: true });
        const t = md.topics.get(topic);
        if (t !== undefined) {
          out.set(topic, {
            leaders: Array.from({ length: t.partitionsCount }, (_, i) => t.partitions[i]?.leader ?? -1),
          });
        }
      } catch (e) {
        if (!kafkaErrorNames(e).has('UNKNOWN_TOPIC_OR_PARTITION')) throw toolError(e, `topic '${topic}'`);
      }
    }),
  );
  return out;
}

/**
 * ListOffsets at `timestamp` (-1 latest, -2 earliest, or ms) for partitions that have a leader;
 * a partition missing from the result is unknown (no leader, topic gone) — Kafka prints "-".
 * An offset of -1 means no record at or after the timestamp.
 */
async function listOffsetsAt(
  admin: Admin,
  partitions: readonly TopicPartition[],
  timestamp: bigint,
): Promise<Map<string, bigint>> {
  const layout = await topicLayout(
    admin,
    partitions.map((p) => p.topic),
  );
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const leader = layout.get(topic)?.leaders[partition];
    if (leader === undefined || leader < 0) continue;
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  const out = new Map<string, bigint>();
  await Promise.all(
    [...byTopic].map(async ([name, ps]) => {
      let listed: Awaited<ReturnType<Admin['listOffsets']>>;
      try {
        listed = await admin.listOffsets({
          topics: [{ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })) }],
        });
      } catch (e) {
        const names = kafkaErrorNames(e);
        if (names.has('UNKNOWN_TOPIC_OR_PARTITION') || names.has('LEADER_NOT_AVAILABLE')) return;
        throw toolError(e, `listing offsets of '${name}'`);
      }
      for (const t of listed)
        for (const p of t.partitions) out.set(tpKey(t.name, p.partitionIndex), p.offset);
    }),
  );
  return out;
}

async function groupsToActOn(admin: Admin, flags: ConsumerGroupsFlags): Promise<string[]> {
  if (flags.allGroups === true) return (await listConsumerGroups(admin)).map((g) => g.id);
  return [...new Set(flags.group)];
}

/**
 * Kafka's notes about a group's state, printed on standard error before its table. Returns whether
 * the table follows (false for a group that does not exist or has nothing to show).
 */
function noteState(group: string, state: string, rows: number, io: ToolIo, missing: string[]): boolean {
  if (state === 'Dead') {
    missing.push(group);
    return false;
  }
  if (state === 'Empty') io.err(`\nConsumer group '${group}' has no active members.\n`);
  else if (state !== 'Stable') io.err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
  return rows > 0;
}

async function describeCommand(admin: Admin, flags: ConsumerGroupsFlags, io: ToolIo): Promise<void> {
  const groups = (await groupsToActOn(admin, flags)).sort();
  const missing: string[] = [];
  for (const group of groups) {
    const info = await describeGroup(admin, group, flags.timeout);
    if (flags.members === true) {
      if (noteState(group, info.state, info.members.length, io, missing))
        io.out(formatMembers(info.members, flags.verbose === true));
    } else if (flags.state !== undefined) {
      if (!noteState(group, info.state, 1, io, missing)) continue;
      let coordinator: StateRow['coordinator'];
      try {
        const found = (await admin.findCoordinator({ keyType: 0, keys: [group] }))[0];
        if (found !== undefined) coordinator = { host: found.host, port: found.port, id: found.nodeId };
      } catch (e) {
        throw toolError(e, `coordinator of group '${group}'`);
      }
      io.out(
        formatState({
          group,
          coordinator,
          assignmentStrategy: info.protocol,
          state: info.state,
          members: info.members.length,
        }),
      );
    } else {
      const rows = info.state === 'Dead' ? [] : await offsetRows(admin, info);
      if (noteState(group, info.state, rows.length, io, missing)) io.out(formatOffsets(rows));
    }
  }
  if (missing.length > 0) {
    throw new ToolError(missing.map((g) => `Consumer group '${g}' does not exist.`).join('\n'));
  }
}

/** Kafka's rows: assigned partitions member by member (most partitions first), then committed ones nobody owns. */
async function offsetRows(admin: Admin, info: GroupInfo): Promise<OffsetRow[]> {
  const committed = await committedOffsets(admin, info.id);
  const assigned = new Set<string>();
  const pending: { tp: TopicPartition; consumerId: string; host: string; clientId: string }[] = [];
  const members = info.members
    .filter((m) => m.assignment.length > 0)
    .sort((a, b) => b.assignment.length - a.assignment.length);
  for (const m of members) {
    for (const tp of [...m.assignment].sort(byTopicPartition)) {
      assigned.add(tpKey(tp.topic, tp.partition));
      pending.push({ tp, consumerId: m.consumerId, host: m.host, clientId: m.clientId });
    }
  }
  const unowned = [...committed.values()]
    .filter((c) => !assigned.has(tpKey(c.topic, c.partition)))
    .sort(byTopicPartition);
  for (const c of unowned) pending.push({ tp: c, consumerId: MISSING, host: MISSING, clientId: MISSING });
  const ends = await listOffsetsAt(
    admin,
    pending.map((p) => p.tp),
    -1n,
  );
  return pending.map(({ tp, consumerId, host, clientId }) => {
    const key = tpKey(tp.topic, tp.partition);
    const current = committed.get(key)?.offset;
    const end = ends.get(key);
    return {
      group: info.id,
      topic: tp.topic,
      partition: tp.partition,
      ...(current === undefined ? {} : { currentOffset: current }),
      ...(end === undefined || end < 0n ? {} : { logEndOffset: end }),
      consumerId,
      host,
      clientId,
    };
  });
}

async function deleteCommand(admin: Admin, flags: ConsumerGroupsFlags, io: ToolIo): Promise<void> {
  const groups = await groupsToActOn(admin, flags);
  const ok: string[] = [];
  const failed: string[] = [];
  for (const group of groups) {
    try {
      await admin.deleteGroups({ groups: [group] });
      ok.push(group);
    } catch (e) {
      failed.push(`* Group '${group}' could not be deleted due to: ${describeClientError(e)}`);
    }
  }
  const quoted = (gs: string[]) => gs.map((g) => `'${g}'`).join(', ');
  if (failed.length === 0) {
    io.out(`Deletion of requested consumer groups (${quoted(ok)}) was successful.\n`);
    return;
  }
  if (ok.length > 0) io.out(`These consumer groups were deleted successfully: ${quoted(ok)}\n`);
  throw new ToolError(`Deletion of some consumer groups failed:\n${failed.join('\n')}`);
}

async function deleteOffsetsCommand(
  admin: Admin,
  group: string,
  topicArgs: { topic: string; partitions: number[] | undefined }[],
  io: ToolIo,
): Promise<void> {
  const layout = await topicLayout(
    admin,
    topicArgs.filter((t) => t.partitions === undefined).map((t) => t.topic),
  );
  const byTopic = new Map<string, Set<number>>();
  for (const { topic, partitions } of topicArgs) {
    let ps = partitions;
    if (ps === undefined) {
      const count = layout.get(topic)?.leaders.length;
      if (count === undefined) {
        throw new ToolError(
          `UNKNOWN_TOPIC_OR_PARTITION (topic '${topic}'): This server does not host this topic-partition.`,
        );
      }
      ps = Array.from({ length: count }, (_, i) => i);
    }
    byTopic.set(topic, new Set([...(byTopic.get(topic) ?? []), ...ps]));
  }
  try {
    await admin.deleteConsumerGroupOffsets({
      groupId: group,
      topics: [...byTopic].map(([name, ps]) => ({ name, partitionIndexes: [...ps].sort((a, b) => a - b) })),
    });
  } catch (e) {
    throw toolError(e, `group '${group}'`);
  }
  const rows = [...byTopic]
    .flatMap(([topic, ps]) => [...ps].map((partition) => ({ topic, partition, status: 'Successful' })))
    .sort(byTopicPartition);
  io.out(formatDeleteOffsets(group, rows));
}

async function resetCommand(
  admin: Admin,
  flags: ConsumerGroupsFlags,
  topicArgs: { topic: string; partitions: number[] | undefined }[],
  io: ToolIo,
): Promise<void> {
  const groups = await groupsToActOn(admin, flags);
  const plan =
    flags.fromFile === undefined
      ? undefined
      : parseResetPlan(await readFile(flags.fromFile, 'utf8'), groups.length === 1 ? groups[0] : undefined);
  const refused: string[] = [];
  const results: ResetRow[] = [];
  let reset = 0;
  for (const group of groups) {
    const info = await describeGroup(admin, group, flags.timeout);
    if (info.state !== 'Empty' && info.state !== 'Dead') {
      refused.push(
        `Assignments can only be reset if the group '${group}' is inactive, but the current state is ${info.state}.`,
      );
      continue;
    }
    let rows: ResetRow[];
    if (plan !== undefined) {
      const planned = plan.get(group);
      if (planned === undefined) {
        refused.push(`No reset plan for group ${group} found.`);
        continue;
      }
      rows = await clampToLog(admin, planned, io);
    } else {
      const partitions = await partitionsToReset(admin, group, flags, topicArgs);
      rows = await newOffsets(admin, group, partitions, flags, io);
    }
    if (flags.execute === true && rows.length > 0) {
      const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
      for (const r of rows)
        byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), { partition: r.partition, offset: r.offset }]);
      try {
        await admin.alterConsumerGroupOffsets({
          groupId: group,
          topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
        });
      } catch (e) {
        throw toolError(e, `committing offsets of group '${group}'`);
      }
    }
    reset++;
    results.push(...rows.sort(byTopicPartition));
  }
  if (flags.export === true) io.out(formatResetCsv(results, groups.length > 1));
  else if (reset > 0) io.out(formatResetOffsets(results, reset));
  if (refused.length > 0) throw new ToolError(refused.join('\n'));
}

async function partitionsToReset(
  admin: Admin,
  group: string,
  flags: ConsumerGroupsFlags,
  topicArgs: { topic: string; partitions: number[] | undefined }[],
): Promise<TopicPartition[]> {
  if (flags.allTopics === true) {
    return [...(await committedOffsets(admin, group)).values()].map(({ topic, partition }) => ({
      topic,
      partition,
    }));
  }
  const layout = await topicLayout(
    admin,
    topicArgs.map((t) => t.topic),
  );
  const out = new Map<string, TopicPartition>();
  const unknown: TopicPartition[] = [];
  for (const { topic, partitions } of topicArgs) {
    const count = layout.get(topic)?.leaders.length;
    const ps = partitions ?? Array.from({ length: count ?? 0 }, (_, i) => i);
    if (count === undefined && partitions === undefined) {
      throw new ToolError(
        `UNKNOWN_TOPIC_OR_PARTITION (topic '${topic}'): This server does not host this topic-partition.`,
      );
    }
    for (const partition of ps) {
      if (count === undefined || partition >= count) unknown.push({ topic, partition });
      else out.set(tpKey(topic, partition), { topic, partition });
    }
  }
  if (unknown.length > 0)
    throw new ToolError(`The partitions "${unknown.map(tpName).join(',')}" do not exist`);
  const leaderless = [...out.values()].filter(
    (tp) => (layout.get(tp.topic)?.leaders[tp.partition] ?? -1) < 0,
  );
  if (leaderless.length > 0)
    throw new ToolError(`The partitions "${leaderless.map(tpName).join(',')}" have no leader`);
  return [...out.values()];
}

/** Keeps requested offsets within [log start, log end], warning as Kafka does. */
async function clampToLog(admin: Admin, rows: readonly ResetRow[], io: ToolIo): Promise<ResetRow[]> {
  const starts = await listOffsetsAt(admin, rows, -2n);
  const ends = await listOffsetsAt(admin, rows, -1n);
  return rows.map((r) => {
    const key = tpKey(r.topic, r.partition);
    const end = ends.get(key);
    const start = starts.get(key);
    if (end === undefined)
      throw new ToolError(`Unexpected non-existing offset value for topic partition ${tpName(r)}`);
    if (r.offset > end) {
      io.err(
        `WARN New offset (${r.offset}) is higher than latest offset for topic partition ${tpName(r)}. Value will be set to ${end}.\n`,
      );
      return { ...r, offset: end };
    }
    if (start !== undefined && r.offset < start) {
      io.err(
        `WARN New offset (${r.offset}) is lower than earliest offset for topic partition ${tpName(r)}. Value will be set to ${start}.\n`,
      );
      return { ...r, offset: start };
    }
    return { ...r };
  });
}

async function newOffsets(
  admin: Admin,
  group: string,
  partitions: readonly TopicPartition[],
  flags: ConsumerGroupsFlags,
  io: ToolIo,
): Promise<ResetRow[]> {
  const rows = (offset: (tp: TopicPartition) => bigint) =>
    partitions.map((tp) => ({ group, topic: tp.topic, partition: tp.partition, offset: offset(tp) }));
  const logOffsets = async (timestamp: bigint, what: string) => {
    const found = await listOffsetsAt(admin, partitions, timestamp);
    return rows((tp) => {
      const o = found.get(tpKey(tp.topic, tp.partition));
      if (o === undefined || o < 0n)
        throw new ToolError(`Error getting ${what} offset of topic partition: ${tpName(tp)}`);
      return o;
    });
  };
  if (flags.toEarliest === true) return logOffsets(-2n, 'starting');
  if (flags.toLatest === true) return logOffsets(-1n, 'ending');
  if (flags.toOffset !== undefined) {
    const to = flags.toOffset;
    return clampToLog(
      admin,
      rows(() => to),
      io,
    );
  }
  if (flags.toCurrent === true || flags.shiftBy !== undefined) {
    const committed = await committedOffsets(admin, group);
    const current = (tp: TopicPartition) => {
      const c = committed.get(tpKey(tp.topic, tp.partition))?.offset;
      return c === undefined || c < 0n ? undefined : c;
    };
    if (flags.shiftBy !== undefined) {
      const by = flags.shiftBy;
      return clampToLog(
        admin,
        rows((tp) => {
          const c = current(tp);
          if (c === undefined) {
            throw usage(
              `Cannot shift offset for partition ${tpName(tp)} since there is no current committed offset`,
            );
          }
          return c + by;
        }),
        io,
      );
    }
    const withoutCommit = partitions.filter((tp) => current(tp) === undefined);
    const ends = await listOffsetsAt(admin, withoutCommit, -1n);
    return rows((tp) => {
      const c = current(tp) ?? ends.get(tpKey(tp.topic, tp.partition));
      if (c === undefined || c < 0n)
        throw new ToolError(`Error getting ending offset of topic partition: ${tpName(tp)}`);
      return c;
    });
  }
  const timestamp =
    flags.toDatetime !== undefined
      ? parseKafkaDateTime(flags.toDatetime)
      : Date.now() - parseIsoDuration(flags.byDuration ?? 'PT0S');
  const found = await listOffsetsAt(admin, partitions, BigInt(timestamp));
  const empty = partitions.filter((tp) => (found.get(tpKey(tp.topic, tp.partition)) ?? -1n) < 0n);
  for (const tp of empty) {
    io.err(
      `Warn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.\n`,
    );
  }
  const ends = await listOffsetsAt(admin, empty, -1n);
  return rows((tp) => {
    const key = tpKey(tp.topic, tp.partition);
    const o = (found.get(key) ?? -1n) >= 0n ? found.get(key) : ends.get(key);
    if (o === undefined || o < 0n)
      throw new ToolError(`Error getting offset by timestamp of topic partition: ${tpName(tp)}`);
    return o;
  });
}
