import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LOG_CONFIG, LogConfigError, logConfigFromProperties } from './log-config.ts';

describe('logConfigFromProperties', () => {
  it("keeps Kafka's defaults", () => {
    const c = logConfigFromProperties({});
    assert.equal(c.segmentBytes, 1073741824);
    assert.equal(c.segmentMs, 604800000);
    assert.equal(c.retentionMs, 604800000);
    assert.equal(c.retentionBytes, -1);
    assert.equal(c.indexIntervalBytes, 4096);
    assert.equal(c.cleanupPolicy, 'delete');
    assert.equal(c.flushBeforeAck, false);
  });

  it('reads broker keys, with topic keys overriding them and ms winning over hours', () => {
    const c = logConfigFromProperties(
      new Map([
        ['log.retention.hours', '1'],
        ['log.retention.minutes', '2'],
        ['log.segment.bytes', '1000'],
        ['segment.bytes', '2000'],
        ['log.roll.hours', '3'],
        ['cleanup.policy', 'delete, compact'],
        ['log.flush.interval.messages', '9223372036854775807'],
        ['sluice.flush.before.ack', 'true'],
        ['unrelated.key', 'x'],
      ]),
    );
    assert.equal(c.retentionMs, 120_000);
    assert.equal(c.segmentBytes, 2000);
    assert.equal(c.segmentMs, 3 * 3600_000);
    assert.equal(c.cleanupPolicy, 'compact,delete');
    assert.equal(c.flushMessages, Number.MAX_SAFE_INTEGER);
    assert.equal(c.flushBeforeAck, true);
    assert.equal(DEFAULT_LOG_CONFIG.segmentBytes, 1073741824, 'defaults untouched');
  });

  it('names the key, the value and what was expected on errors', () => {
    assert.throws(
      () => logConfigFromProperties({ 'segment.bytes': 'lots' }),
      (err: unknown) =>
        err instanceof LogConfigError &&
        /segment\.bytes=lots/.test(err.message) &&
        /integer/.test(err.message),
    );
    assert.throws(() => logConfigFromProperties({ 'cleanup.policy': 'shred' }), LogConfigError);
    assert.throws(() => logConfigFromProperties({ 'message.timestamp.type': 'Now' }), LogConfigError);
  });
});
