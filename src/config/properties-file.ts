import { readFile } from 'node:fs/promises';
import { ConfigError } from './config-error.ts';
import { type ParsedProperties, parseProperties } from './properties.ts';

/** Reads and parses a .properties file; a missing or unreadable file is a ConfigError naming it. */
export async function loadPropertiesFile(path: string): Promise<ParsedProperties> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ConfigError([{ source: path, key: '', expected: `a readable properties file (${reason})` }], {
      cause,
    });
  }
  return parseProperties(text, path);
}
