import {
  defaultOffsetDeleteResponse,
  type OffsetDeleteRequest,
  type OffsetDeleteResponse,
  offsetDeleteApi,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * OffsetDelete (key 47), v0: removes committed offsets of partitions the group does not consume.
 * GROUP_ID_NOT_FOUND for an unknown group. An empty group may delete anything. A non-empty
 * classic group of protocol type `consumer` has its members' subscriptions read from their
 * ConsumerProtocolSubscription metadata (int16 version, then the topic names): partitions of a
 * subscribed topic get GROUP_SUBSCRIBED_TO_TOPIC, the others are deleted. A non-empty group whose
 * subscriptions are unknown (another protocol type, unreadable metadata) → NON_EMPTY_GROUP.
 * Unknown topics or partitions → UNKNOWN_TOPIC_OR_PARTITION.
 */
export const OFFSET_DELETE_VERSIONS = { minVersion: 0, maxVersion: 0 } as const;

export function createOffsetDeleteHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    offsetDeleteApi,
    OFFSET_DELETE_VERSIONS,
    async (request: OffsetDeleteRequest): Promise<OffsetDeleteResponse> => {
      const r = await state.groups.deleteOffsets(
        request.groupId,
        request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
      );
      return { ...defaultOffsetDeleteResponse(), errorCode: r.errorCode, topics: r.topics };
    },
  );
}
