import {
  defaultOffsetCommitResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  offsetCommitApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * OffsetCommit (key 8), v0-9.
 *
 * Each partition: UNKNOWN_TOPIC_OR_PARTITION when the topic or partition does not exist; then the
 * group's check of the member (`Group.validateOffsetCommit`: UNKNOWN_MEMBER_ID,
 * ILLEGAL_GENERATION, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS; KIP-848 groups check the member
 * epoch); metadata longer than `offset.metadata.max.bytes` → OFFSET_METADATA_TOO_LARGE. Generation
 * -1 with an empty member id (and v0, which has neither) is a standalone commit, accepted while the
 * group is Empty or does not exist (a simple group is then created); a positive generation for an
 * unknown group → ILLEGAL_GENERATION (v9+: GROUP_ID_NOT_FOUND). Accepted offsets are acknowledged
 * once the store has them. Version notes: v1 generation, member id and a per-partition commit
 * timestamp; v2-4 retention time; v3 throttle time; v5 drops retention; v6 leader epoch; v7 group
 * instance id; v8 flexible; v9 member epoch for KIP-848 groups.
 */
export const OFFSET_COMMIT_VERSIONS = { minVersion: 0, maxVersion: 9 } as const;

export function createOffsetCommitHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    offsetCommitApi,
    OFFSET_COMMIT_VERSIONS,
    async (request: OffsetCommitRequest, ctx): Promise<OffsetCommitResponse> => {
      const version = ctx.header.requestApiVersion;
      const topics = await state.groups.commitOffsets({
        groupId: request.groupId,
        memberId: version >= 1 ? request.memberId : '',
        groupInstanceId: version >= 7 ? request.groupInstanceId : null,
        generation: version >= 1 ? request.generationIdOrMemberEpoch : -1,
        apiVersion: version,
        retentionTimeMs: version >= 2 && version <= 4 ? request.retentionTimeMs : -1n,
        topics: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            committedOffset: p.committedOffset,
            committedLeaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
            commitTimestamp: version === 1 ? p.commitTimestamp : -1n,
            committedMetadata: p.committedMetadata,
          })),
        })),
      });
      return { ...defaultOffsetCommitResponse(), topics };
    },
  );
}
