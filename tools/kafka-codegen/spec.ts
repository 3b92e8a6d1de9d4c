import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A field as written in a Kafka message spec file (only the keys the generator reads). */
export interface RawField {
  readonly name: string;
  readonly type: string;
  readonly versions: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly tag?: number;
  readonly ignorable?: boolean;
  readonly default?: string | number | boolean;
  readonly flexibleVersions?: string;
  readonly zeroCopy?: boolean;
  readonly fields?: readonly RawField[];
}

export interface RawStruct {
  readonly name: string;
  readonly versions: string;
  readonly fields: readonly RawField[];
}

/** One spec file: a request, response, header, or data/metadata record. */
export interface RawMessage {
  readonly apiKey?: number;
  readonly type: string;
  readonly listeners?: readonly string[];
  readonly name: string;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly latestVersionUnstable?: boolean;
  readonly fields: readonly RawField[];
  readonly commonStructs?: readonly RawStruct[];
}

/** An inclusive version range; open ranges ("3+") end at the int16 maximum. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export const VERSION_MAX = 0x7fff;

/** Parses "3+", "3-5", "3" or "none" (null). */
export function parseVersions(text: string, where: string): VersionRange | null {
  const s = text.trim();
  if (s === 'none') return null;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { min: Number(m[1]), max: VERSION_MAX };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) {
    const min = Number(m[1]);
    const max = Number(m[2]);
    if (max < min) throw new Error(`${where}: empty version range "${text}"`);
    return { min, max };
  }
  m = /^(\d+)$/.exec(s);
  if (m) return { min: Number(m[1]), max: Number(m[1]) };
  throw new Error(`${where}: invalid version range "${text}"`);
}

/** The spec files contain `//` line comments, which strict JSON does not allow. */
export function parseSpecText(text: string, where: string): RawMessage {
  const json = text
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  try {
    return JSON.parse(json) as RawMessage;
  } catch (err) {
    throw new Error(`${where}: invalid JSON`, { cause: err });
  }
}

/** Every `*.json` spec in `dir`, sorted by file name so the output does not depend on directory order. */
export function loadSpecs(dir: string): RawMessage[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => parseSpecText(readFileSync(join(dir, f), 'utf8'), f));
}
