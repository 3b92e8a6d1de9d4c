import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryLogger } from '../../telemetry/index.ts';
import { flumeEvent } from '../api/event.ts';
import { MemoryChannel } from '../channels/memory-channel.ts';
import { FileRollSink, fileRollSinkConfig, fileRollSinkOptions } from './file-roll-sink.ts';

const layer = (values: Record<string, string>) => [
  { source: 'test', entries: Object.entries(values).map(([key, value]) => ({ key, value })) },
];

describe('FileRollSink', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-file-roll-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  async function setup(keys: Record<string, string>, now: () => number) {
    const dir = join(root, String(readdirSync(root).length));
    const parsed = fileRollSinkConfig.parse(layer({ 'sink.directory': dir, ...keys }));
    const channel = new MemoryChannel('c', { capacity: 100, transactionCapacity: 100, keepAliveMs: 0 });
    await channel.start();
    const sink = new FileRollSink(
      'k',
      channel,
      { ...fileRollSinkOptions(parsed.values as Record<string, unknown>), now },
      new MemoryLogger(),
    );
    await sink.start();
    const put = async (...bodies: string[]) => {
      const tx = channel.getTransaction();
      tx.begin();
      for (const b of bodies) tx.put(flumeEvent(b, { h: 'v' }));
      await tx.commit();
      tx.close();
    };
    return { dir, sink, put };
  }

  it('appends batches to one file and starts a new one after rollInterval, named <start>-<n>', async () => {
    let now = 5_000;
    const { dir, sink, put } = await setup({ 'sink.rollInterval': '30' }, () => now);
    await put('a', 'b');
    await sink.process();
    now += 10_000;
    await put('c');
    await sink.process();
    now += 30_000;
    await put('d');
    await sink.process();
    await sink.stop();
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ['5000-1', '5000-2']);
    assert.equal(readFileSync(join(dir, '5000-1'), 'utf8'), 'a\nb\nc\n');
    assert.equal(readFileSync(join(dir, '5000-2'), 'utf8'), 'd\n');
  });

  it('header_and_text, prefix and extension', async () => {
    const { dir, sink, put } = await setup(
      {
        'sink.serializer': 'header_and_text',
        'sink.pathManager.prefix': 'log-',
        'sink.pathManager.extension': 'txt',
        'sink.rollInterval': '0',
      },
      () => 7,
    );
    await put('x');
    await sink.process();
    await sink.stop();
    assert.deepEqual(readdirSync(dir), ['log-7-1.txt']);
    assert.equal(readFileSync(join(dir, 'log-7-1.txt'), 'utf8'), '{h=v} x\n');
  });
});
