import type { Logger } from '../../telemetry/index.ts';
import type { Channel } from '../api/channel.ts';
import { ChannelProcessor } from '../api/channel-processor.ts';
import type { ChannelSelector } from '../api/channel-selector.ts';
import type { CounterGroup } from '../api/counter-group.ts';
import type { Interceptor } from '../api/interceptor.ts';
import type { Sink } from '../api/sink.ts';
import type { SinkProcessor } from '../api/sink-processor.ts';
import type { Source } from '../api/source.ts';
import { FileChannel, fileChannelOptions } from '../channels/file-channel.ts';
import { KafkaChannel, kafkaChannelOptions } from '../channels/kafka-channel.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import type {
  AgentConfig,
  ChannelConfig,
  InterceptorConfig,
  SinkConfig,
  SinkGroupConfig,
  SourceConfig,
} from '../config/flume-config.ts';
import {
  HostInterceptor,
  StaticInterceptor,
  TimestampInterceptor,
} from '../interceptors/builtin-interceptors.ts';
import type { ReplacementPart } from '../interceptors/java-regex.ts';
import type { ExtractorSerializer } from '../interceptors/regex-extractor-interceptor.ts';
import { RegexExtractorInterceptor } from '../interceptors/regex-extractor-interceptor.ts';
import { RegexFilteringInterceptor } from '../interceptors/regex-filtering-interceptor.ts';
import { RemoveHeaderInterceptor } from '../interceptors/remove-header-interceptor.ts';
import type { BodyCharset } from '../interceptors/search-replace-interceptor.ts';
import { SearchReplaceInterceptor } from '../interceptors/search-replace-interceptor.ts';
import { UuidInterceptor } from '../interceptors/uuid-interceptor.ts';
import { LoadBalancingChannelSelector } from '../selectors/load-balancing-channel-selector.ts';
import {
  MultiplexingChannelSelector,
  type MultiplexingOptions,
} from '../selectors/multiplexing-channel-selector.ts';
import { ReplicatingChannelSelector } from '../selectors/replicating-channel-selector.ts';
import { AvroSink, avroSinkOptions } from '../sinks/avro-sink.ts';
import { DefaultSinkProcessor } from '../sinks/default-sink-processor.ts';
import { FailoverSinkProcessor } from '../sinks/failover-sink-processor.ts';
import { FileRollSink, fileRollSinkOptions } from '../sinks/file-roll-sink.ts';
import { HdfsSink, hdfsSinkOptions } from '../sinks/hdfs-sink.ts';
import { HttpSink, httpSinkOptions } from '../sinks/http-sink.ts';
import { KafkaSink, kafkaSinkOptions } from '../sinks/kafka-sink.ts';
import { LoadBalancingSinkProcessor } from '../sinks/load-balancing-sink-processor.ts';
import { LoggerSink } from '../sinks/logger-sink.ts';
import { NullSink } from '../sinks/null-sink.ts';
import { AvroSource, avroSourceOptions } from '../sources/avro-source.ts';
import { ExecSource, execSourceOptions } from '../sources/exec-source.ts';
import { HttpSource, httpSourceOptions } from '../sources/http-source.ts';
import { KafkaSource, kafkaSourceOptions } from '../sources/kafka-source.ts';
import { NetcatSource } from '../sources/netcat-source.ts';
import { NetcatUdpSource, netcatUdpSourceOptions } from '../sources/netcat-udp-source.ts';
import { SequenceGeneratorSource } from '../sources/sequence-generator-source.ts';
import { SpoolDirSource, spoolDirSourceOptions } from '../sources/spooldir-source.ts';
import { SyslogTcpSource, syslogTcpSourceOptions } from '../sources/syslog/syslog-tcp-source.ts';
import { SyslogUdpSource, syslogUdpSourceOptions } from '../sources/syslog/syslog-udp-source.ts';
import { TaildirSource, taildirSourceOptions } from '../sources/taildir-source.ts';
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
      const selector = buildSelector(
        s.selector,
        s.channels.map((c) => channels.get(c)!),
      );
      processors.set(
        s.name,
        new ChannelProcessor(selector, s.interceptors.map(buildInterceptor), options.logger),
      );
    }
    // One runner per sink group, as Flume: a grouped sink runs only through its group's processor.
    const grouped = new Set(config.sinkGroups.flatMap((g) => g.sinks));
    this.#sinkProcessors = [
      ...config.sinkGroups.map((g) => ({
        name: `group ${g.name}`,
        processor: buildSinkProcessor(
          g,
          g.sinks.map((n) => sinks.get(n)!),
          options.logger,
        ),
      })),
      ...[...sinks.values()]
        .filter((s) => !grouped.has(s.name))
        .map((s) => ({ name: s.name, processor: new DefaultSinkProcessor(s) })),
    ];
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
  if (c.type === 'org.apache.flume.channel.kafka.KafkaChannel') {
    return new KafkaChannel(c.name, kafkaChannelOptions(s), options.logger);
  }
  if (c.type === 'file') {
    return new FileChannel(c.name, fileChannelOptions(s, options.channelKeepAliveMs, options.logger));
  }
  // Otherwise `memory`; the parser rejects types without a builder before this point.
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
    case 'exec':
      return new ExecSource(c.name, execSourceOptions(s), logger);
    case 'avro':
      return new AvroSource(c.name, avroSourceOptions(s), logger);
    case 'spooldir':
      return new SpoolDirSource(c.name, spoolDirSourceOptions(s), logger);
    case 'taildir':
      return new TaildirSource(c.name, taildirSourceOptions(s), logger);
    case 'syslogtcp':
      return new SyslogTcpSource(c.name, syslogTcpSourceOptions(s), logger);
    case 'multiport_syslogtcp':
      return new SyslogTcpSource(c.name, syslogTcpSourceOptions(s), logger, 'multiport_syslogtcp');
    case 'syslogudp':
      return new SyslogUdpSource(c.name, syslogUdpSourceOptions(s), logger);
    case 'http':
      return new HttpSource(c.name, httpSourceOptions(s), logger);
    case 'netcatudp':
      return new NetcatUdpSource(c.name, netcatUdpSourceOptions(s), logger);
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
    case 'org.apache.flume.source.kafka.KafkaSource':
      return new KafkaSource(c.name, kafkaSourceOptions(s), logger);
    default:
      throw new Error(`source type ${c.type} passed validation but has no builder`);
  }
}

function buildSink(c: SinkConfig, channel: Channel, logger: Logger): Sink {
  const s = c.settings;
  switch (c.type) {
    case 'logger':
      return new LoggerSink(c.name, channel, { maxBytesToLog: num(s, 'maxBytesToLog') }, logger);
    case 'hdfs':
      return new HdfsSink(c.name, channel, hdfsSinkOptions(s), logger);
    case 'avro':
      return new AvroSink(c.name, channel, avroSinkOptions(s), logger);
    case 'file_roll':
      return new FileRollSink(c.name, channel, fileRollSinkOptions(s), logger);
    case 'org.apache.flume.sink.kafka.KafkaSink':
      return new KafkaSink(c.name, channel, kafkaSinkOptions(s), logger);
    case 'http':
      return new HttpSink(c.name, channel, httpSinkOptions(s), logger);
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

function buildSelector(c: SourceConfig['selector'], channels: readonly Channel[]): ChannelSelector {
  const s = c.settings;
  switch (c.type) {
    case 'replicating':
      return new ReplicatingChannelSelector(channels, new Set(c.optional));
    case 'multiplexing':
      return new MultiplexingChannelSelector(channels, {
        header: str(s, 'header'),
        mapping: s.mapping as MultiplexingOptions['mapping'],
        optional: s.optional as MultiplexingOptions['optional'],
        defaultChannels: s.defaultChannels as string[],
      });
    case 'load_balancing':
      return new LoadBalancingChannelSelector(channels, { policy: s.policy as 'round_robin' | 'random' });
    default:
      throw new Error(`selector type ${c.type} passed validation but has no builder`);
  }
}

function buildSinkProcessor(g: SinkGroupConfig, sinks: readonly Sink[], logger: Logger): SinkProcessor {
  const s = g.settings;
  switch (g.processor) {
    case 'default':
      return new DefaultSinkProcessor(sinks[0]!);
    case 'failover':
      return new FailoverSinkProcessor(
        sinks,
        { priorities: s.priorities as Record<string, number>, maxPenaltyMs: num(s, 'maxpenalty') },
        logger,
      );
    case 'load_balance':
      return new LoadBalancingSinkProcessor(
        sinks,
        {
          backoff: bool(s, 'backoff'),
          selector: s.selector as 'round_robin' | 'random',
          maxTimeOutMs: num(s, 'selector.maxTimeOut'),
        },
        logger,
      );
    default:
      throw new Error(`sink processor type ${g.processor} passed validation but has no builder`);
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
    case 'remove_header':
      return new RemoveHeaderInterceptor({
        withName: s.withName as string | null,
        fromListNames: s.fromListNames as string[],
        matchingRegex: s.matchingRegex as RegExp | null,
      });
    case 'org.apache.flume.sink.solr.morphline.UUIDInterceptor$Builder':
      return new UuidInterceptor({
        headerName: str(s, 'headerName'),
        preserveExisting: bool(s, 'preserveExisting'),
        prefix: str(s, 'prefix'),
      });
    case 'search_replace':
      return new SearchReplaceInterceptor({
        regex: s.compiled as RegExp,
        replacement: s.replacement as ReplacementPart[],
        charset: s.bodyCharset as BodyCharset,
      });
    case 'regex_filter':
      return new RegexFilteringInterceptor({
        regex: s.compiled as RegExp,
        excludeEvents: bool(s, 'excludeEvents'),
      });
    case 'regex_extractor':
      return new RegexExtractorInterceptor({
        regex: s.compiled as RegExp,
        serializers: s.serializerList as ExtractorSerializer[],
      });
    default:
      throw new Error(`interceptor type ${c.type} passed validation but has no builder`);
  }
}
