import {
  defaultIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
  incrementalAlterConfigsApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';
import { DYNAMIC_BROKER_KEYS } from '../dynamic-broker-configs.ts';
import { changeConfigs } from '../topic-config-change.ts';
import { ConfigType, TOPIC_CONFIG_BY_NAME } from '../topic-configs.ts';

/**
 * IncrementalAlterConfigs (key 44), v0-1: SET (0), DELETE (1, back to the default), APPEND (2) and
 * SUBTRACT (3) on list configs; the resource's other values are kept. Persisted and applied live.
 * Topics and brokers ("" = the cluster-wide dynamic default, or this node's id; see
 * topic-config-change.ts for the keys that can change). v1 flexible.
 */
export const INCREMENTAL_ALTER_CONFIGS_VERSIONS = { minVersion: 0, maxVersion: 1 } as const;

const RESOURCE_BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

export function createIncrementalAlterConfigsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    incrementalAlterConfigsApi,
    INCREMENTAL_ALTER_CONFIGS_VERSIONS,
    async (request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> => {
      const responses = [];
      for (const r of request.resources) {
        const result = await changeConfigs(
          state,
          r.resourceType,
          r.resourceName,
          request.validateOnly,
          (current) => {
            const out: Record<string, string> = { ...current };
            for (const c of r.configs) {
              // Broker resources name broker keys (validated with their dynamic rules afterwards).
              const isBroker = r.resourceType === RESOURCE_BROKER;
              const key = TOPIC_CONFIG_BY_NAME.get(
                isBroker ? (DYNAMIC_BROKER_KEYS.get(c.name) ?? '') : c.name,
              );
              if (key === undefined && !isBroker) return `unknown topic config ${c.name}`;
              switch (c.configOperation) {
                case SET:
                  if (c.value === null) return `${c.name}: SET needs a value`;
                  out[c.name] = c.value;
                  break;
                case DELETE:
                  delete out[c.name];
                  break;
                case APPEND:
                case SUBTRACT: {
                  if (key?.type !== ConfigType.LIST)
                    return `${c.name} is not a list config; APPEND and SUBTRACT apply to lists`;
                  const items = (out[c.name] ?? key.defaultValue)
                    .split(',')
                    .map((s) => s.trim())
                    .filter((s) => s !== '');
                  const given = (c.value ?? '')
                    .split(',')
                    .map((s) => s.trim())
                    .filter((s) => s !== '');
                  const next =
                    c.configOperation === APPEND
                      ? [...items, ...given.filter((g) => !items.includes(g))]
                      : items.filter((i) => !given.includes(i));
                  out[c.name] = next.join(',');
                  break;
                }
                default:
                  return `unknown config operation ${c.configOperation}`;
              }
            }
            return out;
          },
        );
        responses.push({ ...result, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { ...defaultIncrementalAlterConfigsResponse(), responses };
    },
  );
}
