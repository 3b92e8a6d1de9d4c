import {
  defaultJoinGroupResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  joinGroupApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * JoinGroup (key 11), v0-9: the classic protocol's join (see `ClassicGroup`).
 *
 * Version notes: v1 rebalance timeout (v0 uses the session timeout for both); v2 throttle time;
 * v4 an unknown dynamic member first gets MEMBER_ID_REQUIRED with its id (KIP-394); v5 group
 * instance id (static membership, KIP-345); v6 flexible; v7 protocol type in the response and a
 * nullable protocol name; v8 reason; v9 skip assignment (static leader rejoining a Stable group).
 */
export const JOIN_GROUP_VERSIONS = { minVersion: 0, maxVersion: 9 } as const;

export function createJoinGroupHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    joinGroupApi,
    JOIN_GROUP_VERSIONS,
    async (request: JoinGroupRequest, ctx): Promise<JoinGroupResponse> => {
      const version = ctx.header.requestApiVersion;
      const r = await state.groups.joinGroup(request.groupId, {
        memberId: request.memberId,
        groupInstanceId: version >= 5 ? request.groupInstanceId : null,
        clientId: ctx.header.clientId ?? '',
        clientHost: `/${ctx.connection.remoteAddress}`,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
        protocolType: request.protocolType,
        protocols: request.protocols,
        apiVersion: version,
        reason: version >= 8 ? request.reason : null,
      });
      return {
        ...defaultJoinGroupResponse(),
        errorCode: r.errorCode,
        generationId: r.generationId,
        protocolType: r.protocolType,
        // Not nullable before v7.
        protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
        leader: r.leader,
        skipAssignment: r.skipAssignment,
        memberId: r.memberId,
        members: r.members.map((m) => ({ ...m })),
      };
    },
  );
}
