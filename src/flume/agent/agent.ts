import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { ChannelProcessor } from '../api/channel-processor.ts';
import type { CounterGroup } from '../api/counter-group.ts';
import type { Interceptor } from '../api/interceptor.ts';
import type { Sink } from '../api/sink.ts';
import type { SinkProcessor } from '../api/sink-processor.ts';
import type { Source } from '../api/source.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { ReplicatingChannelSelector } from '../channels/replicating-channel-selector.ts';
import type {
  AgentConfig,
  ChannelConfig,
  InterceptorConfig,
  SinkConfig,
  SourceConfig,
} from '../config/flume-config.ts';
import {
  HostInterceptor,
  StaticInterceptor,
  TimestampInterceptor,
} from '../interceptors/builtin-interceptors.ts';
import { DefaultSinkProcessor } from '../sinks/default-sink-processor.ts';
import { LoggerSink } from '../sinks/logger-sink.ts';
import { NullSink } from '../sinks/null-sink.ts';
import { NetcatSource } from '../sources/netcat-source.ts';
import { SequenceGeneratorSource } from '../sources/sequence-generator-source.ts';
import { Runner } from './runner.ts';

export interface AgentOptions {
  readonly logger: Logger;
  /** Sink runner back-off (Flume's SinkRunner: 1000 ms steps up to 5000 ms). */
  readonly sinkBackoffIncrementMs?: number;
  readonly sinkBackoffMaxMs?: number;
  /** Overrides every channel's keep-alive (tests). */
  readonly channelKeepAliveMs?: number;
}

type Settings = Readonly<Record<string, unknown>>;
const num = (s: Settings, k: string): number => s[k] as number;
const str = (s: Settings, k: string): string => s[k] as string;
const bool = (s: Settings, k: string): boolean => s[k] as boolean;

/**
 * One Flume agent: the channels, sources and sinks of an AgentConfig, wired and run. Starts
 * channels, then sinks, then sources (so nothing is produced before it can be consumed); stops in
 * the reverse order: sources stop accepting and finish their batches in flight, sink runners finish
 * (commit or roll back) the transaction in progress, then channels stop. Events still in a memory
 * channel are lost on stop, as in Flume.
 */
export class Agent {
  readonly name: string;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly sources: ReadonlyMap<string, Source>;
  readonly sinks: ReadonlyMap<string, Sink>;
  readonly #processors: ReadonlyMap<string, ChannelProcessor>;
  readonly #sinkProcessors: readonly { name: string; processor: SinkProcessor }[];
  readonly #options: AgentOptions;
  readonly #logger: Logger;
  #sourceRunners: Runner[] = [];
  #sinkRunners: Runner[] = [];
  #started: Source[] = [];
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(config: AgentConfig, options: AgentOptions) {
    this.name = config.name;
    this.#options = options;
    this.#logger = options.logger;
    const channels = new Map<string, Channel>();
    for (const c of config.channels) channels.set(c.name, buildChannel(c, options));
    const sinks = new Map<string, Sink>();
    for (const s of config.sinks) sinks.set(s.name, buildSink(s, channels.get(s.channel)!, options.logger));
    const sources = new Map<string, Source>();
    const processors = new Map<string, ChannelProcessor>();
    for (const s of config.sources) {
      sources.set(s.name, buildSource(s, options.logger));
      const selector = new ReplicatingChannelSelector(
        s.channels.map((c) => channels.get(c)!),
        new Set(s.selector.optional),
      );
      processors.set(
        s.name,
        new ChannelProcessor(selector, s.interceptors.map(buildInterceptor), options.logger),
      );
    }
    // Sink groups come later (failover, load_balance); every sink gets the default processor.
    this.#sinkProcessors = [...sinks.values()].map((s) => ({
      name: s.name,
      processor: new DefaultSinkProcessor(s),
    }));
    this.channels = channels;
    this.sinks = sinks;
    this.sources = sources;
    this.#processors = processors;
  }

  /** Every monitoring group: channels, sources, sinks. */
  counterGroups(): CounterGroup[] {
    return [
      ...[...this.channels.values()].map((c) => c.counters),
      ...[...this.sources.values()].map((s) => s.counters),
      ...[...this.sinks.values()].map((s) => s.counters),
    ];
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`agent ${this.name} was already started`);
    this.#state = 'running';
    try {
      for (const c of this.channels.values()) await c.start();
      const incr = this.#options.sinkBackoffIncrementMs ?? 1000;
      const max = this.#options.sinkBackoffMaxMs ?? 5000;
      for (const { name, processor } of this.#sinkProcessors) {
        await processor.start();
        const runner = new Runner({
          name: `sink ${name}`,
          process: () => processor.process(),
          backoffIncrementMs: incr,
          backoffMaxMs: max,
          logger: this.#logger,
        });
        runner.start();
        this.#sinkRunners.push(runner);
      }
      for (const [name, source] of this.sources) {
        await source.start(this.#processors.get(name)!);
        this.#started.push(source);
        if (source.kind === 'pollable') {
          const runner = new Runner({
            name: `source ${name}`,
            process: () => source.process(),
            backoffIncrementMs: source.backoffSleepIncrementMs,
            backoffMaxMs: source.maxBackoffSleepMs,
            logger: this.#logger,
          });
          runner.start();
          this.#sourceRunners.push(runner);
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.#logger.info('agent started', {
      agent: this.name,
      sources: [...this.sources.keys()],
      channels: [...this.channels.keys()],
      sinks: [...this.sinks.keys()],
    });
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await Promise.all(this.#sourceRunners.map((r) => r.stop()));
    await Promise.all(this.#started.map((s) => s.stop()));
    for (const r of this.#sinkRunners) r.requestStop();
    for (const c of this.channels.values()) c.interruptWaits();
    await Promise.all(this.#sinkRunners.map((r) => r.stop()));
    await Promise.all(this.#sinkProcessors.map(({ processor }) => processor.stop()));
    for (const c of this.channels.values()) await c.stop();
    this.#logger.info('agent stopped', { agent: this.name });
  }
}

function buildChannel(c: ChannelConfig, options: AgentOptions): Channel {
  const s = c.settings;
  // Only `memory` is implemented; the parser rejects other types before this point.
  return new MemoryChannel(c.name, {
    capacity: num(s, 'capacity'),
    transactionCapacity: num(s, 'transactionCapacity'),
    byteCapacity: s.byteCapacity as number | null,
    byteCapacityBufferPercentage: num(s, 'byteCapacityBufferPercentage'),
    keepAliveMs: options.channelKeepAliveMs ?? num(s, 'keep-alive') * 1000,
  });
}

function buildSource(c: SourceConfig, logger: Logger): Source {
  const s = c.settings;
  switch (c.type) {
    case 'seq':
      return new SequenceGeneratorSource(
        c.name,
        {
          batchSize: num(s, 'batchSize'),
          totalEvents: num(s, 'totalEvents'),
          backoffSleepIncrementMs: num(s, 'backoffSleepIncrement'),
          maxBackoffSleepMs: num(s, 'maxBackoffSleep'),
        },
        logger,
      );
    case 'netcat':
      return new NetcatSource(
        c.name,
        {
          bind: str(s, 'bind'),
          port: num(s, 'port'),
          maxLineLength: num(s, 'max-line-length'),
          ackEveryEvent: bool(s, 'ack-every-event'),
          encoding: str(s, 'encoding'),
        },
        logger,
      );
    default:
      throw new Error(`source type ${c.type} passed validation but has no builder`);
  }
}

function buildSink(c: SinkConfig, channel: Channel, logger: Logger): Sink {
  const s = c.settings;
  switch (c.type) {
    case 'logger':
      return new LoggerSink(c.name, channel, { maxBytesToLog: num(s, 'maxBytesToLog') }, logger);
    case 'null':
      return new NullSink(
        c.name,
        channel,
        { batchSize: num(s, 'batchSize'), logEveryNEvents: num(s, 'logEveryNEvents') },
        logger,
      );
    default:
      throw new Error(`sink type ${c.type} passed validation but has no builder`);
  }
}

function buildInterceptor(c: InterceptorConfig): Interceptor {
  const s = c.settings;
  switch (c.type) {
    case 'timestamp':
      return new TimestampInterceptor({
        headerName: str(s, 'headerName'),
        preserveExisting: bool(s, 'preserveExisting'),
      });
    case 'host':
      return new HostInterceptor({
        hostHeader: str(s, 'hostHeader'),
        useIP: bool(s, 'useIP'),
        preserveExisting: bool(s, 'preserveExisting'),
      });
    case 'static':
      return new StaticInterceptor({
        key: str(s, 'key'),
        value: str(s, 'value'),
        preserveExisting: bool(s, 'preserveExisting'),
      });
    default:
      throw new Error(`interceptor type ${c.type} passed validation but has no builder`);
  }
}
