import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, RecordsBatch } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import {
  type ClientBaseOptions,
  clientBaseOptions,
  closeQuietly,
  collectValues,
  exitQuietlyOnClosedStdout,
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
 * needs no group coordinator. Records go to stdout as raw bytes, formatted like Kafka's
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
    .option('--from-beginning', 'start at the earliest offset rather than the latest')
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
    .option('--group <group>', 'consumer group id (not supported yet: consumer groups arrive later)')
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
  'auto.offset.reset',
  'fetch.max.wait.ms',
  'fetch.min.bytes',
  'fetch.max.bytes',
  'max.partition.fetch.bytes',
  'isolation.level',
]);

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
  const start = startPosition(flags);
  const formatProps = await loadClientProperties(flags.formatterConfig);
  for (const [k, v] of keyValueMap(flags.property, '--property')) formatProps.set(k, v);
  const format = formatterOptions(formatProps);
  const props = await loadClientProperties(flags['consumer.config']);
  for (const [k, v] of keyValueMap(flags.consumerProperty, '--consumer-property')) props.set(k, v);
  const group = flags.group ?? props.get('group.id');
  if (group !== undefined) {
    throw new ToolError(
      `--group ${group}: consumer groups are not supported by Sluice yet (the broker has no group coordinator); ` +
        'consume without --group (all partitions, or --partition N with --offset)',
    );
  }
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
  const consumer = new (await loadKafkaClient()).Consumer({
    ...baseOptions,
    // The client requires a group id even for plain fetches; it is never sent to a coordinator.
    groupId: `console-consumer-${randomUUID()}`,
  });

  let processed = 0;
  try {
    const assigned = await assign(consumer, baseOptions, flags, start);
    let lastRecordAt = Date.now();
    const done = () => signal.aborted || (flags.maxMessages !== undefined && processed >= flags.maxMessages);
    while (!done()) {
      const byLeader = new Map<number, Assigned[]>();
      for (const a of assigned) byLeader.set(a.leader, [...(byLeader.get(a.leader) ?? []), a]);
      const roundStart = Date.now();
      const rounds = await Promise.all(
        [...byLeader].map(([node, parts]) => fetchRound(consumer, node, parts, maxWaitMs, isolation, num)),
      );
      let got = 0;
      for (const records of rounds) {
        const chunks: Buffer[] = [];
        for (const r of records) {
          if (flags.maxMessages !== undefined && processed >= flags.maxMessages) break;
          chunks.push(formatRecord(r, format));
          processed++;
          got++;
        }
        if (chunks.length > 0 && !(await write(out, Buffer.concat(chunks)))) return;
      }
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
        // A broker that answers empty fetches at once (no long poll) must not make this spin.
        await sleep(Math.min(100, maxWaitMs), undefined, { signal }).catch(() => {});
      }
    }
  } finally {
    err(`Processed a total of ${processed} messages\n`);
    await closeQuietly(consumer);
  }
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

async function assign(
  consumer: Consumer,
  options: ClientBaseOptions,
  flags: ConsoleConsumerFlags,
  start: StartAt,
): Promise<Assigned[]> {
  let topics: string[];
  if (flags.topic !== undefined) {
    topics = [flags.topic];
  } else {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${flags.include})$`);
    } catch (e) {
      throw new InvalidArgumentError(`--include: ${(e as Error).message}`);
    }
    topics = (await listTopics(options)).filter((t) => re.test(t)).sort();
    if (topics.length === 0) throw new ToolError(`no topic matches --include ${flags.include}`);
  }
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
      flags.partition !== undefined
        ? [flags.partition]
        : Array.from({ length: t.partitionsCount }, (_, i) => i);
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

async function fetchRound(
  consumer: Consumer,
  node: number,
  parts: Assigned[],
  maxWaitMs: number,
  isolation: string,
  num: (key: string, fallback: number) => number,
): Promise<ConsumedRecord[]> {
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
    const only = parts.length === 1 ? parts[0]! : undefined;
    throw toolError(
      e,
      only === undefined
        ? `fetching '${parts[0]?.topic}'`
        : `topic '${only.topic}' partition ${only.partition}`,
    );
  }
  const records: ConsumedRecord[] = [];
  for (const t of response.responses) {
    const as = byTopicId.get(t.topicId) ?? [];
    for (const p of t.partitions) {
      const a = as.find((x) => x.partition === p.partitionIndex);
      if (a === undefined || p.records === undefined) continue;
      const got = recordsFrom(p.records, a.partition, a.next);
      a.next = got.next;
      records.push(...got.records);
    }
  }
  return records;
}
