import {
  type DescribeClusterRequest,
  type DescribeClusterResponse,
  defaultDescribeClusterResponse,
  describeClusterApi,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, type BrokerState } from '../broker-state.ts';

/**
 * DescribeCluster (key 60), v0-1: this node as the only broker and the controller. v1 endpoint
 * type: brokers (1) only; controllers (2) get UNSUPPORTED_ENDPOINT_TYPE (no KRaft quorum here).
 */
export const DESCRIBE_CLUSTER_VERSIONS = { minVersion: 0, maxVersion: 1 } as const;

const CLUSTER_OPERATIONS_ALL = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0);
const ENDPOINT_BROKERS = 1;

export function createDescribeClusterHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    describeClusterApi,
    DESCRIBE_CLUSTER_VERSIONS,
    (request: DescribeClusterRequest, ctx): DescribeClusterResponse => {
      const base = {
        ...defaultDescribeClusterResponse(),
        endpointType: request.endpointType,
        clusterId: state.clusterId,
      };
      if (ctx.header.requestApiVersion >= 1 && request.endpointType !== ENDPOINT_BROKERS) {
        return {
          ...base,
          errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: 'only broker endpoints are served',
        };
      }
      const e = state.endpoint(ctx.connection.listenerName);
      return {
        ...base,
        controllerId: state.nodeId,
        brokers: e ? [{ brokerId: e.nodeId, host: e.host, port: e.port, rack: e.rack }] : [],
        clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
          ? CLUSTER_OPERATIONS_ALL
          : AUTHORIZED_OPERATIONS_OMITTED,
      };
    },
  );
}
