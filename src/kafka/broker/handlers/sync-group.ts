import {
  defaultSyncGroupResponse,
  type SyncGroupRequest,
  type SyncGroupResponse,
  syncGroupApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * SyncGroup (key 14), v0-5: the leader hands in the assignment, every member (leader included)
 * gets its own bytes once the leader's have been stored — always present, empty when the leader
 * assigned it nothing. Version notes: v1 throttle time; v3 group instance id; v4 flexible; v5
 * protocol type and name, checked against the group's (INCONSISTENT_GROUP_PROTOCOL) and returned.
 */
export const SYNC_GROUP_VERSIONS = { minVersion: 0, maxVersion: 5 } as const;

export function createSyncGroupHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    syncGroupApi,
    SYNC_GROUP_VERSIONS,
    async (request: SyncGroupRequest, ctx): Promise<SyncGroupResponse> => {
      const version = ctx.header.requestApiVersion;
      const r = await state.groups.syncGroup(request.groupId, {
        memberId: request.memberId,
        groupInstanceId: version >= 3 ? request.groupInstanceId : null,
        generationId: request.generationId,
        protocolType: version >= 5 ? request.protocolType : null,
        protocolName: version >= 5 ? request.protocolName : null,
        assignments: request.assignments,
      });
      return {
        ...defaultSyncGroupResponse(),
        errorCode: r.errorCode,
        protocolType: r.protocolType,
        protocolName: r.protocolName,
        assignment: r.assignment,
      };
    },
  );
}
