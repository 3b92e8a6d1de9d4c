import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { captureKazooSession, FIXTURE_FILE, formatFixture, kazooAvailable } from './kazoo-capture.ts';

const skip = kazooAvailable()
  ? false
  : 'python3-kazoo is not installed (apt-get install python3-kazoo); skipping the live kazoo session';

describe('kazoo against the protocol codecs', () => {
  test('kazoo 2.8 completes a session on our replies and sends the committed fixture frames', {
    skip,
  }, async () => {
    const { frames, output } = await captureKazooSession();
    assert.deepEqual(output.trimEnd().split('\n'), [
      'create /app',
      'get hi True',
      'set True',
      'children app,zookeeper',
      'exists None',
      "multi ['/t', True, True]",
      'delete ok',
    ]);
    assert.equal(formatFixture(frames), readFileSync(FIXTURE_FILE, 'utf8'));
  });
});
