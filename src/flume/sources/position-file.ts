import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Validator } from '../../config/index.ts';
import { compileJavaFullMatch } from '../interceptors/java-regex.ts';

/**
 * Replaces `path` with `text` atomically and durably: a temporary file is written and fsynced,
 * then renamed over the old one, so a crash leaves either the old or the new content.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** The JSON in `path`, undefined when it does not exist or does not parse. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** One entry of Flume's Taildir position file. */
export interface TaildirPosition {
  readonly inode: number;
  readonly pos: number;
  readonly file: string;
}

/** Parses Flume's Taildir position file (`[{"inode":..,"pos":..,"file":".."}]`); bad entries are skipped. */
export function parseTaildirPositions(json: unknown): TaildirPosition[] {
  if (!Array.isArray(json)) return [];
  const out: TaildirPosition[] = [];
  for (const e of json as unknown[]) {
    if (typeof e !== 'object' || e === null) continue;
    const { inode, pos, file } = e as Record<string, unknown>;
    if (typeof inode === 'number' && typeof pos === 'number' && typeof file === 'string' && pos >= 0) {
      out.push({ inode, pos, file });
    }
  }
  return out;
}

export function formatTaildirPositions(entries: readonly TaildirPosition[]): string {
  return JSON.stringify(entries.map((e) => ({ inode: e.inode, pos: e.pos, file: e.file })));
}

/** Validator for keys holding a Java regular expression matched against a whole file name. */
export function javaFullMatchRegex(): Validator<string> {
  return {
    expected: 'a Java regular expression Sluice can run',
    test: (v) => {
      try {
        compileJavaFullMatch(v);
        return true;
      } catch {
        return false;
      }
    },
  };
}
