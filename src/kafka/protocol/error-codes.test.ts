import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, errorByCode, errorByName, errorName, isRetriable, KAFKA_ERRORS } from './error-codes.ts';

describe('Kafka error codes', () => {
  it('has unique codes and unique names, sorted by code', () => {
    const codes = KAFKA_ERRORS.map((e) => e.code);
    const names = KAFKA_ERRORS.map((e) => e.name);
    assert.equal(new Set(codes).size, codes.length);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(
      codes,
      [...codes].sort((a, b) => a - b),
    );
  });

  it('covers every code from -1 to the newest without gaps', () => {
    const codes = KAFKA_ERRORS.map((e) => e.code);
    assert.equal(codes[0], -1);
    for (let i = 1; i < codes.length; i++) assert.equal(codes[i], codes[i - 1]! + 1);
    assert.ok(codes.at(-1)! >= 129, 'includes the Kafka 4.0 codes');
  });

  it('knows well-known values', () => {
    assert.equal(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
    assert.equal(ErrorCode.NONE, 0);
    assert.equal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 3);
    assert.equal(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
    assert.equal(ErrorCode.UNSUPPORTED_VERSION, 35);
    assert.equal(ErrorCode.INVALID_REQUEST, 42);
    assert.equal(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 45);
    assert.equal(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 76);
    assert.equal(ErrorCode.PRODUCER_FENCED, 90);
    assert.equal(ErrorCode.UNKNOWN_TOPIC_ID, 100);
    assert.equal(ErrorCode.TRANSACTION_ABORTABLE, 120);
    assert.equal(ErrorCode.REBOOTSTRAP_REQUIRED, 129);
  });

  it('marks retriable errors as Kafka does', () => {
    for (const name of [
      'UNKNOWN_TOPIC_OR_PARTITION',
      'LEADER_NOT_AVAILABLE',
      'NOT_LEADER_OR_FOLLOWER',
      'REQUEST_TIMED_OUT',
      'NOT_COORDINATOR',
      'CONCURRENT_TRANSACTIONS',
      'KAFKA_STORAGE_ERROR',
    ] as const) {
      assert.equal(isRetriable(ErrorCode[name]), true, name);
    }
    for (const name of [
      'NONE',
      'UNKNOWN_SERVER_ERROR',
      'MESSAGE_TOO_LARGE',
      'REBALANCE_IN_PROGRESS',
      'UNSUPPORTED_VERSION',
      'PRODUCER_FENCED',
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
    ] as const) {
      assert.equal(isRetriable(ErrorCode[name]), false, name);
    }
  });

  it('looks up by code and by name consistently', () => {
    for (const e of KAFKA_ERRORS) {
      assert.equal(errorByCode(e.code), e);
      assert.equal(errorByName(e.name), e);
      assert.equal(ErrorCode[e.name], e.code);
      assert.ok(e.message.length > 0);
    }
    assert.equal(errorByCode(9999), undefined);
    assert.equal(errorByName('unsupported_version'), undefined);
    assert.equal(errorName(35), 'UNSUPPORTED_VERSION');
    assert.equal(errorName(9999), 'UNKNOWN_ERROR_CODE(9999)');
    assert.equal(isRetriable(9999), false);
  });

  it('is frozen', () => {
    assert.throws(() => {
      (ErrorCode as unknown as Record<string, number>).NONE = 5;
    }, TypeError);
  });
});
