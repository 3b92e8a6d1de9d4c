import { type ConfigLayer, type ConfigWarning, loadPropertiesFile, overridesLayer } from '../config/index.ts';
import { Broker, resolveBrokerConfig } from '../kafka/broker/index.ts';
import {
  createLogger,
  createMetrics,
  type Logger,
  type LogLevel,
  MetricsServer,
} from '../telemetry/index.ts';

export interface LogOptions {
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'text';
}

export interface BrokerCommandOptions extends LogOptions {
  /** server.properties path, from `--config` or the positional argument (as kafka-server-start.sh). */
  readonly config?: string;
  readonly override: readonly string[];
  readonly strict: boolean;
}

export function makeLogger(options: LogOptions): Logger {
  return createLogger({ level: options.logLevel, format: options.logFormat, name: 'sluice' });
}

export function logWarnings(logger: Logger, warnings: readonly ConfigWarning[]): void {
  for (const w of warnings) {
    logger.warn(w.message, { source: w.line === undefined ? w.source : `${w.source}:${w.line}` });
  }
}

/** Reads the optional properties file, then applies `--override key=value` flags on top. */
export async function configLayers(
  file: string | undefined,
  overrides: readonly string[],
): Promise<ConfigLayer[]> {
  const layers: ConfigLayer[] = [];
  if (file !== undefined) {
    const parsed = await loadPropertiesFile(file);
    layers.push({ source: file, entries: parsed.entries.values() });
  }
  layers.push(overridesLayer(overrides));
  return layers;
}

/**
 * Starts `broker` and runs it until SIGINT or SIGTERM, then stops it gracefully. The handlers are
 * installed before the broker starts, so a signal at any moment stops it cleanly; a second
 * signal during the graceful stop exits at once. `onStarted` runs once the broker listens.
 */
export async function serveUntilSignal(
  broker: Broker,
  logger: Logger,
  onStarted?: () => void,
): Promise<void> {
  let signalled: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    signalled = resolve;
  });
  let count = 0;
  const onSignal = (s: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      logger.warn('second signal: exiting without waiting', { signal: s });
      process.exit(130);
    }
    signalled(s);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await broker.start();
  onStarted?.();
  const s = await signal;
  logger.info('stopping', { signal: s });
  await broker.stop();
}

/** `sluice broker`: the Kafka-compatible broker configured by a server.properties file. */
export async function brokerCommand(options: BrokerCommandOptions): Promise<void> {
  const layers = await configLayers(options.config, options.override);
  const { config, warnings } = resolveBrokerConfig(layers, { strict: options.strict });
  const logger = makeLogger(options);
  logWarnings(logger, warnings);
  const metrics = createMetrics();
  const broker = new Broker({ config, logger, metrics });
  const port = config.metricsPort ?? -1;
  const endpoint =
    port >= 0 ? new MetricsServer({ metrics, port, host: config.metricsHost ?? '0.0.0.0', logger }) : null;
  await endpoint?.start();
  try {
    await serveUntilSignal(broker, logger);
  } finally {
    await endpoint?.stop();
  }
}
