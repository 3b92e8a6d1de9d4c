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
import { topicConfigValues } from '../topic-config-view.ts';
import { ConfigSource, ConfigType, TOPIC_CONFIG_KEYS } from '../topic-configs.ts';

/**
 * DescribeConfigs (key 32), v0-4.
 *
 * Topics: every topic config (topic-configs.ts) with its value — the topic's override
 * (DYNAMIC_TOPIC_CONFIG), else the broker's synonym when set in server.properties
 * (STATIC_BROKER_CONFIG), else the default (DEFAULT_CONFIG) — never read-only or sensitive.
 * Brokers (resource name "" or this node's id): the broker configs this node knows, read-only
 * (none can be changed at run time yet), plus the broker defaults of topic configs.
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
          const configs: DescribeConfigsResponseDescribeConfigsResourceResult[] = [];
          const seen = new Set<string>();
          for (const [name, v] of state.brokerConfigValues()) {
            seen.add(name);
            if (!wanted(name)) continue;
            const source = v.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
            configs.push({
              name,
              value: v.value,
              readOnly: true,
              isDefault: v.isDefault,
              configSource: source,
              isSensitive: false,
              synonyms: request.includeSynonyms ? [{ name, value: v.value, source }] : [],
              configType: configTypeOf(v.value),
              documentation: doc(''),
            });
          }
          for (const k of TOPIC_CONFIG_KEYS) {
            if (k.brokerSynonym === null || seen.has(k.brokerSynonym) || !wanted(k.brokerSynonym)) continue;
            seen.add(k.brokerSynonym);
            configs.push({
              name: k.brokerSynonym,
              value: k.defaultValue,
              readOnly: true,
              isDefault: true,
              configSource: ConfigSource.DEFAULT_CONFIG,
              isSensitive: false,
              synonyms: request.includeSynonyms
                ? [{ name: k.brokerSynonym, value: k.defaultValue, source: ConfigSource.DEFAULT_CONFIG }]
                : [],
              configType: k.type,
              documentation: doc(`default of topic config ${k.name}: ${k.doc}`),
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
