import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../protocol/index.ts';
import type { BrokerState } from './broker-state.ts';
import { describeTopic } from './handlers/metadata.ts';
import {
  CONSUMER_OFFSETS_TOPIC,
  internalTopicDeleteRecordsError,
  internalTopicProduceError,
  isInternalTopic,
} from './internal-topics.ts';
import type { TopicRecord } from './topic-registry.ts';

describe('internal topics', () => {
  it("are Kafka's three", () => {
    assert.equal(isInternalTopic(CONSUMER_OFFSETS_TOPIC), true);
    assert.equal(isInternalTopic('__transaction_state'), true);
    assert.equal(isInternalTopic('__share_group_state'), true);
    assert.equal(isInternalTopic('__consumer_offsets2'), false);
    assert.equal(isInternalTopic('orders'), false);
  });

  it("refuse client writes with Kafka's INVALID_TOPIC_EXCEPTION", () => {
    assert.deepEqual(internalTopicProduceError(CONSUMER_OFFSETS_TOPIC), {
      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      message: 'Cannot append to internal topic __consumer_offsets',
    });
    assert.equal(internalTopicDeleteRecordsError('x').errorCode, 17);
  });

  it('Metadata reports __consumer_offsets as internal, other topics not', () => {
    const state = { nodeId: 1, partitions: { partitionsOf: () => [] } } as unknown as BrokerState;
    const topic = (name: string): TopicRecord => ({
      name,
      id: '11111111-2222-4333-8444-555555555555',
      partitionCount: 1,
      leaderEpoch: 0,
      configs: {},
    });
    assert.equal(describeTopic(state, topic(CONSUMER_OFFSETS_TOPIC), false).isInternal, true);
    assert.equal(describeTopic(state, topic('orders'), false).isInternal, false);
  });
});
