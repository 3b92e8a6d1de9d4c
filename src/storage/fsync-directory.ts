import { open } from 'node:fs/promises';

/**
 * fsyncs a directory, making the creations, renames and deletions of files in it durable (a file's
 * own fsync does not cover its directory entry). Kafka does the same after rolling a segment,
 * swapping in a cleaned one and replacing a checkpoint file. Platforms that cannot open or sync a
 * directory (Windows) skip it.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(dir, 'r');
  } catch (err) {
    if (isUnsupported(err)) return;
    throw err;
  }
  try {
    await fh.sync();
  } catch (err) {
    if (!isUnsupported(err)) throw err;
  } finally {
    await fh.close();
  }
}

function isUnsupported(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'ENOTSUP';
}
