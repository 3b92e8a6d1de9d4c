import { existsSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDirectory } from './fsync-directory.ts';

/**
 * Small state files of a partition directory (leader epochs, log start offset, recovery point),
 * replaced atomically: written to `<path>.tmp`, fsynced, renamed over the old file, then the directory
 * is fsynced so the rename itself is durable. A crash leaves either the old or the new content; a
 * stray `.tmp` is deleted on open.
 */
export async function writeCheckpointFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDirectory(dirname(path));
}

/** A single-offset checkpoint: version line `0`, then the offset. */
export function formatOffsetCheckpoint(offset: number): string {
  return `0\n${offset}\n`;
}

/** Reads a single-offset checkpoint; null when absent or malformed. */
export function readOffsetCheckpoint(path: string): number | null {
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  if (lines.length !== 2 || lines[0]!.trim() !== '0') return null;
  const n = Number(lines[1]!.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
