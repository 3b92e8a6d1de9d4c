import {
  defaultListOffsetsResponse,
  defaultListOffsetsResponseListOffsetsPartitionResponse,
  ErrorCode,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
  listOffsetsApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import { type BrokerState, leaderEpochError } from '../broker-state.ts';

/**
 * ListOffsets (key 2), v1-9.
 *
 * Timestamps: -1 LATEST (the high watermark; the last stable offset for read_committed), -2
 * EARLIEST (log start), -3 MAX_TIMESTAMP (v7+, the record with the largest timestamp), -4
 * EARLIEST_LOCAL (v8+, = log start: no tiered storage), -5 LATEST_TIERED (v9+, offset -1: nothing is
 * tiered); a timestamp >= 0 finds the first record at or after it (offset -1 when none).
 * Version notes: v1 single offset instead of v0's list (v0 not offered); v2 isolation level; v4
 * leader epochs; v6 flexible; v10 (not offered) a timeout.
 */
export const LIST_OFFSETS_VERSIONS = { minVersion: 1, maxVersion: 9 } as const;

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;

export function createListOffsetsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    listOffsetsApi,
    LIST_OFFSETS_VERSIONS,
    async (request: ListOffsetsRequest): Promise<ListOffsetsResponse> => {
      const committed = request.isolationLevel === 1;
      const topics = await Promise.all(
        request.topics.map(async (rt) => ({
          name: rt.name,
          partitions: await Promise.all(
            rt.partitions.map(async (rp): Promise<ListOffsetsResponseListOffsetsPartitionResponse> => {
              const base = {
                ...defaultListOffsetsResponseListOffsetsPartitionResponse(),
                partitionIndex: rp.partitionIndex,
                timestamp: -1n,
                offset: -1n,
                leaderEpoch: -1,
              };
              const p = state.partitions.partition(rt.name, rp.partitionIndex);
              if (!p) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
              const epochError = leaderEpochError(rp.currentLeaderEpoch, p.leaderEpoch);
              if (epochError !== 0) return { ...base, errorCode: epochError };
              const at = (offset: number, timestamp = -1, leaderEpoch = p.leaderEpoch) => ({
                ...base,
                errorCode: 0,
                offset: BigInt(offset),
                timestamp: BigInt(timestamp),
                leaderEpoch,
              });
              switch (rp.timestamp) {
                case LATEST:
                  return at(committed ? p.lastStableOffset : p.highWatermark);
                case EARLIEST:
                case EARLIEST_LOCAL:
                  return at(p.logStartOffset);
                case LATEST_TIERED:
                  return at(-1, -1, -1);
                case MAX_TIMESTAMP: {
                  const m = await p.log.maxTimestamp();
                  return m ? at(m.offset, m.timestamp, m.leaderEpoch) : at(-1, -1, -1);
                }
                default: {
                  if (rp.timestamp < 0n) return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
                  const found = await p.log.offsetForTimestamp(Number(rp.timestamp));
                  const limit = committed ? p.lastStableOffset : p.highWatermark;
                  if (!found || found.offset >= limit) return at(-1, -1, -1);
                  return at(found.offset, found.timestamp, found.leaderEpoch);
                }
              }
            }),
          ),
        })),
      );
      return { ...defaultListOffsetsResponse(), topics };
    },
  );
}
