import { Command, InvalidArgumentError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { SluiceError } from '../base/index.ts';
import { ConfigError } from '../config/index.ts';
import { LOG_LEVELS, type LogLevel } from '../telemetry/index.ts';
import { registerAgentCommand } from './agent.ts';
import { registerAvroClientCommand } from './avro-client.ts';
import { brokerCommand } from './broker.ts';
import { registerConfigsCommand } from './configs.ts';
import { registerConsoleConsumerCommand } from './console-consumer.ts';
import { registerConsoleProducerCommand } from './console-producer.ts';
import { registerConsumerGroupsCommand } from './consumer-groups.ts';
import { devCommand } from './dev.ts';
import { registerGetOffsetsCommand } from './get-offsets.ts';
import { registerTopicsCommand } from './topics.ts';
import { registerZkShellCommand } from './zk-shell.ts';
import { registerZookeeperCommand } from './zookeeper.ts';

/** Composition root: parses the command line and runs one command. */

interface LogFlags {
  logLevel: LogLevel;
  logFormat: 'json' | 'text';
}

interface BrokerFlags extends LogFlags {
  config?: string;
  override: string[];
  strict: boolean;
}

interface DevFlags extends LogFlags {
  dataDir: string;
  host: string;
  port: number;
  zookeeperPort: number;
  override: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('expected a port number in [0, 65535]');
  return n;
}

function logOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--log-level <level>', 'minimum level logged')
        .choices([...LOG_LEVELS, 'silent'])
        .default('info'),
    )
    .addOption(
      new Option('--log-format <format>', 'log lines as readable text or JSON (pino)')
        .choices(['text', 'json'])
        .default('text'),
    );
}

function buildProgram(): Command {
  const program = new Command('sluice')
    .description('Sluice: a streaming-data platform that speaks the Kafka wire protocol')
    .version(packageJson.version, '-V, --version', 'print the version')
    .showHelpAfterError('(run with --help for usage)');

  logOptions(
    program
      .command('broker')
      .description('run a Kafka-compatible broker configured by a server.properties file')
      .argument(
        '[properties-file]',
        'server.properties (same as --config, as kafka-server-start.sh takes it)',
      )
      .option('-c, --config <file>', 'server.properties file to load')
      .option(
        '--override <key=value>',
        'set a configuration key, overriding the file (repeatable)',
        collect,
        [],
      )
      .option('--strict', 'treat unknown configuration keys as errors', false),
  ).action(async (file: string | undefined, flags: BrokerFlags) => {
    if (file !== undefined && flags.config !== undefined && file !== flags.config) {
      throw new InvalidArgumentError(
        'give the properties file either as an argument or with --config, not both',
      );
    }
    const config = flags.config ?? file;
    await brokerCommand({
      ...(config === undefined ? {} : { config }),
      override: flags.override,
      strict: flags.strict,
      logLevel: flags.logLevel,
      logFormat: flags.logFormat,
    });
  });

  logOptions(
    program
      .command('dev')
      .description(
        'run the single-node platform locally: a broker on 127.0.0.1:9092 and ZooKeeper on 127.0.0.1:2181, data in ./data (what npm start runs)',
      )
      .option('--data-dir <dir>', 'directory for broker data (created if missing)', './data')
      .option('--host <host>', 'address to listen on', '127.0.0.1')
      .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 9092)
      .option('--zookeeper-port <port>', 'ZooKeeper service port (0 picks a free one)', parsePort, 2181)
      .option('--override <key=value>', 'set a broker configuration key (repeatable)', collect, []),
  ).action(async (flags: DevFlags) => {
    await devCommand(flags, process.stdout);
  });

  registerTopicsCommand(program);
  registerConsoleProducerCommand(program);
  registerConsoleConsumerCommand(program);
  registerConsumerGroupsCommand(program);
  registerGetOffsetsCommand(program);
  registerConfigsCommand(program);
  registerZookeeperCommand(program);
  registerZkShellCommand(program);
  registerAgentCommand(program);
  registerAvroClientCommand(program);

  return program;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
    process.exit(0);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sluice: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof InvalidArgumentError) {
      process.stderr.write(`sluice: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof SluiceError) {
      process.stderr.write(`sluice: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(
      `sluice: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  }
}

await main(process.argv);
