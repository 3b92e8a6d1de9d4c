import {
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  defaultDeleteRecordsResponse,
  deleteRecordsApi,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';
import { internalTopicDeleteRecordsError, isInternalTopic } from '../internal-topics.ts';

/**
 * DeleteRecords (key 21), v0-2.
 *
 * Moves a partition's log start offset up to the requested offset (-1 = the high watermark); an
 * offset past the high watermark is OFFSET_OUT_OF_RANGE. Producer state of the removed prefix is
 * dropped. v2 flexible.
 */
export const DELETE_RECORDS_VERSIONS = { minVersion: 0, maxVersion: 2 } as const;

export function createDeleteRecordsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    deleteRecordsApi,
    DELETE_RECORDS_VERSIONS,
    async (request: DeleteRecordsRequest): Promise<DeleteRecordsResponse> => ({
      ...defaultDeleteRecordsResponse(),
      topics: await Promise.all(
        request.topics.map(async (rt) => ({
          name: rt.name,
          partitions: await Promise.all(
            rt.partitions.map(async (rp) => {
              const p = state.partitions.partition(rt.name, rp.partitionIndex);
              if (p && isInternalTopic(rt.name)) {
                return {
                  partitionIndex: rp.partitionIndex,
                  lowWatermark: -1n,
                  errorCode: internalTopicDeleteRecordsError(rt.name).errorCode,
                };
              }
              if (!p)
                return {
                  partitionIndex: rp.partitionIndex,
                  lowWatermark: -1n,
                  errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                };
              const target = rp.offset === -1n ? p.highWatermark : Number(rp.offset);
              if (target < 0 || target > p.highWatermark) {
                return {
                  partitionIndex: rp.partitionIndex,
                  lowWatermark: BigInt(p.logStartOffset),
                  errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
                };
              }
              const start =
                target <= p.logStartOffset ? p.logStartOffset : await p.deleteRecordsBefore(target);
              return { partitionIndex: rp.partitionIndex, lowWatermark: BigInt(start), errorCode: 0 };
            }),
          ),
        })),
      ),
    }),
  );
}
