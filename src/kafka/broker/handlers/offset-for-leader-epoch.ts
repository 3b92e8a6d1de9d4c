import {
  defaultOffsetForLeaderEpochResponse,
  defaultOffsetForLeaderEpochResponseEpochEndOffset,
  ErrorCode,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  offsetForLeaderEpochApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { type BrokerState, leaderEpochError } from '../broker-state.ts';

/**
 * OffsetForLeaderEpoch (key 23), v0-4.
 *
 * The end offset of the requested leader epoch from the log's epoch cache (the log end for the
 * current epoch), used by consumers to detect log truncation. v1 returns the epoch found; v2
 * current leader epoch fencing; v3 replica id; v4 flexible.
 */
export const OFFSET_FOR_LEADER_EPOCH_VERSIONS = { minVersion: 0, maxVersion: 4 } as const;

export function createOffsetForLeaderEpochHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    offsetForLeaderEpochApi,
    OFFSET_FOR_LEADER_EPOCH_VERSIONS,
    (request: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse => ({
      ...defaultOffsetForLeaderEpochResponse(),
      topics: request.topics.map((rt) => ({
        topic: rt.topic,
        partitions: rt.partitions.map((rp) => {
          const base = {
            ...defaultOffsetForLeaderEpochResponseEpochEndOffset(),
            partition: rp.partition,
            leaderEpoch: -1,
            endOffset: -1n,
          };
          const p = state.partitions.partition(rt.topic, rp.partition);
          if (!p) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const epochError = leaderEpochError(rp.currentLeaderEpoch, p.leaderEpoch);
          if (epochError !== 0) return { ...base, errorCode: epochError };
          const end =
            rp.leaderEpoch === p.leaderEpoch
              ? { leaderEpoch: p.leaderEpoch, endOffset: p.logEndOffset }
              : p.log.endOffsetForEpoch(rp.leaderEpoch);
          return { ...base, errorCode: 0, leaderEpoch: end.leaderEpoch, endOffset: BigInt(end.endOffset) };
        }),
      })),
    }),
  );
}
