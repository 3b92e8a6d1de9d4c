import {
  defaultLeaveGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  leaveGroupApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * LeaveGroup (key 13), v0-5: the members leave at once and the group rebalances without waiting
 * for their sessions to expire. v0-2 name one member (its error is the response's error); v3+ a
 * batch with per-member errors, static members by instance id (member id "" allowed, as the admin
 * client's removeMembersFromConsumerGroup sends). Version notes: v1 throttle time; v4 flexible; v5
 * a reason per member (logged only).
 */
export const LEAVE_GROUP_VERSIONS = { minVersion: 0, maxVersion: 5 } as const;

export function createLeaveGroupHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    leaveGroupApi,
    LEAVE_GROUP_VERSIONS,
    (request: LeaveGroupRequest, ctx): LeaveGroupResponse => {
      const version = ctx.header.requestApiVersion;
      const leaving =
        version >= 3
          ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
          : [{ memberId: request.memberId, groupInstanceId: null }];
      const r = state.groups.leaveGroup(request.groupId, leaving);
      if (version < 3) {
        return {
          ...defaultLeaveGroupResponse(),
          errorCode: r.errorCode !== 0 ? r.errorCode : (r.members[0] ?? 0),
        };
      }
      return {
        ...defaultLeaveGroupResponse(),
        errorCode: r.errorCode,
        members: r.errorCode !== 0 ? [] : leaving.map((m, i) => ({ ...m, errorCode: r.members[i] ?? 0 })),
      };
    },
  );
}
