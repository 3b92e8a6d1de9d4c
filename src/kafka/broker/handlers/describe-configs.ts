import {
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult,
  type DescribeConfigsResponseDescribeConfigsResult,
  defaultDescribeConfigsResponse,
  describeConfigsApi,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';
import { DYNAMIC_BROKER_KEYS } from '../dynamic-broker-configs.ts';
import { topicConfigValues } from '../topic-config-view.ts';
import { ConfigSource, ConfigType, TOPIC_CONFIG_BY_NAME } from '../topic-configs.ts';

/**
 * DescribeConfigs (key 32), v0-4.
 *
 * Topics: every topic config (topic-configs.ts) with its value — the topic's override
 * (DYNAMIC_TOPIC_CONFIG), else the broker synonym's dynamic value for this node
 * (DYNAMIC_BROKER_CONFIG) or for the cluster (DYNAMIC_DEFAULT_BROKER_CONFIG), else its
 * server.properties value (STATIC_BROKER_CONFIG), else the default (DEFAULT_CONFIG); synonyms list
 * every layer present, most specific first. Never read-only or sensitive.
 * Brokers: this node's id lists every broker key this node knows with the same layers (keys that
 * cannot change at run time are read-only); "" (the cluster-wide default) lists only the keys set
 * dynamically at that level, as Kafka does.
 * An empty `configurationKeys` list asks for every key, like a null one (Kafka's rule).
 * Version notes: v1 synonyms and config source (v0 isDefault); v3 config type and documentation;
 * v4 flexible.
 */
export const DESCRIBE_CONFIGS_VERSIONS = { minVersion: 0, maxVersion: 4 } as const;

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export function createDescribeConfigsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    describeConfigsApi,
    DESCRIBE_CONFIGS_VERSIONS,
    (request: DescribeConfigsRequest): DescribeConfigsResponse => {
      const results = request.resources.map((r): DescribeConfigsResponseDescribeConfigsResult => {
        const base = {
          errorCode: 0,
          errorMessage: null,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [],
        };
        // Null and empty both mean every key, as in Kafka's ConfigHelper (@platformatic/kafka
        // sends an empty list to ask for all of them).
        const keys =
          r.configurationKeys === null || r.configurationKeys.length === 0
            ? null
            : new Set(r.configurationKeys);
        const wanted = (name: string) => keys === null || keys.has(name);
        const doc = (text: string) => (request.includeDocumentation ? text : null);
        if (r.resourceType === ResourceType.TOPIC) {
          const t = state.partitions.topic(r.resourceName);
          if (!t)
            return {
              ...base,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: `Topic ${r.resourceName} does not exist`,
            };
          const configs = topicConfigValues(state, t)
            .filter((c) => wanted(c.key.name))
            .map(
              (c): DescribeConfigsResponseDescribeConfigsResourceResult => ({
                name: c.key.name,
                value: c.value,
                readOnly: false,
                isDefault: c.source === ConfigSource.DEFAULT_CONFIG,
                configSource: c.source,
                isSensitive: false,
                synonyms: request.includeSynonyms ? c.synonyms.map((s) => ({ ...s })) : [],
                configType: c.key.type,
                documentation: doc(c.key.doc),
              }),
            );
          return { ...base, configs };
        }
        if (r.resourceType === ResourceType.BROKER) {
          if (r.resourceName !== '' && r.resourceName !== String(state.nodeId)) {
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `This is broker ${state.nodeId}, not ${r.resourceName}`,
            };
          }
          // The cluster-wide default resource lists only its dynamic values (Kafka's rule); a
          // broker's own resource lists every key with all its layers.
          const isDefaultResource = r.resourceName === '';
          const configs: DescribeConfigsResponseDescribeConfigsResourceResult[] = [];
          for (const [name, v] of state.brokerConfigValues()) {
            if (!wanted(name)) continue;
            const synonyms = isDefaultResource
              ? v.synonyms.filter((x) => x.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG)
              : v.synonyms;
            const first = synonyms[0];
            if (isDefaultResource && first === undefined) continue;
            const topicKey = DYNAMIC_BROKER_KEYS.get(name);
            const key = topicKey == null ? undefined : TOPIC_CONFIG_BY_NAME.get(topicKey);
            configs.push({
              name,
              value: first?.value ?? v.value,
              readOnly: v.readOnly,
              isDefault: (first?.source ?? v.source) === ConfigSource.DEFAULT_CONFIG,
              configSource: first?.source ?? v.source,
              isSensitive: false,
              synonyms: request.includeSynonyms ? synonyms.map((x) => ({ ...x })) : [],
              configType: key?.type ?? configTypeOf(v.value),
              documentation: doc(key === undefined ? '' : `default of topic config ${key.name}: ${key.doc}`),
            });
          }
          return { ...base, configs };
        }
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Unsupported resource type ${r.resourceType}`,
        };
      });
      return { ...defaultDescribeConfigsResponse(), results };
    },
  );
}

function configTypeOf(value: string | null): number {
  if (value === null) return ConfigType.STRING;
  if (/^-?\d+$/.test(value)) return ConfigType.LONG;
  if (value === 'true' || value === 'false') return ConfigType.BOOLEAN;
  return ConfigType.STRING;
}
