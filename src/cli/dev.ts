import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { overridesLayer } from '../config/index.ts';
import { Broker, resolveBrokerConfig } from '../kafka/broker/index.ts';
import { type LogOptions, logWarnings, makeLogger, serveUntilSignal } from './broker.ts';

export interface DevCommandOptions extends LogOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly override: readonly string[];
}

/**
 * `sluice dev` (what `npm start` runs): a single local broker on 127.0.0.1:9092 keeping its data
 * in ./data, with a short note on how to connect.
 */
export async function devCommand(options: DevCommandOptions, out: NodeJS.WritableStream): Promise<void> {
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const defaults = overridesLayer(
    [`listeners=PLAINTEXT://${host}:${options.port}`, `log.dirs=${dataDir}`],
    'sluice dev',
  );
  const { config, warnings } = resolveBrokerConfig([defaults, overridesLayer(options.override)]);
  const logger = makeLogger(options);
  logWarnings(logger, warnings);
  const broker = new Broker({ config, logger });
  await serveUntilSignal(broker, logger, () => {
    const { host: advHost, port } = broker.advertisedAddress();
    const bootstrap = `${advHost.includes(':') ? `[${advHost}]` : advHost}:${port}`;
    out.write(
      [
        '',
        'Sluice dev broker is running.',
        `  Kafka bootstrap server  ${bootstrap}`,
        `  data directory          ${dataDir}`,
        `  cluster id              ${broker.clusterId}`,
        `  node id                 ${config.nodeId}`,
        '',
        'Connect with any Kafka client, for example:',
        `  kcat -L -b ${bootstrap}`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  });
}
