import type { Admin, ConfigSourceValue } from '@platformatic/kafka';
import { type Command, InvalidArgumentError } from 'commander';
import {
  AlterConfigOp,
  ConfigResource,
  ConfigSource,
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

type AlterConfig = Parameters<Admin['incrementalAlterConfigs']>[0]['resources'][number]['configs'][number];

/** `sluice configs`: kafka-configs.sh for topics and brokers — describe and alter dynamic configs. */

export interface ConfigsFlags {
  bootstrapServer?: string[];
  commandConfig?: string;
  entityType?: string;
  entityName?: string;
  entityDefault?: boolean;
  topic?: string;
  broker?: string;
  brokerDefaults?: boolean;
  describe?: boolean;
  alter?: boolean;
  all?: boolean;
  addConfig?: string;
  deleteConfig?: string;
}

/** Java's ConfigEntry.ConfigSource names, which kafka-configs.sh prints in `synonyms={...}`. */
const SOURCE_NAMES: Record<number, string> = {
  [ConfigSource.UNKNOWN]: 'UNKNOWN',
  [ConfigSource.TOPIC_CONFIG]: 'DYNAMIC_TOPIC_CONFIG',
  [ConfigSource.DYNAMIC_BROKER_CONFIG]: 'DYNAMIC_BROKER_CONFIG',
  [ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  [ConfigSource.STATIC_BROKER_CONFIG]: 'STATIC_BROKER_CONFIG',
  [ConfigSource.DEFAULT_CONFIG]: 'DEFAULT_CONFIG',
  [ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG]: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  [ConfigSource.CLIENT_METRICS_CONFIG]: 'CLIENT_METRICS_CONFIG',
  [ConfigSource.GROUP_CONFIG]: 'GROUP_CONFIG',
};

export function registerConfigsCommand(program: Command): void {
  usageErrorsExit2(program.command('configs'))
    .description('describe and alter topic and broker configs (as kafka-configs.sh)')
    .option('--bootstrap-server <host:port>', 'the broker(s) to connect to (required)', parseBootstrap)
    .option('--command-config <file>', 'client properties file')
    .option('--entity-type <type>', 'topics or brokers')
    .option('--entity-name <name>', 'topic name or broker id (describe: all when omitted)')
    .option('--entity-default', 'the cluster-wide default (brokers only)')
    .option('--topic <topic>', 'same as --entity-type topics --entity-name <topic>')
    .option('--broker <id>', 'same as --entity-type brokers --entity-name <id>')
    .option('--broker-defaults', 'same as --entity-type brokers --entity-default')
    .option('--describe', 'print the configs of the entity')
    .option('--all', 'with --describe: every config, not only the dynamic overrides')
    .option('--alter', 'change configs (with --add-config and/or --delete-config)')
    .option(
      '--add-config <k=v,...>',
      "configs to set: k1=v1,k2=[v1,v2],k3=v3 (brackets group a list's commas)",
    )
    .option('--delete-config <k,...>', 'configs to remove, comma-separated')
    .action(async (flags: ConfigsFlags) => {
      exitQuietlyOnClosedStdout();
      await configsCommand(flags, (s) => process.stdout.write(s));
    });
}

/** `k1=v1,k2=[a,b],k3=v3` → pairs; commas inside brackets belong to the value (brackets dropped). */
export function parseAddConfig(value: string): [string, string][] {
  const out: [string, string][] = [];
  let depth = 0;
  let current = '';
  const items: string[] = [];
  for (const ch of value) {
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  items.push(current);
  for (const item of items) {
    if (item.trim() === '') continue;
    const at = item.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`--add-config expects k=v[,k=v...], got "${item}"`);
    let v = item.slice(at + 1).trim();
    if (v.startsWith('[') && v.endsWith(']')) v = v.slice(1, -1);
    out.push([item.slice(0, at).trim(), v]);
  }
  return out;
}

interface Entity {
  type: 'topics' | 'brokers';
  /** undefined = every entity of the type (describe); '' = the cluster default (brokers). */
  name: string | undefined;
}

function resolveEntity(flags: ConfigsFlags): Entity {
  const shortcuts = [flags.topic, flags.broker, flags.brokerDefaults].filter((v) => v !== undefined);
  if (shortcuts.length > 1 || (shortcuts.length === 1 && flags.entityType !== undefined)) {
    throw new InvalidArgumentError('give the entity with --entity-type/--entity-name or one shortcut flag');
  }
  if (flags.topic !== undefined) return { type: 'topics', name: flags.topic };
  if (flags.broker !== undefined) return { type: 'brokers', name: flags.broker };
  if (flags.brokerDefaults === true) return { type: 'brokers', name: '' };
  const type = flags.entityType;
  if (type === undefined) throw new InvalidArgumentError('--entity-type is required (topics or brokers)');
  if (type !== 'topics' && type !== 'brokers') {
    throw new InvalidArgumentError(`--entity-type ${type} is not supported yet (topics or brokers)`);
  }
  if (flags.entityDefault === true) {
    if (type !== 'brokers') throw new InvalidArgumentError('--entity-default applies to brokers only');
    if (flags.entityName !== undefined) {
      throw new InvalidArgumentError('--entity-name and --entity-default exclude each other');
    }
    return { type, name: '' };
  }
  if (type === 'brokers' && flags.entityName !== undefined && !/^\d+$/.test(flags.entityName)) {
    throw new InvalidArgumentError(
      `--entity-name for brokers must be a broker id, got "${flags.entityName}"`,
    );
  }
  return { type, name: flags.entityName };
}

function entityLabel(entity: Entity, name: string): string {
  if (entity.type === 'topics') return `topic ${name}`;
  return name === '' ? 'brokers in the cluster' : `broker ${name}`;
}

export async function configsCommand(flags: ConfigsFlags, out: (s: string) => void): Promise<void> {
  if (flags.bootstrapServer === undefined) throw new InvalidArgumentError('--bootstrap-server is required');
  if ((flags.describe === true) === (flags.alter === true)) {
    throw new InvalidArgumentError('exactly one of --describe or --alter must be given');
  }
  const entity = resolveEntity(flags);
  const props = await loadClientProperties(flags.commandConfig);
  const admin = new (await loadKafkaClient()).Admin(
    clientBaseOptions(flags.bootstrapServer, props, 'sluice-configs'),
  );
  try {
    if (flags.describe === true) await describe(admin, entity, flags.all === true, out);
    else await alter(admin, entity, flags, out);
  } finally {
    await closeQuietly(admin);
  }
}

function errorLabel(entity: Entity, name: string): string {
  if (entity.type === 'topics') return `topic '${name}'`;
  return name === '' ? 'broker defaults' : `broker ${name}`;
}

/**
 * Calls one config API on the bootstrap broker. The admin client routes a BROKER resource to the
 * broker whose id is its name, which cannot express the cluster default (the empty name), so the
 * tool sends those requests itself through the client's connection and codec.
 */
async function onBootstrapBroker<T>(admin: Admin, api: string, args: unknown[]): Promise<T> {
  const kafka = await loadKafkaClient();
  return new Promise((resolve, reject) => {
    admin[kafka.kGetBootstrapConnection]((err, connection) => {
      if (err !== null || connection === undefined) return reject(err);
      admin[kafka.kGetApi]<unknown[], T>(api, (apiErr, call) => {
        if (apiErr !== null || call === undefined) return reject(apiErr);
        call.async(connection, ...args).then(resolve, reject);
      });
    });
  });
}

async function entityNames(admin: Admin, entity: Entity): Promise<string[]> {
  if (entity.name !== undefined) return [entity.name];
  try {
    if (entity.type === 'topics') return (await admin.listTopics()).sort();
    const md = await admin.metadata({ topics: [] });
    return [...md.brokers.keys()].sort((a, b) => a - b).map(String);
  } catch (e) {
    throw toolError(e, `listing ${entity.type}`);
  }
}

/** The source that makes a config "dynamic" for this entity (what --describe shows without --all). */
function dynamicSource(entity: Entity, name: string): ConfigSourceValue {
  if (entity.type === 'topics') return ConfigSource.TOPIC_CONFIG;
  return name === '' ? ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG : ConfigSource.DYNAMIC_BROKER_CONFIG;
}

async function describe(admin: Admin, entity: Entity, all: boolean, out: (s: string) => void): Promise<void> {
  const resourceType = entity.type === 'topics' ? ConfigResource.TOPIC : ConfigResource.BROKER;
  for (const name of await entityNames(admin, entity)) {
    let described: Awaited<ReturnType<Admin['describeConfigs']>>;
    try {
      const resources = [{ resourceType, resourceName: name }];
      described =
        name === '' && entity.type === 'brokers'
          ? (
              await onBootstrapBroker<{ results: Awaited<ReturnType<Admin['describeConfigs']>> }>(
                admin,
                'DescribeConfigs',
                [resources, true, false],
              )
            ).results
          : await admin.describeConfigs({ resources, includeSynonyms: true });
    } catch (e) {
      throw toolError(e, errorLabel(entity, name));
    }
    const configs = (described[0]?.configs ?? [])
      .filter((c) => all || c.configSource === dynamicSource(entity, name))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const heading = all ? 'All configs' : name === '' ? 'Default configs' : 'Dynamic configs';
    out(`${heading} for ${entityLabel(entity, name)} are:\n`);
    for (const c of configs) {
      const synonyms = c.synonyms
        .map((s) => `${SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${s.value ?? 'null'}`)
        .join(', ');
      const value = c.isSensitive ? 'null' : (c.value ?? 'null');
      out(`  ${c.name}=${value} sensitive=${c.isSensitive} synonyms={${synonyms}}\n`);
    }
  }
}

async function alter(
  admin: Admin,
  entity: Entity,
  flags: ConfigsFlags,
  out: (s: string) => void,
): Promise<void> {
  if (entity.name === undefined)
    throw new InvalidArgumentError('--alter needs --entity-name (or --entity-default)');
  const adds = flags.addConfig === undefined ? [] : parseAddConfig(flags.addConfig);
  const deletes = (flags.deleteConfig ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (adds.length === 0 && deletes.length === 0) {
    throw new InvalidArgumentError('--alter needs --add-config and/or --delete-config');
  }
  const clash = adds.find(([k]) => deletes.includes(k));
  if (clash !== undefined) throw new InvalidArgumentError(`config ${clash[0]} is both added and deleted`);
  const configs: AlterConfig[] = [
    ...adds.map(([name, value]) => ({
      name,
      value,
      configOperation: AlterConfigOp.SET,
    })),
    ...deletes.map((name) => ({ name, configOperation: AlterConfigOp.DELETE })),
  ];
  const name = entity.name;
  if (entity.type === 'topics') {
    // Kafka's tool checks the topic exists first, so a typo does not create a dangling override.
    let topics: string[];
    try {
      topics = await admin.listTopics({ includeInternals: true });
    } catch (e) {
      throw toolError(e, `topic '${name}'`);
    }
    if (!topics.includes(name)) throw new ToolError(`The topic '${name}' does not exist.`);
  }
  try {
    const resources = [
      {
        resourceType: entity.type === 'topics' ? ConfigResource.TOPIC : ConfigResource.BROKER,
        resourceName: name,
        configs,
      },
    ];
    if (name === '' && entity.type === 'brokers') {
      await onBootstrapBroker(admin, 'IncrementalAlterConfigs', [resources, false]);
    } else {
      await admin.incrementalAlterConfigs({ resources });
    }
  } catch (e) {
    throw toolError(e, errorLabel(entity, name));
  }
  out(
    name === '' && entity.type === 'brokers'
      ? 'Completed updating default config for brokers in the cluster.\n'
      : `Completed updating config for ${entityLabel(entity, name)}.\n`,
  );
}
