import {
  defaultFindCoordinatorResponse,
  ErrorCode,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
  findCoordinatorApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * FindCoordinator (key 10), v0-6.
 *
 * This node coordinates every group (key type 0) and transactional id (key type 1): the answer is
 * always its own endpoint on the listener the request came in on. Other key types (2 = share
 * groups) → INVALID_REQUEST. Version notes: v1 key type, throttle time and error message; v3
 * flexible; v4 batched `coordinatorKeys` answered in `coordinators` (the single-key fields unused).
 */
export const FIND_COORDINATOR_VERSIONS = { minVersion: 0, maxVersion: 6 } as const;

export function createFindCoordinatorHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    findCoordinatorApi,
    FIND_COORDINATOR_VERSIONS,
    (request: FindCoordinatorRequest, ctx): FindCoordinatorResponse => {
      const version = ctx.header.requestApiVersion;
      const keyType = version >= 1 ? request.keyType : 0;
      const endpoint = state.endpoint(ctx.connection.listenerName);
      const answer = (key: string): FindCoordinatorResponseCoordinator => {
        const fail = (errorCode: number, errorMessage: string) => ({
          key,
          nodeId: -1,
          host: '',
          port: -1,
          errorCode,
          errorMessage,
        });
        if (keyType !== 0 && keyType !== 1) {
          return fail(ErrorCode.INVALID_REQUEST, `Unsupported key type ${keyType}`);
        }
        if (endpoint === undefined) {
          return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
        }
        return {
          key,
          nodeId: endpoint.nodeId,
          host: endpoint.host,
          port: endpoint.port,
          errorCode: 0,
          errorMessage: null,
        };
      };
      if (version >= 4) {
        return { ...defaultFindCoordinatorResponse(), coordinators: request.coordinatorKeys.map(answer) };
      }
      const a = answer(request.key);
      return {
        ...defaultFindCoordinatorResponse(),
        errorCode: a.errorCode,
        errorMessage: a.errorMessage,
        nodeId: a.nodeId,
        host: a.host,
        port: a.port,
      };
    },
  );
}
