import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/index.ts';
import { AgentSupervisor, HttpMonitor } from '../flume/index.ts';
import { createLogger, LOG_LEVELS, type Logger, type LogLevel } from '../telemetry/index.ts';
import { runUntilSignal } from './run-until-signal.ts';

export interface AgentFlags {
  name: string;
  confFile: string;
  conf?: string;
  lenient: boolean;
  reloadConf: boolean;
  pollInterval: number;
  define: string[];
  logLevel?: LogLevel | 'silent';
  logFormat: 'json' | 'text';
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parseSeconds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('expected a whole number of seconds (at least 1)');
  return Number(value);
}

/** `-Dkey=value` flags as a map (a key alone means an empty value, as Java's -D does). */
export function parseDefines(defines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of defines) {
    const eq = d.indexOf('=');
    const key = eq < 0 ? d : d.slice(0, eq);
    if (key.trim() === '') throw new InvalidArgumentError(`-D${d}: expected -Dkey=value`);
    out[key.trim()] = eq < 0 ? '' : d.slice(eq + 1);
  }
  return out;
}

/** Log4j levels in `flume.root.logger=LEVEL,appender` and the Sluice level for each. */
const LOG4J_LEVELS: Readonly<Record<string, LogLevel | 'silent'>> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  OFF: 'silent',
  ALL: 'trace',
};

/** Reads `flume.root.logger`; returns the level and the appenders Sluice does not provide. */
export function rootLoggerLevel(value: string | undefined): {
  level?: LogLevel | 'silent';
  ignored: string[];
} {
  if (value === undefined) return { ignored: [] };
  const [levelText = '', ...appenders] = value.split(',').map((s) => s.trim());
  const level = LOG4J_LEVELS[levelText.toUpperCase()];
  if (level === undefined) {
    throw new ConfigError([
      {
        source: '-D',
        key: 'flume.root.logger',
        value,
        expected: `LEVEL,appender with LEVEL one of ${Object.keys(LOG4J_LEVELS).join(', ')}`,
      },
    ]);
  }
  return { level, ignored: appenders.filter((a) => a.toLowerCase() !== 'console' && a !== '') };
}

/**
 * `-Dflume.monitoring.type=http` (Flume's JSON at /metrics) or `prometheus` (Prometheus text at
 * /metrics) and its port (Flume's default 41414); undefined when off.
 */
export function monitoring(
  sys: Readonly<Record<string, string>>,
  logger: Logger,
): { port: number; format: 'flume' | 'prometheus' } | undefined {
  const type = sys['flume.monitoring.type']?.toLowerCase();
  if (type === undefined) return undefined;
  if (type !== 'http' && type !== 'prometheus') {
    logger.warn('only http and prometheus monitoring are supported; monitoring is off', {
      'flume.monitoring.type': sys['flume.monitoring.type'],
    });
    return undefined;
  }
  const text = sys['flume.monitoring.port'] ?? '41414';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new ConfigError([
      { source: '-D', key: 'flume.monitoring.port', value: text, expected: 'a port number in [0, 65535]' },
    ]);
  }
  return { port, format: type === 'prometheus' ? 'prometheus' : 'flume' };
}

/**
 * `sluice agent`: runs a Flume agent from an unchanged Flume properties file, with flume-ng's flags
 * (`agent -n a1 -f conf/flume.conf -c conf -Dflume.root.logger=INFO,console`). Runs until SIGINT
 * or SIGTERM; the configuration file is polled and the agent restarted when it changes.
 */
export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description('run a Flume-compatible agent from a Flume properties file (flume-ng agent)')
    .requiredOption('-n, --name <agent>', 'the agent to run (keys starting with <agent>.)')
    .requiredOption('-f, --conf-file <file>', 'Flume properties file')
    .option('-c, --conf <dir>', "Flume's configuration directory (accepted for compatibility; not read)")
    .option(
      '--lenient',
      "Flume's behaviour: drop invalid components with a warning instead of refusing to start",
      false,
    )
    .option('--no-reload-conf', 'do not reload the agent when the file changes')
    .option('-i, --poll-interval <seconds>', 'how often the file is checked for changes', parseSeconds, 30)
    .option(
      '-D, --define <key=value>',
      'system property (-Dkey=value): flume.root.logger, flume.monitoring.type and .port, values for sys: lookups (repeatable)',
      collect,
      [],
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'minimum level logged (default: from -Dflume.root.logger, else info)',
      ).choices([...LOG_LEVELS, 'silent']),
    )
    .addOption(
      new Option('--log-format <format>', 'log lines as readable text or JSON (pino)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (flags: AgentFlags) => {
      await agentCommand(flags);
    });
}

export async function agentCommand(flags: AgentFlags): Promise<void> {
  const sys = parseDefines(flags.define);
  const root = rootLoggerLevel(sys['flume.root.logger']);
  const logger = createLogger({
    level: flags.logLevel ?? root.level ?? 'info',
    format: flags.logFormat,
    name: 'sluice-agent',
  });
  if (root.ignored.length > 0) {
    logger.warn('log appenders other than console are not supported; logging to standard error', {
      appenders: root.ignored,
    });
  }
  const served = monitoring(sys, logger);
  const supervisor = new AgentSupervisor({
    file: flags.confFile,
    agentName: flags.name,
    lenient: flags.lenient,
    env: process.env,
    systemProperties: sys,
    pollIntervalMs: flags.reloadConf ? flags.pollInterval * 1000 : 0,
    logger,
  });
  const monitor =
    served === undefined
      ? undefined
      : new HttpMonitor({ ...served, snapshot: () => supervisor.metricsSnapshot(), logger });
  const reason = await runUntilSignal(
    {
      start: async () => {
        await supervisor.start();
        await monitor?.start();
      },
      stop: async () => {
        await monitor?.stop();
        await supervisor.stop();
      },
    },
    logger,
  );
  if (reason === 'fatal') process.exit(1);
}
