import type { Admin } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import {
  clientBaseOptions,
  closeQuietly,
  exitQuietlyOnClosedStdout,
  loadClientProperties,
  loadKafkaClient,
  parseBootstrap,
  ToolError,
  toolError,
  usageErrorsExit2,
} from './kafka-tool.ts';

/** `sluice get-offsets`: kafka-get-offsets.sh — offsets of partitions at a time, as `topic:partition:offset`. */

export interface GetOffsetsFlags {
  bootstrapServer?: string[];
  commandConfig?: string;
  topic?: string;
  partitions?: number[];
  topicPartitions?: string;
  time?: bigint;
  excludeInternalTopics?: boolean;
}

/** Kafka's named times for --time (ListOffsets special timestamps). */
const NAMED_TIMES: Record<string, bigint> = {
  latest: -1n,
  earliest: -2n,
  'max-timestamp': -3n,
  'earliest-local': -4n,
  'latest-tiered': -5n,
};

export function parseTime(value: string): bigint {
  const named = NAMED_TIMES[value.trim().toLowerCase()];
  if (named !== undefined) return named;
  if (!/^-?\d+$/.test(value.trim())) {
    throw new InvalidArgumentError(
      `--time expects a timestamp in ms, -1 (latest), -2 (earliest), -3 (max-timestamp) or a name, got "${value}"`,
    );
  }
  const t = BigInt(value.trim());
  if (t < -5n)
    throw new InvalidArgumentError(`--time ${value}: negative values other than -1..-5 are invalid`);
  return t;
}

export function parsePartitionList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',')) {
    const s = part.trim();
    const range = /^(\d+)-(\d+)$/.exec(s);
    if (range !== null) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (hi < lo) throw new InvalidArgumentError(`partition range "${s}" is empty`);
      for (let p = lo; p <= hi; p++) out.push(p);
    } else if (/^\d+$/.test(s)) {
      out.push(Number(s));
    } else {
      throw new InvalidArgumentError(`expected partition numbers like 0,1 or 0-3, got "${value}"`);
    }
  }
  return out;
}

export function registerGetOffsetsCommand(program: Command): void {
  usageErrorsExit2(program.command('get-offsets'))
    .description('print partition offsets at a time, as topic:partition:offset (as kafka-get-offsets.sh)')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to (required)', parseBootstrap)
    .option('--command-config <file>', 'client properties file')
    .option('--topic <topic>', 'topic name or regular expression (default: all topics)')
    .option(
      '--partitions <list>',
      'comma-separated partition ids or ranges, e.g. 0,1,4-6',
      parsePartitionList,
    )
    .option('--topic-partitions <list>', 'topic:partitions pairs, e.g. t1:0,1,t2 (not with --topic)')
    .option(
      '--time <time>',
      'timestamp in ms, or -1/latest (default), -2/earliest, -3/max-timestamp, -4/earliest-local, -5/latest-tiered',
      parseTime,
    )
    .option('--exclude-internal-topics', 'leave internal topics out when matching all topics')
    .action(async (flags: GetOffsetsFlags) => {
      exitQuietlyOnClosedStdout();
      await getOffsetsCommand(flags, (s) => process.stdout.write(s));
    });
}

/** `t1:0,1,t2:3` → pattern per topic, with partitions or all. */
function parseTopicPartitions(value: string): { pattern: string; partitions: number[] | undefined }[] {
  const out: { pattern: string; partitions: number[] | undefined }[] = [];
  // Entries are separated by commas; a bare number after a topic adds a partition to it.
  for (const item of value.split(',')) {
    const s = item.trim();
    if (s === '') continue;
    const colon = s.lastIndexOf(':');
    if (colon < 0 && /^[\d-]+$/.test(s) && out.length > 0) {
      const last = out[out.length - 1]!;
      last.partitions = [...(last.partitions ?? []), ...parsePartitionList(s)];
    } else if (colon < 0) {
      out.push({ pattern: s, partitions: undefined });
    } else {
      out.push({ pattern: s.slice(0, colon), partitions: parsePartitionList(s.slice(colon + 1)) });
    }
  }
  return out;
}

export async function getOffsetsCommand(flags: GetOffsetsFlags, out: (s: string) => void): Promise<void> {
  if (flags.bootstrapServer === undefined) throw new InvalidArgumentError('--bootstrap-server is required');
  if (flags.topicPartitions !== undefined && (flags.topic !== undefined || flags.partitions !== undefined)) {
    throw new InvalidArgumentError('--topic-partitions cannot be used with --topic or --partitions');
  }
  const filters =
    flags.topicPartitions !== undefined
      ? parseTopicPartitions(flags.topicPartitions)
      : [{ pattern: flags.topic ?? '.*', partitions: flags.partitions }];
  const props = await loadClientProperties(flags.commandConfig);
  const admin = new (await loadKafkaClient()).Admin(
    clientBaseOptions(flags.bootstrapServer, props, 'sluice-get-offsets'),
  );
  try {
    let names: string[];
    try {
      names = await admin.listTopics({ includeInternals: flags.excludeInternalTopics !== true });
    } catch (e) {
      throw toolError(e, 'listing topics');
    }
    const wanted = new Map<string, Set<number> | undefined>();
    for (const f of filters) {
      let re: RegExp | undefined;
      try {
        re = new RegExp(`^(?:${f.pattern})$`);
      } catch {
        re = undefined;
      }
      for (const name of names) {
        if (name !== f.pattern && !(re?.test(name) ?? false)) continue;
        const prev = wanted.get(name);
        if (f.partitions === undefined || (wanted.has(name) && prev === undefined))
          wanted.set(name, undefined);
        else wanted.set(name, new Set([...(prev ?? []), ...f.partitions]));
      }
    }
    if (wanted.size === 0) {
      if (flags.topic !== undefined || flags.topicPartitions !== undefined) {
        throw new ToolError(
          `Could not match any topic-partitions with the specified filters (${flags.topic ?? flags.topicPartitions})`,
        );
      }
      return;
    }
    let metadata: Awaited<ReturnType<Admin['metadata']>>;
    try {
      metadata = await admin.metadata({ topics: [...wanted.keys()], forceUpdate: true });
    } catch (e) {
      throw toolError(e, 'reading metadata');
    }
    const request: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[] = [];
    for (const [name, parts] of [...wanted].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const count = metadata.topics.get(name)?.partitionsCount ?? 0;
      const ids = [...(parts ?? Array.from({ length: count }, (_, i) => i))]
        .filter((p) => p < count)
        .sort((a, b) => a - b);
      if (ids.length > 0) {
        request.push({
          name,
          partitions: ids.map((partitionIndex) => ({ partitionIndex, timestamp: flags.time ?? -1n })),
        });
      }
    }
    if (request.length === 0) {
      throw new ToolError('Could not match any topic-partitions with the specified filters');
    }
    let listed: Awaited<ReturnType<Admin['listOffsets']>>;
    try {
      listed = await admin.listOffsets({ topics: request });
    } catch (e) {
      throw toolError(e, `listing offsets of ${request.map((r) => r.name).join(',')}`);
    }
    const lines: [string, number, string][] = [];
    for (const t of listed) {
      for (const p of t.partitions)
        lines.push([t.name, p.partitionIndex, p.offset < 0n ? '' : String(p.offset)]);
    }
    lines.sort(([ta, pa], [tb, pb]) => (ta < tb ? -1 : ta > tb ? 1 : pa - pb));
    for (const [t, p, o] of lines) out(`${t}:${p}:${o}\n`);
  } finally {
    await closeQuietly(admin);
  }
}
