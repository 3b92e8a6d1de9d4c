import {
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupDescribeResponseDescribedGroup,
  consumerGroupDescribeApi,
  defaultConsumerGroupDescribeResponseDescribedGroup,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { ConsumerGroup, type ConsumerGroupHost } from '../group/consumer-group.ts';

/**
 * ConsumerGroupDescribe (key 69), v0: per group id its state (Empty, Assigning, Reconciling,
 * Stable), epochs, assignor and members with their current and target assignments (topic ids and
 * names). An unknown id or a classic group → GROUP_ID_NOT_FOUND, an empty id → INVALID_GROUP_ID, as
 * Kafka answers. No ACLs: authorized operations are left at "not requested".
 */
export const CONSUMER_GROUP_DESCRIBE_VERSIONS = { minVersion: 0, maxVersion: 0 } as const;

/** `host` may be a function: the broker creates its group coordinator only when it starts. */
export function createConsumerGroupDescribeHandler(
  host: ConsumerGroupHost | (() => ConsumerGroupHost),
): ApiHandler {
  const hostNow = typeof host === 'function' ? host : () => host;
  return defineApiHandler(
    consumerGroupDescribeApi,
    CONSUMER_GROUP_DESCRIBE_VERSIONS,
    (request: ConsumerGroupDescribeRequest): ConsumerGroupDescribeResponse => {
      const h = hostNow();
      return { throttleTimeMs: 0, groups: request.groupIds.map((groupId) => describeOne(h, groupId)) };
    },
  );
}

function describeOne(host: ConsumerGroupHost, groupId: string): ConsumerGroupDescribeResponseDescribedGroup {
  const failed = (errorCode: number, errorMessage: string) => ({
    ...defaultConsumerGroupDescribeResponseDescribedGroup(),
    groupId,
    errorCode,
    errorMessage,
  });
  if (groupId.trim() === '') return failed(ErrorCode.INVALID_GROUP_ID, 'Group id can not be empty.');
  const group = host.getGroup(groupId);
  if (group === undefined) return failed(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} not found.`);
  if (!(group instanceof ConsumerGroup)) {
    return failed(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
  }
  return group.describe();
}
