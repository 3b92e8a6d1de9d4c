import {
  defaultOffsetFetchResponse,
  ErrorCode,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  offsetFetchApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * OffsetFetch (key 9), v0-9.
 *
 * The committed offset, leader epoch and metadata of each partition asked for; -1 with empty
 * metadata and no error when nothing is committed (or the group does not exist). Null topics (v2+)
 * = every partition the group has committed. `require_stable` (v7+) needs nothing: there are no
 * pending transactional offsets. Version notes: v2 top-level error code and null topics; v3
 * throttle time; v5 leader epoch; v6 flexible; v8 several groups per request (answered in
 * `groups`); v9 member id and epoch, checked by KIP-848 groups (`Group.validateOffsetFetch`).
 */
export const OFFSET_FETCH_VERSIONS = { minVersion: 0, maxVersion: 9 } as const;

export function createOffsetFetchHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    offsetFetchApi,
    OFFSET_FETCH_VERSIONS,
    (request: OffsetFetchRequest, ctx): OffsetFetchResponse => {
      const version = ctx.header.requestApiVersion;
      const fetchGroup = (
        groupId: string,
        topics: readonly { name: string; partitionIndexes: number[] }[] | null,
        memberId: string | null,
        memberEpoch: number,
      ): OffsetFetchResponseGroup => {
        if (groupId === '') return { groupId, topics: [], errorCode: ErrorCode.INVALID_GROUP_ID };
        const group = state.groups.getGroup(groupId);
        const error =
          group === undefined || version < 9 ? 0 : group.validateOffsetFetch(memberId, memberEpoch);
        if (error !== 0) return { groupId, topics: [], errorCode: error };
        return { groupId, topics: state.groups.fetchOffsets(groupId, topics), errorCode: 0 };
      };
      if (version >= 8) {
        return {
          ...defaultOffsetFetchResponse(),
          groups: request.groups.map((g) => fetchGroup(g.groupId, g.topics, g.memberId, g.memberEpoch)),
        };
      }
      const topics = version >= 2 ? request.topics : (request.topics ?? []);
      const g = fetchGroup(request.groupId, topics, null, -1);
      if (g.errorCode !== 0 && version < 2) {
        // No top-level error code before v2: each partition carries it.
        return {
          ...defaultOffsetFetchResponse(),
          topics: (topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: -1n,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: g.errorCode,
            })),
          })),
        };
      }
      return { ...defaultOffsetFetchResponse(), topics: g.topics, errorCode: g.errorCode };
    },
  );
}
