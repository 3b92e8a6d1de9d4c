import {
  defaultListGroupsResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
  listGroupsApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * ListGroups (key 16), v0-5: every group (classic ones, including groups that only commit
 * offsets, with protocol type "", and KIP-848 ones). Version notes: v1 throttle time; v3
 * flexible; v4 states filter and group state (KIP-518); v5 types filter and group type
 * "classic"/"consumer" (KIP-848). Filters are case-insensitive, as Kafka's.
 */
export const LIST_GROUPS_VERSIONS = { minVersion: 0, maxVersion: 5 } as const;

export function createListGroupsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    listGroupsApi,
    LIST_GROUPS_VERSIONS,
    (request: ListGroupsRequest, ctx): ListGroupsResponse => {
      const version = ctx.header.requestApiVersion;
      const groups = state.groups.listGroups(
        version >= 4 ? request.statesFilter : [],
        version >= 5 ? request.typesFilter : [],
      );
      return { ...defaultListGroupsResponse(), groups };
    },
  );
}
