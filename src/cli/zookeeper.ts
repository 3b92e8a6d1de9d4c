import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadPropertiesFile, overridesLayer } from '../config/index.ts';
import { createLogger, LOG_LEVELS, type LogLevel } from '../telemetry/index.ts';
import { resolveZooConfig, ZooKeeperServer } from '../zookeeper/server/index.ts';
import { runUntilSignal } from './run-until-signal.ts';

interface ZookeeperFlags {
  config?: string;
  override: string[];
  strict: boolean;
  logLevel: LogLevel | 'silent';
  logFormat: 'json' | 'text';
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * `sluice zookeeper [zoo.cfg]`: the standalone ZooKeeper-compatible server, configured by a zoo.cfg
 * file (as zookeeper-server-start.sh / zkServer.sh take it). Runs until SIGINT or SIGTERM.
 */
export function registerZookeeperCommand(program: Command): void {
  program
    .command('zookeeper')
    .description('run a ZooKeeper-compatible coordination server configured by a zoo.cfg file')
    .argument('[zoo.cfg]', 'zoo.cfg (same as --config, as zookeeper-server-start.sh takes it)')
    .option('-c, --config <file>', 'zoo.cfg file to load')
    .option('--override <key=value>', 'set a zoo.cfg key, overriding the file (repeatable)', collect, [])
    .option('--strict', 'treat unknown configuration keys as errors', false)
    .addOption(
      new Option('--log-level <level>', 'minimum level logged')
        .choices([...LOG_LEVELS, 'silent'])
        .default('info'),
    )
    .addOption(
      new Option('--log-format <format>', 'log lines as readable text or JSON (pino)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (file: string | undefined, flags: ZookeeperFlags) => {
      if (file !== undefined && flags.config !== undefined && file !== flags.config) {
        throw new InvalidArgumentError('give zoo.cfg either as an argument or with --config, not both');
      }
      const path = flags.config ?? file;
      const layers = [];
      if (path !== undefined) {
        const parsed = await loadPropertiesFile(path);
        layers.push({ source: path, entries: parsed.entries.values() });
      }
      layers.push(overridesLayer(flags.override));
      const { config, warnings } = resolveZooConfig(layers, { strict: flags.strict });
      const logger = createLogger({
        level: flags.logLevel,
        format: flags.logFormat,
        name: 'sluice-zookeeper',
      });
      for (const w of warnings) {
        logger.warn(w.message, { source: w.line === undefined ? w.source : `${w.source}:${w.line}` });
      }
      let zk: ZooKeeperServer | null = null;
      const reason = await runUntilSignal(
        {
          start: async (fatal) => {
            zk = await ZooKeeperServer.start({ config, logger, onFatal: fatal });
          },
          stop: async () => {
            await zk?.stop();
          },
        },
        logger,
      );
      if (reason === 'fatal') process.exit(1);
    });
}
