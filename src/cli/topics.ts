import type { Admin } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import {
  AlterConfigOp,
  ConfigResource,
  ConfigSource,
  clientBaseOptions,
  closeQuietly,
  collectValues,
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

/** `sluice topics`: kafka-topics.sh — create, list, describe, alter and delete topics. */

export interface TopicsFlags {
  bootstrapServer?: string[];
  commandConfig?: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  alter?: boolean;
  delete?: boolean;
  topic?: string;
  partitions?: number;
  replicationFactor?: number;
  config: string[];
  ifNotExists?: boolean;
  ifExists?: boolean;
  excludeInternal?: boolean;
  topicsWithOverrides?: boolean;
  underReplicatedPartitions?: boolean;
  unavailablePartitions?: boolean;
}

export function registerTopicsCommand(program: Command): void {
  usageErrorsExit2(program.command('topics'))
    .description('create, list, describe, alter and delete topics (as kafka-topics.sh)')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to (required)', parseBootstrap)
    .option('--command-config <file>', 'client properties file (client.id, request.timeout.ms, ...)')
    .option('--create', 'create a topic')
    .option('--list', 'list topic names, one per line')
    .option('--describe', 'describe topics: partition count, replication, configs and partitions')
    .option('--alter', 'change the partition count (and, in Sluice, topic configs)')
    .option('--delete', 'delete topics')
    .option('--topic <topic>', 'the topic; a regular expression except with --create')
    .option('--partitions <n>', 'number of partitions (--create, --alter)', parseIntFlag('--partitions', 1))
    .option(
      '--replication-factor <n>',
      'replication factor (--create)',
      parseIntFlag('--replication-factor', 1, 32767),
    )
    .option('--config <key=value>', 'topic config override (repeatable)', collectValues, [])
    .option('--if-not-exists', 'with --create: do nothing if the topic exists')
    .option('--if-exists', 'with --alter, --describe, --delete: do nothing if the topic is missing')
    .option('--exclude-internal', 'leave internal topics (__consumer_offsets, ...) out of --list/--describe')
    .option('--topics-with-overrides', 'with --describe: only topics that have config overrides')
    .option('--under-replicated-partitions', 'with --describe: only partitions whose ISR is short')
    .option('--unavailable-partitions', 'with --describe: only partitions without a leader')
    .action(async (flags: TopicsFlags) => {
      exitQuietlyOnClosedStdout();
      await topicsCommand(
        flags,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
      );
    });
}

type Writer = (text: string) => void;

export async function topicsCommand(flags: TopicsFlags, out: Writer, err: Writer): Promise<void> {
  const actions = (['create', 'list', 'describe', 'alter', 'delete'] as const).filter((a) => flags[a]);
  if (actions.length !== 1) {
    throw new InvalidArgumentError(
      'exactly one of --create, --list, --describe, --alter or --delete must be given',
    );
  }
  if (flags.bootstrapServer === undefined) throw new InvalidArgumentError('--bootstrap-server is required');
  const action = actions[0]!;
  if ((action === 'create' || action === 'alter' || action === 'delete') && flags.topic === undefined) {
    throw new InvalidArgumentError(`--${action} needs --topic`);
  }
  const props = await loadClientProperties(flags.commandConfig);
  const options = clientBaseOptions(flags.bootstrapServer, props, 'sluice-topics', new Set(), (l) =>
    err(`WARN ${l}\n`),
  );
  const admin = new (await loadKafkaClient()).Admin(options);
  try {
    switch (action) {
      case 'create':
        await createTopic(admin, flags, out);
        break;
      case 'list':
        for (const name of await matchingTopics(admin, flags)) out(`${name}\n`);
        break;
      case 'describe':
        await describeTopics(admin, flags, out);
        break;
      case 'alter':
        await alterTopics(admin, flags);
        break;
      case 'delete':
        await deleteTopics(admin, flags);
        break;
    }
  } finally {
    await closeQuietly(admin);
  }
}

/** Kafka treats --topic as a regular expression matched against the whole name. */
function topicMatcher(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch {
    return (name) => name === pattern;
  }
  return (name) => name === pattern || re.test(name);
}

async function matchingTopics(admin: Admin, flags: TopicsFlags): Promise<string[]> {
  let names: string[];
  try {
    names = await admin.listTopics({ includeInternals: flags.excludeInternal !== true });
  } catch (e) {
    throw toolError(e, 'listing topics');
  }
  const matches = topicMatcher(flags.topic);
  return names.filter(matches).sort();
}

/** The topics an action applies to; a missing explicit topic fails unless --if-exists. */
async function existingTopics(admin: Admin, flags: TopicsFlags): Promise<string[]> {
  const names = await matchingTopics(admin, flags);
  if (names.length === 0 && flags.topic !== undefined && flags.ifExists !== true) {
    throw new ToolError(`Topic '${flags.topic}' does not exist as expected`);
  }
  return names;
}

function topicConfigs(flags: TopicsFlags): { name: string; value: string }[] {
  return [...keyValueMap(flags.config, '--config')].map(([name, value]) => ({ name, value }));
}

async function createTopic(admin: Admin, flags: TopicsFlags, out: Writer): Promise<void> {
  const topic = flags.topic!;
  try {
    await admin.createTopics({
      topics: [topic],
      // -1 asks the broker for num.partitions / default.replication.factor, as Kafka's tool does.
      partitions: flags.partitions ?? -1,
      replicas: flags.replicationFactor ?? -1,
      configs: topicConfigs(flags),
    });
  } catch (e) {
    if (flags.ifNotExists === true && kafkaErrorNames(e).has('TOPIC_ALREADY_EXISTS')) return;
    throw toolError(e, `topic '${topic}'`);
  }
  out(`Created topic ${topic}.\n`);
}

async function alterTopics(admin: Admin, flags: TopicsFlags): Promise<void> {
  if (flags.partitions === undefined && flags.config.length === 0) {
    throw new InvalidArgumentError('--alter needs --partitions (or --config)');
  }
  const names = await existingTopics(admin, flags);
  if (names.length === 0) return;
  if (flags.partitions !== undefined) {
    try {
      await admin.createPartitions({
        topics: names.map((name) => ({ name, count: flags.partitions!, assignments: null })),
      });
    } catch (e) {
      throw toolError(e, `topic '${flags.topic}'`);
    }
  }
  const configs = topicConfigs(flags);
  if (configs.length > 0) {
    try {
      await admin.incrementalAlterConfigs({
        resources: names.map((name) => ({
          resourceType: ConfigResource.TOPIC,
          resourceName: name,
          configs: configs.map((c) => ({ ...c, configOperation: AlterConfigOp.SET })),
        })),
      });
    } catch (e) {
      throw toolError(e, `topic '${flags.topic}'`);
    }
  }
}

async function deleteTopics(admin: Admin, flags: TopicsFlags): Promise<void> {
  const names = await existingTopics(admin, flags);
  if (names.length === 0) return;
  try {
    await admin.deleteTopics({ topics: names });
  } catch (e) {
    throw toolError(e, `topic '${flags.topic}'`);
  }
}

/** Non-default configs of each topic, `k=v` joined by commas; empty if DescribeConfigs fails. */
async function topicOverrides(admin: Admin, names: string[]): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (names.length === 0) return result;
  try {
    const described = await admin.describeConfigs({
      resources: names.map((resourceName) => ({ resourceType: ConfigResource.TOPIC, resourceName })),
    });
    for (const d of described) {
      result.set(
        d.resourceName,
        d.configs
          .filter((c) => c.configSource !== ConfigSource.DEFAULT_CONFIG)
          .map((c) => `${c.name}=${c.isSensitive ? '<sensitive>' : (c.value ?? 'null')}`)
          .sort(),
      );
    }
  } catch {
    // A broker without DescribeConfigs still gets its topics described, with empty configs.
  }
  return result;
}

async function describeTopics(admin: Admin, flags: TopicsFlags, out: Writer): Promise<void> {
  const names = await existingTopics(admin, flags);
  if (names.length === 0) return;
  let metadata: Awaited<ReturnType<Admin['metadata']>>;
  try {
    metadata = await admin.metadata({ topics: names, forceUpdate: true });
  } catch (e) {
    throw toolError(e, `describing topic '${flags.topic ?? names.join(',')}'`);
  }
  const overrides = await topicOverrides(admin, names);
  const list = (ids: readonly number[]) => ids.join(',');
  for (const name of names) {
    const topic = metadata.topics.get(name);
    if (topic === undefined) continue;
    const configs = overrides.get(name) ?? [];
    if (flags.topicsWithOverrides === true && configs.length === 0) continue;
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 0;
    const partitionLines: string[] = [];
    topic.partitions.forEach((p, index) => {
      if (flags.underReplicatedPartitions === true && p.isr.length >= p.replicas.length) return;
      if (flags.unavailablePartitions === true && p.leader >= 0) return;
      partitionLines.push(
        `\tTopic: ${name}\tPartition: ${index}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${list(p.replicas)}\tIsr: ${list(p.isr)}\n`,
      );
    });
    const filtering = flags.underReplicatedPartitions === true || flags.unavailablePartitions === true;
    if (!filtering) {
      out(
        `Topic: ${name}\tTopicId: ${kafkaTopicId(topic.id)}\tPartitionCount: ${topic.partitionsCount}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configs.join(',')}\n`,
      );
    }
    for (const line of partitionLines) out(line);
  }
}

/** Kafka prints topic IDs as unpadded base64url of the 16 bytes; the client hands out the UUID form. */
export function kafkaTopicId(id: string): string {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return id;
  return Buffer.from(hex, 'hex').toString('base64url');
}
