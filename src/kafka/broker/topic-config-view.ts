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

/** Every topic config of `topic`: its override, else the broker's synonym when set, else the default. */
export function topicConfigValues(
  state: BrokerState,
  topic: Pick<TopicRecord, 'configs'>,
): TopicConfigValue[] {
  const broker = state.brokerConfigValues();
  const effective = brokerTopicDefaults(state.partitions.baseLogConfig, state.config.messageBytesMax);
  return TOPIC_CONFIG_KEYS.map((key) => {
    const synonyms: { name: string; value: string; source: number }[] = [];
    const override = topic.configs[key.name];
    if (override !== undefined) {
      synonyms.push({ name: key.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    }
    // The broker decides the value when a key feeding it is set in server.properties
    // (log.retention.hours decides retention.ms just as log.retention.ms does).
    const brokerValue = effective.get(key.name);
    const fromBroker = key.brokerSynonym === null ? undefined : broker.get(key.brokerSynonym);
    if (brokerValue !== undefined && brokerValue !== key.defaultValue) {
      const name = key.brokerSynonym ?? key.name;
      synonyms.push({ name, value: brokerValue, source: ConfigSource.STATIC_BROKER_CONFIG });
    } else if (fromBroker !== undefined && !fromBroker.isDefault && fromBroker.value !== null) {
      const name = key.brokerSynonym!;
      synonyms.push({ name, value: fromBroker.value, source: ConfigSource.STATIC_BROKER_CONFIG });
    }
    const name = key.brokerSynonym ?? key.name;
    synonyms.push({ name, value: key.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    const first = synonyms[0]!;
    return { key, value: first.value, source: first.source, synonyms };
  });
}
