import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configDocs, configDocsDir } from './config-docs.ts';

test('docs/config is generated from the current config definitions', () => {
  for (const [name, text] of configDocs()) {
    const committed = readFileSync(join(configDocsDir, name), 'utf8');
    assert.equal(committed, text, `docs/config/${name} is stale: run node tools/docs/config-docs.ts`);
  }
});

test('the broker reference lists the keys users bring from Kafka', () => {
  const text = configDocs().get('broker.md') ?? '';
  for (const key of [
    'listeners',
    'advertised.listeners',
    'log.dirs',
    'num.partitions',
    'message.max.bytes',
  ]) {
    assert.match(text, new RegExp(`\\| \`${key.replaceAll('.', '\\.')}\` \\|`), key);
  }
});
