import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { fsyncDirectory } from './fsync-directory.ts';

it('fsyncs an existing directory and reports a missing one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fsync-dir-'));
  try {
    writeFileSync(join(dir, 'a'), 'x');
    await fsyncDirectory(dir);
    await assert.rejects(fsyncDirectory(join(dir, 'missing')), { code: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
