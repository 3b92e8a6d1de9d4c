import { logConfigFromProperties } from '../../storage/index.ts';
import type { BrokerState } from './broker-state.ts';
import {
  brokerTopicDefaults,
  ConfigSource,
  TOPIC_CONFIG_KEYS,
  type TopicConfigKey,
} from './topic-configs.ts';
import type { TopicRecord } from './topic-registry.ts';

/** One topic config as DescribeConfigs and CreateTopics (v5+) report it. */
export interface TopicConfigValue {
  readonly key: TopicConfigKey;
  readonly value: string;
  readonly source: number;
  /** Where the value could come from, most specific first (DescribeConfigs synonyms). */
  readonly synonyms: readonly { readonly name: string; readonly value: string; readonly source: number }[];
}

/**
 * Every topic config of `topic`: its override, else the broker synonym's dynamic value (this node,
 * then the cluster default), else its server.properties value, else the default.
 */
export function topicConfigValues(
  state: BrokerState,
  topic: Pick<TopicRecord, 'configs'>,
): TopicConfigValue[] {
  const broker = state.brokerConfigValues();
  // What server.properties alone decides (log.retention.hours decides retention.ms just as
  // log.retention.ms does), to report the static layer under the dynamic ones.
  const staticProps: Record<string, string> = {};
  for (const [name, v] of broker) {
    const s = v.synonyms.find((x) => x.source === ConfigSource.STATIC_BROKER_CONFIG && x.name === name);
    if (s?.value != null) staticProps[name] = s.value;
  }
  const staticEffective = brokerTopicDefaults(
    logConfigFromProperties(staticProps),
    Number(staticProps['message.max.bytes'] ?? state.config.messageBytesMax),
  );
  return TOPIC_CONFIG_KEYS.map((key) => {
    const synonyms: { name: string; value: string; source: number }[] = [];
    const override = topic.configs[key.name];
    if (override !== undefined) {
      synonyms.push({ name: key.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    }
    const fromBroker = key.brokerSynonym === null ? undefined : broker.get(key.brokerSynonym);
    for (const s of fromBroker?.synonyms ?? []) {
      if (
        s.name === key.brokerSynonym &&
        (s.source === ConfigSource.DYNAMIC_BROKER_CONFIG ||
          s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG) &&
        s.value !== null
      ) {
        synonyms.push({ name: s.name, value: s.value, source: s.source });
      }
    }
    const brokerValue = staticEffective.get(key.name);
    const staticValue = fromBroker?.synonyms.find(
      (s) => s.source === ConfigSource.STATIC_BROKER_CONFIG && s.name === key.brokerSynonym,
    );
    if (brokerValue !== undefined && brokerValue !== key.defaultValue) {
      const name = key.brokerSynonym ?? key.name;
      synonyms.push({ name, value: brokerValue, source: ConfigSource.STATIC_BROKER_CONFIG });
    } else if (staticValue !== undefined && staticValue.value !== null) {
      synonyms.push({
        name: staticValue.name,
        value: staticValue.value,
        source: ConfigSource.STATIC_BROKER_CONFIG,
      });
    }
    const name = key.brokerSynonym ?? key.name;
    synonyms.push({ name, value: key.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    const first = synonyms[0]!;
    return { key, value: first.value, source: first.source, synonyms };
  });
}
