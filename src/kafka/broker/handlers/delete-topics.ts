import {
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
  defaultDeleteTopicsResponse,
  deleteTopicsApi,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';

/**
 * DeleteTopics (key 20), v0-6.
 *
 * Removes the topic from the registry (durably), then deletes its partition logs; a crash between
 * the two leaves stray logs that the next start deletes. Pending fetches on it are woken.
 * Version notes: v4 flexible; v5 error messages; v6 topics by name or by id.
 */
export const DELETE_TOPICS_VERSIONS = { minVersion: 0, maxVersion: 6 } as const;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export function createDeleteTopicsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    deleteTopicsApi,
    DELETE_TOPICS_VERSIONS,
    async (request: DeleteTopicsRequest, ctx): Promise<DeleteTopicsResponse> => {
      const wanted =
        ctx.header.requestApiVersion >= 6
          ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
      const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
      for (const w of wanted) {
        const byId = w.name === null;
        const t = byId ? state.partitions.topicById(w.topicId) : state.partitions.topic(w.name!);
        if (!t) {
          responses.push({
            name: w.name,
            topicId: w.topicId,
            errorCode: byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: byId
              ? `Topic id ${w.topicId} does not exist`
              : 'This server does not host this topic-partition.',
          });
          continue;
        }
        await state.partitions.deleteTopic(t.name);
        responses.push({ name: t.name, topicId: t.id, errorCode: 0, errorMessage: null });
      }
      return { ...defaultDeleteTopicsResponse(), responses };
    },
  );
}
