import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureMetaProperties, META_PROPERTIES_FILE, MetaPropertiesError } from './meta-properties.ts';

describe('meta.properties', () => {
  it('writes Kafka keys once and keeps the cluster id on later starts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-meta-'));
    try {
      const dirs = [join(root, 'a'), join(root, 'b')];
      const id = await ensureMetaProperties(dirs, 3, null, () => 'GeneratedClusterId1234');
      assert.equal(id, 'GeneratedClusterId1234');
      const text = readFileSync(join(dirs[0]!, META_PROPERTIES_FILE), 'utf8');
      assert.match(text, /^version=1$/m);
      assert.match(text, /^node\.id=3$/m);
      assert.match(text, /^cluster\.id=GeneratedClusterId1234$/m);
      assert.match(text, /^directory\.id=[A-Za-z0-9_-]{22}$/m);
      const dirIdA = /directory\.id=(.*)/.exec(text)![1];
      const dirIdB = /directory\.id=(.*)/.exec(
        readFileSync(join(dirs[1]!, META_PROPERTIES_FILE), 'utf8'),
      )![1];
      assert.notEqual(dirIdA, dirIdB, 'one directory id per log dir');
      const again = await ensureMetaProperties(dirs, 3, null, () => 'OtherGeneratedId123456');
      assert.equal(again, 'GeneratedClusterId1234');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a configured cluster.id or node.id that differs from the stored one, naming both', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-meta-'));
    try {
      await ensureMetaProperties([root], 1, 'StoredClusterId1234567', () => 'x');
      await assert.rejects(
        ensureMetaProperties([root], 1, 'ConfiguredClusterId123', () => 'x'),
        (err: Error) =>
          err instanceof MetaPropertiesError &&
          err.message.includes('StoredClusterId1234567') &&
          err.message.includes('ConfiguredClusterId123'),
      );
      await assert.rejects(
        ensureMetaProperties([root], 2, null, () => 'x'),
        /node\.id=1.*node\.id=2/,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
