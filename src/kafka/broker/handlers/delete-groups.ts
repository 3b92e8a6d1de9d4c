import {
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  defaultDeleteGroupsResponse,
  deleteGroupsApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * DeleteGroups (key 42), v0-2: deletes empty groups with their committed offsets. Per group:
 * GROUP_ID_NOT_FOUND when unknown, NON_EMPTY_GROUP while it has members, INVALID_GROUP_ID for "".
 * Version notes: v2 flexible.
 */
export const DELETE_GROUPS_VERSIONS = { minVersion: 0, maxVersion: 2 } as const;

export function createDeleteGroupsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    deleteGroupsApi,
    DELETE_GROUPS_VERSIONS,
    async (request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> => {
      const codes = await state.groups.deleteGroups(request.groupsNames);
      return {
        ...defaultDeleteGroupsResponse(),
        results: request.groupsNames.map((groupId, i) => ({ groupId, errorCode: codes[i] ?? 0 })),
      };
    },
  );
}
