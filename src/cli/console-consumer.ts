import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, RecordsBatch } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import {
  type ClientBaseOptions,
  clientBaseOptions,
  closeQuietly,
  collectValues,
  describeClientError,
  exitQuietlyOnClosedStdout,
  kafkaErrorNames,
  keyValueMap,
  loadClientProperties,
  loadKafkaClient,
  parseBootstrap,
  parseIntFlag,
  ToolError,
  toolError,
  usageErrorsExit2,
} from './kafka-tool.ts';

/**
 * `sluice console-consumer`: kafka-console-consumer.sh. Without `--group` it assigns the
 * partitions itself (all of the topic's, or `--partition N`) and fetches from each leader, so it
 * needs no group coordinator. With `--group` it joins the group (the client library runs the
 * membership), fetches the partitions the group assigns it, starting at the group's committed
 * offsets, and commits what it printed. Records go to stdout as raw bytes, formatted like Kafka's
 * DefaultMessageFormatter; "Processed a total of N messages" goes to stderr at the end.
 */

export interface ConsoleConsumerFlags {
  bootstrapServer?: string[];
  topic?: string;
  include?: string;
  whitelist?: string;
  formatterConfig?: string;
  formatter?: string;
  partition?: number;
  offset?: string;
  fromBeginning?: boolean;
  maxMessages?: number;
  timeoutMs?: number;
  property: string[];
  consumerProperty: string[];
  /** commander keeps the dotted flag name as the key. */
  'consumer.config'?: string;
  group?: string;
  isolationLevel: string;
}

export function registerConsoleConsumerCommand(program: Command): void {
  usageErrorsExit2(program.command('console-consumer'))
    .description('print records of a topic to standard output (as kafka-console-consumer.sh)')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to (required)', parseBootstrap)
    .option('--topic <topic>', 'the topic to consume')
    .option('--include <regex>', 'consume every topic whose name matches (instead of --topic)')
    .option('--whitelist <regex>', 'deprecated alias of --include')
    .option('--partition <n>', 'consume only this partition', parseIntFlag('--partition', 0, 2 ** 31 - 1))
    .option(
      '--offset <offset>',
      'start offset with --partition: a number, earliest or latest (default latest)',
    )
    .option(
      '--from-beginning',
      'start at the earliest offset rather than the latest (with --group: only where the group has no committed offset)',
    )
    .option('--max-messages <n>', 'exit after this many records', parseIntFlag('--max-messages', 1))
    .option('--timeout-ms <ms>', 'exit when no record arrived for this long', parseIntFlag('--timeout-ms', 0))
    .option(
      '--property <key=value>',
      'formatter property (repeatable): print.timestamp, print.key, print.partition, print.offset, ' +
        'print.headers, print.value, key.separator, line.separator, headers.separator, null.literal',
      collectValues,
      [],
    )
    .option('--formatter-config <file>', 'formatter properties file (--property wins over it)')
    .option(
      '--formatter <class>',
      'only the default formatter is supported (kafka.tools.DefaultMessageFormatter)',
    )
    .option('--consumer-property <key=value>', 'consumer property (repeatable)', collectValues, [])
    .option('--consumer.config <file>', 'consumer properties file (--consumer-property wins over it)')
    .option(
      '--group <group>',
      'consume as a member of this consumer group, from its committed offsets, committing what is printed',
    )
    .option('--isolation-level <level>', 'read_uncommitted or read_committed', 'read_uncommitted')
    .action(async (flags: ConsoleConsumerFlags) => {
      exitQuietlyOnClosedStdout();
      await runWithSignals(flags);
    });
}

/** Stops on SIGINT/SIGTERM after the fetch in flight, printing the count like Kafka's tool. */
async function runWithSignals(flags: ConsoleConsumerFlags): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await consoleConsumerCommand(flags, process.stdout, (s) => process.stderr.write(s), stop.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export interface FormatterOptions {
  printTimestamp: boolean;
  printKey: boolean;
  printPartition: boolean;
  printOffset: boolean;
  printHeaders: boolean;
  printValue: boolean;
  keySeparator: Buffer;
  lineSeparator: Buffer;
  headersSeparator: Buffer;
  headersKeySeparator: Buffer;
  nullLiteral: Buffer;
}

export function formatterOptions(props: ReadonlyMap<string, string>): FormatterOptions {
  const bool = (key: string, fallback: boolean) => {
    const v = props.get(key);
    return v === undefined ? fallback : v.trim().toLowerCase() === 'true';
  };
  const bytes = (key: string, fallback: string) => Buffer.from(props.get(key) ?? fallback, 'utf8');
  return {
    printTimestamp: bool('print.timestamp', false),
    printKey: bool('print.key', false),
    printPartition: bool('print.partition', false),
    printOffset: bool('print.offset', false),
    printHeaders: bool('print.headers', false),
    printValue: bool('print.value', true),
    keySeparator: bytes('key.separator', '\t'),
    lineSeparator: bytes('line.separator', '\n'),
    headersSeparator: bytes('headers.separator', ','),
    headersKeySeparator: bytes('headers.key.separator', ':'),
    nullLiteral: bytes('null.literal', 'null'),
  };
}

export interface ConsumedRecord {
  partition: number;
  offset: bigint;
  timestampType: 'CreateTime' | 'LogAppendTime';
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}

/** One record in kafka-console-consumer's layout: timestamp, partition, offset, headers, key, value. */
export function formatRecord(r: ConsumedRecord, o: FormatterOptions): Buffer {
  const parts: Buffer[] = [];
  const columns: Buffer[] = [];
  if (o.printTimestamp) columns.push(Buffer.from(`${r.timestampType}:${r.timestamp}`));
  if (o.printPartition) columns.push(Buffer.from(`Partition:${r.partition}`));
  if (o.printOffset) columns.push(Buffer.from(`Offset:${r.offset}`));
  if (o.printHeaders) {
    if (r.headers.length === 0) {
      columns.push(Buffer.from('NO_HEADERS'));
    } else {
      const hs: Buffer[] = [];
      r.headers.forEach(([k, v], i) => {
        if (i > 0) hs.push(o.headersSeparator);
        hs.push(k ?? o.nullLiteral, o.headersKeySeparator, v ?? o.nullLiteral);
      });
      columns.push(Buffer.concat(hs));
    }
  }
  if (o.printKey) columns.push(r.key ?? o.nullLiteral);
  if (o.printValue) columns.push(r.value ?? o.nullLiteral);
  columns.forEach((c, i) => {
    if (i > 0) parts.push(o.keySeparator);
    parts.push(c);
  });
  parts.push(o.lineSeparator);
  return Buffer.concat(parts);
}

const CONTROL_BATCH = 0x20;
const LOG_APPEND_TIME = 0x08;

/** Records of fetched batches at or after `from`, plus the offset to fetch next. */
export function recordsFrom(
  batches: readonly RecordsBatch[],
  partition: number,
  from: bigint,
): { records: ConsumedRecord[]; next: bigint } {
  const records: ConsumedRecord[] = [];
  let next = from;
  for (const batch of batches) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (last + 1n > next) next = last + 1n;
    if ((batch.attributes & CONTROL_BATCH) !== 0) continue;
    const logAppend = (batch.attributes & LOG_APPEND_TIME) !== 0;
    for (const rec of batch.records) {
      const offset = batch.firstOffset + BigInt(rec.offsetDelta);
      if (offset < from) continue;
      records.push({
        partition,
        offset,
        timestampType: logAppend ? 'LogAppendTime' : 'CreateTime',
        timestamp: logAppend ? batch.maxTimestamp : batch.firstTimestamp + rec.timestampDelta,
        key: rec.key,
        value: rec.value,
        headers: rec.headers,
      });
    }
  }
  return { records, next };
}

interface Assigned {
  topic: string;
  topicId: string;
  partition: number;
  leader: number;
  next: bigint;
}

type StartAt = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint };

function startPosition(flags: ConsoleConsumerFlags): StartAt {
  if (flags.offset !== undefined) {
    if (flags.partition === undefined) {
      throw new InvalidArgumentError('The partition is required when offset is specified (--partition).');
    }
    if (flags.fromBeginning === true) {
      throw new InvalidArgumentError('Options --from-beginning and --offset cannot be specified together.');
    }
    const o = flags.offset.trim().toLowerCase();
    if (o === 'earliest') return { kind: 'earliest' };
    if (o === 'latest') return { kind: 'latest' };
    if (!/^\d+$/.test(o)) {
      throw new InvalidArgumentError(
        `--offset expects a non-negative number, earliest or latest, got "${flags.offset}"`,
      );
    }
    return { kind: 'offset', offset: BigInt(o) };
  }
  return flags.fromBeginning === true ? { kind: 'earliest' } : { kind: 'latest' };
}

const CONSUMER_PROPERTIES = new Set([
  'group.id',
  'group.instance.id',
  'group.protocol',
  'group.remote.assignor',
  'session.timeout.ms',
  'heartbeat.interval.ms',
  'max.poll.interval.ms',
  'enable.auto.commit',
  'auto.commit.interval.ms',
  'auto.offset.reset',
  'fetch.max.wait.ms',
  'fetch.min.bytes',
  'fetch.max.bytes',
  'max.partition.fetch.bytes',
  'isolation.level',
]);

type ResetPolicy = 'earliest' | 'latest' | 'none';

/** What the group mode takes from the flags and consumer properties (Kafka's rules and messages). */
export interface GroupSettings {
  group: string;
  reset: ResetPolicy;
  protocol: 'classic' | 'consumer';
  autoCommit: boolean;
  autoCommitIntervalMs: number;
}

export function groupSettings(
  flags: Pick<ConsoleConsumerFlags, 'group' | 'partition' | 'fromBeginning'>,
  props: ReadonlyMap<string, string>,
): GroupSettings | undefined {
  const fromProps = props.get('group.id');
  if (flags.group !== undefined && fromProps !== undefined && flags.group !== fromProps) {
    throw new InvalidArgumentError(
      `The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '${flags.group}', '${fromProps}'`,
    );
  }
  const group = flags.group ?? fromProps;
  if (group === undefined) return undefined;
  if (flags.partition !== undefined) {
    throw new InvalidArgumentError('Options group and partition cannot be specified together.');
  }
  const reset = (props.get('auto.offset.reset') ?? (flags.fromBeginning === true ? 'earliest' : 'latest'))
    .trim()
    .toLowerCase();
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
    throw new InvalidArgumentError(`auto.offset.reset expects earliest, latest or none, got "${reset}"`);
  }
  if (flags.fromBeginning === true && reset !== 'earliest') {
    throw new InvalidArgumentError(
      `Can't simultaneously specify --from-beginning and 'auto.offset.reset=${reset}', as they are conflicting.`,
    );
  }
  const protocol = (props.get('group.protocol') ?? 'classic').trim().toLowerCase();
  if (protocol !== 'classic' && protocol !== 'consumer') {
    throw new InvalidArgumentError(`group.protocol expects classic or consumer, got "${protocol}"`);
  }
  const interval = Number(props.get('auto.commit.interval.ms') ?? 5000);
  if (!Number.isFinite(interval) || interval < 0) {
    throw new InvalidArgumentError(
      `auto.commit.interval.ms expects a number of ms, got "${props.get('auto.commit.interval.ms')}"`,
    );
  }
  return {
    group,
    reset,
    protocol,
    autoCommit: (props.get('enable.auto.commit') ?? 'true').trim().toLowerCase() !== 'false',
    autoCommitIntervalMs: interval,
  };
}

export async function consoleConsumerCommand(
  flags: ConsoleConsumerFlags,
  out: NodeJS.WritableStream,
  err: (s: string) => void,
  signal: AbortSignal,
): Promise<void> {
  if (flags.bootstrapServer === undefined) throw new InvalidArgumentError('--bootstrap-server is required');
  const bootstrap = flags.bootstrapServer;
  if (flags.whitelist !== undefined) {
    if (flags.include !== undefined)
      throw new InvalidArgumentError('give --include or --whitelist, not both');
    flags = { ...flags, include: flags.whitelist };
  }
  if (flags.formatter !== undefined && !/(^|\.)DefaultMessageFormatter$/.test(flags.formatter)) {
    throw new InvalidArgumentError(`--formatter ${flags.formatter}: only the default formatter is supported`);
  }
  if ((flags.topic === undefined) === (flags.include === undefined)) {
    throw new InvalidArgumentError('exactly one of --topic or --include is required');
  }
  if (flags.partition !== undefined && flags.topic === undefined) {
    throw new InvalidArgumentError('--partition needs --topic');
  }
  const formatProps = await loadClientProperties(flags.formatterConfig);
  for (const [k, v] of keyValueMap(flags.property, '--property')) formatProps.set(k, v);
  const format = formatterOptions(formatProps);
  const props = await loadClientProperties(flags['consumer.config']);
  for (const [k, v] of keyValueMap(flags.consumerProperty, '--consumer-property')) props.set(k, v);
  const group = groupSettings(flags, props);
  const start = startPosition(flags);
  const isolation = (props.get('isolation.level') ?? flags.isolationLevel).trim().toLowerCase();
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new InvalidArgumentError(
      `--isolation-level expects read_uncommitted or read_committed, got "${isolation}"`,
    );
  }
  const num = (key: string, fallback: number) => {
    const v = props.get(key);
    return v === undefined ? fallback : Number(v);
  };
  const maxWaitMs = Math.min(num('fetch.max.wait.ms', 500), flags.timeoutMs ?? Number.POSITIVE_INFINITY);

  const baseOptions = clientBaseOptions(bootstrap, props, 'console-consumer', CONSUMER_PROPERTIES, (l) =>
    err(`WARN ${l}\n`),
  );
  const kafka = await loadKafkaClient();
  const consumer: Consumer =
    group === undefined
      ? new kafka.Consumer({
          ...baseOptions,
          // The client requires a group id even for plain fetches; it is never sent to a coordinator.
          groupId: `console-consumer-${randomUUID()}`,
        })
      : group.protocol === 'consumer'
        ? new kafka.Consumer({
            ...baseOptions,
            groupId: group.group,
            groupProtocol: 'consumer',
            autocommit: false,
            ...(props.has('group.instance.id') ? { groupInstanceId: props.get('group.instance.id')! } : {}),
            ...(props.has('group.remote.assignor')
              ? { groupRemoteAssignor: props.get('group.remote.assignor')! }
              : {}),
            rebalanceTimeout: num('max.poll.interval.ms', 300_000),
          })
        : new kafka.Consumer({
            ...baseOptions,
            groupId: group.group,
            autocommit: false,
            ...(props.has('group.instance.id') ? { groupInstanceId: props.get('group.instance.id')! } : {}),
            // Kafka's consumer defaults, rather than the client library's.
            sessionTimeout: num('session.timeout.ms', 45_000),
            heartbeatInterval: num('heartbeat.interval.ms', 3_000),
            rebalanceTimeout: num('max.poll.interval.ms', 300_000),
          });

  let processed = 0;
  let source: PartitionSource | undefined;
  const startedAt = Date.now();
  let commitError: unknown;
  try {
    const topics = await resolveTopics(baseOptions, flags);
    if (group === undefined) {
      source = new FixedPartitions(await assign(consumer, topics, flags.partition, start));
    } else {
      const g = new GroupPartitions(consumer, topics, group, err);
      source = g;
      if (!(await g.join(signal, flags.timeoutMs, startedAt))) {
        if (!signal.aborted) {
          err(
            `ERROR Error processing message, terminating consumer process: no record within ${flags.timeoutMs} ms (the group was still joining)\n`,
          );
        }
        return;
      }
    }
    let lastRecordAt = startedAt;
    const done = () => signal.aborted || (flags.maxMessages !== undefined && processed >= flags.maxMessages);
    while (!done()) {
      const assigned = await source.partitions();
      const byLeader = new Map<number, Assigned[]>();
      for (const a of assigned) byLeader.set(a.leader, [...(byLeader.get(a.leader) ?? []), a]);
      const roundStart = Date.now();
      const rounds = await Promise.all(
        [...byLeader].map(([node, parts]) =>
          fetchRound(consumer, node, parts, maxWaitMs, isolation, num, source!.outOfRange.bind(source)),
        ),
      );
      let got = 0;
      for (const round of rounds) {
        const chunks: Buffer[] = [];
        const delivered: [Assigned, bigint][] = [];
        for (const { a, records } of round) {
          let last: bigint | undefined;
          let all = true;
          for (const r of records) {
            if (flags.maxMessages !== undefined && processed >= flags.maxMessages) {
              all = false;
              break;
            }
            chunks.push(formatRecord(r, format));
            last = r.offset;
            processed++;
            got++;
          }
          // Everything fetched was printed: the position (past control batches too) is consumed.
          if (all) delivered.push([a, a.next]);
          else if (last !== undefined) delivered.push([a, last + 1n]);
        }
        if (chunks.length > 0 && !(await write(out, Buffer.concat(chunks)))) return;
        for (const [a, next] of delivered) source.delivered(a, next);
      }
      await source.commit(false);
      if (got > 0) {
        lastRecordAt = Date.now();
        continue;
      }
      if (flags.timeoutMs !== undefined && Date.now() - lastRecordAt >= flags.timeoutMs) {
        err(
          `ERROR Error processing message, terminating consumer process: no record within ${flags.timeoutMs} ms\n`,
        );
        break;
      }
      if (Date.now() - roundStart < maxWaitMs / 2) {
        // A broker that answers empty fetches at once (no long poll), or a member without
        // partitions, must not make this spin.
        await sleep(Math.min(100, maxWaitMs), undefined, { signal }).catch(() => {});
      }
    }
  } finally {
    try {
      // What was printed is committed before leaving, so the next member starts after it.
      await source?.commit(true);
    } catch (e) {
      commitError = e;
    }
    err(`Processed a total of ${processed} messages\n`);
    await source?.close();
    await closeQuietly(consumer);
  }
  if (commitError !== undefined) throw commitError;
}

/** Writes with backpressure; false when stdout is gone (for example `| head`). */
function write(out: NodeJS.WritableStream, data: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(false);
    out.once('error', onError);
    // The callback fires once the data is handed to the OS, which is the backpressure we need.
    out.write(data, (e) => {
      out.off('error', onError);
      resolve(e == null);
    });
  });
}

/** Every topic name (the consumer's metadata call only takes explicit names). */
async function listTopics(options: ClientBaseOptions): Promise<string[]> {
  const admin = new (await loadKafkaClient()).Admin(options);
  try {
    return await admin.listTopics({ includeInternals: false });
  } catch (e) {
    throw toolError(e, 'listing topics');
  } finally {
    await closeQuietly(admin);
  }
}

/** --topic, or the topics --include matches now (resolved once, at start). */
async function resolveTopics(options: ClientBaseOptions, flags: ConsoleConsumerFlags): Promise<string[]> {
  if (flags.topic !== undefined) return [flags.topic];
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${flags.include})$`);
  } catch (e) {
    throw new InvalidArgumentError(`--include: ${(e as Error).message}`);
  }
  const topics = (await listTopics(options)).filter((t) => re.test(t)).sort();
  if (topics.length === 0) throw new ToolError(`no topic matches --include ${flags.include}`);
  return topics;
}

/** Where the partitions to fetch come from: fixed (no group) or a group's assignment. */
interface PartitionSource {
  /** The partitions to fetch now; a group's assignment may change between rounds. */
  partitions(): Promise<Assigned[]>;
  /** The records of `a` before `next` were printed. */
  delivered(a: Assigned, next: bigint): void;
  /** Commits what was printed when due (`final`: now, before leaving). */
  commit(final: boolean): Promise<void>;
  /** A fetch of `parts` failed with OFFSET_OUT_OF_RANGE: true when positions were reset. */
  outOfRange(parts: readonly Assigned[]): Promise<boolean>;
  close(): Promise<void>;
}

class FixedPartitions implements PartitionSource {
  readonly #assigned: Assigned[];
  constructor(assigned: Assigned[]) {
    this.#assigned = assigned;
  }
  async partitions(): Promise<Assigned[]> {
    return this.#assigned;
  }
  delivered(): void {}
  async commit(): Promise<void> {}
  async outOfRange(): Promise<boolean> {
    // Without a group there is no reset policy: --offset past the end is the user's error.
    return false;
  }
  async close(): Promise<void> {}
}

interface GroupPosition extends Assigned {
  /** The group's committed offset (-1: none). */
  committed: bigint;
  /** Everything before this offset was printed. */
  consumed: bigint;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * A consumer group member: the client library joins the group and heartbeats; this class follows
 * the assignment it receives, positions new partitions at the group's committed offset (or by
 * auto.offset.reset), and commits what was printed, every auto.commit.interval.ms and on exit.
 */
class GroupPartitions implements PartitionSource {
  readonly #consumer: Consumer;
  readonly #topics: string[];
  readonly #settings: GroupSettings;
  readonly #err: (s: string) => void;
  readonly #positions = new Map<string, GroupPosition>();
  #lastCommit = Date.now();
  #fatal: unknown;
  #stream: { close(): Promise<void>; on(e: 'error', l: (err: Error) => void): unknown } | undefined;

  constructor(consumer: Consumer, topics: string[], settings: GroupSettings, err: (s: string) => void) {
    this.#consumer = consumer;
    this.#topics = topics;
    this.#settings = settings;
    this.#err = err;
    // A failed rejoin is reported as an 'error' event; without a listener it would crash the process.
    consumer.on('error', (e: unknown) => {
      this.#fatal = e;
    });
  }

  /** Joins the group; false when stopped (signal, or --timeout-ms elapsed) before the join completed. */
  async join(signal: AbortSignal, timeoutMs: number | undefined, startedAt: number): Promise<boolean> {
    const joining =
      this.#settings.protocol === 'consumer'
        ? // The client reaches the KIP-848 protocol only through consume(); the stream is never
          // read (it fetches only when read), it just keeps the subscription alive.
          this.#consumer.consume({ topics: this.#topics, autocommit: false }).then((stream) => {
            this.#stream = stream;
            stream.on('error', (e: Error) => {
              this.#fatal = e;
            });
          })
        : (() => {
            this.#consumer.topics.trackAll(...this.#topics);
            return this.#consumer.joinGroup({});
          })();
    let stop: () => void = () => {};
    const stopped = new Promise<false>((resolve) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => resolve(false), Math.max(0, startedAt + timeoutMs - Date.now()));
      const onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
      stop = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
    });
    try {
      return await Promise.race([joining.then(() => true as const), stopped]);
    } catch (e) {
      throw toolError(e, `joining group '${this.#settings.group}'`);
    } finally {
      stop();
      joining.catch(() => {});
    }
  }

  async partitions(): Promise<Assigned[]> {
    if (this.#fatal !== undefined) throw toolError(this.#fatal, `group '${this.#settings.group}'`);
    const target = new Map<string, { topic: string; partition: number }>();
    for (const a of this.#consumer.assignments ?? []) {
      for (const partition of a.partitions)
        target.set(partitionKey(a.topic, partition), { topic: a.topic, partition });
    }
    const revoked = [...this.#positions].filter(([key]) => !target.has(key));
    if (revoked.length > 0) {
      // Hand over what was printed from the partitions moving to another member.
      await this.#commitPositions(
        revoked.map(([, p]) => p),
        false,
      );
      for (const [key] of revoked) this.#positions.delete(key);
    }
    const added = [...target].filter(([key]) => !this.#positions.has(key)).map(([, tp]) => tp);
    if (added.length > 0) await this.#position(added);
    return [...this.#positions.values()];
  }

  async #position(added: { topic: string; partition: number }[]): Promise<void> {
    const topics = [...new Set(added.map((tp) => tp.topic))];
    let md: Awaited<ReturnType<Consumer['metadata']>>;
    let committed: Awaited<ReturnType<Consumer['listCommittedOffsets']>>;
    const partitionsOf = (topic: string) =>
      added.filter((tp) => tp.topic === topic).map((tp) => tp.partition);
    try {
      md = await this.#consumer.metadata({ topics, forceUpdate: true });
      committed = await this.#consumer.listCommittedOffsets({
        topics: topics.map((topic) => ({ topic, partitions: partitionsOf(topic) })),
      });
    } catch (e) {
      throw toolError(e, `offsets of group '${this.#settings.group}'`);
    }
    const positions: GroupPosition[] = [];
    for (const { topic, partition } of added) {
      const t = md.topics.get(topic);
      const p = t?.partitions[partition];
      if (t === undefined || p === undefined) {
        throw new ToolError(`UNKNOWN_TOPIC_OR_PARTITION (topic '${topic}' partition ${partition})`);
      }
      const c = committed.get(topic)?.[partition] ?? -1n;
      positions.push({
        topic,
        topicId: t.id,
        partition,
        leader: p.leader,
        next: c,
        committed: c,
        consumed: c,
      });
    }
    await this.#resetPositions(positions.filter((p) => p.next < 0n));
    for (const p of positions) this.#positions.set(partitionKey(p.topic, p.partition), p);
  }

  /** auto.offset.reset for positions without a valid offset. */
  async #resetPositions(positions: GroupPosition[]): Promise<void> {
    if (positions.length === 0) return;
    if (this.#settings.reset === 'none') {
      throw new ToolError(
        `Undefined offset with no reset policy for partitions: [${positions.map((p) => `${p.topic}-${p.partition}`).join(', ')}]`,
      );
    }
    const partitions: Record<string, number[]> = {};
    for (const p of positions) partitions[p.topic] = [...(partitions[p.topic] ?? []), p.partition];
    let offsets: Awaited<ReturnType<Consumer['listOffsetsWithTimestamps']>>;
    try {
      offsets = await this.#consumer.listOffsetsWithTimestamps({
        topics: Object.keys(partitions),
        partitions,
        timestamp: this.#settings.reset === 'earliest' ? -2n : -1n,
      });
    } catch (e) {
      throw toolError(e, `listing offsets of '${Object.keys(partitions).join(',')}'`);
    }
    for (const p of positions) {
      const o = offsets.get(p.topic)?.get(p.partition)?.offset;
      if (o === undefined)
        throw new ToolError(
          `no ${this.#settings.reset} offset for topic '${p.topic}' partition ${p.partition}`,
        );
      p.next = o;
      p.consumed = o;
    }
  }

  async outOfRange(parts: readonly Assigned[]): Promise<boolean> {
    const mine = parts
      .map((a) => this.#positions.get(partitionKey(a.topic, a.partition)))
      .filter((p): p is GroupPosition => p !== undefined);
    if (mine.length === 0) return false;
    const topics = [...new Set(mine.map((p) => p.topic))];
    const partitions: Record<string, number[]> = {};
    for (const p of mine) partitions[p.topic] = [...(partitions[p.topic] ?? []), p.partition];
    const [earliest, latest] = await Promise.all(
      [-2n, -1n].map((timestamp) =>
        this.#consumer.listOffsetsWithTimestamps({ topics, partitions, timestamp }),
      ),
    );
    const outside = mine.filter((p) => {
      const lo = earliest!.get(p.topic)?.get(p.partition)?.offset;
      const hi = latest!.get(p.topic)?.get(p.partition)?.offset;
      return lo === undefined || hi === undefined || p.next < lo || p.next > hi;
    });
    if (outside.length === 0 || this.#settings.reset === 'none') return false;
    for (const p of outside) {
      this.#err(
        `WARN offset ${p.next} is out of range for topic '${p.topic}' partition ${p.partition}; resetting to the ${this.#settings.reset} offset\n`,
      );
    }
    await this.#resetPositions(outside);
    return true;
  }

  delivered(a: Assigned, next: bigint): void {
    const p = this.#positions.get(partitionKey(a.topic, a.partition));
    if (p !== undefined && next > p.consumed) p.consumed = next;
  }

  async commit(final: boolean): Promise<void> {
    if (!final && Date.now() - this.#lastCommit < this.#settings.autoCommitIntervalMs) return;
    this.#lastCommit = Date.now();
    await this.#commitPositions([...this.#positions.values()], final);
  }

  async #commitPositions(positions: GroupPosition[], final: boolean): Promise<void> {
    if (!this.#settings.autoCommit) return;
    const due = positions.filter((p) => p.consumed >= 0n && p.consumed !== p.committed);
    if (due.length === 0) return;
    try {
      await this.#consumer.commit({
        offsets: due.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          offset: p.consumed,
          leaderEpoch: -1,
        })),
      });
      for (const p of due) p.committed = p.consumed;
    } catch (e) {
      const line = describeClientError(e, `committing offsets of group '${this.#settings.group}'`);
      // A periodic commit that fails is retried at the next one; the last one must not fail silently.
      if (final) throw new ToolError(line, { cause: e });
      this.#err(`WARN ${line}\n`);
    }
  }

  async close(): Promise<void> {
    if (this.#stream !== undefined) await this.#stream.close().catch(() => {});
  }
}

async function assign(
  consumer: Consumer,
  topics: string[],
  onlyPartition: number | undefined,
  start: StartAt,
): Promise<Assigned[]> {
  let md: Awaited<ReturnType<Consumer['metadata']>>;
  try {
    md = await consumer.metadata({ topics, forceUpdate: true });
  } catch (e) {
    throw toolError(e, `topic '${topics.join(',')}'`);
  }
  const assigned: Assigned[] = [];
  for (const topic of topics) {
    const t = md.topics.get(topic);
    if (t === undefined) throw new ToolError(`UNKNOWN_TOPIC_OR_PARTITION (topic '${topic}'): no such topic`);
    const partitions =
      onlyPartition !== undefined ? [onlyPartition] : Array.from({ length: t.partitionsCount }, (_, i) => i);
    for (const partition of partitions) {
      const p = t.partitions[partition];
      if (p === undefined) {
        throw new ToolError(
          `UNKNOWN_TOPIC_OR_PARTITION (topic '${topic}' partition ${partition}): the topic has ${t.partitionsCount} partitions`,
        );
      }
      if (p.leader < 0) throw new ToolError(`LEADER_NOT_AVAILABLE (topic '${topic}' partition ${partition})`);
      assigned.push({ topic, topicId: t.id, partition, leader: p.leader, next: 0n });
    }
  }
  if (start.kind === 'offset') {
    for (const a of assigned) a.next = start.offset;
    return assigned;
  }
  const partitionsByTopic: Record<string, number[]> = {};
  for (const a of assigned) {
    const list = partitionsByTopic[a.topic] ?? [];
    list.push(a.partition);
    partitionsByTopic[a.topic] = list;
  }
  let offsets: Awaited<ReturnType<Consumer['listOffsetsWithTimestamps']>>;
  try {
    offsets = await consumer.listOffsetsWithTimestamps({
      topics,
      partitions: partitionsByTopic,
      timestamp: start.kind === 'earliest' ? -2n : -1n,
    });
  } catch (e) {
    throw toolError(e, `listing offsets of '${topics.join(',')}'`);
  }
  for (const a of assigned) {
    const o = offsets.get(a.topic)?.get(a.partition)?.offset;
    if (o === undefined)
      throw new ToolError(`no ${start.kind} offset for topic '${a.topic}' partition ${a.partition}`);
    a.next = o;
  }
  return assigned;
}

/** One fetch from one leader; the records of each partition, and each partition's position advanced. */
async function fetchRound(
  consumer: Consumer,
  node: number,
  parts: Assigned[],
  maxWaitMs: number,
  isolation: string,
  num: (key: string, fallback: number) => number,
  onOutOfRange: (parts: readonly Assigned[]) => Promise<boolean>,
): Promise<{ a: Assigned; records: ConsumedRecord[] }[]> {
  const byTopicId = new Map<string, Assigned[]>();
  for (const a of parts) byTopicId.set(a.topicId, [...(byTopicId.get(a.topicId) ?? []), a]);
  let response: Awaited<ReturnType<Consumer['fetch']>>;
  try {
    response = await consumer.fetch({
      node,
      maxWaitTime: maxWaitMs,
      minBytes: num('fetch.min.bytes', 1),
      maxBytes: num('fetch.max.bytes', 52_428_800),
      isolationLevel: isolation === 'read_committed' ? 1 : 0,
      topics: [...byTopicId].map(([topicId, as]) => ({
        topicId,
        partitions: as.map((a) => ({
          partition: a.partition,
          currentLeaderEpoch: -1,
          fetchOffset: a.next,
          lastFetchedEpoch: -1,
          partitionMaxBytes: num('max.partition.fetch.bytes', 1_048_576),
        })),
      })),
    });
  } catch (e) {
    if (kafkaErrorNames(e).has('OFFSET_OUT_OF_RANGE') && (await onOutOfRange(parts))) return [];
    const only = parts.length === 1 ? parts[0]! : undefined;
    throw toolError(
      e,
      only === undefined
        ? `fetching '${parts[0]?.topic}'`
        : `topic '${only.topic}' partition ${only.partition}`,
    );
  }
  const out: { a: Assigned; records: ConsumedRecord[] }[] = [];
  for (const t of response.responses) {
    const as = byTopicId.get(t.topicId) ?? [];
    for (const p of t.partitions) {
      const a = as.find((x) => x.partition === p.partitionIndex);
      if (a === undefined || p.records === undefined) continue;
      const got = recordsFrom(p.records, a.partition, a.next);
      a.next = got.next;
      out.push({ a, records: got.records });
    }
  }
  return out;
}
