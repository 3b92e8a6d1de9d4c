import {
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  consumerGroupHeartbeatApi,
  defaultConsumerGroupHeartbeatResponse,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler, type RequestContext } from '../api-handler.ts';
import { ConsumerGroup, type ConsumerGroupHost, validateHeartbeatRequest } from '../group/consumer-group.ts';

/**
 * ConsumerGroupHeartbeat (key 68), v0-1: KIP-848 membership with server-side assignment (see
 * `ConsumerGroup`). v0: the coordinator generates the member id of a joining member (empty id);
 * v1 adds `SubscribedTopicRegex` and the client generates its member id (KIP-1082), so an empty
 * one is INVALID_REQUEST. A member epoch of 0 on an unknown group creates it; an empty classic
 * group of that id is replaced, a classic group with members → GROUP_ID_NOT_FOUND (no online
 * migration). Any other epoch on an unknown group → UNKNOWN_MEMBER_ID. A change of the group is
 * persisted (`GroupStore.storeConsumerGroup`) before the answer.
 */
export const CONSUMER_GROUP_HEARTBEAT_VERSIONS = { minVersion: 0, maxVersion: 1 } as const;

/** `host` may be a function: the broker creates its group coordinator only when it starts. */
export function createConsumerGroupHeartbeatHandler(
  host: ConsumerGroupHost | (() => ConsumerGroupHost),
): ApiHandler {
  const hostNow = typeof host === 'function' ? host : () => host;
  return defineApiHandler(
    consumerGroupHeartbeatApi,
    CONSUMER_GROUP_HEARTBEAT_VERSIONS,
    (request: ConsumerGroupHeartbeatRequest, ctx: RequestContext) =>
      consumerGroupHeartbeat(hostNow(), request, ctx),
  );
}

function failure(errorCode: number, errorMessage: string): ConsumerGroupHeartbeatResponse {
  return { ...defaultConsumerGroupHeartbeatResponse(), errorCode, errorMessage };
}

export async function consumerGroupHeartbeat(
  host: ConsumerGroupHost,
  request: ConsumerGroupHeartbeatRequest,
  ctx: RequestContext,
): Promise<ConsumerGroupHeartbeatResponse> {
  const apiVersion = ctx.header.requestApiVersion;
  const invalid = validateHeartbeatRequest(request, apiVersion, host.consumerGroupConfig().assignors);
  if (invalid !== null) return invalid;

  let group: ConsumerGroup;
  const existing = host.getGroup(request.groupId);
  if (existing instanceof ConsumerGroup) {
    group = existing;
  } else if (existing !== undefined && !(request.memberEpoch === 0 && existing.isEmpty())) {
    return failure(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${request.groupId} is not a consumer group.`);
  } else if (request.memberEpoch === 0) {
    group = new ConsumerGroup(request.groupId, host);
    host.putGroup(group);
  } else {
    return failure(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${request.groupId} not found.`);
  }

  const { response, changed } = group.heartbeat(request, {
    apiVersion,
    clientId: ctx.header.clientId ?? '',
    clientHost: `/${ctx.connection.remoteAddress}`,
  });
  if (changed) {
    try {
      await host.store.storeConsumerGroup(group.toStored());
    } catch (error) {
      // The change is applied in memory but not durable: the client retries, and the retry is
      // accepted (same or previous epoch) and written again.
      return failure(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `The group state could not be written: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return response;
}
