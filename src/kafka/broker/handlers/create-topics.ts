import {
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
  createTopicsApi,
  defaultCreateTopicsResponse,
  defaultCreateTopicsResponseCreatableTopicResult,
  ErrorCode,
} from '../../protocol/index.ts';
import { type ApiHandler, defineApiHandler } from '../api-handler.ts';
import type { BrokerState } from '../broker-state.ts';
import { topicConfigValues } from '../topic-config-view.ts';
import { checkNewTopic } from '../topic-creation.ts';

/**
 * CreateTopics (key 19), v0-7.
 *
 * Each topic is checked on its own (legal name, not existing, partitions >= 1 or -1 for
 * num.partitions, replication factor 1 or -1 — a single node has one replica — or an explicit
 * assignment of every partition to this node, known topic configs with valid values) and gets its
 * own error; a name given twice is INVALID_REQUEST for both. validate_only checks without creating.
 * Version notes: v1 error messages and validate_only; v4 -1 defaults for partitions and replication
 * factor; v5 flexible, the created topic's partitions, replication factor and configs; v7 topic id.
 */
export const CREATE_TOPICS_VERSIONS = { minVersion: 0, maxVersion: 7 } as const;

export function createCreateTopicsHandler(state: BrokerState): ApiHandler {
  return defineApiHandler(
    createTopicsApi,
    CREATE_TOPICS_VERSIONS,
    async (request: CreateTopicsRequest): Promise<CreateTopicsResponse> => {
      const counts = new Map<string, number>();
      for (const t of request.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const topics: CreateTopicsResponseCreatableTopicResult[] = [];
      for (const t of request.topics) {
        const base = {
          ...defaultCreateTopicsResponseCreatableTopicResult(),
          name: t.name,
          numPartitions: -1,
          replicationFactor: -1,
          configs: null,
        };
        if ((counts.get(t.name) ?? 0) > 1) {
          topics.push({
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `Create topics request from client contains multiple entries for the topic ${t.name}`,
          });
          continue;
        }
        const check = checkNewTopic(state, t);
        if (!check.ok) {
          topics.push({ ...base, errorCode: check.errorCode, errorMessage: check.message });
          continue;
        }
        let topicId = base.topicId;
        if (!request.validateOnly) {
          try {
            topicId = (await state.partitions.createTopic(t.name, check.partitions, check.configs)).id;
          } catch (err) {
            topics.push({
              ...base,
              errorCode: state.partitions.topic(t.name)
                ? ErrorCode.TOPIC_ALREADY_EXISTS
                : ErrorCode.UNKNOWN_SERVER_ERROR,
              errorMessage: String((err as Error).message),
            });
            continue;
          }
        }
        topics.push({
          ...base,
          topicId,
          errorCode: 0,
          errorMessage: null,
          numPartitions: check.partitions,
          replicationFactor: 1,
          configs: topicConfigValues(state, { configs: check.configs }).map((c) => ({
            name: c.key.name,
            value: c.value,
            readOnly: false,
            configSource: c.source,
            isSensitive: false,
          })),
        });
      }
      return { ...defaultCreateTopicsResponse(), topics };
    },
  );
}
