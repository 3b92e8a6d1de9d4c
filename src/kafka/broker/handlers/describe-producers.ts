import {
  type DescribeProducersRequest,
  type DescribeProducersResponse,
  defaultDescribeProducersResponse,
  describeProducersApi,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * DescribeProducers (key 61), v0 (KIP-664): the idempotent producers a partition tracks, with their
 * epoch, last sequence and last append time; no transactions yet, so no coordinator epoch or open
 * transaction offset (-1).
 */
export const DESCRIBE_PRODUCERS_VERSIONS = { minVersion: 0, maxVersion: 0 } as const;

export function createDescribeProducersHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    describeProducersApi,
    DESCRIBE_PRODUCERS_VERSIONS,
    (request: DescribeProducersRequest): DescribeProducersResponse => ({
      ...defaultDescribeProducersResponse(),
      topics: request.topics.map((rt) => ({
        name: rt.name,
        partitions: rt.partitionIndexes.map((index) => {
          const p = state.partitions.partition(rt.name, index);
          if (!p)
            return {
              partitionIndex: index,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: null,
              activeProducers: [],
            };
          return {
            partitionIndex: index,
            errorCode: 0,
            errorMessage: null,
            activeProducers: [...p.producers.entries()].map((e) => ({
              producerId: BigInt(e.producerId),
              producerEpoch: e.epoch,
              lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
              lastTimestamp: BigInt(e.lastUpdateMs),
              coordinatorEpoch: -1,
              currentTxnStartOffset: -1n,
            })),
          };
        }),
      })),
    }),
  );
}
