import {
  defaultHeartbeatResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  heartbeatApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * Heartbeat (key 12), v0-4: keeps a classic member's session alive. REBALANCE_IN_PROGRESS while
 * the group prepares a rebalance (the member must rejoin), ILLEGAL_GENERATION for another
 * generation, UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID for members the group no longer has.
 * Version notes: v1 throttle time; v3 group instance id; v4 flexible.
 */
export const HEARTBEAT_VERSIONS = { minVersion: 0, maxVersion: 4 } as const;

export function createHeartbeatHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    heartbeatApi,
    HEARTBEAT_VERSIONS,
    (request: HeartbeatRequest, ctx): HeartbeatResponse => {
      const version = ctx.header.requestApiVersion;
      const errorCode = state.groups.heartbeat(
        request.groupId,
        request.memberId,
        version >= 3 ? request.groupInstanceId : null,
        request.generationId,
      );
      return { ...defaultHeartbeatResponse(), errorCode };
    },
  );
}
