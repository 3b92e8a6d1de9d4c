import {
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  alterConfigsApi,
  defaultAlterConfigsResponse,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';
import { changeConfigs } from '../topic-config-change.ts';

/**
 * AlterConfigs (key 33), v0-2: replaces every override of a topic, or every dynamic config of a
 * broker resource ("" = cluster-wide default, or this node's id), with the given set (keys left out
 * return to the next layer). Persisted and applied to the live partition logs. v2 flexible.
 */
export const ALTER_CONFIGS_VERSIONS = { minVersion: 0, maxVersion: 2 } as const;

export function createAlterConfigsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    alterConfigsApi,
    ALTER_CONFIGS_VERSIONS,
    async (request: AlterConfigsRequest): Promise<AlterConfigsResponse> => {
      const responses = [];
      for (const r of request.resources) {
        const result = await changeConfigs(
          state,
          r.resourceType,
          r.resourceName,
          request.validateOnly,
          () => {
            const out: Record<string, string> = {};
            for (const c of r.configs) if (c.value !== null) out[c.name] = c.value;
            return out;
          },
        );
        responses.push({ ...result, resourceType: r.resourceType, resourceName: r.resourceName });
      }
      return { ...defaultAlterConfigsResponse(), responses };
    },
  );
}
