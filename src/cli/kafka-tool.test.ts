import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseError } from '@platformatic/kafka';
import { parseAddConfig } from './configs.ts';
import { parsePartitionList, parseTime } from './get-offsets.ts';
import { describeClientError, kafkaErrorNames, parseBootstrap, splitKeyValue } from './kafka-tool.ts';
import { kafkaTopicId } from './topics.ts';

describe('tool flag parsing', () => {
  it('--bootstrap-server takes host:port lists', () => {
    assert.deepEqual(parseBootstrap('a:1, b:2'), ['a:1', 'b:2']);
    assert.deepEqual(parseBootstrap('[::1]:9092'), ['[::1]:9092']);
    assert.throws(() => parseBootstrap('nohost'), /host:port/);
  });

  it('key=value keeps later = signs in the value', () => {
    assert.deepEqual(splitKeyValue('a=b=c', '--config'), ['a', 'b=c']);
    assert.throws(() => splitKeyValue('=x', '--config'), /key=value/);
  });

  it('--add-config groups bracketed lists', () => {
    assert.deepEqual(parseAddConfig('retention.ms=1000,cleanup.policy=[compact,delete],x=y'), [
      ['retention.ms', '1000'],
      ['cleanup.policy', 'compact,delete'],
      ['x', 'y'],
    ]);
    assert.throws(() => parseAddConfig('novalue'), /k=v/);
  });

  it('--time accepts Kafka numbers and names; --partitions lists and ranges', () => {
    assert.equal(parseTime('-1'), -1n);
    assert.equal(parseTime('earliest'), -2n);
    assert.equal(parseTime('max-timestamp'), -3n);
    assert.equal(parseTime('1700000000000'), 1700000000000n);
    assert.throws(() => parseTime('yesterday'));
    assert.throws(() => parseTime('-9'));
    assert.deepEqual(parsePartitionList('0,2-4'), [0, 2, 3, 4]);
    assert.throws(() => parsePartitionList('a'));
  });

  it('topic ids print as Kafka does (base64url of the 16 bytes)', () => {
    assert.equal(kafkaTopicId('00000000-0000-0000-0000-000000000001'), 'AAAAAAAAAAAAAAAAAAAAAQ');
  });
});

describe('client errors', () => {
  it('name the Kafka error and the topic and partition the response path points at', () => {
    const response = { responses: [{ topicId: 'x', partitions: [{ partitionIndex: 3, errorCode: 1 }] }] };
    const err = new ResponseError(1, 17, { '/responses/0/partitions/0': [1, null] }, response);
    const line = describeClientError(err, "topic 'orders'");
    assert.match(line, /^OFFSET_OUT_OF_RANGE \(topic 'orders' partition 3\): /);
    assert.deepEqual([...kafkaErrorNames(err)], ['OFFSET_OUT_OF_RANGE']);
  });

  it('prefer the topic name found in the response', () => {
    const response = {
      topics: [{ name: 'orders', errorCode: 36, errorMessage: 'Topic orders already exists.' }],
    };
    const err = new ResponseError(19, 7, { '/topics/0': [36, 'Topic orders already exists.'] }, response);
    assert.equal(
      describeClientError(err, 'ignored context'),
      "TOPIC_ALREADY_EXISTS (topic 'orders'): Topic orders already exists.",
    );
  });

  it('describe plain errors with their context', () => {
    assert.equal(
      describeClientError(new Error('connect ECONNREFUSED'), 'listing topics'),
      'listing topics: connect ECONNREFUSED',
    );
  });
});
