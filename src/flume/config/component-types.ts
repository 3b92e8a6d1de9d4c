import {
  type ConfigDocRow,
  type ConfigLayer,
  type ConfigWarning,
  defineConfig,
  type ParseOptions,
} from '../../config/index.ts';
import { fileChannelConfig } from '../channels/file-channel.ts';
import { kafkaChannelConfig } from '../channels/kafka-channel.ts';
import { memoryChannelConfig } from '../channels/memory-channel.ts';
import {
  hostInterceptorConfig,
  staticInterceptorConfig,
  timestampInterceptorConfig,
} from '../interceptors/builtin-interceptors.ts';
import { regexExtractorInterceptorConfig } from '../interceptors/regex-extractor-interceptor.ts';
import { regexFilteringInterceptorConfig } from '../interceptors/regex-filtering-interceptor.ts';
import { removeHeaderInterceptorConfig } from '../interceptors/remove-header-interceptor.ts';
import { searchReplaceInterceptorConfig } from '../interceptors/search-replace-interceptor.ts';
import { uuidInterceptorConfig } from '../interceptors/uuid-interceptor.ts';
import { loadBalancingSelectorConfig } from '../selectors/load-balancing-channel-selector.ts';
import { multiplexingSelectorConfig } from '../selectors/multiplexing-channel-selector.ts';
import { avroSinkConfig } from '../sinks/avro-sink.ts';
import { failoverProcessorConfig } from '../sinks/failover-sink-processor.ts';
import { fileRollSinkConfig } from '../sinks/file-roll-sink.ts';
import { hdfsSinkConfig } from '../sinks/hdfs-sink.ts';
import { httpSinkConfig } from '../sinks/http-sink.ts';
import { kafkaSinkConfig } from '../sinks/kafka-sink.ts';
import { loadBalanceProcessorConfig } from '../sinks/load-balancing-sink-processor.ts';
import { loggerSinkConfig } from '../sinks/logger-sink.ts';
import { nullSinkConfig } from '../sinks/null-sink.ts';
import { avroSourceConfig } from '../sources/avro-source.ts';
import { execSourceConfig } from '../sources/exec-source.ts';
import { httpSourceConfig } from '../sources/http-source.ts';
import { kafkaSourceConfig } from '../sources/kafka-source.ts';
import { netcatSourceConfig } from '../sources/netcat-source.ts';
import { netcatUdpSourceConfig } from '../sources/netcat-udp-source.ts';
import { seqSourceConfig } from '../sources/sequence-generator-source.ts';
import { spoolDirSourceConfig } from '../sources/spooldir-source.ts';
import {
  multiportSyslogTcpSourceConfig,
  syslogTcpSourceConfig,
} from '../sources/syslog/syslog-tcp-source.ts';
import { syslogUdpSourceConfig } from '../sources/syslog/syslog-udp-source.ts';
import { taildirSourceConfig } from '../sources/taildir-source.ts';

/**
 * Every component type Flume 1.11 knows, by kind: its alias (matched case-insensitively, as
 * Flume's `valueOf(type.toUpperCase())` does), its fully-qualified class name, and, for the ones
 * Sluice implements, the typed definition of its keys.
 */

export type ComponentKind = 'source' | 'channel' | 'sink' | 'interceptor' | 'selector' | 'sinkProcessor';

/** What the parser needs of a component's typed definition (any `defineConfig` result). */
export interface ComponentDef {
  parse(
    layers: readonly ConfigLayer[],
    options?: ParseOptions,
  ): { readonly values: object; readonly warnings: readonly ConfigWarning[] };
  docRows(): ConfigDocRow[];
}

export interface ComponentType {
  /** Canonical (lower-case) alias, or the class name for types without one. */
  readonly alias: string;
  /** Flume's class for the type (what `type = <FQCN>` may also say). */
  readonly className: string;
  /** The keys Sluice accepts, when implemented; undefined = a Flume type not implemented yet. */
  readonly def?: ComponentDef;
}

const none = defineConfig({});
const o = 'org.apache.flume.';

const t = (alias: string, className: string, def?: ComponentDef): ComponentType =>
  def === undefined ? { alias, className } : { alias, className, def };

export const COMPONENT_TYPES: Readonly<Record<ComponentKind, readonly ComponentType[]>> = {
  source: [
    t('seq', `${o}source.SequenceGeneratorSource`, seqSourceConfig),
    t('netcat', `${o}source.NetcatSource`, netcatSourceConfig),
    t('exec', `${o}source.ExecSource`, execSourceConfig),
    t('avro', `${o}source.AvroSource`, avroSourceConfig),
    t('syslogtcp', `${o}source.SyslogTcpSource`, syslogTcpSourceConfig),
    t('multiport_syslogtcp', `${o}source.MultiportSyslogTCPSource`, multiportSyslogTcpSourceConfig),
    t('syslogudp', `${o}source.SyslogUDPSource`, syslogUdpSourceConfig),
    t('spooldir', `${o}source.SpoolDirectorySource`, spoolDirSourceConfig),
    t('http', `${o}source.http.HTTPSource`, httpSourceConfig),
    t('thrift', `${o}source.ThriftSource`),
    t('jms', `${o}source.jms.JMSSource`),
    t('taildir', `${o}source.taildir.TaildirSource`, taildirSourceConfig),
    t('netcatudp', `${o}source.NetcatUdpSource`, netcatUdpSourceConfig),
    t(`${o}source.kafka.KafkaSource`, `${o}source.kafka.KafkaSource`, kafkaSourceConfig),
    t(`${o}source.twitter.TwitterSource`, `${o}source.twitter.TwitterSource`),
    t(`${o}source.StressSource`, `${o}source.StressSource`),
    t(`${o}source.avroLegacy.AvroLegacySource`, `${o}source.avroLegacy.AvroLegacySource`),
    t(`${o}source.thriftLegacy.ThriftLegacySource`, `${o}source.thriftLegacy.ThriftLegacySource`),
    t(`${o}source.scribe.ScribeSource`, `${o}source.scribe.ScribeSource`),
  ],
  channel: [
    t('memory', `${o}channel.MemoryChannel`, memoryChannelConfig),
    t('file', `${o}channel.file.FileChannel`, fileChannelConfig),
    t('jdbc', `${o}channel.jdbc.JdbcChannel`),
    t('spillablememory', `${o}channel.SpillableMemoryChannel`),
    t(`${o}channel.kafka.KafkaChannel`, `${o}channel.kafka.KafkaChannel`, kafkaChannelConfig),
    t(`${o}channel.PseudoTxnMemoryChannel`, `${o}channel.PseudoTxnMemoryChannel`),
  ],
  sink: [
    t('logger', `${o}sink.LoggerSink`, loggerSinkConfig),
    t('null', `${o}sink.NullSink`, nullSinkConfig),
    t('file_roll', `${o}sink.RollingFileSink`, fileRollSinkConfig),
    t('hdfs', `${o}sink.hdfs.HDFSEventSink`, hdfsSinkConfig),
    t('irc', `${o}sink.irc.IRCSink`),
    t('avro', `${o}sink.AvroSink`, avroSinkConfig),
    t('thrift', `${o}sink.ThriftSink`),
    t('elasticsearch', `${o}sink.elasticsearch.ElasticSearchSink`),
    t('hbase', `${o}sink.hbase.HBaseSink`),
    t('asynchbase', `${o}sink.hbase.AsyncHBaseSink`),
    t('hbase2', `${o}sink.hbase2.HBase2Sink`),
    t('morphline_solr', `${o}sink.solr.morphline.MorphlineSolrSink`),
    t('hive', `${o}sink.hive.HiveSink`),
    t('http', `${o}sink.http.HttpSink`, httpSinkConfig),
    t(`${o}sink.kafka.KafkaSink`, `${o}sink.kafka.KafkaSink`, kafkaSinkConfig),
    t(`${o}sink.kite.DatasetSink`, `${o}sink.kite.DatasetSink`),
  ],
  interceptor: [
    t('timestamp', `${o}interceptor.TimestampInterceptor$Builder`, timestampInterceptorConfig),
    t('host', `${o}interceptor.HostInterceptor$Builder`, hostInterceptorConfig),
    t('static', `${o}interceptor.StaticInterceptor$Builder`, staticInterceptorConfig),
    t('regex_filter', `${o}interceptor.RegexFilteringInterceptor$Builder`, regexFilteringInterceptorConfig),
    t(
      'regex_extractor',
      `${o}interceptor.RegexExtractorInterceptor$Builder`,
      regexExtractorInterceptorConfig,
    ),
    t('remove_header', `${o}interceptor.RemoveHeaderInterceptor$Builder`, removeHeaderInterceptorConfig),
    t(
      'search_replace',
      `${o}interceptor.SearchAndReplaceInterceptor$Builder`,
      searchReplaceInterceptorConfig,
    ),
    t(
      `${o}sink.solr.morphline.UUIDInterceptor$Builder`,
      `${o}sink.solr.morphline.UUIDInterceptor$Builder`,
      uuidInterceptorConfig,
    ),
    t(
      `${o}sink.solr.morphline.MorphlineInterceptor$Builder`,
      `${o}sink.solr.morphline.MorphlineInterceptor$Builder`,
    ),
  ],
  selector: [
    t('replicating', `${o}channel.ReplicatingChannelSelector`, none),
    t('multiplexing', `${o}channel.MultiplexingChannelSelector`, multiplexingSelectorConfig),
    t('load_balancing', `${o}channel.LoadBalancingChannelSelector`, loadBalancingSelectorConfig),
  ],
  sinkProcessor: [
    t('default', `${o}sink.DefaultSinkProcessor`, none),
    t('failover', `${o}sink.FailoverSinkProcessor`, failoverProcessorConfig),
    t('load_balance', `${o}sink.LoadBalancingSinkProcessor`, loadBalanceProcessorConfig),
  ],
};

export type TypeLookup =
  | { readonly ok: true; readonly type: ComponentType & { readonly def: ComponentDef } }
  | { readonly ok: false; readonly expected: string };

/**
 * Resolves a `type` value: an alias in any case, or a class name (exact). Fails with the
 * expectation to print: "not implemented yet" for Flume types Sluice lacks, the list of
 * implemented types for anything else.
 */
export function lookupType(kind: ComponentKind, value: string): TypeLookup {
  const types = COMPONENT_TYPES[kind];
  const lower = value.toLowerCase();
  const found = types.find((x) => x.alias === lower || x.className === value);
  const implemented = types.filter((x) => x.def !== undefined).map((x) => x.alias);
  if (found?.def !== undefined) return { ok: true, type: found as ComponentType & { def: ComponentDef } };
  if (found !== undefined) {
    return {
      ok: false,
      expected: `a ${KIND_LABEL[kind]} type Sluice implements: Flume's '${found.alias}' is not implemented yet (implemented: ${implemented.join(', ')})`,
    };
  }
  return {
    ok: false,
    expected: `a known ${KIND_LABEL[kind]} type (implemented: ${implemented.join(', ')}; or their Flume class names; custom classes cannot be loaded)`,
  };
}

export const KIND_LABEL: Readonly<Record<ComponentKind, string>> = {
  source: 'source',
  channel: 'channel',
  sink: 'sink',
  interceptor: 'interceptor',
  selector: 'channel selector',
  sinkProcessor: 'sink processor',
};
