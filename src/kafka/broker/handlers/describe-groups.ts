import {
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type DescribeGroupsResponseDescribedGroup,
  defaultDescribeGroupsResponse,
  describeGroupsApi,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, type BrokerState } from '../broker-state.ts';
import { ClassicGroup } from '../group/classic-group.ts';

/**
 * DescribeGroups (key 15), v0-5: classic groups with their state, protocol type, and members. As
 * Kafka: the protocol name and each member's metadata and assignment only when the group is
 * Stable (empty otherwise); a group that does not exist — or is not a classic group (KIP-848
 * groups are described by ConsumerGroupDescribe) — is reported with state "Dead" and error 0 (v6,
 * not offered, would say GROUP_ID_NOT_FOUND). Version notes: v1 throttle time; v3 authorized
 * operations; v4 member group instance id; v5 flexible.
 */
export const DESCRIBE_GROUPS_VERSIONS = { minVersion: 0, maxVersion: 5 } as const;

/** Group operations with no authorizer: READ(3), DELETE(6), DESCRIBE(8). */
const GROUP_OPERATIONS_ALL = [3, 6, 8].reduce((bits, op) => bits | (1 << op), 0);

export function createDescribeGroupsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    describeGroupsApi,
    DESCRIBE_GROUPS_VERSIONS,
    (request: DescribeGroupsRequest, ctx): DescribeGroupsResponse => {
      const version = ctx.header.requestApiVersion;
      const ops =
        version >= 3 && request.includeAuthorizedOperations
          ? GROUP_OPERATIONS_ALL
          : AUTHORIZED_OPERATIONS_OMITTED;
      const groups = request.groups.map((groupId): DescribeGroupsResponseDescribedGroup => {
        const base = {
          errorCode: 0,
          groupId,
          groupState: 'Dead',
          protocolType: '',
          protocolData: '',
          members: [],
          authorizedOperations: ops,
        };
        if (groupId === '') return { ...base, errorCode: ErrorCode.INVALID_GROUP_ID };
        const g = state.groups.getGroup(groupId);
        if (!(g instanceof ClassicGroup)) return base;
        const groupState = g.state();
        return {
          ...base,
          groupState,
          protocolType: g.protocolType,
          protocolData: groupState === 'Stable' ? (g.protocolName ?? '') : '',
          members: g.describeMembers().map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
        };
      });
      return { ...defaultDescribeGroupsResponse(), groups };
    },
  );
}
