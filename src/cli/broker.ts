import { type ConfigLayer, type ConfigWarning, loadPropertiesFile, overridesLayer } from '../config/index.ts';
import { Broker, resolveBrokerConfig } from '../kafka/broker/index.ts';
import {
  createLogger,
  createMetrics,
  type Logger,
  type LogLevel,
  MetricsServer,
} from '../telemetry/index.ts';
import { runUntilSignal } from './run-until-signal.ts';

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
  await runUntilSignal(
    {
      start: async () => {
        await endpoint?.start();
        await broker.start();
      },
      stop: async () => {
        await broker.stop();
        await endpoint?.stop();
      },
    },
    logger,
  );
}
