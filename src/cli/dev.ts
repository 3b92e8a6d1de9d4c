import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { overridesLayer } from '../config/index.ts';
import { Broker, resolveBrokerConfig } from '../kafka/broker/index.ts';
import { resolveZooConfig, ZooKeeperServer } from '../zookeeper/server/index.ts';
import { type LogOptions, logWarnings, makeLogger } from './broker.ts';
import { runUntilSignal } from './run-until-signal.ts';

export interface DevCommandOptions extends LogOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** The ZooKeeper service's port (0 picks a free one). Default 2181. */
  readonly zookeeperPort?: number;
  readonly override: readonly string[];
}

/**
 * `sluice dev` (what `npm start` runs): a single local broker on 127.0.0.1:9092 and the ZooKeeper
 * service on 127.0.0.1:2181, keeping their data in ./data (ZooKeeper's in ./data/zookeeper), with a
 * short note on how to connect. SIGINT/SIGTERM stop both.
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
  const zooDataDir = join(dataDir, 'zookeeper');
  const zooLayer = overridesLayer(
    [
      `dataDir=${zooDataDir}`,
      `clientPort=${options.zookeeperPort ?? 2181}`,
      `clientPortAddress=${options.host}`,
    ],
    'sluice dev',
  );
  const zoo = resolveZooConfig([zooLayer]);
  logWarnings(logger, zoo.warnings);
  let zookeeper: ZooKeeperServer | null = null;
  const started = (zk: ZooKeeperServer) => {
    {
      const { host: advHost, port } = broker.advertisedAddress();
      const bootstrap = `${advHost.includes(':') ? `[${advHost}]` : advHost}:${port}`;
      const zkAddress = `${host}:${zk.port}`;
      out.write(
        [
          '',
          'Sluice dev broker is running.',
          `  Kafka bootstrap server  ${bootstrap}`,
          `  ZooKeeper service       ${zkAddress}`,
          `  data directory          ${dataDir}`,
          `  cluster id              ${broker.clusterId}`,
          `  node id                 ${config.nodeId}`,
          '',
          'Connect with any Kafka client, for example:',
          `  kcat -L -b ${bootstrap}`,
          'and with any ZooKeeper client, for example:',
          `  sluice zk-shell -server ${zkAddress}`,
          '',
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    }
  };
  await runUntilSignal(
    {
      start: async (fatal) => {
        zookeeper = await ZooKeeperServer.start({
          config: zoo.config,
          logger: logger.child({ service: 'zookeeper' }),
          onFatal: fatal,
        });
        await broker.start();
        started(zookeeper);
      },
      stop: async () => {
        await broker.stop();
        await zookeeper?.stop();
      },
    },
    logger,
  );
}
