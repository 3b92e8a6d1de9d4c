import { ErrorCode } from '../protocol/index.ts';

/** The group coordinator's compacted topic (Kafka's `Topic.GROUP_METADATA_TOPIC_NAME`). */
export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's internal topics (`Topic.INTERNAL_TOPICS`); only the first exists in Sluice so far. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set([
  CONSUMER_OFFSETS_TOPIC,
  '__transaction_state',
  '__share_group_state',
]);

/** True for a topic the broker owns: Metadata shows it `isInternal`, clients may not write to it. */
export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/**
 * Kafka's answer to a client Produce to an internal topic (ReplicaManager: appends from clients are
 * not allowed there): INVALID_TOPIC_EXCEPTION with this message, per partition. DeleteRecords gets
 * the same code with `internalTopicDeleteRecordsError`.
 */
export function internalTopicProduceError(topic: string): { errorCode: number; message: string } {
  return {
    errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
    message: `Cannot append to internal topic ${topic}`,
  };
}

export function internalTopicDeleteRecordsError(topic: string): { errorCode: number; message: string } {
  return {
    errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
    message: `Cannot delete records of internal topic ${topic}`,
  };
}
