import {
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsResponseCreatePartitionsTopicResult,
  createPartitionsApi,
  defaultCreatePartitionsResponse,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * CreatePartitions (key 37), v0-3.
 *
 * Raises a topic's partition count (never lowers it: INVALID_PARTITIONS); explicit assignments of
 * the new partitions must name this node alone. Every requested topic gets a result. v2 flexible.
 */
export const CREATE_PARTITIONS_VERSIONS = { minVersion: 0, maxVersion: 3 } as const;

export function createCreatePartitionsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    createPartitionsApi,
    CREATE_PARTITIONS_VERSIONS,
    async (request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> => {
      const counts = new Map<string, number>();
      for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = [];
      for (const rt of request.topics) {
        const result = (errorCode: number, errorMessage: string | null) =>
          results.push({ name: rt.name, errorCode, errorMessage });
        if ((counts.get(rt.name) ?? 0) > 1) {
          result(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.');
          continue;
        }
        const t = state.partitions.topic(rt.name);
        if (!t) {
          result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'The topic does not exist.');
          continue;
        }
        if (rt.count < t.partitionCount) {
          result(
            ErrorCode.INVALID_PARTITIONS,
            `Topic currently has ${t.partitionCount} partitions, which is higher than the requested ${rt.count}.`,
          );
          continue;
        }
        if (rt.count === t.partitionCount) {
          result(ErrorCode.INVALID_PARTITIONS, `Topic already has ${t.partitionCount} partitions.`);
          continue;
        }
        if (rt.assignments !== null) {
          const added = rt.count - t.partitionCount;
          const bad =
            rt.assignments.length !== added ||
            rt.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== state.nodeId);
          if (bad) {
            result(
              ErrorCode.INVALID_REPLICA_ASSIGNMENT,
              `expected ${added} assignment(s), each naming broker ${state.nodeId} alone`,
            );
            continue;
          }
        }
        if (!request.validateOnly) await state.partitions.addPartitions(rt.name, rt.count);
        result(0, null);
      }
      return { ...defaultCreatePartitionsResponse(), results };
    },
  );
}
